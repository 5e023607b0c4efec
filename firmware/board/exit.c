/*
 * exit.c - m7_exit(status): the one way firmware stops.
 *
 * With a debugger attached (DHCSR.C_DEBUGEN; the simulator reports it set) it makes the semihosting
 * call SYS_EXIT_EXTENDED (0x20) with {ADP_Stopped_ApplicationExit, status}, so the host sees the exit
 * status. Without a debugger a BKPT would itself fault, so it only sleeps forever. Renode (whose DHCSR
 * reads 0) sees the end through a hook on this function's address (renode/m7amp.resc): keep its name.
 */
#include "m7_board.h"

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20U
#define ADP_STOPPED_APPLICATION_EXIT 0x20026U

void m7_exit(int status)
{
    m7_uart_flush();
    if (CoreDebug->DHCSR & CoreDebug_DHCSR_C_DEBUGEN) {
        uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
        register uint32_t r0 __asm__("r0") = SEMIHOST_SYS_EXIT_EXTENDED;
        register uint32_t *r1 __asm__("r1") = block; /* "memory" below: block is stored first */
        __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    }
    __disable_irq();
    for (;;) {
        __WFI();
    }
}
