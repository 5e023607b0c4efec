/**
 * @file m7_cab_internal.h
 * @brief Shared by the cabinet stage's source files (not part of the public API).
 */
#ifndef M7_CAB_INTERNAL_H
#define M7_CAB_INTERNAL_H

#include "m7_cab.h"

/* M7_CAB_HOT: the hot kernel runs from ITCM on the target (like the engine's M7E_HOT), never inlined so
 * that a profile names it. Nothing on the host. */
#if defined(__arm__)
#define M7_CAB_HOT __attribute__((section(".itcm"), noinline))
#else
#define M7_CAB_HOT
#endif

#define M7_CAB_ALIGNED4(p) ((((uintptr_t)(p)) & 3u) == 0u)

#endif /* M7_CAB_INTERNAL_H */
