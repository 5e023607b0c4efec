/*
 * systick.c - SysTick at a fixed rate from the core clock, a millisecond counter, and NVIC helpers.
 */
#include "m7_board.h"

static volatile uint32_t ticks;

void m7_systick_init(uint32_t hz)
{
    SysTick->CTRL = 0U;
    SysTick->LOAD = m7_core_hz() / hz - 1U; /* 216 MHz / 1 kHz - 1 = 215999 < 2^24 */
    SysTick->VAL = 0U;
    m7_nvic_set_priority(SysTick_IRQn, 15U); /* lowest: audio and test IRQs preempt it */
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
}

uint32_t m7_millis(void) { return ticks; }

__attribute__((weak)) void m7_systick_hook(void) {}

void SysTick_Handler(void)
{
    ticks++;
    m7_systick_hook();
}

void m7_nvic_set_priority(int irq, uint32_t prio)
{
    uint8_t v = (uint8_t)((prio & 0xFU) << (8U - M7_NVIC_PRIO_BITS));
    if (irq >= 0) {
        NVIC->IPR[irq] = v;
    } else {
        SCB->SHPR[(uint32_t)(irq + 16) - 4U] = v; /* SHPR byte n holds exception n + 4 */
    }
}

void m7_nvic_enable(int irq)
{
    NVIC->ISER[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U);
    __DSB();
    __ISB();
}

void m7_nvic_disable(int irq)
{
    NVIC->ICER[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U);
    __DSB();
    __ISB();
}
