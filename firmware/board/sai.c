/*
 * sai.c - SAI1 as a full-duplex I2S port: block A master transmitter (generates MCLK, SCK, FS), block B
 * synchronous slave receiver (shares A's SCK and FS), each served by a DMA2 stream in circular mode.
 *
 * Frame (RM0410 §35.3.6, I2S Philips): 64 bit clocks, FS active low for the first 32 (left channel),
 * asserted one bit before slot 0; two 32-bit slots, 16-bit data left-aligned in each (MSB first, the
 * other 16 bits transmitted as 0, ignored on receive). CKSTR = 1: data change on the SCK falling edge
 * and are sampled on the rising edge, as I2S requires, for both blocks.
 * Memory: interleaved int16 [frame][left, right]; one DMA item (half-word) per slot.
 * DMA2 request mapping (RM0410 table 28): SAI1_A = stream 1 channel 0, SAI1_B = stream 5 channel 0.
 * Pins (AF6): PE2 MCLK_A, PE4 FS_A, PE5 SCK_A, PE6 SD_A (out), PE3 SD_B (in) - docs/hardware.md.
 */
#include "m7_board.h"

#define M7_SAI_WAIT_LOOPS 200000UL /* PLLSAI lock is < 1 ms (~100 us typical): ~50 ms of loops here */
#define SAI_PINS_MASK ((1UL << 2) | (1UL << 3) | (1UL << 4) | (1UL << 5) | (1UL << 6))

static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < M7_SAI_WAIT_LOOPS; i++) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

int m7_sai1_clock_init(uint32_t rate_hz)
{
    const m7_sai_clock_t *plan = m7_sai_clock_plan(rate_hz);
    if (plan == NULL) {
        return M7_AUDIO_ERR_RATE;
    }
    /* PLLSAI must be off while PLLSAICFGR changes (RM0410 §5.3.24) */
    RCC->CR &= ~RCC_CR_PLLSAION;
    if (!wait_bits(&RCC->CR, RCC_CR_PLLSAIRDY, 0u)) {
        return M7_AUDIO_ERR_PLLSAI;
    }
    RCC_PLLSAICFGR = m7_sai_clock_pllsaicfgr(plan);
    RCC_DCKCFGR1 = (RCC_DCKCFGR1 & ~m7_sai_clock_dckcfgr1_mask()) | m7_sai_clock_dckcfgr1(plan);
    RCC->CR |= RCC_CR_PLLSAION;
    if (!wait_bits(&RCC->CR, RCC_CR_PLLSAIRDY, RCC_CR_PLLSAIRDY)) {
        return M7_AUDIO_ERR_PLLSAI;
    }
    return M7_AUDIO_OK;
}

static void pins_init(void)
{
    RCC->AHB1ENR |= RCC_AHB1ENR_GPIOEEN;
    (void)RCC->AHB1ENR;
    uint32_t mode = 0u, mode_mask = 0u, afr = 0u, afr_mask = 0u;
    for (uint32_t pin = 2u; pin <= 6u; pin++) {
        mode_mask |= 3UL << (2u * pin);
        mode |= 2UL << (2u * pin); /* alternate function */
        afr_mask |= 0xFUL << (4u * pin);
        afr |= 6UL << (4u * pin); /* AF6 = SAI1 */
    }
    GPIOE->AFR[0] = (GPIOE->AFR[0] & ~afr_mask) | afr; /* AF first, so the pins never drive GPIO levels */
    GPIOE->OTYPER &= ~SAI_PINS_MASK;                    /* push-pull */
    GPIOE->OSPEEDR = (GPIOE->OSPEEDR & ~mode_mask) | (mode_mask & 0xAAAAAAAAUL); /* high speed (10) */
    GPIOE->PUPDR &= ~mode_mask;                                                 /* no pull */
    GPIOE->MODER = (GPIOE->MODER & ~mode_mask) | mode;
}

static int block_disable(SAI_Block_TypeDef *b)
{
    b->CR1 &= ~(SAI_xCR1_SAIEN | SAI_xCR1_DMAEN);
    return wait_bits(&b->CR1, SAI_xCR1_SAIEN, 0u); /* SAIEN reads 0 at the end of the current frame */
}

