/*
 * m7_board.h - the m7amp board-support API for the STM32F767 (Nucleo-F767ZI). Apps include only this.
 *
 * Start-up order: the reset handler (startup.c) sets VTOR, enables the FPU, copies .data/.itcm/.dtcm
 * and zeroes .bss/.dtcm_bss, then calls main(); main() calls m7_board_init() first.
 */
#ifndef M7_BOARD_H
#define M7_BOARD_H

#include <stdint.h>

#include "cmsis_compiler.h"
#include "m7_print.h"
#include "stm32f767.h"

#ifndef M7AMP_VERSION
#define M7AMP_VERSION "0.0.0"
#endif

/* ---- placement: hot code in ITCM, hot data in DTCM, big buffers in SRAM1/SRAM2 ---- */
#define M7_ITCM __attribute__((section(".itcm"), noinline))     /* function copied to ITCM at reset */
#define M7_DTCM __attribute__((section(".dtcm")))               /* initialised data in DTCM */
#define M7_DTCM_BSS __attribute__((section(".dtcm_bss")))       /* zeroed data in DTCM */
#define M7_SRAM2 __attribute__((section(".sram2"), aligned(32))) /* not initialised (e.g. DMA buffers) */

/* ---- exit status convention (m7_exit) ---- */
enum {
    M7_EXIT_PASS = 0,
    M7_EXIT_FAIL = 1,
    M7_EXIT_FAULT = 3, /* a fault handler or an unexpected exception stopped the firmware */
};

/* ---- clocks (system.c) ---- */
typedef struct {
    const char *source;      /* "HSE-bypass 8 MHz", "HSI 16 MHz" */
    const char *failed_step; /* NULL when every step completed; else the step that timed out */
    uint32_t sysclk_hz;
    uint32_t hclk_hz;
    uint32_t pclk1_hz;
    uint32_t pclk2_hz;
    uint32_t pll_m, pll_n, pll_p, pll_q;
} m7_clock_info_t;

/* Clocks to 216 MHz, caches, FPU modes, DWT, SysTick 1 kHz, USART3, MPU stack guard, fault enables.
 * Returns the clock result (also available later from m7_clock_info()). */
const m7_clock_info_t *m7_board_init(void);
const m7_clock_info_t *m7_clock_info(void);
const m7_clock_info_t *m7_clock_init(void);
uint32_t m7_core_hz(void);

/* ---- FPU (system.c): FZ + DN in FPSCR and FPDSCR (handlers inherit FPDSCR) ---- */
void m7_fpu_config(void);

/* ---- caches (cache.c) ---- */
void m7_icache_enable(void);
void m7_dcache_enable(void);
void m7_dcache_clean_range(const void *addr, uint32_t size);
void m7_dcache_invalidate_range(void *addr, uint32_t size);

/* ---- MPU (mpu.c): no-access regions on the stack guard and on the first 32 bytes at 0 (NULL) ---- */
void m7_mpu_init(void);

/* ---- DWT cycle counter (dwt.c) ---- */
void m7_dwt_init(void);
static inline uint32_t m7_cycles(void) { return DWT->CYCCNT; }

/* ---- SysTick (systick.c) ---- */
void m7_systick_init(uint32_t hz);
uint32_t m7_millis(void);
void m7_systick_hook(void); /* weak, empty: apps may override; runs in the SysTick handler */

/* ---- NVIC helpers (systick.c) ---- */
void m7_nvic_set_priority(int irq, uint32_t prio); /* prio 0..15, 0 = highest; irq < 0: system */
void m7_nvic_enable(int irq);
void m7_nvic_disable(int irq);

/* ---- USART3 console (uart.c) ---- */
void m7_uart_init(uint32_t pclk1_hz, uint32_t baud);
void m7_putc(char c);
void m7_puts(const char *s); /* no newline added */
int m7_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int m7_uart_getc(uint32_t timeout_loops); /* -1 on timeout; timeout_loops 0 = wait forever */
void m7_uart_flush(void);                 /* waits (bounded) until the last byte has left */

/* ---- exit (exit.c): semihosting SYS_EXIT_EXTENDED when a debugger is attached, then WFI loop ---- */
__attribute__((noreturn)) void m7_exit(int status);

/* ---- faults (faults.c) ---- */
void m7_faults_enable(void); /* MemManage, BusFault, UsageFault as their own exceptions */

#endif /* M7_BOARD_H */
