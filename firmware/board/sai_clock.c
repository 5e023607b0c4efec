/*
 * sai_clock.c - the SAI1 clock plans (m7_sai_clock.h). Pure C: the register words are computed here and
 * written by sai.c, so that the host build can check exactly the values the firmware writes.
 *
 * Both plans use PLLSAIQ = 7, PLLSAIDIVQ = 1, MCKDIV = 2 and differ only in PLLSAIN; the search over
 * every legal (N, Q, DIVQ, MCKDIV) finds no closer rate (tests/firmware/test_audio_fw.py repeats it):
 *   48 kHz:   N = 172: VCO 344 MHz, SAI_CK 49.142857 MHz, MCLK 12.285714 MHz, FS = 671875/14 Hz
 *             = 47991.071 Hz (-186 ppm)
 *   44.1 kHz: N = 158: VCO 316 MHz, SAI_CK 45.142857 MHz, MCLK 11.285714 MHz, FS = 1234375/28 Hz
 *             = 44084.821 Hz (-344 ppm)
 */
#include "m7_sai_clock.h"

#include <stddef.h>

#include "stm32f767.h"

/* FS = 2 MHz * N / (Q * DIVQ * 512 * MCKDIV), as a reduced fraction. */
static const m7_sai_clock_t plans[] = {
    {48000u, 172u, 7u, 1u, 2u, 671875u, 14u},
    {44100u, 158u, 7u, 1u, 2u, 1234375u, 28u},
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
