/**
 * @file m7_conv3_q15.c
 * @brief m7_conv3_q15: the kernel-3 dilated conv of a q15 layer over a block cut in runs.
 *
 * y[i][o] += sum_j sum_c w[o][j][c] * x_j[i][c], every tap and channel pair with SMLAD in registers:
 * 2 frames x 2 outputs per step, so each loaded input pair and weight pair feeds two SMLADs (4 loads
 * per 4 SMLADs: on the M7 a load dual-issues beside a SMLAD, and the MAC unit, one SMLAD per cycle =
 * 0.5 cycle per MAC, is the floor). The accumulators are loaded and stored once per step (LDRD/STRD).
 * The sums are exact int32 (the export proves they cannot overflow), so their order does not matter
 * and the result is the numpy reference's bit for bit.
 *
 * Under M7E_SPECIALISED the NAM layers of 2, 4, 6, 8, 12 and 16 channels whose taps all have the frame stride
 * `in` (compact X, see m7_engine_q15.c) get a copy with constant sizes and strides; any other even
 * count or stride takes the same code with run-time values.
 */
#include <string.h>

#include "m7_engine_q15_internal.h"

/* as in m7_wavenet_f32.c: GCC's first scheduling pass hoists loads and spills the accumulators */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif /* __GNUC__ */

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* The 2 x 2 steps of conv3_pair for compact C = 4 / 8 on the M7, by hand (printed by tools/gen_conv3_asm_q15.py;
 * edit that): per channel pair and tap one SMLAD and one load issue together every cycle. The four
 * operands rotate through four registers: each load goes into the register whose last reader is the
 * SMLAD issued beside it, two cycles before its own first reader (the load latency). GCC's schedule paired
 * two loads and left SMLADs alone (0.78 cycles/MAC at C = 8). y..end: the accumulators of output o (and o+1)
 * of an even number (>= 2) of frames, taps p0..p2 and weights w as in conv3_pair. */
void m7_conv3_steps_c4_q15(int32_t *y, int32_t *end, const int16_t *p0, const int16_t *p1, const int16_t *p2,
                           const int16_t *w);
/* C = 8: every output pair of a run in one call (m7_conv3_run_c8_q15: y, end at output 0, w the layer's
 * weights; the taps restart for each pair) */
void m7_conv3_run_c8_q15(int32_t *y, int32_t *end, const int16_t *p0, const int16_t *p1, const int16_t *p2,
                         const int16_t *w);
/* C = 8 with the ring update: as m7_conv3_run_c8_q15, and the last output pair's pass stores each frame's tap-2
 * pairs (x[i]) over its tap-0 frame after reading it (p0 must not alias p1 or p2's frames of this run) */
