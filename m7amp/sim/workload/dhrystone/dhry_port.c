/*
 * m7amp: Dhrystone 2.1 port for the simulator's fidelity benchmark (`m7amp bench fidelity`).
 * Dhrystone is not in this repository: it is built from a checkout of github:sifive/benchmark-dhrystone
 * (dhry_1.c, dhry_2.c, dhry.h) given by M7AMP_DHRYSTONE_DIR, compiled with -DTIME so that the benchmark
 * calls time() exactly twice, around the timed loop. Here time() reads DWT CYCCNT; the second call
 * prints "dhrystone runs=N cycles=C ok=1" on USART3 (ok = the final Int_Glob/Ch_1_Glob checks pass).
 * strcpy/strcmp come from newlib (-lc: its Thumb-2 word-at-a-time versions), as on a real toolchain.
 */
#include <stddef.h>
#include <stdint.h>
#include "board.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

extern int Int_Glob;
extern char Ch_1_Glob, Ch_2_Glob;
extern int Arr_2_Glob[50][50];

int printf(const char *fmt, ...);
void *malloc(size_t n);
long time(long *t);

int printf(const char *fmt, ...) {
    (void)fmt;
    return 0;
}

void *malloc(size_t n) {
    static uint8_t heap[256] __attribute__((aligned(8)));
    static size_t used;
    void *p = &heap[used];
    used += (n + 7u) & ~(size_t)7u;
    return used <= sizeof heap ? p : NULL;
}

long time(long *t) {
    static int calls;
    static uint32_t start;
    (void)t;
    if (calls++ == 0) {
        board_clock_216mhz(); /* flash wait states, ART and prefetch as on the measured boards */
#ifndef NO_ICACHE /* NO_ICACHE: both L1 caches stay off (the "cache off" measurement) */
        board_icache_enable();
        board_dcache_enable();
#endif
        board_uart_init();
        DEMCR |= 1u << 24;
        DWT_CTRL |= 1u;
        start = DWT_CYCCNT;
        return 0;
    }
    uint32_t cycles = DWT_CYCCNT - start;
    board_puts("dhrystone runs=");
    board_putu(DHRY_ITERS);
    board_puts(" cycles=");
    board_putu(cycles);
    board_puts(" ok=");
    board_putu(Int_Glob == 5 && Ch_1_Glob == 'A' && Ch_2_Glob == 'B' && Arr_2_Glob[8][7] == DHRY_ITERS + 10);
    board_puts("\r\n");
    return 1;
}
