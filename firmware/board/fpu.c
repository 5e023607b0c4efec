/*
 * fpu.c - FPU configuration shared by every board build (the F767 and the QEMU test board).
 */
#include "m7_board.h"

void m7_fpu_config(void)
{
    /* Thread mode: flush-to-zero + default NaN now; handlers get the same from FPDSCR. Lazy stacking
     * (ASPEN | LSPEN, the reset value) stays on: an FP frame is reserved on exception entry and only
     * filled if the handler itself uses the FPU. */
    __set_FPSCR(__get_FPSCR() | FPSCR_FZ | FPSCR_DN);
    FPU->FPDSCR |= FPSCR_FZ | FPSCR_DN;
    FPU->FPCCR |= FPU_FPCCR_ASPEN | FPU_FPCCR_LSPEN;
    __DSB();
    __ISB();
}
