/*
 * mpu.c - two no-access MPU regions (ARMv7-M ARM B3.5): the 32-byte stack guard at the bottom of DTCM
 * (a stack overflow faults instead of silently corrupting memory) and the first 32 bytes of the
 * address space (a NULL dereference faults; .itcm code starts above them). Everything else uses the
 * default memory map (PRIVDEFENA).
 */
#include "m7_board.h"

extern uint32_t __stack_guard_start;

static void mpu_no_access(uint32_t region, uint32_t base)
{
    MPU->RNR = region;
    MPU->RBAR = base;
    MPU->RASR = MPU_RASR_XN | MPU_RASR_AP_NONE | MPU_RASR_SIZE(5U) | MPU_RASR_ENABLE; /* 2^5 = 32 B */
}

void m7_mpu_init(void)
{
    __DMB();
    MPU->CTRL = 0U;
    mpu_no_access(0U, (uint32_t)&__stack_guard_start);
    mpu_no_access(1U, 0x00000000UL);
    MPU->CTRL = MPU_CTRL_PRIVDEFENA | MPU_CTRL_ENABLE;
    __DSB();
    __ISB();
}
