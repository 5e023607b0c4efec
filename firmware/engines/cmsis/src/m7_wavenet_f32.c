/**
 * @file m7_wavenet_f32.c
 * @brief One dilated WaveNet layer (NAM or gated form) over a block, streaming (fast-wavenet).
 *
 * The layer's state is a ring buffer of its last S = (kernel-1)*dilation input frames; the frame of
 * sample time tau lives in slot tau mod S (zero before the first sample). Tap j of the conv reads the
 * input delayed by D = (kernel-1-j)*dilation: from the ring for the block's first min(D, n) frames
 * (one or two contiguous runs: the ring wraps at most once) and from the block input after that.
 *
 * The pre-activation a (n frames of C, gated 2C, values, dense) is built by separate kernels, so that a
 * profile can tell them apart: m7_mix_f32 (bias + mixer), m7_conv_f32 (the dilated conv), then
 * m7_act_*_f32 (m7_act_f32.c) and m7_1x1_res_f32 (residual 1x1, plus the NAM head sum). Every output
 * value is one fmaf chain in a fixed order (bias, mixer channels, then tap by tap, channel by channel),
 * whatever the block split, so any split gives bit-identical output.
 */
#include <math.h>
#include <string.h>

#include "m7_engine_internal.h"

/* The kernels below are written in issue order (independent VFMA chains interleaved). GCC's first
 * scheduling pass, which runs before register allocation, regroups them chain by chain to save
 * registers, which stalls the in-order M7 on every dependent VFMA; the pass after allocation still
 * pairs the loads with the VFMAs. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif

/* M7_CONV_ASM: on the Cortex-M7 the 4-channel conv's 4-frame pass (nano's first layer array) is inline
 * assembly: the same loads and fmaf chains as the C below, in the order that the in-order dual-issue pipe
 * wants (GCC's order: 251 cycles per pass for 208 FP operations; this one: 227 in the cycle model). The
 * order was made by a list scheduler over the cycle model's latencies and units (tools/m7_sched.py conv4
 * prints it; a run's 4-frame passes are one asm loop); the host and the other widths run the C. Likewise the 2-channel, 2-output 2-frame pass of
 * nano's second array when taps 0 and 1 both read the ring (strides 2, 2, 4) or all taps the block input
 * (4, 4, 4): GCC's 49 cycles per pass for 28 FP operations, 33 in the model (conv2_224, conv2_444), with
 * the tap pointers' frame-1 offsets as constants (passed as pointers, they spilled). Every value keeps its
 * fmaf chain (bias, mixer, tap by tap, channel by channel), so the output bits are the same. */
#if defined(__arm__) && defined(__ARM_FP) && !defined(M7E_GENERIC_KERNELS)
#define M7_CONV_ASM 1
#else
#define M7_CONV_ASM 0
#endif

#if M7_CONV_ASM
/* The 2-channel, 2-output conv's 4-frame passes (nano's second layer array), one per tap-stride set (ring
 * 2, block input 4): `tools/m7_sched.py conv2x4_224` (both ring taps), `conv2x4_244` (tap 0 in the ring),
 * `conv2x4_444` (all in the block input). 71 cycles per 4 frames in the cycle model, against 2 x 44 for the
 * 2-frame pass in place; the same loads and fmaf chains. Operands: see M7_CONV2_QUADS. */
#define M7_CONV2X4_224 \
    "add %[tmp], %[cc], %[cs]\n" \
    "vldr s4, [%[mp], #0]\n" \
    "vldr s1, [%[tmp]]\n" \
    "vldr s5, [%[mp], #4]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s0, [%[cc]]\n" \
    "vldr s2, [%[tmp]]\n" \
    "vldr s16, [%[b], #0]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s17, [%[b], #4]\n" \
    "vldr s3, [%[tmp]]\n" \
    "vldr s18, [%[b], #0]\n" \
    "vldr s19, [%[b], #4]\n" \
    "vldr s20, [%[b], #0]\n" \
    "vldr s21, [%[b], #4]\n" \
    "vldr s22, [%[b], #0]\n" \
    "vldr s23, [%[b], #4]\n" \
    "vfma.f32 s16, s4, s0\n" \
    "vfma.f32 s17, s5, s0\n" \
    "vldr s8, [%[p0], #0]\n" \
    "vfma.f32 s18, s4, s1\n" \
    "vldr s9, [%[p0], #8]\n" \
    "vfma.f32 s19, s5, s1\n" \
    "vldr s10, [%[p0], #16]\n" \
    "vfma.f32 s20, s4, s2\n" \
    "vldr s11, [%[p0], #24]\n" \
    "vfma.f32 s21, s5, s2\n" \
    "vldr s24, [%[w], #0]\n" \
    "vfma.f32 s22, s4, s3\n" \
    "vldr s25, [%[w], #24]\n" \
    "vfma.f32 s23, s5, s3\n" \
    "vldr s12, [%[p0], #4]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s13, [%[p0], #12]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s14, [%[p0], #20]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s15, [%[p0], #28]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vldr s26, [%[w], #4]\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s27, [%[w], #28]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vldr s8, [%[p1], #0]\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s9, [%[p1], #8]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s10, [%[p1], #16]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p1], #24]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s24, [%[w], #8]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s25, [%[w], #32]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vldr s12, [%[p1], #4]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p1], #12]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "add %[p0], %[p0], #32\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p1], #20]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #12]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p1], #28]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #36]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s8, [%[p2], #0]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "add %[p1], %[p1], #32\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s9, [%[p2], #16]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "add %[cc], %[cc], %[cs], lsl #2\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s10, [%[p2], #32]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s24, [%[w], #16]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p2], #48]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s25, [%[w], #40]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s12, [%[p2], #4]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p2], #20]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p2], #36]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #20]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p2], #52]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #44]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "add %[p2], %[p2], #64\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vstr s16, [%[a], #0]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vstr s17, [%[a], #4]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vstr s18, [%[a], #8]\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vstr s19, [%[a], #12]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vstr s20, [%[a], #16]\n" \
    "vstr s21, [%[a], #20]\n" \
    "vstr s22, [%[a], #24]\n" \
    "vstr s23, [%[a], #28]\n" \
    "add %[a], %[a], #32\n"
#define M7_CONV2X4_244 \
    "add %[tmp], %[cc], %[cs]\n" \
    "vldr s4, [%[mp], #0]\n" \
    "vldr s1, [%[tmp]]\n" \
    "vldr s5, [%[mp], #4]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s0, [%[cc]]\n" \
    "vldr s2, [%[tmp]]\n" \
    "vldr s16, [%[b], #0]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s17, [%[b], #4]\n" \
    "vldr s3, [%[tmp]]\n" \
    "vldr s18, [%[b], #0]\n" \
    "vldr s19, [%[b], #4]\n" \
    "vldr s20, [%[b], #0]\n" \
    "vldr s21, [%[b], #4]\n" \
    "vldr s22, [%[b], #0]\n" \
    "vldr s23, [%[b], #4]\n" \
    "vfma.f32 s16, s4, s0\n" \
    "vfma.f32 s17, s5, s0\n" \
    "vldr s8, [%[p0], #0]\n" \
    "vfma.f32 s18, s4, s1\n" \
    "vldr s9, [%[p0], #8]\n" \
    "vfma.f32 s19, s5, s1\n" \
    "vldr s10, [%[p0], #16]\n" \
    "vfma.f32 s20, s4, s2\n" \
    "vldr s11, [%[p0], #24]\n" \
    "vfma.f32 s21, s5, s2\n" \
    "vldr s24, [%[w], #0]\n" \
    "vfma.f32 s22, s4, s3\n" \
    "vldr s25, [%[w], #24]\n" \
    "vfma.f32 s23, s5, s3\n" \
    "vldr s12, [%[p0], #4]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s13, [%[p0], #12]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s14, [%[p0], #20]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s15, [%[p0], #28]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vldr s26, [%[w], #4]\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s27, [%[w], #28]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vldr s8, [%[p1], #0]\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s9, [%[p1], #16]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s10, [%[p1], #32]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p1], #48]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s24, [%[w], #8]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s25, [%[w], #32]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vldr s12, [%[p1], #4]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p1], #20]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "add %[p0], %[p0], #32\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p1], #36]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #12]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p1], #52]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #36]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s8, [%[p2], #0]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "add %[p1], %[p1], #64\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s9, [%[p2], #16]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "add %[cc], %[cc], %[cs], lsl #2\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s10, [%[p2], #32]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s24, [%[w], #16]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p2], #48]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s25, [%[w], #40]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s12, [%[p2], #4]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p2], #20]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p2], #36]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #20]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p2], #52]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #44]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "add %[p2], %[p2], #64\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vstr s16, [%[a], #0]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vstr s17, [%[a], #4]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vstr s18, [%[a], #8]\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vstr s19, [%[a], #12]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vstr s20, [%[a], #16]\n" \
    "vstr s21, [%[a], #20]\n" \
    "vstr s22, [%[a], #24]\n" \
    "vstr s23, [%[a], #28]\n" \
    "add %[a], %[a], #32\n"
