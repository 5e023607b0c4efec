"""The audio firmware without the simulator's SAI/DMA models (issue 5): the SAI1 clock plans against
RM0410's clock formulas (host build of firmware/board/sai_clock.c), and the `audio` ELFs for both
rates and precisions: buffers, counters and handlers where docs/audio.md says they are."""

from __future__ import annotations

import ctypes
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from m7amp.firmware import build_engine_app
from tests._skips import REPO, requires_arm_gcc, requires_host_cc

BOARD = REPO / "firmware" / "board"
MODEL_DIR = REPO / "training" / "default" / "c"
VCO_IN_HZ = 2_000_000  # PLL source / PLLM as system.c sets it (HSE 8 MHz / 4 or HSI 16 MHz / 8)

SRAM2 = range(0x2007_C000, 0x2008_0000)
DTCM = range(0x2000_0000, 0x2002_0000)
STATS_SIZE = 0x50
N_SYSTEM_VECTORS = 16
DMA2_STREAM5_IRQ = 68

# RM0410 §5.3.24 RCC_PLLSAICFGR and §5.3.25 RCC_DCKCFGR1 field positions, written out independently.
PLLSAIN_POS, PLLSAIP_POS, PLLSAIQ_POS, PLLSAIR_POS = 6, 16, 24, 28
PLLSAIDIVQ_POS, SAI1SEL_POS = 8, 20


class SaiClock(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("rate_hz", "pllsain", "pllsaiq", "pllsaidivq", "mckdiv", "fs_num", "fs_den")]


def frame_rate(n: int, q: int, divq: int, mckdiv: int) -> Fraction:
    """RM0410: SAI_CK = VCO_in * N / Q / DIVQ; MCLK = SAI_CK / (2 * MCKDIV) (SAI_CK if 0); FS = MCLK / 256."""
    sai_ck = Fraction(VCO_IN_HZ * n, q * divq)
    mclk = sai_ck if mckdiv == 0 else sai_ck / (2 * mckdiv)
    return mclk / 256


def best_legal_error(rate: int) -> float:
    """Smallest |FS - rate| over every (N, Q, DIVQ, MCKDIV) RM0410 allows: 50 <= N <= 432 with the VCO in
    100..432 MHz, 2 <= Q <= 15, 1 <= DIVQ <= 32, 0 <= MCKDIV <= 15 (0 divides by 1)."""
    n = np.arange(50, 433, dtype=np.float64)
    n = n[(VCO_IN_HZ * n >= 100e6) & (VCO_IN_HZ * n <= 432e6)]
    q = np.arange(2, 16, dtype=np.float64)
    divq = np.arange(1, 33, dtype=np.float64)
    mck = np.array([1.0] + [2.0 * m for m in range(1, 16)])
    fs = VCO_IN_HZ * n[:, None, None, None] / (q[None, :, None, None] * divq[None, None, :, None]
                                                * mck[None, None, None, :] * 256.0)
    return float(np.min(np.abs(fs - rate)))


