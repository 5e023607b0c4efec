/**
 * @file m7_act_res_q15.c
 * @brief m7_act_res_q15: a NAM layer's tanh, head sum and residual 1x1 fused, one frame at a time.
 *
 * For each frame: z = tanh(a) four values at a time (tanh4: the table tanh of docs/engine.md, "q15
 * path"), head += z, and x = sat16(round((res_b + x·2^k + res_w·z) · 2^-s)) with z still in registers
 * as int16 pairs (SMLAD operands); the residual sums start as res_b + (x << k) and take every z pair
 * with SMLAD. Nothing goes through memory between the activation and the residual, and the ALU-heavy
 * activation and the MAC-heavy residual interleave on the dual-issue pipeline. Same integers as
 * m7_act_nam_q15 + m7_1x1_q15, so the same bits as the numpy reference.
 *
 * Only the specialised widths (2, 4, 6, 8, 12, 16; C = 2 takes two frames per step) exist: the caller uses
 * the separate kernels otherwise.
 */
#include "m7_engine_q15_internal.h"

/* as in m7_wavenet_f32.c: GCC's first scheduling pass costs registers (and 5 % here) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif /* __GNUC__ */

/* z01, z23 = the tanh pairs of a[0..3] (tanh4), head[0..3] += them. On the M7 one asm block in a fixed
 * order (the four chains interleaved, SSAT/UBFX/SXTH each the older of a pair, the loads beside ALU work),
 * which GCC's schedule does not find; the plain C elsewhere (same integers, tested on the host). */
M7_INLINE void tanh4_head(const int32_t *a, int32_t *head, int sa1, uint32_t *z01, uint32_t *z23)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    const uint32_t *mid = m7_tanh_table_q15 + M7_TANH_Q15_POINTS / 2;
    uint32_t v0, v1, v2, v3, i0, i1, i2, i3;
    const int32_t *k = a; /* the acc pointer, then the constant 2^8 */
    __asm__("ldr %[v0], [%[k]]\n\t"
            "ldr %[v1], [%[k], #4]\n\t"
            "ldr %[v2], [%[k], #8]\n\t"
            "ldr %[v3], [%[k], #12]\n\t"
            "asr %[v0], %[v0], %[s]\n\t"
            "mov %[k], #256\n\t"
            "asr %[v1], %[v1], %[s]\n\t"
            "add %[v0], %[v0], #1\n\t"
            "asr %[v2], %[v2], %[s]\n\t"
            "add %[v1], %[v1], #1\n\t"
            "ssat %[i0], #11, %[v0], asr #10\n\t"
            "asr %[v3], %[v3], %[s]\n\t"
            "ssat %[i1], #11, %[v1], asr #10\n\t"
            "add %[v2], %[v2], #1\n\t"
            "ubfx %[v0], %[v0], #1, #9\n\t"
            "add %[v3], %[v3], #1\n\t"
            "ssat %[i2], #11, %[v2], asr #10\n\t"
            "ldr %[i0], [%[m], %[i0], lsl #2]\n\t"
            "ssat %[i3], #11, %[v3], asr #10\n\t"
            "ldr %[i1], [%[m], %[i1], lsl #2]\n\t"
            "ubfx %[v1], %[v1], #1, #9\n\t"
            "ldr %[i2], [%[m], %[i2], lsl #2]\n\t"
            "ubfx %[v2], %[v2], #1, #9\n\t"
            "smlatb %[v0], %[i0], %[v0], %[k]\n\t"
            "ubfx %[v3], %[v3], #1, #9\n\t"
            "ldr %[i3], [%[m], %[i3], lsl #2]\n\t"
            "sxth %[i0], %[i0]\n\t"
            "smlatb %[v1], %[i1], %[v1], %[k]\n\t"
            "sxth %[i1], %[i1]\n\t"
            "smlatb %[v2], %[i2], %[v2], %[k]\n\t"
            "sxth %[i2], %[i2]\n\t"
            "add %[i0], %[i0], %[v0], asr #9\n\t"
            "smlatb %[v3], %[i3], %[v3], %[k]\n\t"
            "ldr %[v0], [%[h]]\n\t"
            "sxth %[i3], %[i3]\n\t"
            "add %[i1], %[i1], %[v1], asr #9\n\t"
            "ldr %[v1], [%[h], #4]\n\t"
            "add %[i2], %[i2], %[v2], asr #9\n\t"
            "ldr %[v2], [%[h], #8]\n\t"
            "add %[i3], %[i3], %[v3], asr #9\n\t"
            "ldr %[v3], [%[h], #12]\n\t"
            "add %[v0], %[v0], %[i0]\n\t"
            "add %[v1], %[v1], %[i1]\n\t"
            "str %[v0], [%[h]]\n\t"
            "add %[v2], %[v2], %[i2]\n\t"
            "str %[v1], [%[h], #4]\n\t"
            "pkhbt %[i0], %[i0], %[i1], lsl #16\n\t"
            "add %[v3], %[v3], %[i3]\n\t"
            "str %[v2], [%[h], #8]\n\t"
            "pkhbt %[i2], %[i2], %[i3], lsl #16\n\t"
            "str %[v3], [%[h], #12]"
            : [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3), [i0] "=&r"(i0), [i1] "=&r"(i1),
              [i2] "=&r"(i2), [i3] "=&r"(i3), [k] "+&r"(k), "+m"(*(int32_t(*)[4])head)
            : [h] "r"(head), [s] "r"(sa1), [m] "r"(mid), "m"(*(const int32_t(*)[4])a));
    *z01 = i0;
    *z23 = i2;
#else  /* !__ARM_FEATURE_DSP: plain C, the same integers */
    int32_t t[4];
    tanh4(a, sa1, t);
    head[0] += t[0];
    head[1] += t[1];
    head[2] += t[2];
    head[3] += t[3];
    *z01 = pack(t[0], t[1]);
    *z23 = pack(t[2], t[3]);