#define M7_CONV2X4_444 \
    "add %[tmp], %[cc], %[cs]\n" \
    "vldr s4, [%[mp], #0]\n" \
    "vldr s1, [%[tmp]]\n" \
    "vldr s5, [%[mp], #4]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s0, [%[cc]]\n" \
    "vldr s2, [%[tmp]]\n" \
    "vldr s16, [%[b], #0]\n" \
    "add %[tmp], %[tmp], %[cs]\n" \
    "vldr s17, [%[b], #4]\n" \
    "vldr s3, [%[tmp]]\n" \
    "vldr s18, [%[b], #0]\n" \
    "vldr s19, [%[b], #4]\n" \
    "vldr s20, [%[b], #0]\n" \
    "vldr s21, [%[b], #4]\n" \
    "vldr s22, [%[b], #0]\n" \
    "vldr s23, [%[b], #4]\n" \
    "vfma.f32 s16, s4, s0\n" \
    "vfma.f32 s17, s5, s0\n" \
    "vldr s8, [%[p0], #0]\n" \
    "vfma.f32 s18, s4, s1\n" \
    "vldr s9, [%[p0], #16]\n" \
    "vfma.f32 s19, s5, s1\n" \
    "vldr s10, [%[p0], #32]\n" \
    "vfma.f32 s20, s4, s2\n" \
    "vldr s11, [%[p0], #48]\n" \
    "vfma.f32 s21, s5, s2\n" \
    "vldr s24, [%[w], #0]\n" \
    "vfma.f32 s22, s4, s3\n" \
    "vldr s25, [%[w], #24]\n" \
    "vfma.f32 s23, s5, s3\n" \
    "vldr s12, [%[p0], #4]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s13, [%[p0], #20]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s14, [%[p0], #36]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s15, [%[p0], #52]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vldr s26, [%[w], #4]\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s27, [%[w], #28]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vldr s8, [%[p1], #0]\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s9, [%[p1], #16]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s10, [%[p1], #32]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p1], #48]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s24, [%[w], #8]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s25, [%[w], #32]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vldr s12, [%[p1], #4]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p1], #20]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "add %[p0], %[p0], #64\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p1], #36]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #12]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p1], #52]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #36]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "vldr s8, [%[p2], #0]\n" \
    "vfma.f32 s19, s25, s9\n" \
    "add %[p1], %[p1], #64\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vldr s9, [%[p2], #16]\n" \
    "vfma.f32 s21, s25, s10\n" \
    "add %[cc], %[cc], %[cs], lsl #2\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vldr s10, [%[p2], #32]\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vldr s24, [%[w], #16]\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vldr s11, [%[p2], #48]\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vldr s25, [%[w], #40]\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vldr s12, [%[p2], #4]\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vldr s13, [%[p2], #20]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vldr s14, [%[p2], #36]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vldr s26, [%[w], #20]\n" \
    "vfma.f32 s16, s24, s8\n" \
    "vldr s15, [%[p2], #52]\n" \
    "vfma.f32 s17, s25, s8\n" \
    "vldr s27, [%[w], #44]\n" \
    "vfma.f32 s18, s24, s9\n" \
    "add %[p2], %[p2], #64\n" \
    "vfma.f32 s19, s25, s9\n" \
    "vfma.f32 s20, s24, s10\n" \
    "vfma.f32 s21, s25, s10\n" \
    "vfma.f32 s22, s24, s11\n" \
    "vfma.f32 s23, s25, s11\n" \
    "vfma.f32 s16, s26, s12\n" \
    "vfma.f32 s17, s27, s12\n" \
    "vfma.f32 s18, s26, s13\n" \
    "vfma.f32 s19, s27, s13\n" \
    "vstr s16, [%[a], #0]\n" \
    "vfma.f32 s20, s26, s14\n" \
    "vstr s17, [%[a], #4]\n" \
    "vfma.f32 s21, s27, s14\n" \
    "vstr s18, [%[a], #8]\n" \
    "vfma.f32 s22, s26, s15\n" \
    "vstr s19, [%[a], #12]\n" \
    "vfma.f32 s23, s27, s15\n" \
    "vstr s20, [%[a], #16]\n" \
    "vstr s21, [%[a], #20]\n" \
    "vstr s22, [%[a], #24]\n" \
    "vstr s23, [%[a], #28]\n" \
    "add %[a], %[a], #32\n"
#endif

/* ------------------------------------------------------------------------------------- mixer */

/* The mixer with one conditioning channel (NAM: the audio; gated: a single knob), G outputs (2 or 4, dividing cp) by two frames per
 * pass: the 2 * G VFMAs are independent, biases and weights stay in registers. Inlined per G. */
static inline __attribute__((always_inline)) void mix1_block(float *a, size_t cp, size_t n, const float *b,
                                                             const float *mix_w, m7_view_f32_t cond,
                                                             size_t g_)
{
    const size_t g = g_;
    for (size_t o0 = 0; o0 < cp; o0 += g) {
        float br[4], mr[4];
#pragma GCC unroll 4
        for (size_t u = 0; u < g; u++) {
            br[u] = b ? b[o0 + u] : 0.0f;
            mr[u] = mix_w[o0 + u];
        }
        const float *c = cond.p;
        float *y = a + o0;
        size_t i = 0;
        for (; i + 2u <= n; i += 2u, c += 2u * cond.stride, y += 2u * cp) {
            const float c0 = c[0], c1 = c[cond.stride];
#pragma GCC unroll 4
            for (size_t u = 0; u < g; u++) {
                y[u] = fmaf(mr[u], c0, br[u]);
                y[cp + u] = fmaf(mr[u], c1, br[u]);
            }
        }
        if (i < n) {
#pragma GCC unroll 4
            for (size_t u = 0; u < g; u++) {
                y[u] = fmaf(mr[u], c[0], br[u]);
            }
        }
    }
}

/* a[i][o] = b[o] + sum_c mix_w[o][c] * cond[i][c] (b or mix_w may be NULL: 0) for i < n, o < cp. The
 * presets' layers have it fused into the conv (conv3_block), so this one stays in flash. */
static __attribute__((noinline)) void m7_mix_f32(float *a, size_t cp, size_t n, const float *b, const float *mix_w,
                               m7_view_f32_t cond, size_t cond_ch)
{
    if (M7E_SPECIALISED && mix_w && cond_ch == 1u && cp % 4u == 0u) {
        mix1_block(a, cp, n, b, mix_w, cond, 4u);
        return;
    }
    if (M7E_SPECIALISED && mix_w && cond_ch == 1u && cp % 2u == 0u) {
        mix1_block(a, cp, n, b, mix_w, cond, 2u);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *c = cond.p + i * cond.stride;
        for (size_t o = 0; o < cp; o++) {
            float acc = b ? b[o] : 0.0f;
            if (mix_w) {
                for (size_t k = 0; k < cond_ch; k++) {
                    acc = fmaf(mix_w[o * cond_ch + k], c[k], acc);
                }
            }
            a[i * cp + o] = acc;
        }
    }
}

/* ------------------------------------------------------------------------------- dilated conv */

/* One run of m frames over which every tap's input is contiguous: tap j of frame i is p[j] + i * st[j]. */
typedef struct {
    size_t m;
    const float *p[3];
    size_t st[3];
} conv_run_t;

/* A kernel-3 block has at most 5 runs: the breakpoints are where taps 0 and 1 leave the ring (2) and
 * where their ring reads wrap (2). */
#define CONV3_MAX_RUNS 5u

/* acc[f][u] += sum_c w[u * kc + c] * x_f[c] for frames f = 0, 1 (inputs p, q) and OUTS outputs:
 * 2 * OUTS independent VFMA chains; each input is loaded once, each weight once per frame pair. */
static inline __attribute__((always_inline)) void tap_2xo(float acc[2][4], const float *w, size_t kc,
                                                          const float *p, const float *q, size_t cin,
                                                          size_t outs)
{
#pragma GCC unroll 8
    for (size_t c = 0; c < cin; c++) {
        const float x0 = p[c], x1 = q[c];
#pragma GCC unroll 4
        for (size_t u = 0; u < outs; u++) {
            const float wv = w[u * kc + c];
            acc[0][u] = fmaf(wv, x0, acc[0][u]);
            acc[1][u] = fmaf(wv, x1, acc[1][u]);
        }
    }
}

/* acc[f][u] += sum_c w[u * kc + c] * x[f * cin + c] for four consecutive dense frames f (stride cin, a
 * compile-time constant) and four outputs: 16 independent chains; each input and each weight is loaded
 * once per pass of four frames, so the loads (8 per 16 VFMAs) hide beside the VFMAs. */