@pytest.fixture(scope="module")
def clocklib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    so = tmp_path_factory.mktemp("saiclock") / "libsaiclock.so"
    cmd = ["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-I", str(BOARD),
           str(BOARD / "sai_clock.c"), "-o", str(so)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    lib = ctypes.CDLL(str(so))
    lib.m7_sai_clock_plan.restype = ctypes.POINTER(SaiClock)
    lib.m7_sai_clock_plan.argtypes = [ctypes.c_uint32]
    for fn in ("m7_sai_clock_pllsaicfgr", "m7_sai_clock_dckcfgr1", "m7_sai_clock_rate_mhz"):
        getattr(lib, fn).restype = ctypes.c_uint32
        getattr(lib, fn).argtypes = [ctypes.POINTER(SaiClock)]
    lib.m7_sai_clock_dckcfgr1_mask.restype = ctypes.c_uint32
    return lib


def plan(lib: ctypes.CDLL, rate: int) -> SaiClock:
    p = lib.m7_sai_clock_plan(rate)
    assert p, f"no plan for {rate}"
    return p.contents


@requires_host_cc
@pytest.mark.parametrize("rate", [48000, 44100, 16000, 8000, 4000])
def test_clock_plan_is_legal_and_its_stated_rate_exact(clocklib, rate):
    p = plan(clocklib, rate)
    assert p.rate_hz == rate
    assert 50 <= p.pllsain <= 432 and 100_000_000 <= VCO_IN_HZ * p.pllsain <= 432_000_000
    assert 2 <= p.pllsaiq <= 15 and 1 <= p.pllsaidivq <= 32 and 0 <= p.mckdiv <= 15
    fs = frame_rate(p.pllsain, p.pllsaiq, p.pllsaidivq, p.mckdiv)
    assert fs == Fraction(p.fs_num, p.fs_den)
    assert clocklib.m7_sai_clock_rate_mhz(ctypes.byref(p)) == round(fs * 1000)
    # MCLK = 256 FS is what the PCM1808 (SCKI) and PCM5102A (SCK) accept (docs/hardware.md)
    assert abs(fs - rate) / rate < 400e-6


@requires_host_cc
@pytest.mark.parametrize("rate", [48000, 44100, 16000, 8000, 4000])
def test_no_legal_clock_configuration_is_closer(clocklib, rate):
    p = plan(clocklib, rate)
    ours = float(abs(Fraction(p.fs_num, p.fs_den) - rate))
    assert ours <= best_legal_error(rate) * (1 + 1e-12)


@requires_host_cc
def test_exact_achieved_rates_as_documented(clocklib):
    assert Fraction(plan(clocklib, 48000).fs_num, plan(clocklib, 48000).fs_den) == Fraction(671875, 14)
    assert Fraction(plan(clocklib, 44100).fs_num, plan(clocklib, 44100).fs_den) == Fraction(1234375, 28)
    assert clocklib.m7_sai_clock_rate_mhz(ctypes.byref(plan(clocklib, 48000))) == 47_991_071
    assert clocklib.m7_sai_clock_rate_mhz(ctypes.byref(plan(clocklib, 44100))) == 44_084_821
    for rate in (8000, 4000):  # exact
        assert Fraction(plan(clocklib, rate).fs_num, plan(clocklib, rate).fs_den) == rate


@requires_host_cc
def test_unsupported_rate_has_no_plan(clocklib):
    for rate in (0, 32000, 96000, 44800):
        assert not clocklib.m7_sai_clock_plan(rate)


@requires_host_cc
@pytest.mark.parametrize("rate, n", [(48000, 172), (44100, 158)])
def test_register_words_encode_the_plan(clocklib, rate, n):
    p = plan(clocklib, rate)
    word = clocklib.m7_sai_clock_pllsaicfgr(ctypes.byref(p))
    # N, P = /2 (00), Q = 7, R = 2 (outputs for USB/LTDC the firmware does not use, in their legal range)
    assert word == (n << PLLSAIN_POS) | (0 << PLLSAIP_POS) | (7 << PLLSAIQ_POS) | (2 << PLLSAIR_POS)
    assert (word >> PLLSAIN_POS) & 0x1FF == p.pllsain and (word >> PLLSAIQ_POS) & 0xF == p.pllsaiq
    assert word & ~0x7F037FC0 == 0, "bits outside PLLSAIN/P/Q/R are reserved"
    mask = clocklib.m7_sai_clock_dckcfgr1_mask()
    assert mask == (0x1F << PLLSAIDIVQ_POS) | (0x3 << SAI1SEL_POS)
    dck = clocklib.m7_sai_clock_dckcfgr1(ctypes.byref(p))
    assert dck & ~mask == 0
    assert (dck >> PLLSAIDIVQ_POS) & 0x1F == p.pllsaidivq - 1  # field = divider - 1
    assert (dck >> SAI1SEL_POS) & 0x3 == 0  # SAI1 kernel clock = PLLSAI_Q / PLLSAIDIVQ


# ------------------------------------------------------------------------------------ the audio ELF

BUILDS = {  # name: (precision, rate, block)
    "f32_48k_32": ("f32", 48000, 32),
    "f32_44k_64": ("f32", 44100, 64),
    "q15_48k_32": ("q15", 48000, 32),
}


class AudioElf:
    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as f:
            elf = ELFFile(f)
            self.symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name}
            self.vectors = elf.get_section_by_name(".isr_vector").data()
            self.rodata = [(s["sh_addr"], s.data()) for s in elf.iter_sections()
                           if s["sh_type"] == "SHT_PROGBITS" and s["sh_flags"] & 2]

    def addr(self, name: str) -> int:
        return self.symbols[name]["st_value"]

    def size(self, name: str) -> int:
        return self.symbols[name]["st_size"]

    def read(self, addr: int, n: int) -> bytes:
        for base, data in self.rodata:
            if base <= addr and addr + n <= base + len(data):
                return data[addr - base:addr - base + n]
        raise AssertionError(f"0x{addr:08x} is in no loaded section")


@pytest.fixture(scope="module", params=sorted(BUILDS))
def audio_elf(request: pytest.FixtureRequest) -> tuple[tuple[str, int, int], AudioElf]:
    precision, rate, block = BUILDS[request.param]
    defines = {"M7AMP_AUDIO_RATE": str(rate), "M7AMP_AUDIO_BLOCK": str(block), "M7AMP_AUDIO_SLOW": "0",
               "M7AMP_AUDIO_REPORT_MS": "1000"}
    elf = build_engine_app("audio", MODEL_DIR, "nano", precision, defines=defines,
                           build_dir=REPO / "build" / "test-audio" / request.param)
    return (precision, rate, block), AudioElf(elf)


@requires_arm_gcc
def test_dma_buffers_are_in_sram2_on_whole_cache_lines(audio_elf):
    (_, _, block), elf = audio_elf
    for name in ("m7_audio_rx", "m7_audio_tx"):
        addr, size = elf.addr(name), elf.size(name)
        assert size == 2 * block * 2 * 2, f"{name}: 2 halves x block frames x 2 channels x int16"
        assert addr in SRAM2 and addr + size - 1 in SRAM2
        assert addr % 32 == 0 and size % 64 == 0, "each half is whole 32-byte D-cache lines"


