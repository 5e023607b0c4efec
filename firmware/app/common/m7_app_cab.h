/*
 * m7_app_cab.h - the configured cabinet IR after the engine, for the apps built with one (audio, bench):
 * m7amp generates m7_cab_ir.h/.c (the IR's taps as const floats, its length, rate and method: fft or
 * fir; m7amp/cab.py) into a folder given as the CMake cache variable M7AMP_CAB_DIR, which compiles
 * this file with M7AMP_CAB=1. One place sizes the stage's buffers at compile time for blocks of exactly
 * M7AMP_APP_MAX_BLOCK samples and places them: DTCM when they fit beside the engine's, else SRAM1.
 *
 * f32 only: a q15 engine's output is converted to f32 for the stage and back (the app does it).
 */
#ifndef M7_APP_CAB_H
#define M7_APP_CAB_H

#include <stdint.h>

#include "m7_engine.h" /* m7_status_t */

/* Initialise the stage (the fft method computes its partition spectra here). M7_OK or the stage's status. */
m7_status_t m7_app_cab_init(void);
/* Convolve M7AMP_APP_MAX_BLOCK samples in place. */
void m7_app_cab_process(float *buf);
/* Forget the past input. */
void m7_app_cab_reset(void);

uint32_t m7_app_cab_taps(void);
const char *m7_app_cab_method(void); /* "fft" or "fir" */
const char *m7_app_cab_ram(void);    /* where its buffers are: "dtcm" or "sram1" */

#endif /* M7_APP_CAB_H */
