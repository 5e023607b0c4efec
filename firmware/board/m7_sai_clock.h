/*
 * m7_sai_clock.h - the SAI1 clock plan for 48 kHz and 44.1 kHz (pure C: no register access, so it is
 * also built for the host and checked by tests/firmware/test_audio_fw.py against RM0410's formulas).
 *
 * Clock path (RM0410 §5.2 and §35.3.7), with PLLM shared with the main PLL (system.c: 2 MHz VCO input):
 *   VCO    = 2 MHz * PLLSAIN                  (100..432 MHz, 50 <= N <= 432)
 *   SAI_CK = VCO / PLLSAIQ / PLLSAIDIVQ        (SAI1SEL = 00: PLLSAI_Q / PLLSAIDIVQ)
 *   MCLK   = SAI_CK / (2 * MCKDIV)             (NODIV = 0, MCKDIV != 0)
 *   FS     = MCLK / 256 = SAI_CK / (512 * MCKDIV)
 * Neither 48 kHz nor 44.1 kHz is reachable exactly from a 2 MHz VCO input (48 kHz needs a factor 125
 * in Q * DIVQ * MCKDIV with N <= 216); the plans are the closest (see docs/audio.md).
 */
#ifndef M7_SAI_CLOCK_H
#define M7_SAI_CLOCK_H

#include <stdint.h>

#define M7_SAI_VCO_IN_HZ 2000000UL /* PLL source / PLLM, as system.c configures it (HSE/4 or HSI/8) */

typedef struct {
    uint32_t rate_hz;    /* nominal frame rate: 48000, 44100, 16000, 8000 or 4000 */
    uint32_t pllsain;    /* PLLSAIN */
    uint32_t pllsaiq;    /* PLLSAIQ */
    uint32_t pllsaidivq; /* PLLSAIDIVQ divider (1..32; the field holds divider - 1) */
    uint32_t mckdiv;     /* SAI_xCR1.MCKDIV */
    uint32_t fs_num;     /* achieved frame rate = fs_num / fs_den Hz, exactly */
    uint32_t fs_den;
} m7_sai_clock_t;

/* The plan for a nominal rate (48000, 44100, 16000, 8000, 4000), or NULL for any other rate. */
const m7_sai_clock_t *m7_sai_clock_plan(uint32_t rate_hz);

/* Register values of a plan: the whole RCC_PLLSAICFGR word (P = /2, R = /2: outputs the firmware does
 * not use), and the DCKCFGR1 fields it owns (PLLSAIDIVQ, SAI1SEL) under m7_sai_clock_dckcfgr1_mask(). */
uint32_t m7_sai_clock_pllsaicfgr(const m7_sai_clock_t *p);
uint32_t m7_sai_clock_dckcfgr1(const m7_sai_clock_t *p);
uint32_t m7_sai_clock_dckcfgr1_mask(void);

/* The achieved frame rate in millihertz, rounded to nearest (47991071 for the 48 kHz plan). */
uint32_t m7_sai_clock_rate_mhz(const m7_sai_clock_t *p);

#endif /* M7_SAI_CLOCK_H */