static inline __attribute__((always_inline)) void tap_4x4(float acc[4][4], const float *w, size_t kc,
                                                          const float *x, size_t cin)
{
#pragma GCC unroll 8
    for (size_t c = 0; c < cin; c++) {
        const float x0 = x[c], x1 = x[cin + c], x2 = x[2u * cin + c], x3 = x[3u * cin + c];
#pragma GCC unroll 4
        for (size_t u = 0; u < 4u; u++) {
            const float wv = w[u * kc + c];
            acc[0][u] = fmaf(wv, x0, acc[0][u]);
            acc[1][u] = fmaf(wv, x1, acc[1][u]);
            acc[2][u] = fmaf(wv, x2, acc[2][u]);
            acc[3][u] = fmaf(wv, x3, acc[3][u]);
        }
    }
}

/* acc += sum_c w[c] * x[c], one chain (an odd run's last frame, in the same order as tap_2xo). */
static inline __attribute__((always_inline)) float tap_1(float acc, const float *w, const float *x, size_t cin)
{
#pragma GCC unroll 8
    for (size_t c = 0; c < cin; c++) {
        acc = fmaf(w[c], x[c], acc);
    }
    return acc;
}

/* The mixer with one conditioning channel and a bias, fused into the conv (see conv3_block). */
typedef struct {
    const float *b, *mix_w, *cond;
    size_t stride;
} conv_mix_t;

/*
 * The kernel-3 conv over a block cut in runs: a[i][o] += sum_j sum_c w[o][j][c] * x_j[i][c].
 * OUTS (2 or 4, dividing cp) outputs by two frames per pass: 2 * OUTS accumulators hide the VFMA
 * latency, and the loads (each input once per pass, each weight once per frame pair) pair with the
 * VFMAs. With mix (a compile-time choice), the accumulators start from the one-channel mixer,
 * fmaf(mix_w[o], cond[i], b[o]) (what m7_mix_f32 would have stored in a), instead of loading a: a is
 * only written. Inlined into one function per (CIN, OUTS, mix).
 */