#endif /* __ARM_FEATURE_DSP */
}

_Static_assert(M7_TANH_Q15_POINTS == 2048, "tanh4_head2's asm reads the table's middle at byte 4096");

/* tanh4_head for two frames of C = 2: h01[0..1] += z01's values and h23[0..1] += z23's (z01, z23 the tanh
 * pairs of a[0..3]); with a second head pointer the table's middle is built in a's register (MOVW/MOVT)
 * and 2^8 in the shift's, to fit the registers. */
M7_INLINE void tanh4_head2(const int32_t *a, int32_t *h01, int32_t *h23, int sa1, uint32_t *z01, uint32_t *z23)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    uint32_t v0, v1, v2, v3, i0, i1, i2, i3;
    const int32_t *k = a; /* the acc pointer, then the table's middle word (m7_tanh_table_q15 + 1024) */
    int s = sa1;          /* the shift, then the constant 2^8 */
    __asm__("ldr %[v0], [%[k]]\n\t"
            "ldr %[v1], [%[k], #4]\n\t"
            "ldr %[v2], [%[k], #8]\n\t"
            "ldr %[v3], [%[k], #12]\n\t"
            "asr %[v0], %[v0], %[s]\n\t"
            "movw %[k], #:lower16:m7_tanh_table_q15+4096\n\t"
            "asr %[v1], %[v1], %[s]\n\t"
            "add %[v0], %[v0], #1\n\t"
            "asr %[v2], %[v2], %[s]\n\t"
            "add %[v1], %[v1], #1\n\t"
            "ssat %[i0], #11, %[v0], asr #10\n\t"
            "asr %[v3], %[v3], %[s]\n\t"
            "movt %[k], #:upper16:m7_tanh_table_q15+4096\n\t"
            "ssat %[i1], #11, %[v1], asr #10\n\t"
            "add %[v2], %[v2], #1\n\t"
            "mov %[s], #256\n\t"
            "ubfx %[v0], %[v0], #1, #9\n\t"
            "add %[v3], %[v3], #1\n\t"
            "ssat %[i2], #11, %[v2], asr #10\n\t"
            "ldr %[i0], [%[k], %[i0], lsl #2]\n\t"
            "ssat %[i3], #11, %[v3], asr #10\n\t"
            "ldr %[i1], [%[k], %[i1], lsl #2]\n\t"
            "ubfx %[v1], %[v1], #1, #9\n\t"
            "ldr %[i2], [%[k], %[i2], lsl #2]\n\t"
            "ubfx %[v2], %[v2], #1, #9\n\t"
            "smlatb %[v0], %[i0], %[v0], %[s]\n\t"
            "ubfx %[v3], %[v3], #1, #9\n\t"
            "ldr %[i3], [%[k], %[i3], lsl #2]\n\t"
            "sxth %[i0], %[i0]\n\t"
            "smlatb %[v1], %[i1], %[v1], %[s]\n\t"
            "sxth %[i1], %[i1]\n\t"
            "smlatb %[v2], %[i2], %[v2], %[s]\n\t"
            "sxth %[i2], %[i2]\n\t"
            "add %[i0], %[i0], %[v0], asr #9\n\t"
            "smlatb %[v3], %[i3], %[v3], %[s]\n\t"
            "ldr %[v0], [%[h]]\n\t"
            "sxth %[i3], %[i3]\n\t"
            "add %[i1], %[i1], %[v1], asr #9\n\t"
            "ldr %[v1], [%[h], #4]\n\t"
            "add %[i2], %[i2], %[v2], asr #9\n\t"
            "ldr %[v2], [%[g]]\n\t"
            "add %[i3], %[i3], %[v3], asr #9\n\t"
            "ldr %[v3], [%[g], #4]\n\t"
            "add %[v0], %[v0], %[i0]\n\t"
            "add %[v1], %[v1], %[i1]\n\t"
            "str %[v0], [%[h]]\n\t"
            "add %[v2], %[v2], %[i2]\n\t"
            "str %[v1], [%[h], #4]\n\t"
            "pkhbt %[i0], %[i0], %[i1], lsl #16\n\t"
            "add %[v3], %[v3], %[i3]\n\t"
            "str %[v2], [%[g]]\n\t"
            "pkhbt %[i2], %[i2], %[i3], lsl #16\n\t"
            "str %[v3], [%[g], #4]"
            : [v0] "=&r"(v0), [v1] "=&r"(v1), [v2] "=&r"(v2), [v3] "=&r"(v3), [i0] "=&r"(i0), [i1] "=&r"(i1),
              [i2] "=&r"(i2), [i3] "=&r"(i3), [k] "+&r"(k), [s] "+&r"(s), "+m"(*(int32_t(*)[2])h01),
              "+m"(*(int32_t(*)[2])h23)
            : [h] "r"(h01), [g] "r"(h23), "m"(*(const int32_t(*)[4])a));
    *z01 = i0;
    *z23 = i2;
#else  /* !__ARM_FEATURE_DSP: plain C, the same integers */
    int32_t t[4];
    tanh4(a, sa1, t);
    h01[0] += t[0];
    h01[1] += t[1];
    h23[0] += t[2];
    h23[1] += t[3];
    *z01 = pack(t[0], t[1]);
    *z23 = pack(t[2], t[3]);
#endif /* __ARM_FEATURE_DSP */
}

/* one frame's residual outputs o, o+1 from the z pairs zp[C/2]: two chains (SMLAD's accumulator is
 * forwarded, so one chain per output already issues one SMLAD per cycle) keep the live registers few */
