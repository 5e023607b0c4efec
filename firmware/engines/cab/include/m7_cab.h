/**
 * @file m7_cab.h
 * @brief The cabinet stage: convolution of the amp model's output with a cabinet impulse response (IR),
 *        f32, two methods with the same result (to float rounding) and the same lifecycle:
 *
 *  - fft: uniformly partitioned overlap-save convolution with CMSIS-DSP's real FFT
 *         (arm_rfft_fast_f32). The IR is cut into P = ceil(taps / B) partitions of B samples (B = the
 *         block, a power of two in 16..2048); each block costs one forward and one inverse real FFT of
 *         2B points and P complex multiply-accumulates of B + 1 bins; the latency is zero (the output
 *         of a block answers that block's input).
 *  - fir: direct-form FIR with CMSIS-DSP's arm_fir_f32 (any block), taps multiply-adds per sample.
 *
 * `m7amp bench ir` measures both; m7amp picks the faster for the IR's length (docs/cabinet-ir.md).
 * C11, no heap: the caller owns the instance and the buffers (sized at compile time with the macros).
 * Only process() touches the signal; it never fails on a valid instance.
 *
 * Layouts, stated once:
 *  - audio in and out: n contiguous floats (out may alias in);
 *  - IR: taps floats in time order, ir[0] first (the direct sound);
 *  - spectra: CMSIS-DSP's packed real-FFT layout of 2B points, 2B floats:
 *    [Re X0, Re XB, Re X1, Im X1, ..., Re X(B-1), Im X(B-1)] (bins 0 and B are real);
 *  - fft h: P spectra, partition p (IR samples pB..pB+B-1, zero padded to 2B) at h[p * 2B];
 *  - fft fdl (frequency-domain delay line): the spectra of the last P input frames, a ring of P x 2B;
 *  - fft work: [frame 2B | fft buffer 2B | accumulator 2B];
 *  - fir coeffs: the IR time-reversed (arm_fir_f32's order), taps floats; fir state taps + B - 1 floats.
 */
#ifndef M7_CAB_H
#define M7_CAB_H

#include <stdint.h>

#include "arm_math.h"
#include "m7_engine.h" /* m7_status_t */

#ifdef __cplusplus
extern "C" {
#endif

/** Partitions of a taps-long IR at block B (fft method). */
#define M7_CAB_FFT_PARTS(taps, B) (((taps) + (B) - 1u) / (B))
/** Floats of the partition spectra h, and of the delay line fdl (each). */
#define M7_CAB_FFT_H_LEN(taps, B) (M7_CAB_FFT_PARTS(taps, B) * 2u * (B))
/** Floats of the fft work buffer. */
#define M7_CAB_FFT_WORK_LEN(B) (6u * (B))
/** Floats of the fir coefficient copy, and of its state. */
#define M7_CAB_FIR_COEFF_LEN(taps) (taps)
#define M7_CAB_FIR_STATE_LEN(taps, B) ((taps) + (B) - 1u)

/** Smallest and largest block of the fft method (arm_rfft_fast_f32 takes 32..4096 points). */
#define M7_CAB_FFT_MIN_BLOCK 16u
#define M7_CAB_FFT_MAX_BLOCK 2048u

/** An fft-method instance. The fields are the stage's (read-only for the caller). */
typedef struct {
    arm_rfft_fast_instance_f32 fft; /**< 2B-point real FFT */
    uint32_t block;                 /**< B: samples per process() call */
    uint32_t parts;                 /**< P: partitions */
    uint32_t newest;                /**< fdl slot of the newest input spectrum */
    float *h;                       /**< P x 2B partition spectra */
    float *fdl;                     /**< P x 2B input spectra (ring) */
    float *work;                    /**< 6B floats: frame, fft buffer, accumulator */
} m7_cab_fft_f32_t;

/** A fir-method instance. */
typedef struct {
    arm_fir_instance_f32 fir;
    uint32_t block; /**< B: samples per process() call */
    uint32_t taps;
} m7_cab_fir_f32_t;

/**
 * @brief Initialise the fft method for @p ir (taps > 0) at block @p block (power of two in
 *        M7_CAB_FFT_MIN_BLOCK..M7_CAB_FFT_MAX_BLOCK): computes the partition spectra into @p h
 *        (M7_CAB_FFT_H_LEN floats) and zeroes @p fdl (as many) and @p work (M7_CAB_FFT_WORK_LEN).
 * @return M7_OK, M7_ERR_NULL, M7_ERR_ARG (taps 0 or a bad block), M7_ERR_ALIGN (a buffer not 4-aligned).
 */
m7_status_t m7_cab_fft_init_f32(m7_cab_fft_f32_t *s, const float *ir, uint32_t taps, uint32_t block, float *h,
                                float *fdl, float *work);
/** @brief Convolve one block of exactly B samples (out may alias in). */
void m7_cab_fft_process_f32(m7_cab_fft_f32_t *s, const float *in, float *out);
/** @brief Forget the past input (zero the delay line and the frame). */
void m7_cab_fft_reset_f32(m7_cab_fft_f32_t *s);

/**
 * @brief y = sum over p < parts of fdl[(newest + p) mod parts] * h[p] (spectra of 2B floats, packed as
 *        above): bins 0 and B are real products, bins 1..B-1 complex. The hot kernel of the fft method.
 */
void m7_cab_cmac_f32(float *y, const float *fdl, uint32_t newest, const float *h, uint32_t parts,
                     uint32_t block);

/**
 * @brief Initialise the fir method: copies @p ir time-reversed into @p coeffs (taps floats) and zeroes
 *        @p state (M7_CAB_FIR_STATE_LEN floats). block > 0, taps > 0.
 * @return M7_OK, M7_ERR_NULL or M7_ERR_ARG.
 */
m7_status_t m7_cab_fir_init_f32(m7_cab_fir_f32_t *s, const float *ir, uint32_t taps, uint32_t block,
                                float *coeffs, float *state);
/** @brief Filter one block of exactly B samples (out may alias in). */
void m7_cab_fir_process_f32(m7_cab_fir_f32_t *s, const float *in, float *out);
/** @brief Forget the past input (zero the state). */
void m7_cab_fir_reset_f32(m7_cab_fir_f32_t *s);

#ifdef __cplusplus
}
#endif

#endif /* M7_CAB_H */