static inline __attribute__((always_inline)) void conv3_block(float *a, size_t cp, const conv_run_t *runs,
                                                              size_t nruns, const float *w, size_t cin_,
                                                              size_t outs_, const conv_mix_t *mix)
{
    const size_t cin = cin_, outs = outs_, kc = 3u * cin; /* constants after inlining */
    for (size_t o = 0; o < cp; o += outs) {
        /* the biases are loaded per pass (a load pairs with a VFMA; a register copy would take the FP pipe) */
        float mr[4];
        const float *br = NULL, *cc = NULL;
        size_t cs = 0;
        if (mix) {
#pragma GCC unroll 4
            for (size_t u = 0; u < outs; u++) {
                mr[u] = mix->mix_w[o + u];
            }
            br = mix->b + o;
            cc = mix->cond;
            cs = mix->stride;
        }
        /* up to 12 weights (2 outputs of 2 channels) are copied to registers; more are streamed */
        float wreg[12];
        const float *wo = w + o * kc;
        if (outs * kc <= 12u) {
#pragma GCC unroll 12
            for (size_t q = 0; q < outs * kc; q++) {
                wreg[q] = wo[q];
            }
            wo = wreg;
        }
        float *ar = a + o;
#if M7_CONV_ASM
        const float *mp = mix ? mix->mix_w + o : NULL;
        const size_t cs4 = cs * sizeof(float);
#endif
        for (size_t r = 0; r < nruns; r++) {
            const conv_run_t *run = &runs[r];
            const size_t s0 = run->st[0], s1 = run->st[1], s2 = run->st[2];
            const float *p0 = run->p[0], *p1 = run->p[1], *p2 = run->p[2];
            size_t i = 0;
            /* NAM (cp = cin) with 4 outputs, every tap dense (the ring's stride is cin; the block input's
             * when x has exactly cin channels): four frames per pass, all offsets compile-time */
            if (mix && outs == 4u && cp == cin && cin >= 4u && s0 == cin && s1 == cin && s2 == cin) {
#if M7_CONV_ASM
                if (cin == 4u && i + 4u <= run->m) { /* the same passes, scheduled for the M7, in an asm loop */
                    uint32_t tmp, cnt = (uint32_t)((run->m - i) / 4u);
                    i += 4u * cnt;
                    __asm__ volatile(
                        "1:\n"
                        "add %[tmp], %[cc], %[cs]\n"
                        "vldr s4, [%[mp], #0]\n"
                        "vldr s1, [%[tmp]]\n"
                        "vldr s5, [%[mp], #4]\n"
                        "add %[tmp], %[tmp], %[cs]\n"
                        "vldr s6, [%[mp], #8]\n"
                        "vldr s2, [%[tmp]]\n"
                        "vldr s7, [%[mp], #12]\n"
                        "add %[tmp], %[tmp], %[cs]\n"
                        "vldr s0, [%[cc]]\n"
                        "vldr s3, [%[tmp]]\n"
                        "vldr s16, [%[bp], #0]\n"
                        "vldr s17, [%[bp], #4]\n"
                        "vldr s18, [%[bp], #8]\n"
                        "vldr s19, [%[bp], #12]\n"
                        "vldr s20, [%[bp], #0]\n"
                        "vldr s21, [%[bp], #4]\n"
                        "vldr s22, [%[bp], #8]\n"
                        "vldr s23, [%[bp], #12]\n"
                        "vldr s24, [%[bp], #0]\n"
                        "vldr s25, [%[bp], #4]\n"
                        "vldr s26, [%[bp], #8]\n"
                        "vldr s27, [%[bp], #12]\n"
                        "vldr s28, [%[bp], #0]\n"
                        "vldr s29, [%[bp], #4]\n"
                        "vldr s30, [%[bp], #8]\n"
                        "vldr s31, [%[bp], #12]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s8, [%[p0], #0]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vldr s9, [%[p0], #16]\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vldr s10, [%[p0], #32]\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s11, [%[p0], #48]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vldr s12, [%[wp], #0]\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vldr s13, [%[wp], #48]\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vldr s14, [%[wp], #96]\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s15, [%[wp], #144]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vldr s0, [%[p0], #4]\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vldr s1, [%[p0], #20]\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p0], #36]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #4]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #52]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #100]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p0], #52]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #148]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vldr s8, [%[p0], #8]\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vldr s9, [%[p0], #24]\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vldr s10, [%[p0], #40]\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vldr s12, [%[wp], #8]\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vldr s13, [%[wp], #56]\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vldr s14, [%[wp], #104]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vldr s11, [%[p0], #56]\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s15, [%[wp], #152]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s0, [%[p0], #12]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s1, [%[p0], #28]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p0], #44]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #12]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #60]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #108]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p0], #60]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #156]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vldr s8, [%[p1], #0]\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vldr s9, [%[p1], #16]\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vldr s10, [%[p1], #32]\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vldr s12, [%[wp], #16]\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vldr s13, [%[wp], #64]\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vldr s14, [%[wp], #112]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vldr s11, [%[p1], #48]\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s15, [%[wp], #160]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s0, [%[p1], #4]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s1, [%[p1], #20]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p1], #36]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #20]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #68]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #116]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p1], #52]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #164]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vldr s8, [%[p1], #8]\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vldr s9, [%[p1], #24]\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vldr s10, [%[p1], #40]\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vldr s12, [%[wp], #24]\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vldr s13, [%[wp], #72]\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vldr s14, [%[wp], #120]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vldr s11, [%[p1], #56]\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s15, [%[wp], #168]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s0, [%[p1], #12]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s1, [%[p1], #28]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p1], #44]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #28]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #76]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #124]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p1], #60]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #172]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vldr s8, [%[p2], #0]\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vldr s9, [%[p2], #16]\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vldr s10, [%[p2], #32]\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vldr s12, [%[wp], #32]\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vldr s13, [%[wp], #80]\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vldr s14, [%[wp], #128]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vldr s11, [%[p2], #48]\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s15, [%[wp], #176]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s0, [%[p2], #4]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s1, [%[p2], #20]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p2], #36]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #36]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #84]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #132]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p2], #52]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #180]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vldr s8, [%[p2], #8]\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vldr s9, [%[p2], #24]\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vldr s10, [%[p2], #40]\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vldr s12, [%[wp], #40]\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vldr s13, [%[wp], #88]\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vldr s14, [%[wp], #136]\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vldr s11, [%[p2], #56]\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vldr s15, [%[wp], #184]\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vldr s0, [%[p2], #12]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vldr s1, [%[p2], #28]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vldr s2, [%[p2], #44]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vldr s4, [%[wp], #44]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vldr s5, [%[wp], #92]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vldr s6, [%[wp], #140]\n"
                        "vfma.f32 s16, s12, s8\n"
                        "vldr s3, [%[p2], #60]\n"
                        "vfma.f32 s17, s13, s8\n"
                        "vldr s7, [%[wp], #188]\n"
                        "vfma.f32 s18, s14, s8\n"
                        "vfma.f32 s19, s15, s8\n"
                        "vfma.f32 s20, s12, s9\n"
                        "vfma.f32 s21, s13, s9\n"
                        "vfma.f32 s22, s14, s9\n"
                        "vfma.f32 s23, s15, s9\n"
                        "vfma.f32 s24, s12, s10\n"
                        "vfma.f32 s25, s13, s10\n"
                        "vfma.f32 s26, s14, s10\n"
                        "vfma.f32 s27, s15, s10\n"
                        "vfma.f32 s28, s12, s11\n"
                        "vfma.f32 s29, s13, s11\n"
                        "vfma.f32 s30, s14, s11\n"
                        "vfma.f32 s31, s15, s11\n"
                        "vfma.f32 s16, s4, s0\n"
                        "vfma.f32 s17, s5, s0\n"
                        "vfma.f32 s18, s6, s0\n"
                        "vfma.f32 s19, s7, s0\n"
                        "vstr s16, [%[ar], #0]\n"
                        "vfma.f32 s20, s4, s1\n"
                        "vstr s17, [%[ar], #4]\n"
                        "vfma.f32 s21, s5, s1\n"
                        "vstr s18, [%[ar], #8]\n"
                        "vfma.f32 s22, s6, s1\n"
                        "vstr s19, [%[ar], #12]\n"
                        "vfma.f32 s23, s7, s1\n"
                        "vstr s20, [%[ar], #16]\n"
                        "vfma.f32 s24, s4, s2\n"
                        "vstr s21, [%[ar], #20]\n"
                        "vfma.f32 s25, s5, s2\n"
                        "vstr s22, [%[ar], #24]\n"
                        "vfma.f32 s26, s6, s2\n"
                        "vstr s23, [%[ar], #28]\n"
                        "vfma.f32 s27, s7, s2\n"
                        "vstr s24, [%[ar], #32]\n"
                        "vfma.f32 s28, s4, s3\n"
                        "vstr s25, [%[ar], #36]\n"
                        "vfma.f32 s29, s5, s3\n"
                        "vstr s26, [%[ar], #40]\n"
                        "vfma.f32 s30, s6, s3\n"
                        "vstr s27, [%[ar], #44]\n"
                        "vfma.f32 s31, s7, s3\n"
                        "vstr s28, [%[ar], #48]\n"
                        "vstr s29, [%[ar], #52]\n"
                        "vstr s30, [%[ar], #56]\n"
                        "vstr s31, [%[ar], #60]\n"
                        "add %[p0], %[p0], #64\n"
                        "add %[p1], %[p1], #64\n"
                        "add %[p2], %[p2], #64\n"
                        "add %[ar], %[ar], #64\n"
                        "add %[cc], %[cc], %[cs], lsl #2\n"
                        "subs %[cnt], %[cnt], #1\n"
                        "bne 1b\n"
                        : [tmp] "=&r"(tmp), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2), [cc] "+r"(cc),
                          [ar] "+r"(ar), [cnt] "+r"(cnt)
                        : [wp] "r"(wo), [bp] "r"(br), [mp] "r"(mp), [cs] "r"(cs4)
                        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13",
                          "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25",
                          "s26", "s27", "s28", "s29", "s30", "s31", "cc", "memory");
                    (void)tmp;
                }
#endif
                for (; i + 4u <= run->m; i += 4u) {
                    float acc[4][4];
#pragma GCC unroll 4
                    for (size_t f = 0; f < 4u; f++) {
                        const float cf = cc[f * cs];
#pragma GCC unroll 4
                        for (size_t u = 0; u < 4u; u++) {
                            acc[f][u] = fmaf(mr[u], cf, br[u]);
                        }
                    }
                    cc += 4u * cs;
                    tap_4x4(acc, wo, kc, p0, cin);
                    tap_4x4(acc, wo + cin, kc, p1, cin);
                    tap_4x4(acc, wo + 2u * cin, kc, p2, cin);
#pragma GCC unroll 4
                    for (size_t f = 0; f < 4u; f++) {
#pragma GCC unroll 4
                        for (size_t u = 0; u < 4u; u++) {
                            ar[f * cin + u] = acc[f][u];
                        }
                    }
                    ar += 4u * cin;
                    p0 += 4u * cin, p1 += 4u * cin, p2 += 4u * cin;
                }
            }
#if M7_CONV_ASM
            /* nano's 2-channel layers, two frames per pass: F1 (F1W) = the byte offset of the second frame's
             * first (second) value in taps 0 and 1: 8 (12) in the ring (stride 2), 16 (20) in the block input
             * (stride 4, the 4-wide X); tap 2 always reads the block input */
#define M7_CONV2_PAIRS(F1, F1W) \
                for (; i + 2u <= run->m; i += 2u) {                                                           \
                    register float m0 __asm__("s12") = mr[0];                                                 \
                    register float m1 __asm__("s13") = mr[1];                                                 \
                    register float k0 __asm__("s14") = cc[0];                                                 \
                    register float k1 __asm__("s15") = cc[cs];                                                \
                    __asm__ volatile(                                                                         \
                        "vldr s16, [%[b], #0]\n"                                                              \
                        "vldr s17, [%[b], #4]\n"                                                              \
                        "vldr s18, [%[b], #0]\n"                                                              \
                        "vldr s19, [%[b], #4]\n"                                                              \
                        "vfma.f32 s16, s12, s14\n"                                                            \
                        "vldr s0, [%[p0], #0]\n"                                                              \
                        "vfma.f32 s17, s13, s14\n"                                                            \
                        "vldr s1, [%[p0], #" #F1 "]\n"                                                        \
                        "vfma.f32 s18, s12, s15\n"                                                            \
                        "vldr s20, [%[w], #0]\n"                                                              \
                        "vfma.f32 s19, s13, s15\n"                                                            \
                        "vldr s21, [%[w], #24]\n"                                                             \
                        "vfma.f32 s16, s20, s0\n"                                                             \
                        "vldr s2, [%[p0], #4]\n"                                                              \
                        "vfma.f32 s17, s21, s0\n"                                                             \
                        "vldr s3, [%[p0], #" #F1W "]\n"                                                       \
                        "vfma.f32 s18, s20, s1\n"                                                             \
                        "vldr s22, [%[w], #4]\n"                                                              \
                        "vfma.f32 s19, s21, s1\n"                                                             \
                        "vldr s23, [%[w], #28]\n"                                                             \
                        "vfma.f32 s16, s22, s2\n"                                                             \
                        "vldr s4, [%[p1], #0]\n"                                                              \
                        "vfma.f32 s17, s23, s2\n"                                                             \
                        "vldr s5, [%[p1], #" #F1 "]\n"                                                        \
                        "vfma.f32 s18, s22, s3\n"                                                             \
                        "vldr s24, [%[w], #8]\n"                                                              \
                        "vfma.f32 s19, s23, s3\n"                                                             \
                        "vldr s25, [%[w], #32]\n"                                                             \
                        "vfma.f32 s16, s24, s4\n"                                                             \
                        "vldr s6, [%[p1], #4]\n"                                                              \
                        "vfma.f32 s17, s25, s4\n"                                                             \
                        "vldr s7, [%[p1], #" #F1W "]\n"                                                       \
                        "vfma.f32 s18, s24, s5\n"                                                             \
                        "vldr s26, [%[w], #12]\n"                                                             \
                        "vfma.f32 s19, s25, s5\n"                                                             \
                        "vldr s27, [%[w], #36]\n"                                                             \
                        "vfma.f32 s16, s26, s6\n"                                                             \
                        "vldr s8, [%[p2], #0]\n"                                                              \
                        "vfma.f32 s17, s27, s6\n"                                                             \
                        "vldr s9, [%[p2], #16]\n"                                                             \
                        "vfma.f32 s18, s26, s7\n"                                                             \
                        "vldr s28, [%[w], #16]\n"                                                             \
                        "vfma.f32 s19, s27, s7\n"                                                             \
                        "vldr s29, [%[w], #40]\n"                                                             \
                        "vfma.f32 s16, s28, s8\n"                                                             \
                        "vldr s10, [%[p2], #4]\n"                                                             \
                        "vfma.f32 s17, s29, s8\n"                                                             \
                        "vldr s11, [%[p2], #20]\n"                                                            \
                        "vfma.f32 s18, s28, s9\n"                                                             \
                        "vldr s30, [%[w], #20]\n"                                                             \
                        "vfma.f32 s19, s29, s9\n"                                                             \
                        "vldr s31, [%[w], #44]\n"                                                             \
                        "vfma.f32 s16, s30, s10\n"                                                            \
                        "vfma.f32 s17, s31, s10\n"                                                            \
                        "vfma.f32 s18, s30, s11\n"                                                            \
                        "vfma.f32 s19, s31, s11\n"                                                            \
                        "vstr s16, [%[a], #0]\n"                                                              \
                        "vstr s17, [%[a], #4]\n"                                                              \
                        "vstr s18, [%[a], #8]\n"                                                              \
                        "vstr s19, [%[a], #12]\n"                                                             \
                        :                                                                                     \
                        : [p0] "r"(p0), [p1] "r"(p1), [p2] "r"(p2), [w] "r"(wo), [b] "r"(br), [a] "r"(ar),    \
                          "t"(m0), "t"(m1), "t"(k0), "t"(k1)                                                  \
                        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s16",    \
                          "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "s28", \
                          "s29", "s30", "s31", "memory");                                                     \
                    cc += 2u * cs;                                                                            \
                    ar += 2u * cp;                                                                            \
                    p0 += 2u * s0, p1 += 2u * s1, p2 += 2u * s2;                                              \
                }
            /* four frames per pass first (the run's quads in one asm loop), then the pairs above */
#define M7_CONV2_QUADS(LISTING)                                                                               \
                if (i + 4u <= run->m) {                                                                       \
                    uint32_t tmp, cnt = (uint32_t)((run->m - i) / 4u);                                        \
                    i += 4u * cnt;                                                                            \
                    __asm__ volatile("1:\n" LISTING "subs %[cnt], %[cnt], #1\n"                               \
                                     "bne 1b\n"                                                               \
                                     : [tmp] "=&r"(tmp), [p0] "+r"(p0), [p1] "+r"(p1), [p2] "+r"(p2),         \
                                       [cc] "+r"(cc), [a] "+r"(ar), [cnt] "+r"(cnt)                           \
                                     : [w] "r"(wo), [b] "r"(br), [mp] "r"(mp), [cs] "r"(cs4)                  \
                                     : "s0", "s1", "s2", "s3", "s4", "s5", "s8", "s9", "s10", "s11", "s12",   \
                                       "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22",  \
                                       "s23", "s24", "s25", "s26", "s27", "cc", "memory");                    \
                    (void)tmp;                                                                                \
                }
            if (cin == 2u && outs == 2u && cp == 2u && mix && s2 == 4u && s1 == s0 && s0 == 2u) {
                M7_CONV2_QUADS(M7_CONV2X4_224);
                M7_CONV2_PAIRS(8, 12);
            } else if (cin == 2u && outs == 2u && cp == 2u && mix && s2 == 4u && s1 == 4u && s0 == 2u) {
                M7_CONV2_QUADS(M7_CONV2X4_244);
            } else if (cin == 2u && outs == 2u && cp == 2u && mix && s2 == 4u && s1 == 4u && s0 == 4u) {
                M7_CONV2_QUADS(M7_CONV2X4_444);
                M7_CONV2_PAIRS(16, 20);
            }
#undef M7_CONV2_QUADS
#undef M7_CONV2_PAIRS
#endif
            const float *q0 = p0 + s0, *q1 = p1 + s1, *q2 = p2 + s2; /* the next frame's */
            for (; i + 2u <= run->m; i += 2u) {
                float acc[2][4];
                if (mix) {
                    const float c0 = cc[0], c1 = cc[cs];
                    cc += 2u * cs;
#pragma GCC unroll 4
                    for (size_t u = 0; u < outs; u++) {
                        acc[0][u] = fmaf(mr[u], c0, br[u]);
                        acc[1][u] = fmaf(mr[u], c1, br[u]);
                    }
                } else {
#pragma GCC unroll 4
                    for (size_t u = 0; u < outs; u++) {
                        acc[0][u] = ar[u];
                        acc[1][u] = ar[cp + u];
                    }
                }
                tap_2xo(acc, wo, kc, p0, q0, cin, outs);
                tap_2xo(acc, wo + cin, kc, p1, q1, cin, outs);
                tap_2xo(acc, wo + 2u * cin, kc, p2, q2, cin, outs);
#pragma GCC unroll 4
                for (size_t u = 0; u < outs; u++) {
                    ar[u] = acc[0][u];
                    ar[cp + u] = acc[1][u];
                }
                ar += 2u * cp;
                p0 += 2u * s0, p1 += 2u * s1, p2 += 2u * s2;
                q0 += 2u * s0, q1 += 2u * s1, q2 += 2u * s2;
            }
            if (i < run->m) { /* an odd run's last frame: the same chains */
                for (size_t u = 0; u < outs; u++) {
                    const float *wu = wo + u * kc;
                    const float a0 = mix ? fmaf(mr[u], cc[0], br[u]) : ar[u];
                    ar[u] = tap_1(tap_1(tap_1(a0, wu, p0, cin), wu + cin, p1, cin), wu + 2u * cin, p2, cin);
                }
                ar += cp;
                cc += cs;
            }
        }
    }
}