void m7_conv3_run_c8s_q15(int32_t *y, int32_t *end, int16_t *p0, const int16_t *p1, const int16_t *p2,
                          const int16_t *w);
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_conv3_steps_c4_q15\n"
        ".hidden m7_conv3_steps_c4_q15\n"
        ".type m7_conv3_steps_c4_q15, %function\n"
        "m7_conv3_steps_c4_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r4, [sp, #36]\n"
        "ldr r5, [sp, #40]\n"
        "1:\n"
        "ldr r10, [r2, #0]\n"
        "ldr r11, [r5, #0]\n"
        "ldrd r6, r7, [r0]\n"
        "ldr r12, [r2, #8]\n"
        "ldrd r8, r9, [r0, #16]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #24]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #4]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #12]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #28]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #8]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #8]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #32]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #12]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #12]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #36]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #16]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #8]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #40]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #20]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #12]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #44]\n"
        "smlad r8, r12, r10, r8\n"
        "smlad r7, r11, lr, r7\n"
        "smlad r9, r12, lr, r9\n"
        "add r2, r2, #16\n"
        "add r3, r3, #16\n"
        "strd r6, r7, [r0]\n"
        "add r4, r4, #16\n"
        "strd r8, r9, [r0, #16]\n"
        "add r0, r0, #32\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_conv3_steps_c4_q15, . - m7_conv3_steps_c4_q15\n");
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_conv3_run_c8_q15\n"
        ".hidden m7_conv3_run_c8_q15\n"
        ".type m7_conv3_run_c8_q15, %function\n"
        "m7_conv3_run_c8_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r4, [sp, #36]\n"
        "ldr r5, [sp, #40]\n"
        "sub r1, r1, #64\n"
        "add r6, r5, #384\n"
        "push {r0-r4, r6}\n"
        "1:\n"
        "ldr r10, [r2, #0]\n"
        "ldr r11, [r5, #0]\n"
        "ldrd r6, r7, [r0]\n"
        "ldr r12, [r2, #16]\n"
        "ldr lr, [r5, #48]\n"
        "ldrd r8, r9, [r0, #32]\n"
        "smlad r6, r10, r11, r6\n"
        "cmp r0, r1\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #4]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #20]\n"
        "ldr lr, [r5, #52]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r2, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #8]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #24]\n"
        "ldr lr, [r5, #56]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #12]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #28]\n"
        "ldr lr, [r5, #60]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #16]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #16]\n"
        "ldr lr, [r5, #64]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #20]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #20]\n"
        "ldr lr, [r5, #68]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #24]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #24]\n"
        "ldr lr, [r5, #72]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #28]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #28]\n"
        "ldr lr, [r5, #76]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #32]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #16]\n"
        "ldr lr, [r5, #80]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #36]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #20]\n"
        "ldr lr, [r5, #84]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #40]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #24]\n"
        "ldr lr, [r5, #88]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #44]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #28]\n"
        "ldr lr, [r5, #92]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "add r2, r2, #32\n"
        "smlad r7, r11, lr, r7\n"
        "add r3, r3, #32\n"
        "smlad r9, r12, lr, r9\n"
        "add r4, r4, #32\n"
        "strd r6, r7, [r0]\n"
        "strd r8, r9, [r0, #32]\n"
        "add r0, r0, #64\n"
        "bne 1b\n"
        "ldrd r0, r1, [sp]\n"
        "add r5, r5, #96\n"
        "ldrd r2, r3, [sp, #8]\n"
        "add r0, r0, #8\n"
        "add r1, r1, #8\n"
        "ldrd r4, r6, [sp, #16]\n"
        "strd r0, r1, [sp]\n"
        "cmp r5, r6\n"
        "bne 1b\n"
        "add sp, sp, #24\n"
        "pop {r4-r11, pc}\n"
        ".size m7_conv3_run_c8_q15, . - m7_conv3_run_c8_q15\n");
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_conv3_run_c8s_q15\n"
        ".hidden m7_conv3_run_c8s_q15\n"
        ".type m7_conv3_run_c8s_q15, %function\n"
        "m7_conv3_run_c8s_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r4, [sp, #36]\n"
        "ldr r5, [sp, #40]\n"
        "sub r1, r1, #64\n"
        "add r6, r5, #288\n"
        "push {r0-r4, r6}\n"
        "1:\n"
        "ldr r10, [r2, #0]\n"
        "ldr r11, [r5, #0]\n"
        "ldrd r6, r7, [r0]\n"
        "ldr r12, [r2, #16]\n"
        "ldr lr, [r5, #48]\n"
        "ldrd r8, r9, [r0, #32]\n"
        "smlad r6, r10, r11, r6\n"
        "cmp r0, r1\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #4]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #20]\n"
        "ldr lr, [r5, #52]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r2, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #8]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #24]\n"
        "ldr lr, [r5, #56]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #12]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #28]\n"
        "ldr lr, [r5, #60]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #16]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #16]\n"
        "ldr lr, [r5, #64]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #20]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #20]\n"
        "ldr lr, [r5, #68]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #24]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #24]\n"
        "ldr lr, [r5, #72]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #28]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #28]\n"
        "ldr lr, [r5, #76]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #32]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #16]\n"
        "ldr lr, [r5, #80]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #36]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #20]\n"
        "ldr lr, [r5, #84]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #40]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #24]\n"
        "ldr lr, [r5, #88]\n"
        "smlad r6, r10, r11, r6\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #44]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #28]\n"
        "ldr lr, [r5, #92]\n"
        "smlad r6, r11, r10, r6\n"
        "smlad r8, r12, r10, r8\n"
        "add r2, r2, #32\n"
        "smlad r7, r11, lr, r7\n"
        "add r3, r3, #32\n"
        "smlad r9, r12, lr, r9\n"
        "add r4, r4, #32\n"
        "strd r6, r7, [r0]\n"
        "strd r8, r9, [r0, #32]\n"
        "add r0, r0, #64\n"
        "bne 1b\n"
        "ldrd r0, r1, [sp]\n"
        "add r5, r5, #96\n"
        "ldrd r2, r3, [sp, #8]\n"
        "add r0, r0, #8\n"
        "add r1, r1, #8\n"
        "ldrd r4, r6, [sp, #16]\n"
        "strd r0, r1, [sp]\n"
        "cmp r5, r6\n"
        "bne 1b\n"
        "2:\n"
        "ldr r10, [r2, #0]\n"
        "ldr r11, [r5, #0]\n"
        "ldrd r6, r7, [r0]\n"
        "ldr r12, [r2, #16]\n"
        "smlad r6, r10, r11, r6\n"
        "ldrd r8, r9, [r0, #32]\n"
        "ldr lr, [r5, #48]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #4]\n"
        "cmp r0, r1\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #4]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #20]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #52]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r2, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #8]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #24]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #56]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r2, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #12]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r2, #28]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #60]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #16]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #16]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #64]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #20]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #20]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #68]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r3, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #24]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #24]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #72]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r3, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "ldr r10, [r5, #28]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r3, #28]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #76]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #0]\n"
        "smlad r7, r11, lr, r7\n"
        "ldr r11, [r5, #32]\n"
        "smlad r9, r12, lr, r9\n"
        "ldr r12, [r4, #16]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #80]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #4]\n"
        "smlad r7, r10, lr, r7\n"
        "str r10, [r2, #0]\n"
        "ldr r10, [r5, #36]\n"
        "smlad r9, r12, lr, r9\n"
        "str r12, [r2, #16]\n"
        "ldr r12, [r4, #20]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #84]\n"
        "smlad r8, r12, r10, r8\n"
        "ldr r10, [r4, #8]\n"
        "smlad r7, r11, lr, r7\n"
        "str r11, [r2, #4]\n"
        "ldr r11, [r5, #40]\n"
        "smlad r9, r12, lr, r9\n"
        "str r12, [r2, #20]\n"
        "ldr r12, [r4, #24]\n"
        "smlad r6, r10, r11, r6\n"
        "ldr lr, [r5, #88]\n"
        "smlad r8, r12, r11, r8\n"
        "ldr r11, [r4, #12]\n"
        "smlad r7, r10, lr, r7\n"
        "str r10, [r2, #8]\n"
        "ldr r10, [r5, #44]\n"
        "smlad r9, r12, lr, r9\n"
        "str r12, [r2, #24]\n"
        "ldr r12, [r4, #28]\n"
        "smlad r6, r11, r10, r6\n"
        "ldr lr, [r5, #92]\n"
        "smlad r8, r12, r10, r8\n"
        "add r2, r2, #32\n"
        "smlad r7, r11, lr, r7\n"
        "add r3, r3, #32\n"
        "str r11, [r2, #-20]\n"
        "smlad r9, r12, lr, r9\n"
        "str r12, [r2, #-4]\n"
        "add r4, r4, #32\n"
        "strd r6, r7, [r0]\n"
        "strd r8, r9, [r0, #32]\n"
        "add r0, r0, #64\n"
        "bne 2b\n"
        "add sp, sp, #24\n"
        "pop {r4-r11, pc}\n"
        ".size m7_conv3_run_c8s_q15, . - m7_conv3_run_c8s_q15\n");
