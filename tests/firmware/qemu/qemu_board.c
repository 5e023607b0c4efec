/*
 * qemu_board.c - the parts of m7_board that touch STM32 peripherals, replaced for QEMU mps2-an500:
 * no clock tree, caches, DWT or USART; console and exit through Arm semihosting, UART input fixed at
 * build time. Used only by
 * tests/firmware/test_qemu.py, which builds the real startup, SysTick, fault and formatter code.
 */
#include "m7_board.h"

#define QEMU_SYSCLK_HZ 25000000U /* mps2 SYSCLK, which QEMU's SysTick counts with CLKSOURCE = 1 */

static const m7_clock_info_t qemu_clock = {"QEMU mps2 25 MHz", NULL, QEMU_SYSCLK_HZ, QEMU_SYSCLK_HZ,
                                           QEMU_SYSCLK_HZ, QEMU_SYSCLK_HZ, 0, 0, 0, 0};

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

uint32_t m7_core_hz(void) { return QEMU_SYSCLK_HZ; }
const m7_clock_info_t *m7_clock_info(void) { return &qemu_clock; }

const m7_clock_info_t *m7_board_init(void)
{
    m7_fpu_config();
    m7_faults_enable();
    m7_mpu_init();
    m7_systick_init(1000U);
    return &qemu_clock;
}

void m7_putc(char c) { semihost(0x03U, &c); }          /* SYS_WRITEC */
void m7_puts(const char *s) { semihost(0x04U, s); }    /* SYS_WRITE0 */
void m7_uart_flush(void) {}

#ifndef QEMU_UART_INPUT
#define QEMU_UART_INPUT '?'
#endif
/* faulttest's one input character comes from the build (-DQEMU_UART_INPUT='i'), not from a UART. */
int m7_uart_getc(uint32_t timeout_loops)
{
    (void)timeout_loops;
    return QEMU_UART_INPUT;
}

int m7_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = m7_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m7_puts(buf);
    return n;
}

void m7_exit(int status)
{
    uint32_t block[2] = {0x20026U, (uint32_t)status}; /* ADP_Stopped_ApplicationExit, status */
    semihost(0x20U, block);                           /* SYS_EXIT_EXTENDED */
    for (;;) {
        __WFI();
    }
}
