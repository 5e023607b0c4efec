/*
 * Micro-workloads of `m7amp bench fidelity` (m7amp/sim/fidelity.py lists each with its published figure).
 * Method of quinapalus.com "Cortex-M7 instruction cycle counts": each sequence is emitted as 4 and as 14
 * copies between ISBs, in functions aligned to 32 bytes; both are timed with DWT CYCCNT, and
 * (cycles(14) - cycles(4)) / 10 is the cost of one copy, free of call and timing overhead.
 * Prints one line per workload on USART3: "<name> <cycles of 4 copies> <cycles of 14 copies>".
 */
#include <stdint.h>
#include "board.h"

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

/* One function per (workload, copies): isb; PROLOGUE; COPIES x BODY; isb; bx lr. */
#define MW(name, copies, prologue, body)                                                  \
    __asm__(".section .text." #name "_" #copies ",\"ax\",%progbits\n"                     \
            ".balign 32\n.global mw_" #name "_" #copies "\n.thumb_func\n"                 \
            "mw_" #name "_" #copies ":\n" prologue "\nisb\n.rept " #copies "\n" body      \
            "\n.endr\nisb\nbx lr\n");                                                     \
    void mw_##name##_##copies(void);
#define WORKLOAD(name, prologue, body) MW(name, 4, prologue, body) MW(name, 14, prologue, body)

WORKLOAD(alu_pairs, "", "add r0, r0, #1\n add r1, r1, #1")
WORKLOAD(alu_chain, "", "add r0, r0, #1\n add r0, r0, #1")
WORKLOAD(load_use, "mov r2, sp", "ldr r1, [r2]\n add r0, r0, r1")
WORKLOAD(mul_chain, "movs r1, #3", "mul r0, r0, r1")
WORKLOAD(smlad_chain, "", "smlad r0, r1, r2, r0")
WORKLOAD(fma_chain, "", "vfma.f32 s0, s4, s5")
WORKLOAD(fma_independent, "", "vfma.f32 s0, s4, s5\n vfma.f32 s1, s4, s5\n vfma.f32 s2, s4, s5\n"
                              " vfma.f32 s3, s4, s5")
WORKLOAD(fp_add_chain, "", "vadd.f32 s0, s0, s4")

/* The second of two calls: the code is then in the I-cache, as in [QP]'s averaged runs. */
static uint32_t timed(void (*f)(void)) {
    uint32_t t = 0;
    for (int i = 0; i < 2; i++) {
        uint32_t t0 = DWT_CYCCNT;
        f();
        t = DWT_CYCCNT - t0;
    }
    return t;
}

static void report(const char *name, void (*four)(void), void (*fourteen)(void)) {
    (void)timed(four); /* warms the timing code's own paths too */
    board_puts(name);
    board_putc(' ');
    board_putu(timed(four));
    board_putc(' ');
    board_putu(timed(fourteen));
    board_puts("\r\n");
}

#define REPORT(name) report(#name, mw_##name##_4, mw_##name##_14)

int main(void) {
    board_clock_216mhz(); /* flash wait states, ART and prefetch as on the measured boards */
    board_icache_enable();
    board_uart_init();
    DEMCR |= 1u << 24; /* TRCENA */
    DWT_CTRL |= 1u;    /* CYCCNTENA */
    REPORT(alu_pairs);
    REPORT(alu_chain);
    REPORT(load_use);
    REPORT(mul_chain);
    REPORT(smlad_chain);
    REPORT(fma_chain);
    REPORT(fma_independent);
    REPORT(fp_add_chain);
    return 0;
}