#endif /* __ARM_FEATURE_DSP */

/* frames 2 at a time of one run x outputs o, o+1 (y points at output o of the run's first frame);
 * weights of output o at w0 (3 * in values), of o+1 at w0 + 3 in */
M7_INLINE void conv3_pair(int32_t *y, size_t out_, const m7_conv3_run_q15_t *run, const int16_t *w0, size_t in_)
{
    const size_t in = in_, out = out_, kc = 3u * in;
    const int16_t *p0 = run->p[0], *p1 = run->p[1], *p2 = run->p[2];
    /* compact (out == in, constant): every tap's frames are `in` apart */
    const size_t s0 = out == in ? in : run->st[0], s1 = out == in ? in : run->st[1],
                 s2 = out == in ? in : run->st[2];
    int32_t *const end = y + (run->m & ~(size_t)1u) * out;
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (out == in && in == 4u) {
        if (end != y) {
            m7_conv3_steps_c4_q15(y, end, p0, p1, p2, w0);
            const size_t adv = (run->m & ~(size_t)1u) * in;
            p0 += adv, p1 += adv, p2 += adv, y = end;
        }
    }
#endif /* __ARM_FEATURE_DSP */
    for (; y != end; y += 2u * out) {
        int32_t a00 = y[0], a01 = y[1], a10 = y[out], a11 = y[out + 1u];
#pragma GCC unroll 16
        for (size_t c = 0; c < in; c += 2u) {
            uint32_t u0 = pair(p0 + c), u1 = pair(p0 + s0 + c);
            uint32_t v0 = pair(w0 + c), v1 = pair(w0 + kc + c);
            a00 = smlad(u0, v0, a00);
            a01 = smlad(u0, v1, a01);
            a10 = smlad(u1, v0, a10);
            a11 = smlad(u1, v1, a11);
            u0 = pair(p1 + c), u1 = pair(p1 + s1 + c);
            v0 = pair(w0 + in + c), v1 = pair(w0 + kc + in + c);
            a00 = smlad(u0, v0, a00);
            a01 = smlad(u0, v1, a01);
            a10 = smlad(u1, v0, a10);
            a11 = smlad(u1, v1, a11);
            u0 = pair(p2 + c), u1 = pair(p2 + s2 + c);
            v0 = pair(w0 + 2u * in + c), v1 = pair(w0 + kc + 2u * in + c);
            a00 = smlad(u0, v0, a00);
            a01 = smlad(u0, v1, a01);
            a10 = smlad(u1, v0, a10);
            a11 = smlad(u1, v1, a11);
        }
        y[0] = a00;
        y[1] = a01;
        y[out] = a10;
        y[out + 1u] = a11;
        p0 += 2u * s0, p1 += 2u * s1, p2 += 2u * s2;
    }
    if (run->m % 2u) { /* an odd run's last frame */
        int32_t a00 = y[0], a01 = y[1];
#pragma GCC unroll 16
        for (size_t c = 0; c < in; c += 2u) {
            for (size_t j = 0; j < 3u; j++) {
                const uint32_t u0 = pair((j == 0u ? p0 : j == 1u ? p1 : p2) + c);
                a00 = smlad(u0, pair(w0 + j * in + c), a00);
                a01 = smlad(u0, pair(w0 + kc + j * in + c), a01);
            }
        }
        y[0] = a00;
        y[1] = a01;
    }
}

