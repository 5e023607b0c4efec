/*
 * hl_engine.h - the host-link server's view of the engine app (m7_app_engine.h: the configured model on
 * the configured engine): what HELLO reports about it. Shared by the firmware (main.c) and the host test
 * server (tests/hostlink/host_server.c); both process and reset through m7_app_engine.
 */
#ifndef HL_ENGINE_H
#define HL_ENGINE_H

#include "m7_hostlink.h"

/* Initialise the engine for blocks of up to M7_HL_MAX_BLOCK samples and fill @p info (name, precision,
 * sample format, block limit, knobs, rate). Returns the engine's status (0 = M7_OK). */
int hl_engine_init(m7_hl_info_t *info);

#endif /* HL_ENGINE_H */
