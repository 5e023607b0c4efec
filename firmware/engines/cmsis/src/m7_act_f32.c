/**
 * @file m7_act_f32.c
 * @brief Activations of the f32 engine, in one place: a fast tanh and sigmoid with a stated error bound.
 *
 * tanh(x) = p_k(t), t = max(min(x, 16), -16), a cubic in the signed t whose coefficients are entry
 * k = bits(t) >> 19 of a signed table (16 intervals per binade from 2^-12; below, the odd series
 * x - x^3/3; from 9 up, the constant 1; t < 0 takes the mirrored coefficients, so tanh is exactly odd).
 * sigmoid(x) = 0.5 + 0.5 * tanh(|x|/2) with the sign of x, from a second (unsigned, 256-entry) table for
 * tanh(x/2) indexed by the bits of |x|, so no multiply by 0.5 first. Tables and fit:
 * m7_act_table_f32.h, tools/fit_tanh.py.
 *
 * Per tanh value: two integer instructions for the index (LSR, ADD), five loads, a store and five FPU
 * operations (VMINNM, VMAXNM, three VFMA); no divide, no branch. The block loops take several
 * values per pass (tanh eight, stage by stage; sigmoid four; gated two) so that the dependent Horner
 * steps of one value hide behind the others'. Every path does the same operations per value, so the
 * result does not depend on n or on the value's position.
 *
 * Maximum absolute error over the float inputs: 3e-7 for tanh, 2e-7 for sigmoid (asserted by
 * tests/engines/test_act_f32.py; see docs/engine.md "Activations"). +-0 gives +-0, +-inf gives +-1
 * (tanh) and 1 or 0 (sigmoid). NaN is not special-cased: tanh gives +1 (VMINNM returns 16), sigmoid 1
 * or 0, as the largest finite values do. Horner uses explicit fmaf, so the host build and the Cortex-M7 (VFMA) round
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

/* tanh(x): t = x clamped to [-16, 16] (VMINNM, VMAXNM: finite for +-inf, and NaN gives 16), then the cubic
 * in t from the entry bits(t) >> 19 of the signed table (negative t: the mirrored coefficients). */
static inline const float *act_tanh_entry(float t)
{
    return m7_act_tanh_tab[act_as_bits(t) >> M7_ACT_TANH_SHIFT];
}

static inline float act_tanh_clamp(float x) { return fmaxf(fminf(x, M7_ACT_LIMIT), -M7_ACT_LIMIT); }

static inline float act_tanh1(float x)
{
    const float t = act_tanh_clamp(x);
    const float *c = act_tanh_entry(t);
    return fmaf(fmaf(fmaf(c[3], t, c[2]), t, c[1]), t, c[0]);
}

/* sigmoid of the float with bits b: 0.5 +- 0.5 * tanh(|x|/2), the +-0.5 made with an integer or. */
static inline float act_sigmoid_bits(uint32_t b)
{
    const uint32_t a = b & ~ACT_SIGN;
    const float h = act_odd_abs(m7_act_tanh_half_tab, M7_ACT_TANH_HALF_TAB_BASE, a);
    return fmaf(act_as_float(ACT_HALF_BITS | (b & ACT_SIGN)), h, 0.5f);
}

#if defined(__arm__) && defined(__ARM_FP) && !defined(M7E_GENERIC_KERNELS)
/* Eight values of tanh in place at p, for the Cortex-M7: the same operations as act_tanh1 (VMINNM, VMAXNM,
 * index, Horner with VFMA), written in the order the in-order dual-issue pipe wants. GCC's order put
 * each value's dependent steps back to back (12.6 cycles per value in the simulator); this one interleaves
 * two groups of four values (the second group's clamp and index beside the first group's loads and
 * VFMAs): 62 cycles per 8 values in the cycle model. The listing was made by a list scheduler over the
 * model's latencies and units (the shifter takes one shifted operation per cycle, the FP pipe one op). */
