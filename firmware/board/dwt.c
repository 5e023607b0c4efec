/*
 * dwt.c - DWT cycle counter (ARMv7-M ARM C1.8). On the Cortex-M7 the DWT has a software lock
 * (LAR) that must be opened before CTRL can be written; TRCENA in DEMCR powers the unit.
 */
#include "m7_board.h"

void m7_dwt_init(void)
{
    CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA;
    DWT->LAR = DWT_LAR_KEY;
    DWT->CYCCNT = 0U;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA;
}
