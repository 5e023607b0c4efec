"""``m7amp demo`` wiring: what it writes and prints are the played run's own numbers. The firmware build,
the target and the Keras reference are replaced by known stand-ins here (fast, no toolchain); the real
chain runs in ``test_demo_end_to_end_on_the_simulator`` when the toolchain and the audio path are here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m7amp import metrics
from m7amp.cli import main
from m7amp.package import ENGINE_ESR_BOUND, Package
from m7amp.playback import PlayResult
from m7amp.record import load_record
from m7amp.targets import BACKENDS, Target, target_class

BLOCK = 32


class FakeTarget(Target):
    """Answers tanh(2x) with a known cycle pattern: stands in for a backend."""

    name = "fake"
    app = "audio"

    def load(self, elf: Path) -> None:
        self.elf = elf

    def play(self, samples, sample_rate, *, progress=None) -> PlayResult:
        n = len(samples)
        if progress:
            progress(n, n)
        cycles = np.tile([2000 * BLOCK, 2600 * BLOCK], n // BLOCK // 2 + 1)[: n // BLOCK]
        return PlayResult(output=np.tanh(2 * samples).astype(np.float32), sample_rate=sample_rate,
                          block_size=BLOCK, block_cycles=cycles, deadline_misses=3, latency_samples=64,
                          uart="fake firmware up\n", target=self.name)

    def uart_log(self) -> str:
        return "fake firmware up\n"

    def reset(self) -> None:
        pass


class FakeMemory:
    flash_bytes, ram_bytes = 9100, 5100

    def as_dict(self) -> dict:
        return {"regions": {"flash": {"start": 0x08000000, "size": 2 << 20, "used": 9100},
                            "dtcm": {"start": 0x20000000, "size": 128 << 10, "used": 5100}},
                "model": None, "flash_bytes": 9100, "ram_bytes": 5100}


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import m7amp.memory
    import m7amp.targets

    elf = tmp_path / "fake.elf"
    elf.write_bytes(b"\x7fELF")
    monkeypatch.setitem(BACKENDS, "fake", "tests.test_demo:FakeTarget")
    monkeypatch.setattr(m7amp.targets, "build_firmware", lambda app, pkg, **kw: elf)
    monkeypatch.setattr(m7amp.memory, "memory_report", lambda path: FakeMemory())
    monkeypatch.setattr(Package, "reference_output",
                        lambda self, x, io_bits=0: np.tanh(2.02 * x).astype(np.float32))


def _printed(text: str, label: str) -> str:
    match = re.search(rf"^  {re.escape(label)}\s*: (\S+)", text, re.MULTILINE)
    assert match, f"{label!r} not printed in:\n{text}"
    return match.group(1)


def test_demo_writes_and_prints_the_runs_figures(stand_ins: None, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seconds", "0.5", "--target", "fake"]) == 0
    printed = capsys.readouterr().out

    x, sr = sf.read(out / "guitar_di.wav", dtype="float32")
    fw, _ = sf.read(out / "firmware_out.wav", dtype="float32")
    amp, _ = sf.read(out / "amp_target.wav", dtype="float32")
    assert sr == 48_000 and len(x) == 24_000
    assert np.array_equal(fw, np.tanh(2 * x).astype(np.float32))  # the target's output, unchanged

    rec = load_record(out / "run")
    f = rec.figures()
    assert np.array_equal(rec.input, x) and np.array_equal(rec.target, amp)
    assert f["cycles_per_sample"] == pytest.approx(2300.0, abs=1.0)
    assert f["deadline_misses"] == 3 and rec.memory == FakeMemory().as_dict()
    assert _printed(printed, "ESR vs reference model") == metrics.format_esr(f["esr_vs_reference"])
    assert _printed(printed, "ESR vs amp (target)") == metrics.format_esr(metrics.esr(amp, fw))
    assert _printed(printed, "cycles per sample") == f"{f['cycles_per_sample']:,.0f}"
    assert _printed(printed, "CPU load") == f"{100 * f['cpu_load']:.1f}"
    assert _printed(printed, "deadline misses") == "3"
    report = Path(_printed(printed, "report"))
    assert report == (out / "report.html").resolve()
    page = report.read_text()
    assert page.count("<img ") == 7 and "fake firmware up" in page
    assert page.count("<audio ") == 6 and (out / "report_audio" / "firmware.wav").is_file()


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
def test_demo_end_to_end_on_the_simulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    reason = target_class("sim").unavailable_reason()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seconds", "0.25"]) == 0
    printed = capsys.readouterr().out
    f = load_record(out / "run").figures()
    assert f["esr_vs_reference"] <= ENGINE_ESR_BOUND["f32"]
    assert f["blocks"] > 0 and f["cycles_per_sample"] > 0
    assert _printed(printed, "deadline misses") == str(f["deadline_misses"])
    assert (out / "report.html").is_file()


def test_demo_engine_option_reaches_the_build(stand_ins: None, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]):
    """`demo --engine tflm --tflm-dir DIR` builds the target's app with that engine and tree."""
    import m7amp.targets

    asked: list[dict] = []
    elf = tmp_path / "fake.elf"
    monkeypatch.setattr(m7amp.targets, "build_firmware", lambda app, pkg, **kw: asked.append(kw) or elf)
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--seconds", "0.1", "--target", "fake", "--engine", "tflm",
            "--tflm-dir", str(tmp_path)]
    assert main(argv) == 0
    assert [(kw["engine"], kw["tflm_dir"]) for kw in asked] == [("tflm", tmp_path)]
    assert "(tflm engine, f32, arm-none-eabi-gcc)" in capsys.readouterr().out
