/*
 * m7_app_cab.c - see m7_app_cab.h. Named cab_state / cab_coeffs: m7amp/cab.py documents them.
 */
#include "m7_app_cab.h"

#include "m7_app_sizes.h"
#include "m7_cab.h"
#include "m7_cab_ir.h" /* generated: M7_CAB_IR_TAPS, M7_CAB_IR_FFT, m7_cab_ir[] */

#define CAB_BLOCK M7AMP_APP_MAX_BLOCK

#if M7_CAB_IR_FFT
#if CAB_BLOCK < M7_CAB_FFT_MIN_BLOCK || CAB_BLOCK > M7_CAB_FFT_MAX_BLOCK || (CAB_BLOCK & (CAB_BLOCK - 1u))
#error "the fft cabinet method needs a power-of-two block in 16..2048 (m7amp picks fir otherwise)"
#endif
/* coeffs: the partition spectra; state: the delay line then the work buffer */
#define CAB_COEFF_LEN M7_CAB_FFT_H_LEN(M7_CAB_IR_TAPS, CAB_BLOCK)
#define CAB_STATE_LEN (M7_CAB_FFT_H_LEN(M7_CAB_IR_TAPS, CAB_BLOCK) + M7_CAB_FFT_WORK_LEN(CAB_BLOCK))
#else
/* coeffs: the time-reversed taps; state: arm_fir_f32's */
#define CAB_COEFF_LEN M7_CAB_FIR_COEFF_LEN(M7_CAB_IR_TAPS)
#define CAB_STATE_LEN M7_CAB_FIR_STATE_LEN(M7_CAB_IR_TAPS, CAB_BLOCK)
#endif
#define CAB_BYTES (4u * (CAB_COEFF_LEN + CAB_STATE_LEN))

/* DTCM when the stage fits in what the engine left of the apps' DTCM budget (m7_app_sizes.h). */
#if defined(M7_DTCM_BSS) && ENGINE_DTCM_BYTES + CAB_BYTES <= M7AMP_APP_DTCM_BUDGET
#define CAB_RAM M7_DTCM_BSS
#define CAB_RAM_NAME "dtcm"
#else
#define CAB_RAM
#define CAB_RAM_NAME "sram1"
#endif

static CAB_RAM float cab_coeffs[CAB_COEFF_LEN] __attribute__((aligned(8)));
static CAB_RAM float cab_state[CAB_STATE_LEN] __attribute__((aligned(8)));

#if M7_CAB_IR_FFT
static m7_cab_fft_f32_t cab;

m7_status_t m7_app_cab_init(void)
{
    return m7_cab_fft_init_f32(&cab, m7_cab_ir, M7_CAB_IR_TAPS, CAB_BLOCK, cab_coeffs, cab_state,
                               cab_state + M7_CAB_FFT_H_LEN(M7_CAB_IR_TAPS, CAB_BLOCK));
}

void m7_app_cab_process(float *buf) { m7_cab_fft_process_f32(&cab, buf, buf); }
void m7_app_cab_reset(void) { m7_cab_fft_reset_f32(&cab); }
const char *m7_app_cab_method(void) { return "fft"; }
#else
static m7_cab_fir_f32_t cab;

m7_status_t m7_app_cab_init(void)
{
    return m7_cab_fir_init_f32(&cab, m7_cab_ir, M7_CAB_IR_TAPS, CAB_BLOCK, cab_coeffs, cab_state);
}

void m7_app_cab_process(float *buf) { m7_cab_fir_process_f32(&cab, buf, buf); }
void m7_app_cab_reset(void) { m7_cab_fir_reset_f32(&cab); }
const char *m7_app_cab_method(void) { return "fir"; }
#endif

uint32_t m7_app_cab_taps(void) { return M7_CAB_IR_TAPS; }
const char *m7_app_cab_ram(void) { return CAB_RAM_NAME; }
