/*
 * hl_engine.h - the engine behind the host-link server: the configured model package (the
 * m7_add_engine_app macros M7AMP_MODEL_HEADER/DESC/PREFIX/NAME/Q15) on the hand-written engine, with
 * the same init and process calls as the bench and audio apps. Shared by the firmware (main.c) and the
 * host test server (tests/hostlink/host_server.c).
 */
#ifndef HL_ENGINE_H
#define HL_ENGINE_H

#include <stdint.h>

#include "m7_hostlink.h"

/* Initialise the engine for blocks of up to M7_HL_MAX_BLOCK samples; fill @p info (name, precision,
 * sample format, max block, rate). Returns 0 or the engine's m7_status_t. */
int hl_engine_init(m7_hl_info_t *info);

/* m7_hl_ops_t.process without the timing: n samples in the wire format (float32 or int16 Q15). */
int hl_engine_process(const void *in, void *out, uint32_t n);

/* m7_hl_ops_t.reset: zero the engine state. */
void hl_engine_reset(void);

#endif /* HL_ENGINE_H */