M7_INLINE uint32_t res_pair(int16_t x0, int16_t x1, const uint32_t *zp, const int16_t *w, const int32_t *b,
                            size_t C, int32_t kmul, int s1)
{
    int32_t r0 = (int32_t)((uint32_t)b[0] + (uint32_t)x0 * (uint32_t)kmul); /* x * 2^k (exact: export) */
    int32_t r1 = (int32_t)((uint32_t)b[1] + (uint32_t)x1 * (uint32_t)kmul);
#pragma GCC unroll 8
    for (size_t c = 0; c < C / 2u; c++) {
        r0 = smlad(zp[c], pair(w + 2u * c), r0);
        r1 = smlad(zp[c], pair(w + C + 2u * c), r1);
    }
    return pack(sat16_32(((r0 >> s1) + 1) >> 1), sat16_32(((r1 >> s1) + 1) >> 1));
}

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* the residual outputs of one frame for C = 2 / 4 on the M7 (res_pair's integers, outputs two at a time,
 * two chains interleaved, each weight load ahead of its SMLAD), written by hand as one asm block: GCC
 * spilled the row pointers and serialised the chains. x[0..C-1] is read, then overwritten. */
M7_INLINE void res_c2(int16_t *x, const uint32_t *zp, const int16_t *w, const int32_t *b, int32_t kmul, int s1)
{
    uint32_t r0, r1, t0, t1;
    __asm__("ldrsh %[t0], [%[x]]\n\t"
            "ldrsh %[t1], [%[x], #2]\n\t"
            "ldr %[r0], [%[b]]\n\t"
            "ldr %[r1], [%[b], #4]\n\t"
            "mla %[r0], %[t0], %[k], %[r0]\n\t"
            "ldr %[t0], [%[w]]\n\t"
            "mla %[r1], %[t1], %[k], %[r1]\n\t"
            "ldr %[t1], [%[w], #4]\n\t"
            "smlad %[r0], %[z0], %[t0], %[r0]\n\t"
            "smlad %[r1], %[z0], %[t1], %[r1]\n\t"
            "asr %[r0], %[r0], %[s]\n\t"
            "asr %[r1], %[r1], %[s]\n\t"
            "add %[r0], %[r0], #1\n\t"
            "add %[r1], %[r1], #1\n\t"
            "ssat %[r0], #16, %[r0], asr #1\n\t"
            "ssat %[r1], #16, %[r1], asr #1\n\t"
            "pkhbt %[r0], %[r0], %[r1], lsl #16\n\t"
            "str %[r0], [%[x]]"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [t0] "=&r"(t0), [t1] "=&r"(t1), "+m"(*(int16_t(*)[2])x)
            : [x] "r"(x), [w] "r"(w), [b] "r"(b), [k] "r"(kmul), [s] "r"(s1), [z0] "r"(zp[0]),
              "m"(*(const int16_t(*)[4])w), "m"(*(const int32_t(*)[2])b));
}
M7_INLINE void res_c4(int16_t *x, const uint32_t *zp, const int16_t *w, const int32_t *b, int32_t kmul, int s1)
{
    uint32_t r0, r1, t0, t1;
    __asm__("ldrsh %[t0], [%[x]]\n\t"
            "ldrsh %[t1], [%[x], #2]\n\t"
            "ldr %[r0], [%[b]]\n\t"
            "ldr %[r1], [%[b], #4]\n\t"
            "mla %[r0], %[t0], %[k], %[r0]\n\t"
            "ldr %[t0], [%[w]]\n\t"
            "mla %[r1], %[t1], %[k], %[r1]\n\t"
            "ldr %[t1], [%[w], #8]\n\t"
            "smlad %[r0], %[z0], %[t0], %[r0]\n\t"
            "ldr %[t0], [%[w], #4]\n\t"
            "smlad %[r1], %[z0], %[t1], %[r1]\n\t"
            "ldr %[t1], [%[w], #12]\n\t"
            "smlad %[r0], %[z1], %[t0], %[r0]\n\t"
            "smlad %[r1], %[z1], %[t1], %[r1]\n\t"
            "asr %[r0], %[r0], %[s]\n\t"
            "ldrsh %[t0], [%[x], #4]\n\t"
            "asr %[r1], %[r1], %[s]\n\t"
            "ldrsh %[t1], [%[x], #6]\n\t"
            "add %[r0], %[r0], #1\n\t"
            "add %[r1], %[r1], #1\n\t"
            "ssat %[r0], #16, %[r0], asr #1\n\t"
            "ssat %[r1], #16, %[r1], asr #1\n\t"
            "pkhbt %[r0], %[r0], %[r1], lsl #16\n\t"
            "ldr %[r1], [%[b], #12]\n\t"
            "str %[r0], [%[x]]\n\t"
            "ldr %[r0], [%[b], #8]\n\t"
            "mla %[r0], %[t0], %[k], %[r0]\n\t"
            "ldr %[t0], [%[w], #16]\n\t"
            "mla %[r1], %[t1], %[k], %[r1]\n\t"
            "ldr %[t1], [%[w], #24]\n\t"
            "smlad %[r0], %[z0], %[t0], %[r0]\n\t"
            "ldr %[t0], [%[w], #20]\n\t"
            "smlad %[r1], %[z0], %[t1], %[r1]\n\t"
            "ldr %[t1], [%[w], #28]\n\t"
            "smlad %[r0], %[z1], %[t0], %[r0]\n\t"
            "smlad %[r1], %[z1], %[t1], %[r1]\n\t"
            "asr %[r0], %[r0], %[s]\n\t"
            "asr %[r1], %[r1], %[s]\n\t"
            "add %[r0], %[r0], #1\n\t"
            "add %[r1], %[r1], #1\n\t"
            "ssat %[r0], #16, %[r0], asr #1\n\t"
            "ssat %[r1], #16, %[r1], asr #1\n\t"
            "pkhbt %[r0], %[r0], %[r1], lsl #16\n\t"
            "str %[r0], [%[x], #4]"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [t0] "=&r"(t0), [t1] "=&r"(t1), "+m"(*(int16_t(*)[4])x)
            : [x] "r"(x), [w] "r"(w), [b] "r"(b), [k] "r"(kmul), [s] "r"(s1), [z0] "r"(zp[0]), [z1] "r"(zp[1]),
              "m"(*(const int16_t(*)[16])w), "m"(*(const int32_t(*)[4])b));
}

