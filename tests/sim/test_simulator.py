"""The simulator on small programs built at test time (tests/sim/fixtures/*.c + m7amp/sim/workload)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from m7amp.sim import Simulator
from tests._skips import requires_arm_gcc, requires_host_cc

pytestmark = [requires_arm_gcc, requires_host_cc]
MAX = 50_000_000


@pytest.mark.parametrize("status", [0, 3])
def test_exit_status_comes_from_semihosting(fixture_elf: Callable[..., Path], status: int) -> None:
    result = Simulator(fixture_elf("hello", EXIT_STATUS=status)).run(max_cycles=MAX)
    assert result.stop_reason == "exit"
    assert result.status == status
    assert result.uart == "hello from the simulated F767\r\n"
    assert 0 < result.instructions < 10_000


def test_two_runs_are_identical(fixture_elf: Callable[..., Path]) -> None:
    """Same ELF, same input: the same UART bytes, cycles and instructions (events included)."""
    results = []
    for _ in range(2):
        sim = Simulator(fixture_elf("irq"))
        sim.uart_input(b"ok")
        results.append(sim.run(max_cycles=MAX))
    a, b = results
    assert (a.uart, a.cycles, a.instructions, a.status) == (b.uart, b.cycles, b.instructions, b.status)


def test_interrupts_nest_tail_chain_mask_and_keep_fp_state(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("irq"))
    sim.uart_input(b"ok")
    result = sim.run(max_cycles=MAX)
    # aHbcL: IRQ1 preempts IRQ0, IRQ2 tail-chains; p3q: PRIMASK; rHs3t: BASEPRI (see irq.c)
    assert "order aHbcLTp3qrHs3tL\r\n" in result.uart
    assert "IRQ PASS" in result.uart, result.uart
    assert result.status == 0


def test_systick_wfi_skips_virtual_time(fixture_elf: Callable[..., Path]) -> None:
    """Five 1 ms SysTick periods pass in virtual time while only a few thousand instructions run."""
    sim = Simulator(fixture_elf("irq"))
    sim.uart_input(b"ok")
    result = sim.run(max_cycles=MAX)
    assert result.cycles >= 5 * 16_000
    assert result.instructions < 20_000
    assert sim.systick.wraps >= 5


def test_sleeping_with_nothing_to_wake_stops_as_idle(fixture_elf: Callable[..., Path]) -> None:
    """irq.c waits (WFI) for two RX bytes; without input nothing can wake it."""
    result = Simulator(fixture_elf("irq")).run(max_cycles=MAX)
    assert result.stop_reason == "idle"


def test_clock_bring_up_reaches_216_mhz(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("clock"))
    assert sim.core_hz == 16_000_000  # HSI at reset
    result = sim.run(max_cycles=MAX)
    assert "clock OK 0" in result.uart
    assert sim.core_hz == 216_000_000
    assert sim.pclk1_hz == 54_000_000
    assert result.warnings == []  # over-drive and 7 wait states were set before the switch


def test_clock_switch_waits_for_the_pll(fixture_elf: Callable[..., Path]) -> None:
    """SW=PLL before PLLRDY keeps the old clock: the ready/lock semantics the bring-up relies on."""
    from m7amp.sim.periph import rcc

    sim = Simulator(fixture_elf("clock"))
    r = sim.rcc
    assert r is not None
    r.write(rcc.CFGR, 2, 0xFFFFFFFF)  # ask for the PLL, which is off
    sim.hook.state.cycles = 10_000  # let virtual time pass
    sim.scheduler.fire_due(sim.cycles)
    assert (r.regs[rcc.CFGR] >> 2) & 3 == 0
    assert sim.core_hz == 16_000_000


def test_core_peripherals_and_system_reset(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("periph"))
    result = sim.run(max_cycles=MAX)
    lines = result.uart.splitlines()
    assert lines[:2] == ["first boot", "after reset"]  # AIRCR.SYSRESETREQ reset the core
    values = dict(line.rsplit(" ", 1) for line in lines[2:])
    assert int(values["cpuid"]) == 0x411F_C270
    assert int(values["cyccnt_off"]) == 0  # DEMCR.TRCENA clear
    assert 100 * 3 < int(values["cyccnt_on"]) < 100 * 30  # a 100-iteration volatile loop
    assert values["countflag_cleared"] == "0"  # reading CTRL cleared COUNTFLAG
    assert any("PWREN is clear" in w for w in result.warnings)
    assert any(w.startswith("rtc: write") for w in result.warnings)


def test_cyccnt_counts_instructions_without_cycle_model(fixture_elf: Callable[..., Path]) -> None:
    result = Simulator(fixture_elf("periph"), cycle_model=False).run(max_cycles=MAX)
    assert result.cycles == result.instructions


FAULTS = {
    "u": ("unmapped-write", "fault_unmapped", 0x6000_0000),
    "i": ("undefined-instruction", "fault_undefined", None),
    "s": ("stack-overflow", "fault_stack", None),
    "z": ("divide-by-zero", "fault_divide", None),
    "x": ("bad-exc-return", "fault_exc_return", None),
    "f": ("unmapped-fetch", "fault_fetch", 0x6000_0000),
    "w": ("write-to-flash", "fault_flash", 0x0810_0000),
}


@pytest.mark.parametrize("key", sorted(FAULTS))
def test_fault_report_names_the_function(fixture_elf: Callable[..., Path], key: str) -> None:
    kind, function, address = FAULTS[key]
    sim = Simulator(fixture_elf("faults"))
    sim.uart_input(key.encode())
    result = sim.run(max_cycles=MAX)
    assert result.stop_reason == "fault", result.uart
    assert result.fault is not None
    assert result.fault.kind == kind
    assert result.fault.function == function
    assert f"in {function}()" in str(result.fault)
    if address is not None:
        assert result.fault.address == address


def test_divide_by_zero_without_trap_returns_zero(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("faults"))
    sim.uart_input(b"d")
    result = sim.run(max_cycles=MAX)
    assert result.stop_reason == "exit"
    assert result.uart.endswith("d\r\n0\r\n")


def test_max_cycles_bounds_a_run(fixture_elf: Callable[..., Path]) -> None:
    """faults.c polls RXNE forever without input: the cycle limit stops it."""
    sim = Simulator(fixture_elf("faults"))
    result = sim.run(max_cycles=200_000)
    assert result.stop_reason == "max-cycles"
    assert 200_000 <= result.cycles < 200_000 + 1_000


def test_until_stops_on_a_matching_line(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("periph"))
    result = sim.run(until=r"^first boot$", max_cycles=MAX)
    assert result.stop_reason == "until"
    assert "after reset" not in result.uart
    assert sim.run(max_cycles=MAX).stop_reason == "exit"  # and it continues from there


def test_profile_attributes_cycles_to_functions(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("hello"))
    result = sim.run(max_cycles=MAX)
    rows = sim.profile(top=50)
    names = [r[0] for r in rows]
    assert "board_puts" in names and "Reset_Handler" in names
    assert sum(r[1] for r in rows) == result.cycles
    assert sum(r[2] for r in rows) == result.instructions
    assert rows == sorted(rows, key=lambda r: -r[1])


def test_trace_names_registers(fixture_elf: Callable[..., Path]) -> None:
    lines: list[str] = []
    Simulator(fixture_elf("hello"), trace=lines.append).run(max_cycles=MAX)
    assert any(line.startswith("[usart3]") and " W CR1 = 0x0000000d" in line for line in lines)
    assert any(line.startswith("[scb]") and " W VTOR = 0x08000000" in line for line in lines)


def test_on_uart_streams_and_reset_starts_over(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("hello"))
    chunks: list[str] = []
    sim.on_uart = chunks.append
    first = sim.run(max_cycles=MAX)
    assert "".join(chunks) == first.uart
    sim.reset()
    assert sim.cycles == 0 and sim.uart_text == ""
    again = sim.run(max_cycles=MAX)
    assert (again.uart, again.cycles) == (first.uart, first.cycles)


def test_memory_and_symbols(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("hello"))
    vectors = sim.read_memory(0x0800_0000, 8)
    assert vectors == sim.read_memory(0x0020_0000, 8)  # the ITCM alias shows the same flash
    assert int.from_bytes(vectors[4:], "little") & ~1 == sim.symbol("Reset_Handler")
    assert sim.symbol("__stack_guard_end") - sim.symbol("__stack_guard_start") == 32


def test_process_stack_and_svc(fixture_elf: Callable[..., Path]) -> None:
    """Thread on PSP: exceptions stack on PSP, handlers run on MSP, EXC_RETURN 0xFFFFFFFD, SVC taken."""
    result = Simulator(fixture_elf("psp")).run(max_cycles=MAX)
    assert "PSP PASS" in result.uart, result.uart
    assert result.status == 0


def test_cyccnt_reads_inside_a_block_see_the_cycles_up_to_the_read(fixture_elf: Callable[..., Path]) -> None:
    # Before: both reads of one block saw the block's end (0 apart). One cycle per instruction: 7
    # instructions from the first read to the second; 5 from the second to the third (b, 2 add, 2 ldr).
    unit = Simulator(fixture_elf("cyccnt_block"), cycle_model=False).run(max_cycles=MAX)
    assert unit.uart.split() == ["7", "5"]
    # Cortex-M7 model: the first ADD pairs with the first LDR, the chain takes 6 cycles, and the second LDR
    # pairs with the last ADD (ALU + load): 5 cycles apart.
    model = Simulator(fixture_elf("cyccnt_block")).run(max_cycles=MAX)
    assert model.uart.split()[0] == "5"


def test_memory_model_makes_code_placement_and_the_icache_count(fixture_elf: Callable[..., Path]) -> None:
    # The same loop (20 iterations over 6 cache lines) from flash via AXIM with the I-cache off, then on,
    # from the flash ITCM-bus alias (ART + prefetch, 7 wait states), and from ITCM RAM.
    elf = fixture_elf("fetch_placement")
    off, on, art, itcm = map(int, Simulator(elf, memory_model=True).run(max_cycles=MAX).uart.split())
    # I-cache off: every line of every iteration is one flash read of 8 cycles (7 wait states) and three
    # more AXI beats of 2 = 14 (was 2 x 8 = 16 before the D-side model; refitted on Dhrystone).
    assert off - itcm >= 20 * 6 * 14
    # I-cache on: only the first iteration misses (6 line fills of 8 + 2); ART: 6 lines, each a miss of
    # 8 or, when sequential, prefetched; ITCM RAM never waits.
    assert itcm < art < on < off
    assert on - itcm <= 6 * 10 + 2 and art - itcm <= 6 * 8
    # Without the memory model (Renode's semantics) placement and caches change nothing.
    plain = list(map(int, Simulator(elf, memory_model=False).run(max_cycles=MAX).uart.split()))
    assert max(plain) - min(plain) <= 1 and abs(plain[3] - itcm) <= 1


def test_memory_model_d_cache_and_data_placement(fixture_elf: Callable[..., Path]) -> None:
    # A 4 KB sum (1024 word loads, 128 lines) with the data in DTCM, SRAM1 and flash, D-cache off and on.
    elf = fixture_elf("dcache_placement")
    sim = Simulator(elf)  # the memory model is on by default
    dtcm, sram_off, flash_off, sram_cold, sram_warm, flash_cold, flash_warm, sram_inval = map(
        int, sim.run(max_cycles=MAX).uart.split())
    words, lines = 1024, 128
    # (dtcm includes a few uncached literal loads from flash: tolerance 32 cycles)
    # Uncached: every SRAM load waits one AXI round trip (4), every flash load one flash read (7 WS: 8).
    assert sram_off - dtcm == pytest.approx(words * 4, abs=32)
    assert flash_off - dtcm == pytest.approx(words * 8, abs=32)
    # Cached: the first pass misses once per line (SRAM fill 4, flash fill 8 + 2), the second hits.
    assert sram_cold - dtcm == pytest.approx(lines * 4, abs=32)
    assert flash_cold - dtcm == pytest.approx(lines * 10, abs=32)
    assert abs(sram_warm - dtcm) <= 32 and abs(flash_warm - dtcm) <= 32
    # DCIMVAC over the buffer: its lines miss again.
    assert sram_inval == sram_cold
    # the enable sequence (DCISW over every set and way) and CCR.DC reached the model
    assert sim.hook.state.dcache_on == 1 and sim.fetch_stats["dcache_misses"] >= 3 * lines
    # Without the memory model every placement costs the same (Renode's semantics).
    plain = set(map(int, Simulator(elf, memory_model=False).run(max_cycles=MAX).uart.split()))
    assert len(plain) == 1 and abs(plain.pop() - dtcm) <= 32


def test_d_cache_maintenance_by_set_way_and_address(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("dcache_placement"))
    sim.run(max_cycles=MAX)
    st = sim.hook.state
    valid = sum(1 for t in st.dcache_tags if t)
    assert valid >= 256  # SRAM and flash buffers, one way each of every set
    sram_line = next(i for i, t in enumerate(st.dcache_tags) if t and (t - 1) << 5 >= 0x2002_0000)
    address = (st.dcache_tags[sram_line] - 1) << 5
    st.dcache_dirty[sram_line] = 1
    sim.scb.write(0xF68, address, 0xFFFFFFFF)  # DCCMVAC: cleaned, still valid
    assert st.dcache_dirty[sram_line] == 0 and st.dcache_tags[sram_line]
    set_, way = divmod(sram_line, 4)
    sim.scb.write(0xF60, set_ << 5 | way << 30, 0xFFFFFFFF)  # DCISW
    assert st.dcache_tags[sram_line] == 0
    sim._system_reset()
    assert st.dcache_on == 0 and not any(st.dcache_tags)


def test_memory_model_follows_cache_maintenance_and_reset(fixture_elf: Callable[..., Path]) -> None:
    sim = Simulator(fixture_elf("fetch_placement"), memory_model=True)
    sim.run(max_cycles=MAX)
    assert sim.hook.state.icache_on == 1 and sim.hook.state.art_on == 1 and sim.hook.state.flash_ws == 7
    misses = sim.fetch_stats["icache_misses"]
    assert misses > 0 and sim.fetch_stats["fetch_cycles"] > 0
    sim.scb.write(0xF50, 0, 0xFFFFFFFF)  # ICIALLU
    assert not any(sim.hook.state.icache_tags)
    sim._system_reset()  # what AIRCR.SYSRESETREQ runs (the program has exited, so call it directly)
    assert sim.hook.state.icache_on == 0 and sim.hook.state.flash_ws == 0  # reset values
