/* Minimal board support for simulator workloads (see board.c). */
#ifndef M7AMP_SIM_WORKLOAD_BOARD_H
#define M7AMP_SIM_WORKLOAD_BOARD_H
#include <stdint.h>

int board_clock_216mhz(void); /* 0 on success, else the step that timed out */
void board_uart_init(void);    /* USART3 115200 8N1 */
void board_putc(char c);
void board_puts(const char *s);
void board_putu(uint32_t v);
int board_getc(void);
void board_exit(int status) __attribute__((noreturn));
void board_icache_enable(void); /* invalidate and enable the Cortex-M7 I-cache (SCB CCR.IC) */
void board_dcache_enable(void); /* invalidate (DCISW) and enable the D-cache (SCB CCR.DC) */

#endif
