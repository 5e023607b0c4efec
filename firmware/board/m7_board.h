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

/* ---- audio: SAI1 full-duplex I2S on DMA2 (sai.c, dma.c, sai_clock.c; docs/audio.md) ---- */
#include "m7_sai_clock.h"

enum {
    M7_AUDIO_OK = 0,
    M7_AUDIO_ERR_RATE = -1,   /* no clock plan for the rate (48000 and 44100 only) */
    M7_AUDIO_ERR_PLLSAI = -2, /* PLLSAIRDY did not follow PLLSAION */
    M7_AUDIO_ERR_DMA = -3,    /* a DMA2 stream did not stop, or a bad stream setup */
    M7_AUDIO_ERR_SAI = -4,    /* an SAI block did not stop */
};
#define M7_SAI1_TX_STREAM 1u /* DMA2 stream 1, channel 0 = SAI1_A */
#define M7_SAI1_RX_STREAM 5u /* DMA2 stream 5, channel 0 = SAI1_B */

/* One DMA2 stream in circular direct mode over a whole buffer of `items` items of 1 << size_log2 bytes. */
typedef struct {
    uint32_t stream;       /* 0..7 */
    uint32_t channel;      /* request channel (CHSEL, RM0410 table 28) */
    uint32_t dir;          /* DMA_SxCR_DIR_P2M or DMA_SxCR_DIR_M2P */
    volatile void *periph; /* peripheral data register */
    void *mem;             /* the circular buffer */
    uint32_t items;        /* NDTR: items in the whole buffer (1..65535) */
    uint32_t size_log2;    /* PSIZE = MSIZE: 0 byte, 1 half-word, 2 word */
    uint32_t irq_enables;  /* DMA_SxCR_HTIE | DMA_SxCR_TCIE | DMA_SxCR_TEIE | DMA_SxCR_DMEIE, or 0 */
} m7_dma_circular_t;
int m7_dma2_start_circular(const m7_dma_circular_t *c); /* 0, or -1 (bad setup / stream did not stop) */
int m7_dma2_stop(uint32_t stream);                      /* 0, or -1 if EN did not clear */
uint32_t m7_dma2_flags(uint32_t stream);                /* the stream's DMA_FLAG_* bits */
void m7_dma2_clear(uint32_t stream, uint32_t flags);
static inline uint32_t m7_dma2_remaining(uint32_t stream) { return DMA2->S[stream].NDTR; }

/* PLLSAI -> SAI1 kernel clock for a frame rate of 48000 or 44100 (m7_sai_clock.h); M7_AUDIO_* status. */
int m7_sai1_clock_init(uint32_t rate_hz);
/* Pins, both SAI1 blocks, both DMA streams, then start: rx and tx are circular int16 buffers of `frames`
 * stereo frames ([frame][left, right]); the RX stream raises HT/TC (and TE) on DMA2_Stream5_IRQn. */
int m7_sai1_duplex_start(uint32_t rate_hz, int16_t *rx, int16_t *tx, uint32_t frames);
/* Error flags seen since the last call (block A's SR bits | block B's << 8), cleared. */
uint32_t m7_sai1_errors(void);

#endif /* M7_BOARD_H */
