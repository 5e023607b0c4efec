/*
 * m7_app_engine.h - the configured model on the configured engine, for every engine app (bench, audio,
 * hostlink, golden). One place sizes the engine's state and scratch at compile time for blocks of up to
 * M7AMP_APP_MAX_BLOCK samples, places them (DTCM when they fit), and picks the f32 or q15 API.
 *
 * m7_add_engine_app (firmware/CMakeLists.txt) compiles m7_app_engine.c into each app with the model's
 * M7AMP_MODEL_* definitions; the app sets M7AMP_APP_MAX_BLOCK. Also built for the host (hostlink tests).
 */
#ifndef M7_APP_ENGINE_H
#define M7_APP_ENGINE_H

#include <stdint.h>

#include "m7_engine.h"

#if M7AMP_MODEL_Q15
typedef int16_t m7_app_sample_t; /* Q15 */
#define M7_APP_PRECISION "q15"
#else
typedef float m7_app_sample_t;
#define M7_APP_PRECISION "f32"
#endif

/* Initialise the engine on its static buffers (state zeroed). M7_OK or the engine's status. */
m7_status_t m7_app_engine_init(void);
/* n <= M7AMP_APP_MAX_BLOCK samples in and out (out may alias in); the knobs keep their held values. */
m7_status_t m7_app_engine_process(const m7_app_sample_t *in, m7_app_sample_t *out, uint32_t n);
/* Zero the model's state (its past). */
void m7_app_engine_reset(void);

const char *m7_app_engine_model_name(void);
uint32_t m7_app_engine_sample_rate(void); /* the rate the model was trained at */
uint32_t m7_app_engine_n_knobs(void);
const char *m7_app_engine_ram(void); /* where state and scratch are: "dtcm" or "sram1" */

#endif /* M7_APP_ENGINE_H */
