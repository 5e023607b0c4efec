/*
 * cmsis_compiler.h - project-written compiler layer for GCC on the Cortex-M7 (m7amp).
 *
 * CMSIS-DSP includes "cmsis_compiler.h" (normally from CMSIS-Core, which no registry here carries).
 * This file provides the subset CMSIS-DSP 1.10 and the m7amp firmware use, written against the
 * Arm C Language Extensions (ACLE) as implemented by GCC 12 in <arm_acle.h>:
 *   - attribute macros (__STATIC_FORCEINLINE, __ALIGNED, __PACKED, __WEAK, ...)
 *   - DSP-extension intrinsics with CMSIS names (__SMLAD, __QADD16, __SSAT, ...), each mapped to the
 *     ACLE intrinsic of the same instruction, or to plain C where GCC 12 has no ACLE name
 *     (__ROR, __CLZ, __PKHBT/__PKHTB, __SMMLA): GCC compiles those idioms to the single instruction.
 *   - unaligned access helpers and barriers / hints (__DSB, __ISB, __DMB, __WFI, __NOP, __BKPT).
 * Semantics follow the ARMv7-M Architecture Reference Manual (A7.7, instruction descriptions).
 */
#ifndef M7_CMSIS_COMPILER_H
#define M7_CMSIS_COMPILER_H

#if !defined(__GNUC__) || !defined(__ARM_ARCH_7EM__)
#error "cmsis_compiler.h (m7amp) supports only GCC targeting ARMv7E-M (Cortex-M7)"
#endif

#include <stdint.h>
#include <arm_acle.h>

/* ---- attributes --------------------------------------------------------------------------- */
#ifndef __ASM
#define __ASM __asm__
#endif
#ifndef __INLINE
#define __INLINE inline
#endif
#ifndef __STATIC_INLINE
#define __STATIC_INLINE static inline
#endif
#ifndef __STATIC_FORCEINLINE
#define __STATIC_FORCEINLINE __attribute__((always_inline)) static inline
#endif
#ifndef __NO_RETURN
#define __NO_RETURN __attribute__((__noreturn__))
#endif
#ifndef __USED
#define __USED __attribute__((used))
#endif
#ifndef __WEAK
#define __WEAK __attribute__((weak))
#endif
#ifndef __PACKED
#define __PACKED __attribute__((packed, aligned(1)))
#endif
#ifndef __PACKED_STRUCT
#define __PACKED_STRUCT struct __attribute__((packed, aligned(1)))
#endif
#ifndef __ALIGNED
#define __ALIGNED(x) __attribute__((aligned(x)))
#endif
#ifndef __RESTRICT
#define __RESTRICT __restrict
#endif

/* ---- unaligned access (packed one-member structs make GCC emit plain LDR/STR on ARMv7-M) ---- */
__PACKED_STRUCT m7_unaligned_u16 { uint16_t v; };
__PACKED_STRUCT m7_unaligned_u32 { uint32_t v; };
#define __UNALIGNED_UINT16_READ(addr) (((const struct m7_unaligned_u16 *)(const void *)(addr))->v)
#define __UNALIGNED_UINT16_WRITE(addr, val) \
    ((void)(((struct m7_unaligned_u16 *)(void *)(addr))->v = (uint16_t)(val)))
#define __UNALIGNED_UINT32_READ(addr) (((const struct m7_unaligned_u32 *)(const void *)(addr))->v)
#define __UNALIGNED_UINT32_WRITE(addr, val) \
    ((void)(((struct m7_unaligned_u32 *)(void *)(addr))->v = (uint32_t)(val)))

