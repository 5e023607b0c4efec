/*
 * uart.c - USART3 console on PD8 (TX) / PD9 (RX), AF7: the Nucleo-F767ZI's ST-LINK virtual COM port.
 * 8N1, polled, no interrupts; m7_printf formats straight into the transmit register (no buffer, no heap).
 */
#include "m7_board.h"

#define M7_UART_TX_LOOPS 1000000UL /* bound on one TXE wait: ~87 us per byte at 115200, far above */

void m7_uart_init(uint32_t pclk1_hz, uint32_t baud)
{
    RCC->AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    RCC->APB1ENR |= RCC_APB1ENR_USART3EN;
    (void)RCC->APB1ENR;
    RCC->DCKCFGR2 &= ~RCC_DCKCFGR2_USART3SEL_Msk; /* kernel clock = PCLK1 */

    /* PD8, PD9: alternate function 7, very high speed, pull-up on RX */
    GPIOD->MODER = (GPIOD->MODER & ~((3UL << 16) | (3UL << 18))) | (2UL << 16) | (2UL << 18);
    GPIOD->OSPEEDR |= (3UL << 16) | (3UL << 18);
    GPIOD->PUPDR = (GPIOD->PUPDR & ~(3UL << 18)) | (1UL << 18);
    GPIOD->AFR[1] = (GPIOD->AFR[1] & ~0xFFUL) | (7UL << 0) | (7UL << 4);

    USART3->CR1 = 0U; /* UE off while configuring; M1:M0 = 00 (8 data bits), no parity, OVER8 = 0 */
    USART3->CR2 = 0U; /* 1 stop bit */
    USART3->CR3 = 0U;
    USART3->BRR = (pclk1_hz + baud / 2U) / baud; /* 54 MHz / 115200 = 468.75 -> 469 */
    USART3->CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE;
}

void m7_putc(char c)
{
    if (!(USART3->CR1 & USART_CR1_UE)) {
        return; /* not initialised yet (e.g. a fault before m7_board_init): drop */
    }
    for (uint32_t i = 0; i < M7_UART_TX_LOOPS; i++) {
        if (USART3->ISR & USART_ISR_TXE) {
            USART3->TDR = (uint8_t)c;
            return;
        }
    }
}

void m7_puts(const char *s)
{
    while (*s) {
        m7_putc(*s++);
    }
}

void m7_uart_flush(void)
{
    if (!(USART3->CR1 & USART_CR1_UE)) {
        return;
    }
    for (uint32_t i = 0; i < M7_UART_TX_LOOPS; i++) {
        if (USART3->ISR & USART_ISR_TC) {
            return;
        }
    }
}

int m7_uart_getc(uint32_t timeout_loops)
{
    for (uint32_t i = 0; timeout_loops == 0U || i < timeout_loops; i++) {
        uint32_t isr = USART3->ISR;
        if (isr & USART_ISR_ORE) {
            USART3->ICR = USART_ICR_ORECF; /* an overrun blocks RXNE until cleared */
        }
        if (isr & USART_ISR_RXNE) {
            return (int)(USART3->RDR & 0xFFU);
        }
    }
    return -1;
}

static void uart_sink(char c, void *ctx)
{
    (void)ctx;
    m7_putc(c);
}

int m7_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = m7_vformat(uart_sink, NULL, fmt, ap);
    va_end(ap);
    return n;
}
