/*
 * cache.c - Cortex-M7 L1 cache enable and maintenance (ARMv7-M ARM B2.2.7 / B4.8, Cortex-M7 TRM §4.1:
 * invalidate the whole cache before enabling it, with DSB/ISB around the change of CCR).
 */
#include "m7_board.h"

#define M7_DCACHE_LINE 32U /* Cortex-M7 L1 line size in bytes */

void m7_icache_enable(void)
{
    if (SCB->CCR & SCB_CCR_IC) {
        return;
    }
    __DSB();
    __ISB();
    M7_CACHE->ICIALLU = 0U; /* invalidate I-cache */
    __DSB();
    __ISB();
    SCB->CCR |= SCB_CCR_IC;
    __DSB();
    __ISB();
}

void m7_dcache_enable(void)
{
    if (SCB->CCR & SCB_CCR_DC) {
        return;
    }
    SCB->CSSELR = 0U; /* level 1 data cache */
    __DSB();
    uint32_t ccsidr = SCB->CCSIDR;
    uint32_t sets = SCB_CCSIDR_SETS(ccsidr) + 1U;
    uint32_t ways = SCB_CCSIDR_WAYS(ccsidr) + 1U;
    uint32_t set_shift = SCB_CCSIDR_LINESIZE(ccsidr) + 4U; /* log2(line bytes) */
    uint32_t way_shift = ways > 1U ? (uint32_t)__CLZ(ways - 1U) : 0U;
    /* invalidate every line by set/way (the cache content is unknown after reset) */
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            M7_CACHE->DCISW = (set << set_shift) | (way_shift < 32U ? (way << way_shift) : 0U);
        }
    }
    __DSB();
    SCB->CCR |= SCB_CCR_DC;
    __DSB();
    __ISB();
}

void m7_dcache_clean_range(const void *addr, uint32_t size)
{
    uint32_t a = (uint32_t)addr & ~(M7_DCACHE_LINE - 1U);
    uint32_t end = (uint32_t)addr + size;
    __DSB();
    for (; a < end; a += M7_DCACHE_LINE) {
        M7_CACHE->DCCMVAC = a;
    }
    __DSB();
    __ISB();
}

void m7_dcache_invalidate_range(void *addr, uint32_t size)
{
    uint32_t a = (uint32_t)addr & ~(M7_DCACHE_LINE - 1U);
    uint32_t end = (uint32_t)addr + size;
    __DSB();
    for (; a < end; a += M7_DCACHE_LINE) {
        M7_CACHE->DCIMVAC = a;
    }
    __DSB();
    __ISB();
}