@requires_arm_gcc
def test_stats_struct_is_in_dtcm_by_symbol(audio_elf):
    _, elf = audio_elf
    addr = elf.addr("m7_audio_stats")
    assert elf.size("m7_audio_stats") == STATS_SIZE
    assert addr in DTCM and addr % 8 == 0, "not cached (readable by a debugger), cycles_sum 8-aligned"


@requires_arm_gcc
def test_map_file_lists_buffers_and_stats(audio_elf):
    _, elf = audio_elf
    text = elf.path.with_suffix(".map").read_text()
    for name in ("m7_audio_rx", "m7_audio_tx", "m7_audio_stats", "DMA2_Stream5_IRQHandler"):
        assert name in text


@requires_arm_gcc
def test_rx_dma_interrupt_is_wired_to_the_audio_handler(audio_elf):
    _, elf = audio_elf
    slot = N_SYSTEM_VECTORS + DMA2_STREAM5_IRQ
    (handler,) = struct.unpack_from("<I", elf.vectors, 4 * slot)
    assert handler == elf.addr("DMA2_Stream5_IRQHandler") | 1


@requires_arm_gcc
def test_elf_carries_the_clock_plan_the_host_build_checks(audio_elf, clocklib):
    (_, rate, _), elf = audio_elf
    table = elf.read(elf.addr("plans"), elf.size("plans"))
    rows = [struct.unpack_from("<7I", table, off) for off in range(0, len(table), 28)]
    p = plan(clocklib, rate)
    assert tuple(getattr(p, name) for name, _ in SaiClock._fields_) in rows


@requires_arm_gcc
def test_start_and_stats_lines_present(audio_elf):
    _, elf = audio_elf
    image = b"".join(data for _, data in elf.rodata)
    assert b"M7AMP AUDIO START model=%s precision=%s rate=%lu fs_mhz=%lu block=%lu latency=%lu" in image
    assert b"M7AMP AUDIO STATS blocks=%lu overruns=%lu cycles_min=%lu cycles_avg=%lu cycles_max=%lu" in image
    assert b"M7AMP AUDIO FAIL %s %d\r\n" in image


# ------------------------------------------- end to end on the simulator's SAI1/DMA2 models (bypass)

def bypass_elf(slow: int, report_ms: int = 1000) -> Path:
    defines = {"M7AMP_AUDIO_RATE": "48000", "M7AMP_AUDIO_BLOCK": "32", "M7AMP_AUDIO_SLOW": str(slow),
               "M7AMP_AUDIO_REPORT_MS": str(report_ms), "M7AMP_AUDIO_BYPASS": "1"}
    return build_engine_app("audio", MODEL_DIR, "nano", "f32", defines=defines,
                            build_dir=REPO / "build" / "test-audio" / f"bypass_s{slow}_r{report_ms}")


def noise(n: int) -> np.ndarray:
    return np.random.default_rng(7).uniform(-0.5, 0.5, n).astype(np.float32)


@requires_arm_gcc
def test_bypass_output_is_the_input_two_blocks_later_bit_for_bit():
    from m7amp.audio import play

    x = noise(4800)
    result = play(bypass_elf(0), x, 48000)
    assert result.latency_samples == result.extra["firmware_latency"] == 2 * 32
    assert result.deadline_misses == 0 and result.extra["firmware_overruns"] == 0
    # 16-bit words both ways, nothing else in between: exact
    assert np.array_equal(result.output, np.round(x * 32768) / 32768)


@requires_arm_gcc
def test_start_line_and_a_stats_line_every_report_period():
    from m7amp.audio import play

    result = play(bypass_elf(0, report_ms=50), noise(4800), 48000)
    lines = result.uart.splitlines()
    assert lines[0].startswith("M7AMP AUDIO START model=bypass precision=f32 rate=48000 fs_mhz=47991071 "
                               "block=32 latency=64 ")
    stats = [ln for ln in lines if ln.startswith("M7AMP AUDIO STATS ")]
    # every ceil(50 ms x 48000 / 32) = 75 blocks of audio: 4800 samples + the 64-sample latency -> 2 lines
    assert [ln.split()[3] for ln in stats] == ["blocks=75", "blocks=150"]
    assert all(" overruns=0 " in ln and " dma_errors=0 sai_errors=0" in ln for ln in stats)


@requires_arm_gcc
@pytest.mark.parametrize("slow, misses", [(130_000, False), (145_000, True)])
def test_firmware_counts_every_half_of_a_too_slow_build(slow, misses):
    from m7amp.audio import play

    # budget 144 031 cycles per block of 32 at 47 991.07 Hz; the bypass ISR itself takes ~520
    result = play(bypass_elf(slow), noise(3200), 48000)
    halves = len(result.output) // 32
    if misses:
        assert result.deadline_misses > 0
        assert result.extra["firmware_overruns"] >= halves, "each half late or lost counts once"
    else:
        assert result.deadline_misses == 0 and result.extra["firmware_overruns"] == 0
