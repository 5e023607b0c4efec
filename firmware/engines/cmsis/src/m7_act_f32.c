/**
 * @file m7_act_f32.c
 * @brief Activations of the f32 engine, in one place: a fast tanh and sigmoid with a stated error bound.
 *
 * tanh(x) = sign(x) * p_k(min(|x|, 16)), a cubic whose coefficients come from a table indexed by the
 * float bits of |x| (k = 16 intervals per binade from 2^-12; below, the odd series x - x^3/3; from 9 up,
 * the constant 1). sigmoid(x) = 0.5 + 0.5 * tanh(x/2), from a second table for tanh(x/2), so no
 * multiply by 0.5 first. Tables and fit: m7_act_table_f32.h, tools/fit_tanh.py.
 *
 * Per value this is integer work (index, sign: it dual-issues beside the FPU on the M7), five loads and
 * four FPU operations (VMINNM and three VFMA); no divide, no branch. The block loops take several
 * values per pass (tanh eight, stage by stage; sigmoid four; gated two) so that the dependent Horner
 * steps of one value hide behind the others'. Every path does the same operations per value, so the
 * result does not depend on n or on the value's position.
 *
 * Maximum absolute error over the float inputs: 3e-7 for tanh, 2e-7 for sigmoid (asserted by
 * tests/engines/test_act_f32.py; see docs/engine.md "Activations"). +-0 gives +-0, +-inf gives +-1
 * (tanh) and 1 or 0 (sigmoid). NaN is not special-cased: it gives +-1 (sigmoid: 1 or 0), as the largest
 * finite values do. Horner uses explicit fmaf, so the host build and the Cortex-M7 (VFMA) round
 * identically.
 */
#include <math.h>
#include <string.h>

#include "m7_act_table_f32.h"
#include "m7_engine_internal.h"

#if defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#endif

/* See m7_wavenet_f32.c: keep the interleaved issue order written below. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif

#define ACT_SIGN 0x80000000u
#define ACT_HALF_BITS 0x3f000000u /* 0.5f */

static inline float act_as_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static inline uint32_t act_as_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* *p as bits and back: memcpy, so no aliasing question, and one LDR/STR on the M7 */
static inline uint32_t act_load_bits(const float *p)
{
    uint32_t b;
    memcpy(&b, p, sizeof b);
    return b;
}

static inline void act_store_bits(float *p, uint32_t b) { memcpy(p, &b, sizeof b); }

/* Table entry of a = |x| bits: ((a - base) >> shift) saturated to [0, 255] (one USAT on the M7). */
static inline const float *act_entry(const float (*tab)[4], uint32_t base, uint32_t a)
{
    const int32_t k = (int32_t)(a - base) >> (23 - M7_ACT_SUB_BITS);
#if defined(__ARM_FEATURE_SAT)
    return tab[__usat(k, 8)];
#else
    return tab[k < 0 ? 0 : (k > M7_ACT_ENTRIES - 1 ? M7_ACT_ENTRIES - 1 : k)];
#endif
}

/* p(min(|x|, 16)) for the |x| bits a: the odd function's value at |x|, without its sign. */
static inline float act_odd_abs(const float (*tab)[4], uint32_t base, uint32_t a)
{
    const float *c = act_entry(tab, base, a);
    /* fminf is VMINNM: it keeps t finite for +-inf (and NaN), whose entry is the constant 1 */
    const float t = fminf(act_as_float(a), M7_ACT_LIMIT);
    return fmaf(fmaf(fmaf(c[3], t, c[2]), t, c[1]), t, c[0]);
}

/* tanh of the float with bits b, as bits: the sign is put back with an integer or. */
static inline uint32_t act_tanh_bits(uint32_t b)
{
    const uint32_t a = b & ~ACT_SIGN;
    return act_as_bits(act_odd_abs(m7_act_tanh_tab, M7_ACT_TANH_TAB_BASE, a)) | (b & ACT_SIGN);
}

/* sigmoid of the float with bits b: 0.5 +- 0.5 * tanh(|x|/2), the +-0.5 made with an integer or. */
static inline float act_sigmoid_bits(uint32_t b)
{
    const uint32_t a = b & ~ACT_SIGN;
    const float h = act_odd_abs(m7_act_tanh_half_tab, M7_ACT_TANH_HALF_TAB_BASE, a);
    return fmaf(act_as_float(ACT_HALF_BITS | (b & ACT_SIGN)), h, 0.5f);
}

M7E_HOT void m7_act_tanh_f32(float *v, size_t n)
{
    size_t i = 0;
    /* eight values per pass, stage by stage, so that each Horner step has eight independent VFMAs */
    for (; i + 8u <= n; i += 8u) {
        const float *c[8];
        float t[8], p[8];
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            const uint32_t a = act_load_bits(v + i + k) & ~ACT_SIGN;
            c[k] = act_entry(m7_act_tanh_tab, M7_ACT_TANH_TAB_BASE, a);
            t[k] = fminf(act_as_float(a), M7_ACT_LIMIT);
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            p[k] = fmaf(c[k][3], t[k], c[k][2]);
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            p[k] = fmaf(p[k], t[k], c[k][1]);
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            p[k] = fmaf(p[k], t[k], c[k][0]);
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            act_store_bits(v + i + k, act_as_bits(p[k]) | (act_load_bits(v + i + k) & ACT_SIGN));
        }
    }
    for (; i < n; i++) {
        act_store_bits(v + i, act_tanh_bits(act_load_bits(v + i)));
    }
}

/* in flash, not ITCM: only gated layers and the RNNs use it, and ITCM is full with the conv kernels */
__attribute__((noinline)) void m7_act_sigmoid_f32(float *v, size_t n)
{
    size_t i = 0;
    for (; i + 4u <= n; i += 4u) {
        const float r0 = act_sigmoid_bits(act_load_bits(v + i));
        const float r1 = act_sigmoid_bits(act_load_bits(v + i + 1u));
        const float r2 = act_sigmoid_bits(act_load_bits(v + i + 2u));
        const float r3 = act_sigmoid_bits(act_load_bits(v + i + 3u));
        v[i] = r0;
        v[i + 1u] = r1;
        v[i + 2u] = r2;
        v[i + 3u] = r3;
    }
    for (; i < n; i++) {
        v[i] = act_sigmoid_bits(act_load_bits(v + i));
    }
}

/* in flash, not ITCM: only gated layers and the RNNs use it, and ITCM is full with the conv kernels */
__attribute__((noinline)) void m7_act_gated_f32(float *z, const float *a, size_t n, size_t c)
{
    /* frame i reads a[2ci .. 2ci+2c) and writes z[ci .. ci+c): with z == a, only values already read
     * are overwritten (within a frame, each pair of outputs is read before it is written) */
    for (size_t i = 0; i < n; i++) {
        const float *ai = a + 2u * c * i;
        float *zi = z + c * i;
        size_t o = 0;
        for (; o + 2u <= c; o += 2u) {
            const float t0 = act_as_float(act_tanh_bits(act_load_bits(ai + o)));
            const float t1 = act_as_float(act_tanh_bits(act_load_bits(ai + o + 1u)));
            const float s0 = act_sigmoid_bits(act_load_bits(ai + c + o));
            const float s1 = act_sigmoid_bits(act_load_bits(ai + c + o + 1u));
            zi[o] = t0 * s0;
            zi[o + 1u] = t1 * s1;
        }
        for (; o < c; o++) {
            const float t = act_as_float(act_tanh_bits(act_load_bits(ai + o)));
            zi[o] = t * act_sigmoid_bits(act_load_bits(ai + c + o));
        }
    }
}