/* every output pair over every run; `in` is a constant after inlining (and, with out == in, the frame
 * stride of every tap) */
M7_INLINE int conv3_all(int32_t *y, size_t out_, const m7_conv3_run_q15_t *runs, size_t nruns,
                        const int16_t *w, size_t in_, int store)
{
    const size_t in = in_, out = out_;
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (out == in && in == 8u) { /* one asm call per run for every output pair, then an odd run's last frame */
        for (size_t r = 0; r < nruns; r++) {
            const size_t m2 = runs[r].m & ~(size_t)1u;
            if (m2 && store) {
                m7_conv3_run_c8s_q15(y, y + m2 * out, (int16_t *)runs[r].p[0], runs[r].p[1], runs[r].p[2], w);
            } else if (m2) {
                m7_conv3_run_c8_q15(y, y + m2 * out, runs[r].p[0], runs[r].p[1], runs[r].p[2], w);
            }
            if (runs[r].m % 2u) {
                const m7_conv3_run_q15_t last = {.m = 1u, .p = {runs[r].p[0] + m2 * in, runs[r].p[1] + m2 * in,
                                                               runs[r].p[2] + m2 * in}, .st = {in, in, in}};
                for (size_t o = 0; o < out; o += 2u) {
                    conv3_pair(y + m2 * out + o, out, &last, w + o * 3u * in, in);
                }
                if (store) { /* as the asm: x over the tap-0 frame once read */
                    memcpy((int16_t *)last.p[0], last.p[2], 8u * sizeof(int16_t));
                }
            }
            y += runs[r].m * out;
        }
        return store;
    }
#endif /* __ARM_FEATURE_DSP */
    (void)store;
    for (size_t o = 0; o < out; o += 2u) {
        int32_t *yo = y + o;
        for (size_t r = 0; r < nruns; r++) {
            conv3_pair(yo, out, &runs[r], w + o * 3u * in, in);
            yo += runs[r].m * out;
        }
    }
    return 0;
}