static inline void act_tanh8_m7(float *p)
{
    __asm__(
        "vldr s0, [%[p], #0]\n"
        "vldr s1, [%[p], #4]\n"
        "vldr s2, [%[p], #8]\n"
        "vldr s3, [%[p], #12]\n"
        "vminnm.f32 s0, s0, %[hi]\n"
        "vldr s4, [%[p], #16]\n"
        "vminnm.f32 s1, s1, %[hi]\n"
        "vldr s5, [%[p], #20]\n"
        "vminnm.f32 s2, s2, %[hi]\n"
        "vldr s6, [%[p], #24]\n"
        "vminnm.f32 s3, s3, %[hi]\n"
        "vldr s7, [%[p], #28]\n"
        "vmaxnm.f32 s0, s0, %[lo]\n"
        "vmaxnm.f32 s1, s1, %[lo]\n"
        "vmaxnm.f32 s2, s2, %[lo]\n"
        "vmaxnm.f32 s3, s3, %[lo]\n"
        "vmov r0, s0\n"
        "vmov r1, s1\n"
        "vminnm.f32 s4, s4, %[hi]\n"
        "vmov r2, s2\n"
        "vminnm.f32 s5, s5, %[hi]\n"
        "vmov r3, s3\n"
        "vminnm.f32 s6, s6, %[hi]\n"
        "lsr r0, r0, #19\n"
        "vminnm.f32 s7, s7, %[hi]\n"
        "lsr r1, r1, #19\n"
        "vmaxnm.f32 s4, s4, %[lo]\n"
        "lsr r2, r2, #19\n"
        "vmaxnm.f32 s5, s5, %[lo]\n"
        "lsr r3, r3, #19\n"
        "vmaxnm.f32 s6, s6, %[lo]\n"
        "add.w r0, %[tab], r0, lsl #4\n"
        "vmaxnm.f32 s7, s7, %[lo]\n"
        "add.w r1, %[tab], r1, lsl #4\n"
        "vmov r4, s4\n"
        "add.w r2, %[tab], r2, lsl #4\n"
        "vldr s8, [r0, #12]\n"
        "add.w r3, %[tab], r3, lsl #4\n"
        "vldr s9, [r1, #12]\n"
        "vldr s10, [r2, #12]\n"
        "vldr s16, [r0, #8]\n"
        "vldr s11, [r3, #12]\n"
        "vldr s17, [r1, #8]\n"
        "vldr s18, [r2, #8]\n"
        "vldr s19, [r3, #8]\n"
        "vfma.f32 s16, s8, s0\n"
        "vldr s8, [r0, #4]\n"
        "vfma.f32 s17, s9, s1\n"
        "vldr s9, [r1, #4]\n"
        "vfma.f32 s18, s10, s2\n"
        "vldr s10, [r2, #4]\n"
        "vfma.f32 s19, s11, s3\n"
        "vldr s11, [r3, #4]\n"
        "vmov r5, s5\n"
        "vmov r6, s6\n"
        "vfma.f32 s8, s16, s0\n"
        "vldr s16, [r0]\n"
        "vfma.f32 s9, s17, s1\n"
        "vldr s17, [r1]\n"
        "vfma.f32 s10, s18, s2\n"
        "vldr s18, [r2]\n"
        "vfma.f32 s11, s19, s3\n"
        "vldr s19, [r3]\n"
        "vmov r8, s7\n"
        "lsr r4, r4, #19\n"
        "vfma.f32 s16, s8, s0\n"
        "lsr r5, r5, #19\n"
        "vfma.f32 s17, s9, s1\n"
        "lsr r6, r6, #19\n"
        "vfma.f32 s18, s10, s2\n"
        "add.w r4, %[tab], r4, lsl #4\n"
        "vfma.f32 s19, s11, s3\n"
        "vstr s16, [%[p], #0]\n"
        "vstr s17, [%[p], #4]\n"
        "lsr r8, r8, #19\n"
        "vstr s18, [%[p], #8]\n"
        "add.w r5, %[tab], r5, lsl #4\n"
        "vstr s19, [%[p], #12]\n"
        "add.w r6, %[tab], r6, lsl #4\n"
        "add.w r8, %[tab], r8, lsl #4\n"
        "vldr s12, [r4, #12]\n"
        "vldr s13, [r5, #12]\n"
        "vldr s14, [r6, #12]\n"
        "vldr s15, [r8, #12]\n"
        "vldr s20, [r4, #8]\n"
        "vldr s21, [r5, #8]\n"
        "vldr s22, [r6, #8]\n"
        "vldr s23, [r8, #8]\n"
        "vfma.f32 s20, s12, s4\n"
        "vfma.f32 s21, s13, s5\n"
        "vldr s12, [r4, #4]\n"
        "vfma.f32 s22, s14, s6\n"
        "vldr s13, [r5, #4]\n"
        "vfma.f32 s23, s15, s7\n"
        "vldr s14, [r6, #4]\n"
        "vldr s15, [r8, #4]\n"
        "vfma.f32 s12, s20, s4\n"
        "vldr s20, [r4]\n"
        "vfma.f32 s13, s21, s5\n"
        "vldr s21, [r5]\n"
        "vfma.f32 s14, s22, s6\n"
        "vldr s22, [r6]\n"
        "vfma.f32 s15, s23, s7\n"
        "vldr s23, [r8]\n"
        "vfma.f32 s20, s12, s4\n"
        "vfma.f32 s21, s13, s5\n"
        "vfma.f32 s22, s14, s6\n"
        "vfma.f32 s23, s15, s7\n"
        "vstr s20, [%[p], #16]\n"
        "vstr s21, [%[p], #20]\n"
        "vstr s22, [%[p], #24]\n"
        "vstr s23, [%[p], #28]\n"
        : "+m"(*(float(*)[8])p)
        : [p] "r"(p), [tab] "r"(&m7_act_tanh_tab[0][0]), [hi] "t"(M7_ACT_LIMIT), [lo] "t"(-M7_ACT_LIMIT)
        : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
          "s9", "s10", "s11", "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23",
          "cc");
}
#define ACT_TANH8_ASM 1
#else
#define ACT_TANH8_ASM 0
#endif