/* The I2S frame both blocks share (see the file comment). */
static void block_frame(SAI_Block_TypeDef *b)
{
    b->FRCR = (63UL << SAI_xFRCR_FRL_Pos) | (31UL << SAI_xFRCR_FSALL_Pos) | SAI_xFRCR_FSDEF | SAI_xFRCR_FSOFF;
    b->SLOTR = (0UL << SAI_xSLOTR_FBOFF_Pos) | SAI_xSLOTR_SLOTSZ_32 | (1UL << SAI_xSLOTR_NBSLOT_Pos) |
               (0x3UL << SAI_xSLOTR_SLOTEN_Pos);
    b->IMR = 0u; /* errors are polled by the audio ISR (m7_sai1_errors) */
    b->CR2 = SAI_xCR2_FTH_QUARTER | SAI_xCR2_FFLUSH;
    b->CLRFR = SAI_xCLRFR_ALL;
}

int m7_sai1_duplex_start(uint32_t rate_hz, int16_t *rx, int16_t *tx, uint32_t frames)
{
    const m7_sai_clock_t *plan = m7_sai_clock_plan(rate_hz);
    if (plan == NULL) {
        return M7_AUDIO_ERR_RATE;
    }
    RCC->APB2ENR |= RCC_APB2ENR_SAI1EN;
    (void)RCC->APB2ENR;
    pins_init();
    if (!block_disable(&SAI1->B) || !block_disable(&SAI1->A)) {
        return M7_AUDIO_ERR_SAI;
    }
    SAI1->GCR = 0u; /* no synchronisation with SAI2 */
    /* A: master transmitter, MCLK = SAI_CK / (2 * MCKDIV) = 256 * FS */
    SAI1->A.CR1 = SAI_xCR1_MODE_MASTER_TX | SAI_xCR1_DS_16 | SAI_xCR1_CKSTR |
                  (plan->mckdiv << SAI_xCR1_MCKDIV_Pos);
    block_frame(&SAI1->A);
    /* B: slave receiver on A's clocks (SYNCEN = 01); its clock generator is off */
    SAI1->B.CR1 = SAI_xCR1_MODE_SLAVE_RX | SAI_xCR1_DS_16 | SAI_xCR1_CKSTR | SAI_xCR1_SYNCEN_INTERNAL;
    block_frame(&SAI1->B);

    /* Streams first: the TX stream then fills A's FIFO as soon as DMAEN is set, before the first frame. */
    uint32_t items = 2u * frames; /* one half-word per slot */
    m7_dma_circular_t rx_dma = {M7_SAI1_RX_STREAM, 0u, DMA_SxCR_DIR_P2M, &SAI1->B.DR, rx, items, 1u,
                                DMA_SxCR_HTIE | DMA_SxCR_TCIE | DMA_SxCR_TEIE};
    m7_dma_circular_t tx_dma = {M7_SAI1_TX_STREAM, 0u, DMA_SxCR_DIR_M2P, &SAI1->A.DR, tx, items, 1u, 0u};
    if (m7_dma2_start_circular(&rx_dma) != 0 || m7_dma2_start_circular(&tx_dma) != 0) {
        return M7_AUDIO_ERR_DMA;
    }
    SAI1->B.CR1 |= SAI_xCR1_DMAEN;
    SAI1->A.CR1 |= SAI_xCR1_DMAEN;
    /* "The slave must be enabled before the master" (RM0410 §35.3.3): B, then A starts the clocks. */
    SAI1->B.CR1 |= SAI_xCR1_SAIEN;
    SAI1->A.CR1 |= SAI_xCR1_SAIEN;
    return M7_AUDIO_OK;
}

uint32_t m7_sai1_errors(void)
{
    const uint32_t errs = SAI_xSR_OVRUDR | SAI_xSR_WCKCFG | SAI_xSR_AFSDET | SAI_xSR_LFSDET;
    uint32_t a = SAI1->A.SR & errs, b = SAI1->B.SR & errs;
    if (a) {
        SAI1->A.CLRFR = a;
    }
    if (b) {
        SAI1->B.CLRFR = b;
    }
    return a | (b << 8);
}
