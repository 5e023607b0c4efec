"""m7amp/memory.py: the flash/RAM report of an engine ELF against the F767's memories, and the refusal of
a model that does not fit (before building, from the package, and at link time)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from m7amp.bench import bench_engine_row
from m7amp.cli import main
from m7amp.errors import M7Error
from m7amp.firmware import REPO, build_bench, elf_size
from m7amp.memory import (
    DoesNotFitError,
    board_regions,
    check_package_fits,
    format_report,
    memory_report,
    region_overflow_error,
)
from m7amp.models._config import WaveNetConfig, state_floats
from m7amp.package import DEFAULT_PACKAGE
from tests._skips import requires_arm_gcc

META = json.loads((DEFAULT_PACKAGE / "metadata.json").read_text())
KB = 1024
DILATIONS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def test_regions_are_the_f767s_and_the_linker_scripts() -> None:
    regions = board_regions()
    assert {n: (r.start, r.size) for n, r in regions.items()} == {
        "itcm": (0x00000000, 16 * KB), "flash": (0x08000000, 2048 * KB), "dtcm": (0x20000000, 128 * KB),
        "sram1": (0x20020000, 368 * KB), "sram2": (0x2007C000, 16 * KB)}
    assert regions["flash"].holds(0x00200000)  # the ITCM-bus alias of flash
    # The linker script's MEMORY says the same (two descriptions that must not drift).
    ld = (REPO / "firmware" / "board" / "stm32f767zi.ld").read_text()
    line = r"^\s*(\w+)\s*\(\w+\)\s*:\s*ORIGIN = (0x[0-9A-Fa-f]+), LENGTH = (\d+)K"
    memory = re.findall(line, ld, re.MULTILINE)
    assert {(name.lower(), int(origin, 16), int(length) * KB) for name, origin, length in memory} == {
        (n, r.start, r.size) for n, r in regions.items()}


@requires_arm_gcc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_report_of_the_bench_elf(precision: str) -> None:
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], precision, block=32, blocks=8)
    report = memory_report(elf)
    assert report.model == f"{META['name']}_{precision}"
    assert report.flash_bytes == elf_size(elf)["flash"]  # code, constants and the load image of .data
    assert report.weights_region == "flash"
    assert report.weights >= META["memory"][f"weight_bytes_{precision}"]  # + the descriptor's op table
    assert report.state == META["memory"][f"state_bytes_{precision}"]
    assert (report.state_region, report.scratch_region) == ("dtcm", "dtcm")
    assert report.scratch >= 32 * META["memory"][f"buffer_bytes_{precision}"]
    dtcm = report.regions["dtcm"]
    assert {".stack", ".dtcm_bss"} <= set(dtcm.sections)
    assert dtcm.used >= 16 * KB + report.state + report.scratch
    assert report.ram_bytes == sum(report.regions[r].used for r in ("dtcm", "sram1", "sram2"))
    text = format_report(report)
    assert f"engine: model {report.model}: weights {report.weights} B in flash" in text
    assert re.search(rf"^dtcm\s+0x20000000\s+131072\s+{dtcm.used}\s+{dtcm.free}\s", text, re.MULTILINE)


@requires_arm_gcc
def test_m7amp_build_prints_the_report_for_an_engine_app(capsys: pytest.CaptureFixture[str]) -> None:
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], "f32", block=32, blocks=8)
    build_dir = elf.parents[3]  # <build>/firmware/app/bench/bench.elf
    assert main(["build", "bench", "--build-dir", str(build_dir)]) == 0
    out = capsys.readouterr().out
    assert "engine: model nano_f32: weights" in out and "state 49104 B in dtcm" in out
    assert re.search(r"^sram1\s+0x20020000\s+376832\s", out, re.MULTILINE)


def test_linker_overflow_becomes_one_line() -> None:
    log = ("/usr/lib/gcc/arm-none-eabi/13.2.1/../bin/ld: bench.elf section `.bss' will not fit in "
           "region `SRAM1'\n/usr/lib/.../ld: region `SRAM1' overflowed by 1234 bytes\n"
           "collect2: error: ld returned 1 exit status\n")
    err = region_overflow_error(log, "model big (f32) in bench")
    assert isinstance(err, DoesNotFitError)
    assert (err.region, err.need, err.size) == ("SRAM1", 368 * KB + 1234, 368 * KB)
    assert str(err) == ("model big (f32) in bench does not fit: region SRAM1 needs 378066 bytes, "
                        "has 376832 (over by 1234)")
    assert region_overflow_error("collect2: error: ld returned 1 exit status", "x") is None


def test_precheck_refuses_a_state_too_big_for_any_ram_region() -> None:
    # 48 channels, dilations 1..512, kernel 3: 2*1023*48 floats = 392 832 bytes, above SRAM1's 376 832.
    cfg = WaveNetConfig("wide", False, (48,), (DILATIONS,))
    state = 4 * state_floats(cfg)
    meta = {"name": "wide", "memory": {"state_bytes_f32": state, "weight_bytes_f32": 1000}}
    with pytest.raises(DoesNotFitError, match=rf"^model wide \(f32\): state does not fit: region SRAM1 needs "
                                              rf"{state} bytes, has 376832 \(over by {state - 376832}\)$"):
        check_package_fits(meta, "f32")
    meta["memory"] |= {"state_bytes_q15": state // 2, "weight_bytes_q15": 3 * 1024 * KB}
    with pytest.raises(DoesNotFitError, match=r"weights does not fit: region FLASH needs 3145728 bytes"):
        check_package_fits(meta, "q15")
    check_package_fits(meta | {"memory": {"state_bytes_q15": state // 2}}, "q15")  # half the state fits


@pytest.fixture(scope="module")
def big_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real export whose f32 state (368 280 bytes) passes the pre-check but, with the bench's scratch and
    buffers, overflows SRAM1 (376 832 bytes) at link time. Untrained, 8 kHz, 0.5 s golden clip."""
    from m7amp.export import export_package
    from m7amp.preset_package import fresh_run

    cfg = WaveNetConfig("big", False, (45,), (DILATIONS,))
    run = tmp_path_factory.mktemp("big_run")
    fresh_run(cfg, run, seconds=0.5, sample_rate=8000)
    pkg = tmp_path_factory.mktemp("big_pkg")
    meta = export_package(run, pkg, force=True, golden_seconds=0.5, tflite=False, progress=lambda _: None)
    assert meta["memory"]["state_bytes_f32"] == 4 * state_floats(cfg) == 368_280
    return pkg


@requires_arm_gcc
def test_a_model_too_big_for_ram_is_refused_at_link(big_package: Path, tmp_path: Path) -> None:
    with pytest.raises(DoesNotFitError) as info:
        build_bench(big_package / "c", "big", "f32", build_dir=tmp_path / "build")
    err = info.value
    assert err.region == "SRAM1" and err.size == 368 * KB and err.need > 368_280 + 32 * 728
    message = str(err)
    assert "\n" not in message
    assert message.startswith("model big (f32) in bench does not fit: region SRAM1 needs ")
    # The bench reports it as a row with the reason instead of stopping.
    row = bench_engine_row(big_package, "f32")
    assert row["preset"] == "big" and row["error"] == message
    assert row["cycles_per_sample"] is None and row["flash_bytes"] is None


def test_does_not_fit_is_a_user_error() -> None:
    assert issubclass(DoesNotFitError, M7Error)
