/**
 * @file m7_cab_cmac_f32.c
 * @brief Y = sum over partitions p of X(p) * H(p), on packed real-FFT spectra (layout in m7_cab.h).
 *
 * Bins outer, partitions inner: each pair of bins keeps its four sums in registers over all the
 * partitions, so a partition costs 8 loads and 8 multiply-adds per bin pair and no accumulator traffic.
 * X(p) is the delay-line slot (newest + p) mod P: the inner loop walks the ring from `newest` to its
 * end, then from its start. Each value is one fmaf chain over p in order.
 */
#include <math.h>

#include "m7_cab_internal.h"

M7_CAB_HOT void m7_cab_cmac_f32(float *y, const float *fdl, uint32_t newest, const float *h, uint32_t parts,
                                uint32_t block)
{
    const uint32_t n2 = 2u * block;
    const uint32_t first = parts - newest; /* partitions 0..first-1 at slots newest..parts-1 */
    for (uint32_t k = 0; k < n2; k += 4u) {
        /* k = 0: [Re X0, Re XB] (both real) and bin 1; else bins k/2 and k/2 + 1 */
        float r0 = 0.0f, i0 = 0.0f, r1 = 0.0f, i1 = 0.0f;
        const float *x = fdl + newest * n2 + k;
        const float *w = h + k;
        for (uint32_t seg = 0; seg < 2u; seg++) {
            const uint32_t count = seg == 0u ? first : newest;
            for (uint32_t p = 0; p < count; p++) {
                const float xr0 = x[0], xi0 = x[1], xr1 = x[2], xi1 = x[3];
                const float hr0 = w[0], hi0 = w[1], hr1 = w[2], hi1 = w[3];
                r0 = fmaf(xr0, hr0, r0);
                i0 = fmaf(xr0, hi0, i0);
                r1 = fmaf(xr1, hr1, r1);
                i1 = fmaf(xr1, hi1, i1);
                r0 = fmaf(-xi0, hi0, r0);
                i0 = fmaf(xi0, hr0, i0);
                r1 = fmaf(-xi1, hi1, r1);
                i1 = fmaf(xi1, hr1, i1);
                x += n2;
                w += n2;
            }
            x = fdl + k; /* the ring's start */
        }
        if (k == 0u) { /* bins 0 and B are real: their products are the plain ones */
            float dc = 0.0f, ny = 0.0f;
            x = fdl + newest * n2;
            w = h;
            for (uint32_t seg = 0; seg < 2u; seg++) {
                const uint32_t count = seg == 0u ? first : newest;
                for (uint32_t p = 0; p < count; p++) {
                    dc = fmaf(x[0], w[0], dc);
                    ny = fmaf(x[1], w[1], ny);
                    x += n2;
                    w += n2;
                }
                x = fdl;
            }
            r0 = dc;
            i0 = ny;
        }
        y[k] = r0;
        y[k + 1u] = i0;
        y[k + 2u] = r1;
        y[k + 3u] = i1;
    }
}