M7E_HOT void m7_act_tanh_f32(float *v, size_t n)
{
    size_t i = 0;
#if ACT_TANH8_ASM
    for (; i + 8u <= n; i += 8u) {
        act_tanh8_m7(v + i);
    }
#else
    /* eight values per pass, stage by stage, so that each Horner step has eight independent VFMAs */
    for (; i + 8u <= n; i += 8u) {
        const float *c[8];
        float t[8], p[8];
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            t[k] = fminf(v[i + k], M7_ACT_LIMIT);
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            t[k] = fmaxf(t[k], -M7_ACT_LIMIT); /* = act_tanh_clamp(v[i + k]) */
        }
#pragma GCC unroll 8
        for (size_t k = 0; k < 8u; k++) {
            c[k] = act_tanh_entry(t[k]);
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
            v[i + k] = p[k];
        }
    }
#endif
    for (; i < n; i++) {
        v[i] = act_tanh1(v[i]);
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
            const float t0 = act_tanh1(ai[o]);
            const float t1 = act_tanh1(ai[o + 1u]);
            const float s0 = act_sigmoid_bits(act_load_bits(ai + c + o));
            const float s1 = act_sigmoid_bits(act_load_bits(ai + c + o + 1u));
            zi[o] = t0 * s0;
            zi[o + 1u] = t1 * s1;
        }
        for (; o < c; o++) {
            const float t = act_tanh1(ai[o]);
            zi[o] = t * act_sigmoid_bits(act_load_bits(ai + c + o));
        }
    }
}