/* The residual of two frames at once for C = 8 on the M7 (printed by tools/gen_res_asm_q15.py; edit that):
 * x[i][o] = sat16(round((b[o] + x[i][o]·k + sum_c w[o][c]·z[i][c]) · 2^-s)) for the frame pairs from x to
 * end (x and z dense, 8 values per frame), each weight pair loaded once for both frames, one SMLAD beside
 * one load per cycle; k = 2^res_left (MLA), the rounding one SMMULR by m = 2^(32-s) (2 <= s <= 31). */
void m7_act_res2_c8_q15(int16_t *x, const int16_t *z, const int16_t *w, const int32_t *b, const int16_t *end,
                    int32_t k, int32_t m);
/* The tanh pass of C = 8 on the M7 (same generator): t = tanh4_head's integers for the int32 values from a
 * to end (8 per step), head += t (dense, int32), z = t (dense, int16 pairs); m = 2^(32 - act_shift)
 * (2 <= act_shift <= 31: one SMMULR per value rounds to the table's Q16 input, tanh4_lookup(mul=True)). */
void m7_act_tanh8_q15(const int32_t *a, int32_t *head, int16_t *z, int32_t m, const int32_t *end);
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_act_tanh8_q15\n"
        ".hidden m7_act_tanh8_q15\n"
        ".type m7_act_tanh8_q15, %function\n"
        "m7_act_tanh8_q15:\n"
        "push {r4-r11, lr}\n"
        "movw r12, #:lower16:m7_tanh_table_q15+4096\n"
        "movt r12, #:upper16:m7_tanh_table_q15+4096\n"
        "mov lr, #256\n"
        "1:\n"
        "ldr r4, [r0, #0]\n"
        "ldr r5, [r0, #4]\n"
        "ldr r6, [r0, #8]\n"
        "ldr r7, [r0, #12]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "ldr r4, [r1, #0]\n"
        "sxth r11, r11\n"
        "add r9, r9, r5, asr #9\n"
        "ldr r5, [r1, #4]\n"
        "add r10, r10, r6, asr #9\n"
        "ldr r6, [r1, #8]\n"
        "add r11, r11, r7, asr #9\n"
        "ldr r7, [r1, #12]\n"
        "add r4, r4, r8\n"
        "add r5, r5, r9\n"
        "str r4, [r1, #0]\n"
        "add r6, r6, r10\n"
        "str r5, [r1, #4]\n"
        "pkhbt r8, r8, r9, lsl #16\n"
        "add r7, r7, r11\n"
        "str r6, [r1, #8]\n"
        "ldr r4, [r0, #16]\n"
        "pkhbt r10, r10, r11, lsl #16\n"
        "str r7, [r1, #12]\n"
        "str r8, [r2, #0]\n"
        "ldr r5, [r0, #20]\n"
        "str r10, [r2, #4]\n"
        "ldr r6, [r0, #24]\n"
        "ldr r7, [r0, #28]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "adds r0, r0, #32\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "ldr r4, [r1, #16]\n"
        "sxth r11, r11\n"
        "add r9, r9, r5, asr #9\n"
        "ldr r5, [r1, #20]\n"
        "add r10, r10, r6, asr #9\n"
        "ldr r6, [r1, #24]\n"
        "add r11, r11, r7, asr #9\n"
        "ldr r7, [r1, #28]\n"
        "add r4, r4, r8\n"
        "add r5, r5, r9\n"
        "str r4, [r1, #16]\n"
        "add r6, r6, r10\n"
        "str r5, [r1, #20]\n"
        "pkhbt r8, r8, r9, lsl #16\n"
        "add r7, r7, r11\n"
        "str r6, [r1, #24]\n"
        "ldr r4, [sp, #36]\n"
        "pkhbt r10, r10, r11, lsl #16\n"
        "str r7, [r1, #28]\n"
        "str r8, [r2, #8]\n"
        "adds r1, r1, #32\n"
        "str r10, [r2, #12]\n"
        "adds r2, r2, #16\n"
        "cmp r0, r4\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_act_tanh8_q15, . - m7_act_tanh8_q15\n");
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_act_res2_c8_q15\n"
        ".hidden m7_act_res2_c8_q15\n"
        ".type m7_act_res2_c8_q15, %function\n"
        "m7_act_res2_c8_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r12, [sp, #40]\n"
        "ldr lr, [sp, #44]\n"
        "1:\n"
        "ldrsh r10, [r0, #16]\n"
        "ldrsh r11, [r0, #18]\n"
        "ldrsh r8, [r0, #0]\n"
        "ldrsh r9, [r0, #2]\n"
        "ldrd r4, r5, [r3]\n"
        "mla r6, r10, r12, r4\n"
        "ldr r10, [r1, #0]\n"
        "mla r7, r11, r12, r5\n"
        "ldr r11, [r2, #0]\n"
        "mla r4, r8, r12, r4\n"
        "ldr r8, [r1, #16]\n"
        "mla r5, r9, r12, r5\n"
        "ldr r9, [r2, #16]\n"
        "smlad r4, r10, r11, r4\n"
        "smlad r6, r8, r11, r6\n"
        "ldr r11, [r1, #4]\n"
        "smlad r5, r10, r9, r5\n"
        "ldr r10, [r2, #4]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #20]\n"
        "smlad r4, r11, r10, r4\n"
        "ldr r9, [r2, #20]\n"
        "smlad r6, r8, r10, r6\n"
        "ldr r10, [r1, #8]\n"
        "smlad r5, r11, r9, r5\n"
        "ldr r11, [r2, #8]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #24]\n"
        "smlad r4, r10, r11, r4\n"
        "ldr r9, [r2, #24]\n"
        "smlad r6, r8, r11, r6\n"
        "ldr r11, [r1, #12]\n"
        "smlad r5, r10, r9, r5\n"
        "ldr r10, [r2, #12]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #28]\n"
        "smlad r4, r11, r10, r4\n"
        "ldr r9, [r2, #28]\n"
        "smlad r6, r8, r10, r6\n"
        "ldrsh r10, [r0, #4]\n"
        "smlad r5, r11, r9, r5\n"
        "ldrsh r11, [r0, #6]\n"
        "smlad r7, r8, r9, r7\n"
        "ldrsh r8, [r0, #20]\n"
        "smmulr r4, r4, lr\n"
        "ldrsh r9, [r0, #22]\n"
        "smmulr r5, r5, lr\n"
        "smmulr r6, r6, lr\n"
        "ssat r4, #16, r4\n"
        "smmulr r7, r7, lr\n"
        "ssat r5, #16, r5\n"
        "ssat r6, #16, r6\n"
        "ssat r7, #16, r7\n"
        "pkhbt r4, r4, r5, lsl #16\n"
        "str r4, [r0, #0]\n"
        "ldrd r4, r5, [r3, #8]\n"
        "pkhbt r6, r6, r7, lsl #16\n"
        "str r6, [r0, #16]\n"
        "mla r6, r8, r12, r4\n"
        "ldr r8, [r1, #0]\n"
        "mla r7, r9, r12, r5\n"
        "ldr r9, [r2, #32]\n"
        "mla r4, r10, r12, r4\n"
        "ldr r10, [r1, #16]\n"
        "mla r5, r11, r12, r5\n"
        "ldr r11, [r2, #48]\n"
        "smlad r4, r8, r9, r4\n"
        "smlad r6, r10, r9, r6\n"
        "ldr r9, [r1, #4]\n"
        "smlad r5, r8, r11, r5\n"
        "ldr r8, [r2, #36]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #20]\n"
        "smlad r4, r9, r8, r4\n"
        "ldr r11, [r2, #52]\n"
        "smlad r6, r10, r8, r6\n"
        "ldr r8, [r1, #8]\n"
        "smlad r5, r9, r11, r5\n"
        "ldr r9, [r2, #40]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #24]\n"
        "smlad r4, r8, r9, r4\n"
        "ldr r11, [r2, #56]\n"
        "smlad r6, r10, r9, r6\n"
        "ldr r9, [r1, #12]\n"
        "smlad r5, r8, r11, r5\n"
        "ldr r8, [r2, #44]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #28]\n"
        "smlad r4, r9, r8, r4\n"
        "ldr r11, [r2, #60]\n"
        "smlad r6, r10, r8, r6\n"
        "ldrsh r8, [r0, #8]\n"
        "smlad r5, r9, r11, r5\n"
        "ldrsh r9, [r0, #10]\n"
        "smlad r7, r10, r11, r7\n"
        "ldrsh r10, [r0, #24]\n"
        "smmulr r4, r4, lr\n"
        "ldrsh r11, [r0, #26]\n"
        "smmulr r5, r5, lr\n"
        "smmulr r6, r6, lr\n"
        "ssat r4, #16, r4\n"
        "smmulr r7, r7, lr\n"
        "ssat r5, #16, r5\n"
        "ssat r6, #16, r6\n"
        "ssat r7, #16, r7\n"
        "pkhbt r4, r4, r5, lsl #16\n"
        "str r4, [r0, #4]\n"
        "ldrd r4, r5, [r3, #16]\n"
        "pkhbt r6, r6, r7, lsl #16\n"
        "str r6, [r0, #20]\n"
        "mla r6, r10, r12, r4\n"
        "ldr r10, [r1, #0]\n"
        "mla r7, r11, r12, r5\n"
        "ldr r11, [r2, #64]\n"
        "mla r4, r8, r12, r4\n"
        "ldr r8, [r1, #16]\n"
        "mla r5, r9, r12, r5\n"
        "ldr r9, [r2, #80]\n"
        "smlad r4, r10, r11, r4\n"
        "smlad r6, r8, r11, r6\n"
        "ldr r11, [r1, #4]\n"
        "smlad r5, r10, r9, r5\n"
        "ldr r10, [r2, #68]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #20]\n"
        "smlad r4, r11, r10, r4\n"
        "ldr r9, [r2, #84]\n"
        "smlad r6, r8, r10, r6\n"
        "ldr r10, [r1, #8]\n"
        "smlad r5, r11, r9, r5\n"
        "ldr r11, [r2, #72]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #24]\n"
        "smlad r4, r10, r11, r4\n"
        "ldr r9, [r2, #88]\n"
        "smlad r6, r8, r11, r6\n"
        "ldr r11, [r1, #12]\n"
        "smlad r5, r10, r9, r5\n"
        "ldr r10, [r2, #76]\n"
        "smlad r7, r8, r9, r7\n"
        "ldr r8, [r1, #28]\n"
        "smlad r4, r11, r10, r4\n"
        "ldr r9, [r2, #92]\n"
        "smlad r6, r8, r10, r6\n"
        "ldrsh r10, [r0, #12]\n"
        "smlad r5, r11, r9, r5\n"
        "ldrsh r11, [r0, #14]\n"
        "smlad r7, r8, r9, r7\n"
        "ldrsh r8, [r0, #28]\n"
        "smmulr r4, r4, lr\n"
        "ldrsh r9, [r0, #30]\n"
        "smmulr r5, r5, lr\n"
        "smmulr r6, r6, lr\n"
        "ssat r4, #16, r4\n"
        "smmulr r7, r7, lr\n"
        "ssat r5, #16, r5\n"
        "ssat r6, #16, r6\n"
        "ssat r7, #16, r7\n"
        "pkhbt r4, r4, r5, lsl #16\n"
        "str r4, [r0, #8]\n"
        "ldrd r4, r5, [r3, #24]\n"
        "pkhbt r6, r6, r7, lsl #16\n"
        "str r6, [r0, #24]\n"
        "mla r6, r8, r12, r4\n"
        "ldr r8, [r1, #0]\n"
        "mla r7, r9, r12, r5\n"
        "ldr r9, [r2, #96]\n"
        "mla r4, r10, r12, r4\n"
        "ldr r10, [r1, #16]\n"
        "mla r5, r11, r12, r5\n"
        "ldr r11, [r2, #112]\n"
        "smlad r4, r8, r9, r4\n"
        "smlad r6, r10, r9, r6\n"
        "ldr r9, [r1, #4]\n"
        "smlad r5, r8, r11, r5\n"
        "ldr r8, [r2, #100]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #20]\n"
        "smlad r4, r9, r8, r4\n"
        "ldr r11, [r2, #116]\n"
        "smlad r6, r10, r8, r6\n"
        "ldr r8, [r1, #8]\n"
        "smlad r5, r9, r11, r5\n"
        "ldr r9, [r2, #104]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #24]\n"
        "smlad r4, r8, r9, r4\n"
        "ldr r11, [r2, #120]\n"
        "smlad r6, r10, r9, r6\n"
        "ldr r9, [r1, #12]\n"
        "smlad r5, r8, r11, r5\n"
        "ldr r8, [r2, #108]\n"
        "smlad r7, r10, r11, r7\n"
        "ldr r10, [r1, #28]\n"
        "smlad r4, r9, r8, r4\n"
        "ldr r11, [r2, #124]\n"
        "smlad r6, r10, r8, r6\n"
        "add r1, r1, #32\n"
        "smlad r5, r9, r11, r5\n"
        "ldr r8, [sp, #36]\n"
        "smlad r7, r10, r11, r7\n"
        "smmulr r4, r4, lr\n"
        "smmulr r5, r5, lr\n"
        "smmulr r6, r6, lr\n"
        "ssat r4, #16, r4\n"
        "smmulr r7, r7, lr\n"
        "ssat r5, #16, r5\n"
        "ssat r6, #16, r6\n"
        "ssat r7, #16, r7\n"
        "pkhbt r4, r4, r5, lsl #16\n"
        "str r4, [r0, #12]\n"
        "pkhbt r6, r6, r7, lsl #16\n"
        "str r6, [r0, #28]\n"
        "add r0, r0, #32\n"
        "cmp r0, r8\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_act_res2_c8_q15, . - m7_act_res2_c8_q15\n");
