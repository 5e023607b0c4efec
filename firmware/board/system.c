/*
 * system.c - clock tree to 216 MHz, FPU modes, and m7_board_init().
 *
 * Clock sequence (RM0410 §4.1.4 "entering over-drive mode" and §5.2):
 *   1. PWR clock on, voltage scale 1 (VOS = 11) while the PLL is off.
 *   2. HSE in bypass mode (the Nucleo's ST-LINK drives an 8 MHz clock into OSC_IN): HSEBYP then HSEON,
 *      wait HSERDY; if it never comes, fall back to HSI 16 MHz.
 *   3. Main PLL: VCO input 2 MHz (HSE/4 or HSI/8), VCO = 2 MHz * 216 = 432 MHz, SYSCLK = VCO/2 = 216 MHz,
 *      48 MHz domain = VCO/9 = 48 MHz. PLLON, wait PLLRDY.
 *   4. Over-drive: ODEN, wait ODRDY; ODSWEN, wait ODSWRDY (required above 180 MHz).
 *   5. Flash: 7 wait states (RM0410 table 7: 210-216 MHz at 2.7-3.6 V), ART + prefetch; read back.
 *   6. AHB /1 (216 MHz), APB1 /4 (54 MHz, max 54), APB2 /2 (108 MHz, max 108); SW = PLL, wait SWS = PLL.
 * Every wait is bounded; a timeout records the step name in m7_clock_info_t.failed_step and the
 * firmware keeps running on whatever clock it has (HSI 16 MHz if the switch did not happen).
 */
#include "m7_board.h"

#define M7_HSI_HZ 16000000UL
#define M7_HSE_HZ 8000000UL
#define M7_WAIT_LOOPS 200000UL /* ~50 ms at 16 MHz: far above every documented start-up time */

static m7_clock_info_t clock_info = {"HSI 16 MHz", NULL, M7_HSI_HZ, M7_HSI_HZ, M7_HSI_HZ, M7_HSI_HZ, 0, 0, 0, 0};

/* Waits until (*reg & mask) == want; returns 1 on success, 0 on timeout. */
static int wait_bits(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < M7_WAIT_LOOPS; i++) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

static const m7_clock_info_t *fail(const char *step)
{
    clock_info.failed_step = step;
    return &clock_info;
}

const m7_clock_info_t *m7_clock_init(void)
{
    /* 1. power interface clock, regulator scale 1 */
    RCC->APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC->APB1ENR; /* read back: the enable takes effect before the PWR access */
    PWR->CR1 = (PWR->CR1 & ~PWR_CR1_VOS_Msk) | PWR_CR1_VOS_SCALE1;

    /* 2. clock source: HSE bypass if the ST-LINK clock is there, else HSI */
    uint32_t pllsrc;
    RCC->CR &= ~(RCC_CR_HSEON | RCC_CR_HSEBYP);
    RCC->CR |= RCC_CR_HSEBYP;
    RCC->CR |= RCC_CR_HSEON;
    if (wait_bits(&RCC->CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        clock_info.source = "HSE-bypass 8 MHz";
        clock_info.pll_m = M7_HSE_HZ / 2000000UL; /* 4 */
        pllsrc = RCC_PLLCFGR_PLLSRC_HSE;
    } else {
        RCC->CR &= ~(RCC_CR_HSEON | RCC_CR_HSEBYP);
        RCC->CR |= RCC_CR_HSION;
        if (!wait_bits(&RCC->CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY)) {
            return fail("HSIRDY");
        }
        clock_info.source = "HSI 16 MHz";
        clock_info.pll_m = M7_HSI_HZ / 2000000UL; /* 8 */
        pllsrc = 0;
    }

    /* 3. main PLL (it must be off while configured) */
    RCC->CR &= ~RCC_CR_PLLON;
    if (!wait_bits(&RCC->CR, RCC_CR_PLLRDY, 0)) {
        return fail("PLL off");
    }
    clock_info.pll_n = 216;
    clock_info.pll_p = 2;
    clock_info.pll_q = 9;
    RCC->PLLCFGR = (clock_info.pll_m << RCC_PLLCFGR_PLLM_Pos) | (clock_info.pll_n << RCC_PLLCFGR_PLLN_Pos) |
                   (((clock_info.pll_p / 2U) - 1U) << RCC_PLLCFGR_PLLP_Pos) | pllsrc |
                   (clock_info.pll_q << RCC_PLLCFGR_PLLQ_Pos) | (2UL << RCC_PLLCFGR_PLLR_Pos);
    RCC->CR |= RCC_CR_PLLON;

    /* 4. over-drive (may be enabled while the PLL locks) */
    PWR->CR1 |= PWR_CR1_ODEN;
    if (!wait_bits(&PWR->CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY)) {
        return fail("ODRDY");
    }
    PWR->CR1 |= PWR_CR1_ODSWEN;
    if (!wait_bits(&PWR->CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY)) {
        return fail("ODSWRDY");
    }

    /* 5. flash wait states before the clock goes up */
    uint32_t acr = (7UL << FLASH_ACR_LATENCY_Pos) | FLASH_ACR_ARTEN | FLASH_ACR_PRFTEN;
    FLASH->ACR = acr;
    if ((FLASH->ACR & (FLASH_ACR_LATENCY_Msk | FLASH_ACR_ARTEN | FLASH_ACR_PRFTEN)) != acr) {
        return fail("FLASH_ACR");
    }

    /* 6. bus prescalers, then the switch */
    RCC->CFGR = (RCC->CFGR & ~(RCC_CFGR_HPRE_Msk | RCC_CFGR_PPRE1_Msk | RCC_CFGR_PPRE2_Msk)) |
                RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2;
    clock_info.pclk1_hz = M7_HSI_HZ / 4U; /* prescalers already apply to the current clock */
    clock_info.pclk2_hz = M7_HSI_HZ / 2U;
    if (!wait_bits(&RCC->CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return fail("PLLRDY");
    }
    RCC->CFGR = (RCC->CFGR & ~RCC_CFGR_SW_Msk) | RCC_CFGR_SW_PLL;
    if (!wait_bits(&RCC->CFGR, RCC_CFGR_SWS_Msk, RCC_CFGR_SWS_PLL)) {
        return fail("SWS=PLL");
    }
    clock_info.sysclk_hz = 216000000UL;
    clock_info.hclk_hz = clock_info.sysclk_hz;
    clock_info.pclk1_hz = clock_info.hclk_hz / 4U;
    clock_info.pclk2_hz = clock_info.hclk_hz / 2U;
    return &clock_info;
}

const m7_clock_info_t *m7_clock_info(void) { return &clock_info; }

uint32_t m7_core_hz(void) { return clock_info.hclk_hz; }

const m7_clock_info_t *m7_board_init(void)
{
    m7_fpu_config();
    m7_faults_enable();
    m7_mpu_init();
    const m7_clock_info_t *ci = m7_clock_init();
    m7_icache_enable();
    m7_dcache_enable();
    m7_dwt_init();
    m7_systick_init(1000U);
    m7_uart_init(ci->pclk1_hz, 115200U);
    return ci;
}