/* One instance per (channels, outputs per pass), with the mixer fused (every NAM preset). PLACE: M7E_HOT
 * (ITCM), or plain noinline (flash) for c2_o4, which only gated layers of 2 channels reach: ITCM is full. */
#define M7_CONV3(CIN, OUTS, PLACE)                                                                     \
    PLACE static void m7_conv3_c##CIN##_o##OUTS##_f32(float *a, size_t cp, const conv_run_t *runs,    \
                                                      size_t nruns, const float *w, const conv_mix_t *mix) \
    {                                                                                                  \
        conv3_block(a, cp, runs, nruns, w, CIN##u, OUTS##u, mix);                                      \
    }
M7_CONV3(2, 2, M7E_HOT)
M7_CONV3(2, 4, __attribute__((noinline)))
M7_CONV3(4, 4, M7E_HOT)
M7_CONV3(8, 4, __attribute__((noinline)))
#undef M7_CONV3

/* Other channel counts (e.g. 6, 12, 16), or a mixer that is not one channel (then a holds it and mix is
 * NULL): the same blocking with a run-time channel loop. These stay in flash: with their unrolled
 * channel loops they would not fit in ITCM beside the rest.
 * The two calls differ only in mix: the literal NULL lets the always-inline conv3_block drop the mixer
 * code from the no-mixer copy. */
static __attribute__((noinline)) void m7_conv3_cn_o4_f32(float *a, size_t cp, const conv_run_t *runs,
                                                         size_t nruns, const float *w, size_t cin,
                                                         const conv_mix_t *mix)
{
    if (mix) {
        conv3_block(a, cp, runs, nruns, w, cin, 4u, mix);
    } else {
        conv3_block(a, cp, runs, nruns, w, cin, 4u, NULL);
    }
}

static __attribute__((noinline)) void m7_conv3_cn_o2_f32(float *a, size_t cp, const conv_run_t *runs,
                                                         size_t nruns, const float *w, size_t cin,
                                                         const conv_mix_t *mix)
{
    if (mix) {
        conv3_block(a, cp, runs, nruns, w, cin, 2u, mix);
    } else {
        conv3_block(a, cp, runs, nruns, w, cin, 2u, NULL);
    }
}

/* Any kernel and channel count: one tap over one run, the same per-value fmaf order as conv3_block.
 * In flash (no preset layer uses it). */
static __attribute__((noinline)) void m7_conv_any_f32(float *a, size_t cp, size_t m, const float *src, size_t st,
                                    const float *wj, size_t ws, size_t cin)
{
    for (size_t i = 0; i < m; i++) {
        const float *x = src + i * st;
        for (size_t o = 0; o < cp; o++) {
            const float *wo = wj + o * ws;
            float acc = a[i * cp + o];
            for (size_t c = 0; c < cin; c++) {
                acc = fmaf(wo[c], x[c], acc);
            }
            a[i * cp + o] = acc;
        }
    }
}

/* Where tap j (delay D) reads frame i0 of the block: its pointer, stride, and how many frames from i0
 * stay contiguous (up to the ring's end, or the switch from the ring to the block input). */
typedef struct {
    const float *p;
    size_t stride, run;
} tap_src_t;

static tap_src_t tap_source(size_t i0, size_t delay, size_t pos, size_t s, const float *ring, size_t cin,
                            m7_view_f32_t x)
{
    tap_src_t r;
    if (i0 >= delay) {
        r.p = x.p + (i0 - delay) * x.stride;
        r.stride = x.stride;
        r.run = SIZE_MAX;
    } else {
        size_t slot = pos + i0 + (s - delay); /* < 2s, as pos < s, i0 < delay and delay <= s */
        slot = slot >= s ? slot - s : slot;
        r.p = ring + slot * cin;
        r.stride = cin;
        r.run = (s - slot) < (delay - i0) ? (s - slot) : (delay - i0);
    }
    return r;
}

/* The runs of a kernel-3 conv (delays 2d = s, d and 0): tap_source for the three taps with the delays
 * known, the same runs (pointers, strides, lengths) in fewer instructions. Returns their count. */
static size_t conv3_runs(conv_run_t *runs, size_t n, size_t d, size_t pos, const float *ring, size_t cin,
                         m7_view_f32_t x)
{
    const size_t s = 2u * d, xs = x.stride;
    size_t nr = 0;
    for (size_t i0 = 0; i0 < n; nr++) {
        conv_run_t *run = &runs[nr];
        size_t m = n - i0;
        if (i0 >= s) {
            run->p[0] = x.p + (i0 - s) * xs;
            run->st[0] = xs;
        } else { /* ring slot pos + i0 (mod s), up to the ring's end or frame s */
            size_t slot = pos + i0;
            slot = slot >= s ? slot - s : slot;
            run->p[0] = ring + slot * cin;
            run->st[0] = cin;
            const size_t lim = (s - slot) < (s - i0) ? (s - slot) : (s - i0);
            m = lim < m ? lim : m;
        }
        if (i0 >= d) {
            run->p[1] = x.p + (i0 - d) * xs;
            run->st[1] = xs;
        } else { /* ring slot pos + i0 + d (mod s), up to the ring's end or frame d */
            size_t slot = pos + i0 + d;
            slot = slot >= s ? slot - s : slot;
            run->p[1] = ring + slot * cin;
            run->st[1] = cin;
            const size_t lim = (s - slot) < (d - i0) ? (s - slot) : (d - i0);
            m = lim < m ? lim : m;
        }
        run->p[2] = x.p + i0 * xs;
        run->st[2] = xs;
        run->m = m;
        i0 += m;
    }
    return nr;
}

/* a = mixer + conv_d(x) over the block's n frames (the conv cut into runs where every tap's input is
 * contiguous). The kernel-3 convs start from a one-channel mixer themselves; else m7_mix_f32 fills a. */
M7E_HOT static void m7_conv_f32(float *a, size_t cp, size_t n, const m7_op_f32_t *op, const m7_view_f32_t *xp,
                                const float *ring, size_t pos, const m7_view_f32_t *condp)
{
    const m7_view_f32_t x = *xp, cond = *condp;
    const m7_op_geom_t *g = &op->g;
    const size_t cin = g->in_ch, k = g->kernel, d = g->dilation, s = (k - 1u) * d;
    const int fuse = M7E_SPECIALISED && k == 3u && cp % 2u == 0u && op->b && op->mix_w && g->cond_ch == 1u;
    const conv_mix_t mix = {op->b, op->mix_w, cond.p, cond.stride};
    if (!fuse) {
        m7_mix_f32(a, cp, n, op->b, op->mix_w, cond, op->mix_w ? g->cond_ch : 0u);
    }
    /* kernel 3 with an even cp (layers have cp = C = cin, NAM, or 2C, gated): 4 outputs per pass when
     * cp allows, else 2; compile-time channel loops for 2, 4 and 8 channels */
    if (M7E_SPECIALISED && k == 3u && cp % 2u == 0u) {
        conv_run_t runs[CONV3_MAX_RUNS];
        const size_t nruns = conv3_runs(runs, n, d, pos, ring, cin, x);
        const int o4 = cp % 4u == 0u;
        if (fuse && cin == 2u) {
            (o4 ? m7_conv3_c2_o4_f32 : m7_conv3_c2_o2_f32)(a, cp, runs, nruns, op->w, &mix);
        } else if (fuse && cin == 4u && o4) {
            m7_conv3_c4_o4_f32(a, cp, runs, nruns, op->w, &mix);
        } else if (fuse && cin == 8u && o4) {
            m7_conv3_c8_o4_f32(a, cp, runs, nruns, op->w, &mix);
        } else {
            (o4 ? m7_conv3_cn_o4_f32 : m7_conv3_cn_o2_f32)(a, cp, runs, nruns, op->w, cin, fuse ? &mix : NULL);
        }
        return;
    }
    for (size_t i0 = 0; i0 < n;) {
        size_t m = n - i0;
        for (size_t j = 0; j < k; j++) {
            const tap_src_t t = tap_source(i0, (k - 1u - j) * d, pos, s, ring, cin, x);
            m = t.run < m ? t.run : m;
        }
        for (size_t j = 0; j < k; j++) {
            const tap_src_t t = tap_source(i0, (k - 1u - j) * d, pos, s, ring, cin, x);
            m7_conv_any_f32(a + i0 * cp, cp, m, t.p, t.stride, op->w + j * cin, k * cin, cin);
        }
        i0 += m;
    }
}

/* ------------------------------------------------------------------------ residual 1x1 (+ head) */

/*
 * dst[i][o] = (x[i][o] + res_b[o]) + sum_c res_w[o][c] * z[i][c] for o < C, and head[i][o] += z[i][o]
 * (NAM), with res_w, res_b and head all set. z: n frames of C values, dense. dst may be x: each pass
 * reads its frames fully before it writes them. Inlined per C (2, 4: weights in registers; 8: weights
 * loaded beside the VFMAs). NF frames per pass (C = 2: 4), written stage by stage (loads, x + b, the
 * VFMAs q by q, head sums, stores), so that the NF * C chains are independent and each block of the
 * loop keeps the FP pipe busy; the remaining frames take one frame per pass, in the same order per value.
 */
static inline __attribute__((always_inline)) void res_frames(float *di, size_t ds, const float *xi, size_t xs,
                                                             const float *z, float *hi, size_t hs, size_t c,
                                                             size_t nf, const float *wr, const float *br)
{
    float acc[4][8], zv[4][8], hv[4][8];
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 8
        for (size_t o = 0; o < c; o++) {
            zv[f][o] = z[f * c + o];
            acc[f][o] = xi[f * xs + o];
        }
    }
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 8
        for (size_t o = 0; o < c; o++) {
            acc[f][o] = acc[f][o] + br[o];
        }
    }