/* m7_act_tanh8_q15 with head = t instead of head += t (the first layer writing a HEAD not zeroed; same generator) */
void m7_act_tanh8s_q15(const int32_t *a, int32_t *head, int16_t *z, int32_t m, const int32_t *end);
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_act_tanh8s_q15\n"
        ".hidden m7_act_tanh8s_q15\n"
        ".type m7_act_tanh8s_q15, %function\n"
        "m7_act_tanh8s_q15:\n"
        "push {r4-r11, lr}\n"
        "movw r12, #:lower16:m7_tanh_table_q15+4096\n"
        "movt r12, #:upper16:m7_tanh_table_q15+4096\n"
        "mov lr, #256\n"
        "1:\n"
        "ldr r4, [r0, #0]\n"
        "ldr r5, [r0, #4]\n"
        "ldr r6, [r0, #8]\n"
        "ldr r7, [r0, #12]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "add r9, r9, r5, asr #9\n"
        "sxth r11, r11\n"
        "str r8, [r1, #0]\n"
        "add r10, r10, r6, asr #9\n"
        "str r9, [r1, #4]\n"
        "add r11, r11, r7, asr #9\n"
        "str r10, [r1, #8]\n"
        "pkhbt r8, r8, r9, lsl #16\n"
        "str r11, [r1, #12]\n"
        "pkhbt r10, r10, r11, lsl #16\n"
        "str r8, [r2, #0]\n"
        "str r10, [r2, #4]\n"
        "ldr r4, [r0, #16]\n"
        "ldr r5, [r0, #20]\n"
        "ldr r6, [r0, #24]\n"
        "ldr r7, [r0, #28]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "adds r0, r0, #32\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "add r9, r9, r5, asr #9\n"
        "sxth r11, r11\n"
        "str r8, [r1, #16]\n"
        "add r10, r10, r6, asr #9\n"
        "str r9, [r1, #20]\n"
        "add r11, r11, r7, asr #9\n"
        "str r10, [r1, #24]\n"
        "pkhbt r8, r8, r9, lsl #16\n"
        "str r11, [r1, #28]\n"
        "pkhbt r10, r10, r11, lsl #16\n"
        "str r8, [r2, #8]\n"
        "str r10, [r2, #12]\n"
        "adds r1, r1, #32\n"
        "adds r2, r2, #16\n"
        "ldr r4, [sp, #36]\n"
        "cmp r0, r4\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_act_tanh8s_q15, . - m7_act_tanh8s_q15\n");