/* NAM layers (out = in) of the presets' widths, one function each so a profile names them */
#define M7_CONV3_C(C)                                                                                      \
    static __attribute__((noinline)) int m7_conv3_c##C##_q15(int32_t *y, const m7_conv3_run_q15_t *runs,     \
                                                           size_t nruns, const int16_t *w, int store)      \
    {                                                                                                      \
        return conv3_all(y, C##u, runs, nruns, w, C##u, store);                                            \
    }
/* any even channel count and stride (in flash: with its unrolled loops it is large) */
static __attribute__((noinline)) void m7_conv3_cn_q15(int32_t *y, size_t out, const m7_conv3_run_q15_t *runs,
                                                      size_t nruns, const int16_t *w, size_t in)
{
    (void)conv3_all(y, out, runs, nruns, w, in, 0);
}

#if M7E_SPECIALISED
M7_CONV3_C(2)
M7_CONV3_C(4)
M7_CONV3_C(6)
M7_CONV3_C(8)
M7_CONV3_C(12)
M7_CONV3_C(16)
#endif /* M7E_SPECIALISED */

M7E_HOT int m7_conv3_q15(int32_t *y, size_t out, const m7_conv3_run_q15_t *runs, size_t nruns, const int16_t *w,
                         size_t in, int store)
{
#if M7E_SPECIALISED
    int compact = out == in; /* and every tap's frame stride is `in` */
    for (size_t r = 0; r < nruns; r++) {
        compact &= runs[r].st[0] == in && runs[r].st[1] == in && runs[r].st[2] == in;
    }
    if (compact) {
        switch (in) {
        case 2u: return m7_conv3_c2_q15(y, runs, nruns, w, store);
        case 4u: return m7_conv3_c4_q15(y, runs, nruns, w, store);
        case 6u: return m7_conv3_c6_q15(y, runs, nruns, w, store);
        case 8u: return m7_conv3_c8_q15(y, runs, nruns, w, store);
        case 12u: return m7_conv3_c12_q15(y, runs, nruns, w, store);
        case 16u: return m7_conv3_c16_q15(y, runs, nruns, w, store);
        default: break;
        }
    }
#endif /* M7E_SPECIALISED */
    (void)store;
    m7_conv3_cn_q15(y, out, runs, nruns, w, in); /* any even channel count and stride */
    return 0;
}
