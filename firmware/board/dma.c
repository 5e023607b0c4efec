/*
 * dma.c - DMA2 streams in circular mode (RM0410 §8.3.18 "stream configuration procedure").
 *
 * Direct mode (FIFO off, PSIZE = MSIZE): one peripheral request moves one item, so the stream's NDTR
 * tells exactly how far it has come through the buffer; the audio ISR reads it to find the half
 * buffer that is ready and to detect overruns (docs/audio.md).
 */
#include "m7_board.h"

#define M7_DMA_WAIT_LOOPS 100000UL /* EN reads 0 once the current item is done: a few bus cycles */

/* Bit offset of stream n's 6-bit flag group in LISR/HISR (and LIFCR/HIFCR). */
static uint32_t flag_shift(uint32_t stream)
{
    static const uint8_t shift[4] = {0u, 6u, 16u, 22u};
    return shift[stream & 3u];
}

uint32_t m7_dma2_flags(uint32_t stream)
{
    uint32_t isr = stream < 4u ? DMA2->LISR : DMA2->HISR;
    return (isr >> flag_shift(stream)) & DMA_FLAG_ALL;
}

void m7_dma2_clear(uint32_t stream, uint32_t flags)
{
    uint32_t bits = (flags & DMA_FLAG_ALL) << flag_shift(stream);
    if (stream < 4u) {
        DMA2->LIFCR = bits;
    } else {
        DMA2->HIFCR = bits;
    }
}

int m7_dma2_stop(uint32_t stream)
{
    DMA_Stream_TypeDef *s = &DMA2->S[stream];
    s->CR &= ~DMA_SxCR_EN;
    for (uint32_t i = 0; i < M7_DMA_WAIT_LOOPS; i++) {
        if (!(s->CR & DMA_SxCR_EN)) {
            return 0;
        }
    }
    return -1;
}

int m7_dma2_start_circular(const m7_dma_circular_t *c)
{
    if (c->stream > 7u || c->channel > 15u || c->items == 0u || c->items > 0xFFFFu || c->size_log2 > 2u) {
        return -1;
    }
    RCC->AHB1ENR |= RCC_AHB1ENR_DMA2EN;
    (void)RCC->AHB1ENR; /* read back: the clock is on before the first DMA2 access */
    DMA_Stream_TypeDef *s = &DMA2->S[c->stream];
    if (m7_dma2_stop(c->stream) != 0) { /* 1. a running stream must stop before it is reconfigured */
        return -1;
    }
    s->PAR = (uint32_t)c->periph; /* 2. */
    s->M0AR = (uint32_t)c->mem;   /* 3. */
    s->NDTR = c->items;           /* 4. */
    s->FCR = 0u;                  /* 8. direct mode: DMDIS = 0, no FIFO-error interrupt */
    /* 5.-9. channel, priority very high, sizes, memory increment, circular, direction, interrupts */
    s->CR = (c->channel << DMA_SxCR_CHSEL_Pos) | (3UL << DMA_SxCR_PL_Pos) |
            (c->size_log2 << DMA_SxCR_MSIZE_Pos) | (c->size_log2 << DMA_SxCR_PSIZE_Pos) | DMA_SxCR_MINC |
            DMA_SxCR_CIRC | (c->dir & (3UL << DMA_SxCR_DIR_Pos)) |
            (c->irq_enables & (DMA_SxCR_TCIE | DMA_SxCR_HTIE | DMA_SxCR_TEIE | DMA_SxCR_DMEIE));
    m7_dma2_clear(c->stream, DMA_FLAG_ALL); /* stale flags must be clear before EN */
    s->CR |= DMA_SxCR_EN;                   /* 10. the stream now waits for its peripheral's requests */
    return 0;
}