#endif /* __ARM_FEATURE_DSP */

/* head[i][0..c) = 0 for n frames hs apart */
static void zero_head(int32_t *head, size_t hs, size_t n, size_t c)
{
    if (hs == c) {
        memset(head, 0, n * c * sizeof(int32_t));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memset(head + i * hs, 0, c * sizeof(int32_t));
    }
}

/* the kernel for C channels; acc and x are dense (frames C apart: the specialised layer path) */
M7_INLINE void act_res(const m7_act_res_q15_t *q, size_t n, size_t C_)
{
    const size_t C = C_, hs = q->hs;
    const int sa1 = q->act_shift - 1, s1 = q->shift - 1;
    const int32_t sk = q->res_mul;
    const int16_t *const w = q->w;
    const int32_t *const b = q->b;
    const int32_t *a = q->acc;
    int32_t *head = q->head;
    int16_t *x = q->x;
    int16_t *const xend = x + n * C;
    if (C == 2u) { /* two frames per step: one tanh4 */
        for (; x != xend; a += 4u, head += 2u * hs, x += 4u) {
            uint32_t z0, z1;
            tanh4_head2(a, head, head + hs, sa1, &z0, &z1);
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
            res_c2(x, &z0, w, b, sk, s1);
            res_c2(x + 2, &z1, w, b, sk, s1);
            continue;
#endif /* __ARM_FEATURE_DSP */
            const uint32_t y0 = res_pair(x[0], x[1], &z0, w, b, 2u, sk, s1);
            const uint32_t y1 = res_pair(x[2], x[3], &z1, w, b, 2u, sk, s1);
            memcpy(x, &y0, sizeof y0);
            memcpy(x + 2, &y1, sizeof y1);
        }
        return; /* n is even (the caller checks) */
    }
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (C == 8u) { /* m7_act_res_q15 checked z != NULL and shift >= 2 */
        /* two passes: the tanh and head sums of every frame into z, then the residual two frames at a time */
        int16_t *z = q->z;
        if (hs == C && n && q->act_shift >= 2) { /* head dense too: one flat pass (the asm loop runs at least once) */
            const int32_t ma = (int32_t)(1u << (32 - q->act_shift));
            if (q->head_store) {
                m7_act_tanh8s_q15(a, head, z, ma, a + n * C);
            } else {
                m7_act_tanh8_q15(a, head, z, ma, a + n * C);
            }
        } else {
            if (q->head_store) {
                zero_head(head, hs, n, C);
            }
            for (; x != xend; a += C, head += hs, x += C, z += C) {
                uint32_t zp[4];
                tanh4_head(a, head, sa1, &zp[0], &zp[1]);
                tanh4_head(a + 4, head + 4, sa1, &zp[2], &zp[3]);
                memcpy(z, zp, sizeof zp);
            }
        }
        x = q->x;
        int16_t *const x2 = x + (n & ~(size_t)1u) * C;
        if (x2 != x) {
            m7_act_res2_c8_q15(x, q->z, w, b, x2, sk, (int32_t)(1u << (32 - q->shift)));
        }
        if (n % 2u) {
            uint32_t zp[4];
            memcpy(zp, q->z + (n - 1u) * C, sizeof zp);
            for (size_t o = 0; o < C; o += 2u) { /* an odd block's last frame (once per block): plain C */
                const uint32_t y = res_pair(x2[o], x2[o + 1u], zp, w + o * C, b + o, C, sk, s1);
                memcpy(x2 + o, &y, sizeof y);
            }
        }
        return;
    }
#endif /* __ARM_FEATURE_DSP */
    for (; x != xend; a += C, head += hs, x += C) {
        uint32_t zp[8];
#pragma GCC unroll 4
        for (size_t o = 0; o + 4u <= C; o += 4u) {
            tanh4_head(a + o, head + o, sa1, &zp[o / 2u], &zp[o / 2u + 1u]);
        }
        if (C % 4u) { /* the last two values (C = 6): tanh4 on them twice */
            const size_t o = C - 2u;
            const int32_t v[4] = {a[o], a[o + 1u], a[o], a[o + 1u]};
            int32_t t[4];
            tanh4(v, sa1, t);
            head[o] += t[0];
            head[o + 1u] += t[1];
            zp[o / 2u] = pack(t[0], t[1]);
        }
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
        if (C == 4u) {
            res_c4(x, zp, w, b, sk, s1);
            continue;
        }
#endif /* __ARM_FEATURE_DSP */
#pragma GCC unroll 8
        for (size_t o = 0; o < C; o += 2u) {
            const uint32_t y = res_pair(x[o], x[o + 1u], zp, w + o * C, b + o, C, sk, s1);
            memcpy(x + o, &y, sizeof y);
        }
    }
}