#pragma GCC unroll 8
    for (size_t q = 0; q < c; q++) {
#pragma GCC unroll 4
        for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 8
            for (size_t o = 0; o < c; o++) {
                acc[f][o] = fmaf(wr[o * c + q], zv[f][q], acc[f][o]);
            }
        }
    }
    /* the head loaded last (fewer live registers during the VFMAs) */
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 8
        for (size_t o = 0; o < c; o++) {
            hv[f][o] = hi[f * hs + o] + zv[f][o];
        }
    }
#pragma GCC unroll 4
    for (size_t f = 0; f < nf; f++) {
#pragma GCC unroll 8
        for (size_t o = 0; o < c; o++) {
            di[f * ds + o] = acc[f][o];
            hi[f * hs + o] = hv[f][o];
        }
    }
}

/* The C * C weights and C biases copied to registers (C <= 4). */
static inline __attribute__((always_inline)) void res_load_w(float *wr, float *br, const float *res_w,
                                                             const float *res_b, size_t c)
{
#pragma GCC unroll 16
    for (size_t q = 0; q < c * c; q++) {
        wr[q] = res_w[q];
    }
#pragma GCC unroll 4
    for (size_t o = 0; o < c; o++) {
        br[o] = res_b[o];
    }
}

static inline __attribute__((always_inline)) void res_block(m7_view_f32_t dst, m7_view_f32_t x, const float *z,
                                                            size_t n, size_t c_, const float *res_w,
                                                            const float *res_b, m7_view_f32_t head)
{
    const size_t c = c_;
    const size_t nf = c == 2u ? 4u : c == 4u ? 2u : 1u; /* frames per pass */
    float wr[4 * 4], br[4];
    const float *xi = x.p;
    float *di = dst.p, *hi = head.p;
    size_t i = 0;
    /* several frames per pass only with compile-time strides (x, dst and head 4 wide: nano's X and
     * HEAD), else every frame offset takes a register */
    const size_t st = 4u;
    if (nf > 1u && x.stride == st && dst.stride == st && head.stride == st) {
#if M7_CONV_ASM
        if (c == 4u && n >= 4u) { /* nano's 4-channel layers: 4 frames per pass, scheduled (M7_RES_ASM) */
            uint32_t cnt = (uint32_t)(n / 4u);
            i = 4u * (size_t)cnt;
            __asm__ volatile(
                "1:\n"
                "vldr s4, [%[b], #0]\n"
                "vldr s16, [%[x], #0]\n"
                "vldr s5, [%[b], #4]\n"
                "vldr s17, [%[x], #4]\n"
                "vadd.f32 s16, s16, s4\n"
                "vldr s6, [%[b], #8]\n"
                "vadd.f32 s17, s17, s5\n"
                "vldr s18, [%[x], #8]\n"
                "vldr s7, [%[b], #12]\n"
                "vldr s19, [%[x], #12]\n"
                "vadd.f32 s18, s18, s6\n"
                "vldr s20, [%[x], #16]\n"
                "vadd.f32 s19, s19, s7\n"
                "vldr s21, [%[x], #20]\n"
                "vadd.f32 s20, s20, s4\n"
                "vldr s22, [%[x], #24]\n"
                "vadd.f32 s21, s21, s5\n"
                "vldr s23, [%[x], #28]\n"
                "vadd.f32 s22, s22, s6\n"
                "vldr s24, [%[x], #32]\n"
                "vadd.f32 s23, s23, s7\n"
                "vldr s25, [%[x], #36]\n"
                "vadd.f32 s24, s24, s4\n"
                "vldr s26, [%[x], #40]\n"
                "vadd.f32 s25, s25, s5\n"
                "vldr s27, [%[x], #44]\n"
                "vadd.f32 s26, s26, s6\n"
                "vldr s28, [%[x], #48]\n"
                "vadd.f32 s27, s27, s7\n"
                "vldr s8, [%[z], #0]\n"
                "vadd.f32 s28, s28, s4\n"
                "vldr s0, [%[w], #0]\n"
                "vldr s29, [%[x], #52]\n"
                "vldr s9, [%[z], #16]\n"
                "vldr s1, [%[w], #16]\n"
                "vldr s30, [%[x], #56]\n"
                "vadd.f32 s29, s29, s5\n"
                "vldr s10, [%[z], #32]\n"
                "vadd.f32 s30, s30, s6\n"
                "vldr s2, [%[w], #32]\n"
                "vldr s31, [%[x], #60]\n"
                "vldr s11, [%[z], #48]\n"
                "vldr s3, [%[w], #48]\n"
                "vfma.f32 s16, s0, s8\n"
                "vadd.f32 s31, s31, s7\n"
                "vldr s4, [%[h], #0]\n"
                "vfma.f32 s20, s0, s9\n"
                "vldr s12, [%[z], #4]\n"
                "vfma.f32 s24, s0, s10\n"
                "vldr s13, [%[z], #20]\n"
                "vfma.f32 s28, s0, s11\n"
                "vldr s14, [%[z], #36]\n"
                "vadd.f32 s4, s4, s8\n"
                "vldr s15, [%[z], #52]\n"
                "vstr s4, [%[h], #0]\n"
                "vfma.f32 s17, s1, s8\n"
                "vfma.f32 s21, s1, s9\n"
                "vldr s5, [%[h], #16]\n"
                "vfma.f32 s25, s1, s10\n"
                "vldr s0, [%[w], #4]\n"
                "vfma.f32 s29, s1, s11\n"
                "add %[x], %[x], #64\n"
                "vadd.f32 s5, s5, s9\n"
                "vldr s1, [%[w], #20]\n"
                "vstr s5, [%[h], #16]\n"
                "vfma.f32 s18, s2, s8\n"
                "vfma.f32 s22, s2, s9\n"
                "vldr s6, [%[h], #32]\n"
                "vfma.f32 s26, s2, s10\n"
                "vfma.f32 s30, s2, s11\n"
                "vadd.f32 s6, s6, s10\n"
                "vldr s2, [%[w], #36]\n"
                "vstr s6, [%[h], #32]\n"
                "vfma.f32 s19, s3, s8\n"
                "vfma.f32 s23, s3, s9\n"
                "vldr s7, [%[h], #48]\n"
                "vfma.f32 s27, s3, s10\n"
                "vldr s8, [%[z], #8]\n"
                "vfma.f32 s31, s3, s11\n"
                "vldr s9, [%[z], #24]\n"
                "vadd.f32 s7, s7, s11\n"
                "vldr s3, [%[w], #52]\n"
                "vstr s7, [%[h], #48]\n"
                "vfma.f32 s16, s0, s12\n"
                "vfma.f32 s20, s0, s13\n"
                "vldr s4, [%[h], #4]\n"
                "vfma.f32 s24, s0, s14\n"
                "vldr s10, [%[z], #40]\n"
                "vfma.f32 s28, s0, s15\n"
                "vldr s11, [%[z], #56]\n"
                "vadd.f32 s4, s4, s12\n"
                "vldr s0, [%[w], #8]\n"
                "vstr s4, [%[h], #4]\n"
                "vfma.f32 s17, s1, s12\n"
                "vfma.f32 s21, s1, s13\n"
                "vldr s5, [%[h], #20]\n"
                "vfma.f32 s25, s1, s14\n"
                "vfma.f32 s29, s1, s15\n"
                "vadd.f32 s5, s5, s13\n"
                "vldr s1, [%[w], #24]\n"
                "vstr s5, [%[h], #20]\n"
                "vfma.f32 s18, s2, s12\n"
                "vfma.f32 s22, s2, s13\n"
                "vldr s6, [%[h], #36]\n"
                "vfma.f32 s26, s2, s14\n"
                "vfma.f32 s30, s2, s15\n"
                "vadd.f32 s6, s6, s14\n"
                "vldr s2, [%[w], #40]\n"
                "vstr s6, [%[h], #36]\n"
                "vfma.f32 s19, s3, s12\n"
                "vfma.f32 s23, s3, s13\n"
                "vldr s7, [%[h], #52]\n"
                "vfma.f32 s27, s3, s14\n"
                "vldr s12, [%[z], #12]\n"
                "vfma.f32 s31, s3, s15\n"
                "vldr s13, [%[z], #28]\n"
                "vadd.f32 s7, s7, s15\n"
                "vldr s3, [%[w], #56]\n"
                "vstr s7, [%[h], #52]\n"
                "vfma.f32 s16, s0, s8\n"
                "vfma.f32 s20, s0, s9\n"
                "vldr s4, [%[h], #8]\n"
                "vfma.f32 s24, s0, s10\n"
                "vldr s14, [%[z], #44]\n"
                "vfma.f32 s28, s0, s11\n"
                "vldr s15, [%[z], #60]\n"
                "vadd.f32 s4, s4, s8\n"
                "vldr s0, [%[w], #12]\n"
                "vstr s4, [%[h], #8]\n"
                "vfma.f32 s17, s1, s8\n"
                "vfma.f32 s21, s1, s9\n"
                "vldr s5, [%[h], #24]\n"
                "vfma.f32 s25, s1, s10\n"
                "add %[z], %[z], #64\n"
                "vfma.f32 s29, s1, s11\n"
                "vadd.f32 s5, s5, s9\n"
                "vldr s1, [%[w], #28]\n"
                "vstr s5, [%[h], #24]\n"
                "vfma.f32 s18, s2, s8\n"
                "vfma.f32 s22, s2, s9\n"
                "vldr s6, [%[h], #40]\n"
                "vfma.f32 s26, s2, s10\n"
                "vfma.f32 s30, s2, s11\n"
                "vadd.f32 s6, s6, s10\n"
                "vldr s2, [%[w], #44]\n"
                "vstr s6, [%[h], #40]\n"
                "vfma.f32 s19, s3, s8\n"
                "vfma.f32 s23, s3, s9\n"
                "vldr s7, [%[h], #56]\n"
                "vfma.f32 s27, s3, s10\n"
                "vfma.f32 s31, s3, s11\n"
                "vadd.f32 s7, s7, s11\n"
                "vldr s3, [%[w], #60]\n"
                "vstr s7, [%[h], #56]\n"
                "vfma.f32 s16, s0, s12\n"
                "vfma.f32 s20, s0, s13\n"
                "vldr s4, [%[h], #12]\n"
                "vfma.f32 s24, s0, s14\n"
                "vfma.f32 s28, s0, s15\n"
                "vstr s16, [%[d], #0]\n"
                "vadd.f32 s4, s4, s12\n"
                "vstr s20, [%[d], #16]\n"
                "vstr s4, [%[h], #12]\n"
                "vfma.f32 s17, s1, s12\n"
                "vstr s24, [%[d], #32]\n"
                "vfma.f32 s21, s1, s13\n"
                "vstr s28, [%[d], #48]\n"
                "vfma.f32 s25, s1, s14\n"
                "vfma.f32 s29, s1, s15\n"
                "vldr s5, [%[h], #28]\n"
                "vstr s17, [%[d], #4]\n"
                "vfma.f32 s18, s2, s12\n"
                "vadd.f32 s5, s5, s13\n"
                "vstr s21, [%[d], #20]\n"
                "vstr s5, [%[h], #28]\n"
                "vfma.f32 s22, s2, s13\n"
                "vstr s25, [%[d], #36]\n"
                "vfma.f32 s26, s2, s14\n"
                "vstr s29, [%[d], #52]\n"
                "vfma.f32 s30, s2, s15\n"
                "vldr s6, [%[h], #44]\n"
                "vstr s18, [%[d], #8]\n"
                "vstr s22, [%[d], #24]\n"
                "vfma.f32 s19, s3, s12\n"
                "vadd.f32 s6, s6, s14\n"
                "vstr s26, [%[d], #40]\n"
                "vstr s6, [%[h], #44]\n"
                "vfma.f32 s23, s3, s13\n"
                "vstr s30, [%[d], #56]\n"
                "vfma.f32 s27, s3, s14\n"
                "vfma.f32 s31, s3, s15\n"
                "vldr s7, [%[h], #60]\n"
                "vstr s19, [%[d], #12]\n"
                "vadd.f32 s7, s7, s15\n"
                "vstr s23, [%[d], #28]\n"
                "vstr s7, [%[h], #60]\n"
                "vstr s27, [%[d], #44]\n"
                "add %[h], %[h], #64\n"
                "vstr s31, [%[d], #60]\n"
                "add %[d], %[d], #64\n"
                "subs %[cnt], %[cnt], #1\n"
                "bne 1b\n"
                : [x] "+r"(xi), [d] "+r"(di), [z] "+r"(z), [h] "+r"(hi), [cnt] "+r"(cnt)
                : [w] "r"(res_w), [b] "r"(res_b)
                : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14",
                  "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27",
                  "s28", "s29", "s30", "s31", "cc", "memory");
        }
#endif
        const float *wp = res_w, *bp = res_b;
        if (c == 2u) { /* 6 values in registers */
            res_load_w(wr, br, res_w, res_b, c);
            wp = wr;
            bp = br;
        }
        for (; i + nf <= n; i += nf, z += nf * c, xi += nf * st, di += nf * st, hi += nf * st) {
#if defined(__GNUC__)
            /* C = 4: 20 weights and biases do not fit in registers beside 2 frames' 16 chains: they
             * are loaded every pass (beside the VFMAs); hoisted by GCC, they would spill */
            if (c == 4u) {
                __asm__("" : "+r"(wp), "+r"(bp));
            }
#endif
            res_frames(di, st, xi, st, z, hi, st, c, nf, wp, bp);
        }
    }
    if (i < n) {
        const int in_regs = c <= 4u;
        if (in_regs) {
            res_load_w(wr, br, res_w, res_b, c);
        }
        const float *wk = in_regs ? wr : res_w, *bk = in_regs ? br : res_b;
        for (; i < n; i++, z += c, xi += x.stride, di += dst.stride, hi += head.stride) {
            res_frames(di, dst.stride, xi, x.stride, z, hi, head.stride, c, 1u, wk, bk);
        }
    }
}