/* ---- barriers and hints ------------------------------------------------------------------- */
__STATIC_FORCEINLINE void __NOP(void) { __ASM volatile("nop"); }
__STATIC_FORCEINLINE void __WFI(void) { __ASM volatile("wfi" ::: "memory"); }
__STATIC_FORCEINLINE void __WFE(void) { __ASM volatile("wfe" ::: "memory"); }
__STATIC_FORCEINLINE void __SEV(void) { __ASM volatile("sev"); }
__STATIC_FORCEINLINE void __DSB(void) { __ASM volatile("dsb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __ISB(void) { __ASM volatile("isb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __DMB(void) { __ASM volatile("dmb 0xF" ::: "memory"); }
#define __BKPT(value) __ASM volatile("bkpt " #value)

/* ---- core registers (special registers via MRS/MSR) --------------------------------------- */
__STATIC_FORCEINLINE void __enable_irq(void) { __ASM volatile("cpsie i" ::: "memory"); }
__STATIC_FORCEINLINE void __disable_irq(void) { __ASM volatile("cpsid i" ::: "memory"); }
__STATIC_FORCEINLINE uint32_t __get_PRIMASK(void)
{
    uint32_t r;
    __ASM volatile("mrs %0, primask" : "=r"(r));
    return r;
}
__STATIC_FORCEINLINE void __set_PRIMASK(uint32_t v) { __ASM volatile("msr primask, %0" ::"r"(v) : "memory"); }
__STATIC_FORCEINLINE uint32_t __get_BASEPRI(void)
{
    uint32_t r;
    __ASM volatile("mrs %0, basepri" : "=r"(r));
    return r;
}
__STATIC_FORCEINLINE void __set_BASEPRI(uint32_t v) { __ASM volatile("msr basepri, %0" ::"r"(v) : "memory"); }
__STATIC_FORCEINLINE uint32_t __get_IPSR(void)
{
    uint32_t r;
    __ASM volatile("mrs %0, ipsr" : "=r"(r));
    return r;
}
__STATIC_FORCEINLINE uint32_t __get_CONTROL(void)
{
    uint32_t r;
    __ASM volatile("mrs %0, control" : "=r"(r));
    return r;
}
__STATIC_FORCEINLINE uint32_t __get_MSP(void)
{
    uint32_t r;
    __ASM volatile("mrs %0, msp" : "=r"(r));
    return r;
}
__STATIC_FORCEINLINE uint32_t __get_FPSCR(void) { return __builtin_arm_get_fpscr(); }
__STATIC_FORCEINLINE void __set_FPSCR(uint32_t v) { __builtin_arm_set_fpscr(v); }

/* ---- bit operations ----------------------------------------------------------------------- */
/* ROR: rotate right; n taken modulo 32 as the instruction does. */
__STATIC_FORCEINLINE uint32_t __ROR(uint32_t x, uint32_t n)
{
    n &= 31U;
    return n == 0U ? x : (x >> n) | (x << (32U - n));
}
/* CLZ: count leading zeros; CLZ(0) = 32 (the instruction's result; __builtin_clz(0) is undefined). */
__STATIC_FORCEINLINE uint8_t __CLZ(uint32_t x) { return x == 0U ? 32U : (uint8_t)__builtin_clz(x); }
__STATIC_FORCEINLINE uint32_t __RBIT(uint32_t x)
{
    uint32_t r;
    __ASM("rbit %0, %1" : "=r"(r) : "r"(x));
    return r;
}
#define __REV(x) __builtin_bswap32(x)

/* ---- saturation (bit position must be a compile-time constant, as in the instruction) ------ */
#define __SSAT(x, n) __ssat((int32_t)(x), (n))
#define __USAT(x, n) __usat((int32_t)(x), (n))
#define __QADD(a, b) __qadd((int32_t)(a), (int32_t)(b))
#define __QSUB(a, b) __qsub((int32_t)(a), (int32_t)(b))

/* ---- SIMD32 (two halfwords / four bytes in one register) ---------------------------------- */
#define __QADD8(a, b) ((uint32_t)__qadd8((int32_t)(a), (int32_t)(b)))
#define __QSUB8(a, b) ((uint32_t)__qsub8((int32_t)(a), (int32_t)(b)))
#define __QADD16(a, b) ((uint32_t)__qadd16((int32_t)(a), (int32_t)(b)))
#define __QSUB16(a, b) ((uint32_t)__qsub16((int32_t)(a), (int32_t)(b)))
#define __SHADD16(a, b) ((uint32_t)__shadd16((int32_t)(a), (int32_t)(b)))
#define __SHSUB16(a, b) ((uint32_t)__shsub16((int32_t)(a), (int32_t)(b)))
#define __QASX(a, b) ((uint32_t)__qasx((int32_t)(a), (int32_t)(b)))
#define __QSAX(a, b) ((uint32_t)__qsax((int32_t)(a), (int32_t)(b)))
#define __SHASX(a, b) ((uint32_t)__shasx((int32_t)(a), (int32_t)(b)))
#define __SHSAX(a, b) ((uint32_t)__shsax((int32_t)(a), (int32_t)(b)))
#define __SXTB16(a) ((uint32_t)__sxtb16((int32_t)(a)))
#define __SMUAD(a, b) ((uint32_t)__smuad((int32_t)(a), (int32_t)(b)))
#define __SMUADX(a, b) ((uint32_t)__smuadx((int32_t)(a), (int32_t)(b)))
#define __SMUSD(a, b) ((uint32_t)__smusd((int32_t)(a), (int32_t)(b)))
#define __SMUSDX(a, b) ((uint32_t)__smusdx((int32_t)(a), (int32_t)(b)))
#define __SMLAD(a, b, acc) ((uint32_t)__smlad((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#define __SMLADX(a, b, acc) ((uint32_t)__smladx((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#define __SMLSD(a, b, acc) ((uint32_t)__smlsd((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#define __SMLSDX(a, b, acc) ((uint32_t)__smlsdx((int32_t)(a), (int32_t)(b), (int32_t)(acc)))
#define __SMLALD(a, b, acc) ((uint64_t)__smlald((int32_t)(a), (int32_t)(b), (int64_t)(acc)))
#define __SMLALDX(a, b, acc) ((uint64_t)__smlaldx((int32_t)(a), (int32_t)(b), (int64_t)(acc)))

/* PKHBT: bottom half of a, top half of (b << s).  PKHTB: top half of a, bottom half of (b ASR s). */
#define __PKHBT(a, b, s) ((((uint32_t)(a)) & 0x0000FFFFUL) | ((((uint32_t)(b)) << (s)) & 0xFFFF0000UL))
#define __PKHTB(a, b, s) \
    ((((uint32_t)(a)) & 0xFFFF0000UL) | (((uint32_t)(((int32_t)(b)) >> (s))) & 0x0000FFFFUL))

/* SMMLA: acc + the most significant word of the 64-bit product (truncated, as the instruction). */
__STATIC_FORCEINLINE int32_t __SMMLA(int32_t a, int32_t b, int32_t acc)
{
    /* acc * 2^32 written as a shift of the unsigned pattern: shifting a negative value is UB in C. */
    int64_t hi = (int64_t)((uint64_t)(uint32_t)acc << 32);
    return (int32_t)((hi + (int64_t)a * (int64_t)b) >> 32);
}

#endif /* M7_CMSIS_COMPILER_H */
