/**
 * @file m7_act_f32.c
 * @brief Activations of the f32 engine, in one place: a fast tanh and sigmoid with a stated error bound.
 *
 * tanh(x) = x*P(x^2)/Q(x^2) on |x| <= 9 (an odd rational fit of degree 13/6, one VDIV); for |x| > 9 the
 * result is +-1 (tanh is within 3.1e-8 of it there) and it is clamped to [-1, 1] everywhere.
 * sigmoid(x) = 0.5 + 0.5*tanh(x/2). Maximum absolute error over the float inputs: 3e-7 for tanh, 2e-7 for
 * sigmoid (asserted by tests/engines/test_act_f32.py; see docs/engine.md "Activations"). +-inf gives
 * +-1 (tanh) and 0 or 1 (sigmoid); NaN gives NaN. Near saturation the result is monotonic only to within
 * that rounding noise (a few ulp of 1). The coefficients come from tools/fit_tanh.py (our own weighted least-squares / Lawson fit).
 * Horner uses explicit fmaf, so the host build and the Cortex-M7 (VFMA) round identically.
 */
#include <math.h>

#include "m7_engine_internal.h"

#define ACT_TANH_CLAMP 9.0f

static inline float act_tanh(float x)
{
    const float s = x * x;
    /* tools/fit_tanh.py 6 3 */
    float p = -8.2909584e-14f;
    p = fmaf(p, s, 5.192554e-11f);
    p = fmaf(p, s, -2.0029272e-08f);
    p = fmaf(p, s, 1.1101753e-05f);
    p = fmaf(p, s, 0.0030986478f);
    p = fmaf(p, s, 0.13079157f);
    p = fmaf(p, s, 0.99999994f);
    float q = 0.00025385915f;
    q = fmaf(q, s, 0.024473736f);
    q = fmaf(q, s, 0.46412477f);
    q = fmaf(q, s, 1.0f);
    float r = (x * p) / q;
    /* beyond the fitted range (and for +-inf, where r is NaN) tanh is +-1 within 3.1e-8; inside it,
     * rounding can overshoot 1 by an ulp or two. Comparisons, not fminf/fmaxf, so that NaN stays NaN. */
    if (x > ACT_TANH_CLAMP || r > 1.0f) {
        r = 1.0f;
    }
    if (x < -ACT_TANH_CLAMP || r < -1.0f) {
        r = -1.0f;
    }
    return r;
}

static inline float act_sigmoid(float v) { return fmaf(0.5f, act_tanh(0.5f * v), 0.5f); }

M7E_HOT void m7_act_tanh_f32(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = act_tanh(v[i]);
    }
}

M7E_HOT void m7_act_sigmoid_f32(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = act_sigmoid(v[i]);
    }
}

M7E_HOT void m7_act_gated_f32(float *z, const float *a, size_t c)
{
    /* z[o] may overwrite a[o]: both a[o] and a[c + o] are read before it is written */
    for (size_t o = 0; o < c; o++) {
        const float t = act_tanh(a[o]);
        const float s = act_sigmoid(a[c + o]);
        z[o] = t * s;
    }
}
