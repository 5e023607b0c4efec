/**
 * @file m7_cab_cmac_f32.c
 * @brief acc += x * h over two packed real-FFT spectra (layout in m7_cab.h).
 *
 * Two bins per iteration with independent chains; each value is one fmaf chain per partition, so the
 * result does not depend on the unrolling.
 */
#include <math.h>

#include "m7_cab_internal.h"

M7_CAB_HOT void m7_cab_cmac_f32(float *acc, const float *x, const float *h, uint32_t block)
{
    /* bins 0 and B: real */
    acc[0] = fmaf(x[0], h[0], acc[0]);
    acc[1] = fmaf(x[1], h[1], acc[1]);
    uint32_t k = 1u;
    for (; k + 2u <= block; k += 2u) {
        const float xr0 = x[2u * k], xi0 = x[2u * k + 1u], hr0 = h[2u * k], hi0 = h[2u * k + 1u];
        const float xr1 = x[2u * k + 2u], xi1 = x[2u * k + 3u], hr1 = h[2u * k + 2u], hi1 = h[2u * k + 3u];
        float re0 = acc[2u * k], im0 = acc[2u * k + 1u], re1 = acc[2u * k + 2u], im1 = acc[2u * k + 3u];
        re0 = fmaf(xr0, hr0, re0);
        im0 = fmaf(xr0, hi0, im0);
        re1 = fmaf(xr1, hr1, re1);
        im1 = fmaf(xr1, hi1, im1);
        re0 = fmaf(-xi0, hi0, re0);
        im0 = fmaf(xi0, hr0, im0);
        re1 = fmaf(-xi1, hi1, re1);
        im1 = fmaf(xi1, hr1, im1);
        acc[2u * k] = re0;
        acc[2u * k + 1u] = im0;
        acc[2u * k + 2u] = re1;
        acc[2u * k + 3u] = im1;
    }
    for (; k < block; k++) {
        const float xr = x[2u * k], xi = x[2u * k + 1u], hr = h[2u * k], hi = h[2u * k + 1u];
        acc[2u * k] = fmaf(-xi, hi, fmaf(xr, hr, acc[2u * k]));
        acc[2u * k + 1u] = fmaf(xi, hr, fmaf(xr, hi, acc[2u * k + 1u]));
    }
}