/* The residual 1x1 (+ head) for other channel counts (lite's 12 and 6, standard's 16), run-time C: four
 * outputs per pass, four independent chains over q (the generic loop's single chain waits for each
 * VFMA), the same per-value order. In flash: no room in ITCM. */
static __attribute__((noinline)) void m7_1x1_res_wide_f32(m7_view_f32_t dst, m7_view_f32_t x, const float *z,
                                                          size_t n, size_t c, const float *res_w,
                                                          const float *res_b, m7_view_f32_t head)
{
    for (size_t i = 0; i < n; i++, z += c) { /* dst may be x: output o reads only x[o] and z */
        const float *xi = x.p + i * x.stride;
        float *di = dst.p + i * dst.stride;
        size_t o = 0;
        for (; o + 4u <= c; o += 4u) {
            const float *w0 = res_w + o * c, *w1 = w0 + c, *w2 = w1 + c, *w3 = w2 + c;
            float a0 = xi[o] + res_b[o], a1 = xi[o + 1u] + res_b[o + 1u];
            float a2 = xi[o + 2u] + res_b[o + 2u], a3 = xi[o + 3u] + res_b[o + 3u];
            for (size_t q = 0; q < c; q++) {
                const float zq = z[q];
                a0 = fmaf(w0[q], zq, a0);
                a1 = fmaf(w1[q], zq, a1);
                a2 = fmaf(w2[q], zq, a2);
                a3 = fmaf(w3[q], zq, a3);
            }
            di[o] = a0;
            di[o + 1u] = a1;
            di[o + 2u] = a2;
            di[o + 3u] = a3;
        }
        for (; o < c; o++) {
            float acc = xi[o] + res_b[o];
            for (size_t q = 0; q < c; q++) {
                acc = fmaf(res_w[o * c + q], z[q], acc);
            }
            di[o] = acc;
        }
        if (head.p) {
            float *hi = head.p + i * head.stride;
            for (o = 0; o < c; o++) {
                hi[o] += z[o];
            }
        }
    }
}

