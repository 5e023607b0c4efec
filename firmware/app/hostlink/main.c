/*
 * hostlink - the firmware side of the host-link protocol (docs/hostlink.md): blocks of samples framed
 * over USART3 (the ST-LINK virtual COM port), each run through the engine with the same call as the
 * bench and audio apps, answered with the output and the engine call's DWT cycles.
 *
 * USART3 runs at M7AMP_HOSTLINK_BAUD (default 921600: 54 MHz / 59, 0.7 % fast, within the ST-LINK
 * VCP's tolerance). Reception is interrupt-driven into a ring buffer, so no byte is lost while a reply
 * is being sent, and the main loop sleeps in WFI between bytes (in the simulator, virtual time then
 * jumps). A frame that stops arriving for M7AMP_HOSTLINK_TIMEOUT_MS is dropped with a TIMEOUT error.
 *
 * At start it prints one text line (the client skips it as garbage before the first frame):
 *   m7amp hostlink <version> model=<name> precision=<f32|q15> baud=<baud> max_block=<n>
 * On an engine init failure: M7AMP HOSTLINK FAIL init <status>, exit status 1.
 */
#include <stdint.h>

#include "hl_engine.h"
#include "m7_app_engine.h"
#include "m7_board.h"
#include "m7_hostlink.h"

#ifndef M7AMP_HOSTLINK_BAUD
#define M7AMP_HOSTLINK_BAUD 921600u
#endif
#ifndef M7AMP_HOSTLINK_TIMEOUT_MS
#define M7AMP_HOSTLINK_TIMEOUT_MS 100u
#endif
#define USART3_IRQ 39
#define RX_RING 2048u /* power of two, > the largest request frame (1044 B): one can wait while we reply */

_Static_assert((RX_RING & (RX_RING - 1u)) == 0u, "RX_RING must be a power of two");

static volatile uint8_t rx_ring[RX_RING];
static volatile uint32_t rx_head; /* written by the ISR */
static volatile uint32_t rx_tail; /* written by the main loop */
static volatile uint32_t rx_dropped;

void USART3_IRQHandler(void)
{
    uint32_t isr = USART3->ISR;
    if (isr & USART_ISR_ORE) {
        USART3->ICR = USART_ICR_ORECF;
        rx_dropped++;
    }
    if (isr & USART_ISR_RXNE) {
        uint8_t byte = (uint8_t)(USART3->RDR & 0xFFu);
        uint32_t head = rx_head;
        if (head - rx_tail < RX_RING) {
            rx_ring[head % RX_RING] = byte;
            rx_head = head + 1u;
        } else {
            rx_dropped++; /* the host sent more than one frame ahead: the frame fails its CRC */
        }
    }
}

static void uart_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        m7_putc((char)data[i]);
    }
}

static int engine_process(void *ctx, const void *in, void *out, uint32_t n, uint32_t *cycles)
{
    (void)ctx;
    uint32_t t0 = m7_cycles();
    int status = m7_app_engine_process(in, out, n);
    *cycles = m7_cycles() - t0;
    return status;
}

static void engine_reset(void *ctx)
{
    (void)ctx;
    m7_app_engine_reset();
}

static m7_hl_server_t server;

int main(void)
{
    const m7_clock_info_t *clk = m7_board_init();
    m7_uart_init(clk->pclk1_hz, M7AMP_HOSTLINK_BAUD);

    m7_hl_info_t info = {0};
    int status = hl_engine_init(&info);
    m7_printf("m7amp hostlink %s model=%s precision=%s baud=%lu max_block=%u\r\n", M7AMP_VERSION,
              info.model_name, info.precision ? "q15" : "f32", (unsigned long)M7AMP_HOSTLINK_BAUD,
              (unsigned)info.max_block);
    if (status != 0) {
        m7_printf("M7AMP HOSTLINK FAIL init %d\r\n", status);
        m7_exit(M7_EXIT_FAIL);
    }
    info.core_hz = clk->sysclk_hz;
    info.timeout_ms = M7AMP_HOSTLINK_TIMEOUT_MS;
    const m7_hl_ops_t ops = {.ctx = 0, .write = uart_write, .process = engine_process, .reset = engine_reset};
    m7_hl_server_init(&server, &ops, &info);

    USART3->CR1 |= USART_CR1_RXNEIE;
    m7_nvic_enable(USART3_IRQ);

    uint32_t last_byte_ms = m7_millis();
    for (;;) {
        /* Sleep until a byte or a SysTick: masking first so a byte arriving between the check and
         * the WFI still wakes it (a pending interrupt ends WFI even with PRIMASK set). */
        __disable_irq();
        if (rx_head == rx_tail) {
            __WFI();
        }
        __enable_irq();
        while (rx_tail != rx_head) {
            uint8_t byte = rx_ring[rx_tail % RX_RING];
            rx_tail++;
            m7_hl_server_byte(&server, byte);
            last_byte_ms = m7_millis();
        }
        if (m7_hl_server_in_frame(&server) && m7_millis() - last_byte_ms >= M7AMP_HOSTLINK_TIMEOUT_MS) {
            m7_hl_server_timeout(&server);
        }
    }
}
