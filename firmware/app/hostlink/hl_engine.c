/*
 * hl_engine.c - see hl_engine.h.
 */
#include "hl_engine.h"

#include "m7_app_engine.h"

_Static_assert(M7AMP_APP_MAX_BLOCK == M7_HL_MAX_BLOCK, "the engine is sized for the protocol's largest block");

int hl_engine_init(m7_hl_info_t *info)
{
    info->model_name = m7_app_engine_model_name();
    info->precision = M7AMP_MODEL_Q15 ? 1u : 0u;
    info->sample_bytes = (uint8_t)sizeof(m7_app_sample_t);
    info->max_block = M7_HL_MAX_BLOCK;
    info->n_knobs = (uint16_t)m7_app_engine_n_knobs();
    info->sample_rate = m7_app_engine_sample_rate();
    return m7_app_engine_init();
}