/* C = 8 (feather) in flash: ITCM is full; its weights stream from flash (D-cache) anyway */
static __attribute__((noinline)) void m7_1x1_res_c8_f32(m7_view_f32_t dst, m7_view_f32_t x, const float *z, size_t n,
                                                        const float *res_w, const float *res_b, m7_view_f32_t head)
{
    res_block(dst, x, z, n, 8u, res_w, res_b, head);
}

M7E_HOT static void m7_1x1_res_f32(const m7_view_f32_t *dstp, const m7_view_f32_t *xp, const float *z, size_t n,
                                   size_t c, const float *res_w, const float *res_b, const m7_view_f32_t *headp)
{
    const m7_view_f32_t dst = *dstp, x = *xp, head = *headp;
    if (M7E_SPECIALISED && res_w && res_b && head.p && c == 2u) {
        res_block(dst, x, z, n, 2u, res_w, res_b, head);
        return;
    }
    if (M7E_SPECIALISED && res_w && res_b && head.p && c == 4u) {
        res_block(dst, x, z, n, 4u, res_w, res_b, head);
        return;
    }
    if (M7E_SPECIALISED && res_w && res_b && head.p && c == 8u) {
        m7_1x1_res_c8_f32(dst, x, z, n, res_w, res_b, head);
        return;
    }
    if (M7E_SPECIALISED && res_w && res_b && c >= 4u) {
        m7_1x1_res_wide_f32(dst, x, z, n, c, res_w, res_b, head);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *zi = z + i * c;
        if (res_w) { /* dst may be x: frame i of x is only read by frame i */
            const float *xi = x.p + i * x.stride;
            float *di = dst.p + i * dst.stride;
            for (size_t o = 0; o < c; o++) {
                float acc = xi[o] + (res_b ? res_b[o] : 0.0f);
                for (size_t q = 0; q < c; q++) {
                    acc = fmaf(res_w[o * c + q], zi[q], acc);
                }
                di[o] = acc; /* xi[o] is not read again: later outputs read only z */
            }
        }
        if (head.p) {
            float *hi = head.p + i * head.stride;
            for (size_t o = 0; o < c; o++) {
                hi[o] += zi[o];
            }
        }
    }
}

/* ---------------------------------------------------------------------------------- the layer */

M7E_HOT void m7_wavenet_layer_f32(const m7_op_f32_t *op, size_t n, const m7_chunk_f32_t *k, float *ring)
{
    const m7_op_geom_t *g = &op->g;
    const uint64_t t = k->t;
    const m7_view_f32_t x = m7_chunk_view_f32(k, g->src), skip = k->buf[M7_BUF_SKIP];
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const int paired = g->act == M7_ACT_GATED;        /* gated layer, or a NAM layer with gating */
    const size_t cin = g->in_ch, c = g->out_ch;
    const size_t cp = paired ? 2u * c : c;            /* pre-activation channels */
    const size_t s = (size_t)(g->kernel - 1u) * g->dilation; /* ring frames */
    /* ring slot of this block's first sample (a 32-bit divide for the first 2^32 samples) */
    const size_t pos = s == 0u ? 0u : (t >> 32) ? (size_t)(t % s) : (size_t)((uint32_t)t % (uint32_t)s);
    float *a = k->tmp.p;                              /* n frames of cp values, dense */

    m7_conv_f32(a, cp, n, op, &x, ring, pos, &k->buf[g->cond < M7_F32_NBUFS ? g->cond : M7_BUF_NONE]);

    /* keep the block's last S input frames (before the residual overwrites x) */
    if (s) {
        const size_t first = n > s ? n - s : 0u;
        size_t slot = (pos + first) % s;
        for (size_t i = first; i < n;) {
            const size_t run = (n - i) < (s - slot) ? (n - i) : (s - slot);
            m7_copy_frames_f32(ring + slot * cin, cin, x.p + i * x.stride, x.stride, run, cin);
            i += run;
            slot = 0u;
        }
    }

    /* z = activation(a), in place and dense (n frames of c); NAM: head += z, gated: skip[offset:] = z */
    const m7_view_f32_t no_head = {NULL, 0u};
    if (paired) {
        m7_act_gated_f32(a, a, n, c);
    } else {
        m7_act_tanh_f32(a, n * c);
    }
    if (gated) {
        m7_copy_frames_f32(skip.p + g->skip_offset, skip.stride, a, c, n, c);
    }
    if (op->res_w || !gated) {
        m7_1x1_res_f32(&k->buf[g->dst < M7_F32_NBUFS ? g->dst : M7_BUF_NONE], &x, a, n, c, op->res_w, op->res_b,
                       gated ? &no_head : &k->buf[M7_BUF_HEAD]);
    }
}
