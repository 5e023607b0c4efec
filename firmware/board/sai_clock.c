/*
 * sai_clock.c - the SAI1 clock plans (m7_sai_clock.h). Pure C: the register words are computed here and
 * written by sai.c, so that the host build can check exactly the values the firmware writes.
 *
 * The 48 and 44.1 kHz plans use PLLSAIQ = 7, PLLSAIDIVQ = 1, MCKDIV = 2 and differ only in PLLSAIN; the
 * search over every legal (N, Q, DIVQ, MCKDIV) finds no closer rate (tests/firmware/test_audio_fw.py
 * repeats it):
 *   48 kHz:   N = 172: VCO 344 MHz, SAI_CK 49.142857 MHz, MCLK 12.285714 MHz, FS = 671875/14 Hz
 *             = 47991.071 Hz (-186 ppm)
 *   44.1 kHz: N = 158: VCO 316 MHz, SAI_CK 45.142857 MHz, MCLK 11.285714 MHz, FS = 1234375/28 Hz
 *             = 44084.821 Hz (-344 ppm)
 * Low rates, to find where a slow engine (tflm) keeps up; simulator only: the PCM1808 ADC is specified
 * from 16 kHz and the PCM5102A DAC from 8 kHz (docs/audio.md). Also the closest legal plans:
 *   16 kHz:   N = 213, Q = 2, DIVQ = 2, MCKDIV = 13: FS = 3328125/208 Hz = 16000.601 Hz (+38 ppm)
 *   8 kHz:    N = 128, Q = 5, DIVQ = 25, MCKDIV = 0 (MCLK = SAI_CK): FS = 8000 Hz exactly
 *   4 kHz:    N = 128, Q = 5, DIVQ = 5, MCKDIV = 5:  FS = 4000 Hz exactly
 */
#include "m7_sai_clock.h"

#include <stddef.h>

#include "stm32f767.h"

/* FS = 2 MHz * N / (Q * DIVQ * 512 * MCKDIV) (MCKDIV = 0: / 256 instead of / 512 MCKDIV), as a reduced
 * fraction. */
static const m7_sai_clock_t plans[] = {
    {48000u, 172u, 7u, 1u, 2u, 671875u, 14u},
    {44100u, 158u, 7u, 1u, 2u, 1234375u, 28u},
    {16000u, 213u, 2u, 2u, 13u, 3328125u, 208u},
    {8000u, 128u, 5u, 25u, 0u, 8000u, 1u},
    {4000u, 128u, 5u, 5u, 5u, 4000u, 1u},
};

const m7_sai_clock_t *m7_sai_clock_plan(uint32_t rate_hz)
{
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        if (plans[i].rate_hz == rate_hz) {
            return &plans[i];
        }
    }
    return NULL;
}

uint32_t m7_sai_clock_pllsaicfgr(const m7_sai_clock_t *p)
{
    return (p->pllsain << RCC_PLLSAICFGR_PLLSAIN_Pos) | (0UL << RCC_PLLSAICFGR_PLLSAIP_Pos) |
           (p->pllsaiq << RCC_PLLSAICFGR_PLLSAIQ_Pos) | (2UL << RCC_PLLSAICFGR_PLLSAIR_Pos);
}

uint32_t m7_sai_clock_dckcfgr1(const m7_sai_clock_t *p)
{
    return ((p->pllsaidivq - 1u) << RCC_DCKCFGR1_PLLSAIDIVQ_Pos) | RCC_DCKCFGR1_SAI1SEL_PLLSAI;
}

uint32_t m7_sai_clock_dckcfgr1_mask(void) { return RCC_DCKCFGR1_PLLSAIDIVQ_Msk | RCC_DCKCFGR1_SAI1SEL_Msk; }

uint32_t m7_sai_clock_rate_mhz(const m7_sai_clock_t *p)
{
    return (uint32_t)(((uint64_t)p->fs_num * 1000u + p->fs_den / 2u) / p->fs_den);
}