/* head += tanh(acc) for C = 4k dense values per frame, z not stored: a NAM layer without residual (a layer
 * array's last), whose z nothing reads. tanh4_head per four values (one asm block on the M7; the general
 * m7_act_nam_q15 ran tanh4's C: 64.8 cycles per frame on feather's last layer) */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* A layer without residual at C = 4 on the M7 (tools/gen_res_asm_q15.py, head4_body): two frames per pass,
 * tanh4_head's integers (the SMMULR rounding, m = 2^(32 - act_shift), 2 <= act_shift <= 31) for the dense
 * values from a to end, head += t at ha (frame A) and hb (frame B), both `step` bytes on per pass. */
void m7_act_head4x2_q15(const int32_t *a, int32_t *ha, int32_t *hb, int32_t m, const int32_t *end, size_t step);
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_act_head4x2_q15\n"
        ".hidden m7_act_head4x2_q15\n"
        ".type m7_act_head4x2_q15, %function\n"
        "m7_act_head4x2_q15:\n"
        "push {r4-r11, lr}\n"
        "movw r12, #:lower16:m7_tanh_table_q15+4096\n"
        "movt r12, #:upper16:m7_tanh_table_q15+4096\n"
        "mov lr, #256\n"
        "1:\n"
        "ldr r4, [r0, #0]\n"
        "ldr r5, [r0, #4]\n"
        "ldr r6, [r0, #8]\n"
        "ldr r7, [r0, #12]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "ldr r4, [r1]\n"
        "sxth r11, r11\n"
        "add r9, r9, r5, asr #9\n"
        "ldr r5, [r1, #4]\n"
        "add r10, r10, r6, asr #9\n"
        "ldr r6, [r1, #8]\n"
        "add r11, r11, r7, asr #9\n"
        "ldr r7, [r1, #12]\n"
        "add r4, r4, r8\n"
        "add r5, r5, r9\n"
        "str r4, [r1]\n"
        "add r6, r6, r10\n"
        "str r5, [r1, #4]\n"
        "add r7, r7, r11\n"
        "str r6, [r1, #8]\n"
        "str r7, [r1, #12]\n"
        "ldr r4, [r0, #16]\n"
        "ldr r5, [r0, #20]\n"
        "ldr r6, [r0, #24]\n"
        "ldr r7, [r0, #28]\n"
        "smmulr r4, r4, r3\n"
        "smmulr r5, r5, r3\n"
        "adds r0, r0, #32\n"
        "smmulr r6, r6, r3\n"
        "ssat r8, #11, r4, asr #9\n"
        "smmulr r7, r7, r3\n"
        "ssat r9, #11, r5, asr #9\n"
        "ubfx r4, r4, #0, #9\n"
        "ssat r10, #11, r6, asr #9\n"
        "ldr r8, [r12, r8, lsl #2]\n"
        "ssat r11, #11, r7, asr #9\n"
        "ldr r9, [r12, r9, lsl #2]\n"
        "ubfx r5, r5, #0, #9\n"
        "smlatb r4, r8, r4, lr\n"
        "ldr r10, [r12, r10, lsl #2]\n"
        "smlatb r5, r9, r5, lr\n"
        "ubfx r6, r6, #0, #9\n"
        "ldr r11, [r12, r11, lsl #2]\n"
        "ubfx r7, r7, #0, #9\n"
        "smlatb r6, r10, r6, lr\n"
        "sxth r8, r8\n"
        "smlatb r7, r11, r7, lr\n"
        "sxth r9, r9\n"
        "add r8, r8, r4, asr #9\n"
        "sxth r10, r10\n"
        "ldr r4, [r2]\n"
        "sxth r11, r11\n"
        "add r9, r9, r5, asr #9\n"
        "ldr r5, [r2, #4]\n"
        "add r10, r10, r6, asr #9\n"
        "ldr r6, [r2, #8]\n"
        "add r11, r11, r7, asr #9\n"
        "ldr r7, [r2, #12]\n"
        "add r4, r4, r8\n"
        "add r5, r5, r9\n"
        "str r4, [r2]\n"
        "add r6, r6, r10\n"
        "str r5, [r2, #4]\n"
        "add r7, r7, r11\n"
        "str r6, [r2, #8]\n"
        "str r7, [r2, #12]\n"
        "ldr r4, [sp, #40]\n"
        "add r1, r1, r4\n"
        "add r2, r2, r4\n"
        "ldr r4, [sp, #36]\n"
        "cmp r0, r4\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_act_head4x2_q15, . - m7_act_head4x2_q15\n");
#endif /* __ARM_FEATURE_DSP */

static __attribute__((noinline)) void m7_act_head_c4k_q15(const int32_t *a, size_t c, int sa1, int32_t *head, size_t hs,
                                                          size_t n)
{
    const int32_t *const end = a + n * c;
    for (; a != end; head += hs) {
        for (size_t o = 0; o < c; o += 4u, a += 4) {
            uint32_t z01, z23;
            tanh4_head(a, head + o, sa1, &z01, &z23);
        }
    }
}

M7E_HOT int m7_act_head_q15(const int32_t *acc, size_t as, int act_shift, int32_t *head, size_t hs, size_t n,
                            size_t c)
{
    if (act_shift <= 0 || act_shift > 31 || as != c || c % 4u != 0u || c == 0u) {
        return 0;
    }
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (c == 4u && act_shift >= 2 && n >= 2u) { /* frame pairs in asm, an odd last frame in C */
        const size_t n2 = n & ~(size_t)1u;
        m7_act_head4x2_q15(acc, head, head + hs, (int32_t)(1u << (32 - act_shift)), acc + n2 * 4u,
                           2u * hs * sizeof(int32_t));
        acc += n2 * 4u, head += n2 * hs, n -= n2;
        if (n == 0u) {
            return 1;
        }
    }
#endif /* __ARM_FEATURE_DSP */
    m7_act_head_c4k_q15(acc, c, act_shift - 1, head, hs, n);
    return 1;
}

/* one function per width so a profile names them */
#define M7_ACT_RES_C(C)                                                                                    \
    static __attribute__((noinline)) void m7_act_res_c##C##_q15(const m7_act_res_q15_t *q, size_t n)        \
    {                                                                                                      \
        act_res(q, n, C##u);                                                                               \
    }
M7_ACT_RES_C(2)
M7_ACT_RES_C(4)
M7_ACT_RES_C(6)
M7_ACT_RES_C(8)
M7_ACT_RES_C(12)
M7_ACT_RES_C(16)

M7E_HOT int m7_act_res_q15(const m7_act_res_q15_t *q, size_t n)
{
    if (q->act_shift <= 0 || q->act_shift > 31 || q->res_left < 0 || q->res_left > 30 ||
        q->res_mul != (int32_t)1 << (q->res_left & 31) || q->shift <= 0 || q->shift > 31 ||
        q->as != q->c || q->xs != q->c || (q->c == 2u && n % 2u)) {
        return 0;
    }
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (q->c == 8u && (!q->z || q->shift < 2)) { /* the M7's C = 8 kernel needs both (m7_act_res2_c8_q15) */
        return 0;
    }
#endif /* __ARM_FEATURE_DSP */
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    const int stores = q->c == 8u; /* act_res's C = 8 path stores (or zeroes) head itself */
#else
    const int stores = 0;
#endif /* __ARM_FEATURE_DSP */
    if (q->head_store && !stores) {
        zero_head(q->head, q->hs, n, q->c);
    }
    switch (q->c) {
    case 2u: m7_act_res_c2_q15(q, n); return 1;
    case 4u: m7_act_res_c4_q15(q, n); return 1;
    case 6u: m7_act_res_c6_q15(q, n); return 1;
    case 8u: m7_act_res_c8_q15(q, n); return 1;
    case 12u: m7_act_res_c12_q15(q, n); return 1;
    case 16u: m7_act_res_c16_q15(q, n); return 1;
    default: return 0;
    }
}
