"""The run record (m7amp.record) and the HTML report (m7amp report): real content from a known run."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from m7amp import metrics
from m7amp.cli import main
from m7amp.errors import M7Error
from m7amp.playback import PlayResult
from m7amp.record import RunRecord, load_record
from m7amp.report import cycle_bins, esr_windows, level_dbfs, plot_cycles, write_report

SR, BLOCK = 48_000, 32
# the shape of m7amp.memory.memory_report(elf).as_dict()
MEMORY = {
    "regions": {"itcm": {"start": 0, "size": 16384, "used": 4096},
                "flash": {"start": 0x08000000, "size": 2 << 20, "used": 41_000},
                "dtcm": {"start": 0x20000000, "size": 128 << 10, "used": 60_000},
                "sram1": {"start": 0x20020000, "size": 368 << 10, "used": 0},
                "sram2": {"start": 0x2007C000, "size": 16 << 10, "used": 1024}},
    "model": "nano_f32", "weights_bytes": 3988, "weights_region": "flash", "state_bytes": 49104,
    "state_region": "dtcm", "scratch_bytes": 72, "scratch_region": "dtcm", "flash_bytes": 41_000,
    "ram_bytes": 61_024,
}


def _record() -> RunRecord:
    rng = np.random.default_rng(1)
    t = np.arange(SR // 2) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    ref = np.tanh(3 * x).astype(np.float32)
    out = (ref + 1e-3 * rng.standard_normal(len(x))).astype(np.float32)
    amp = (0.9 * ref).astype(np.float32)
    cycles = rng.integers(3000 * BLOCK, 3500 * BLOCK, len(x) // BLOCK)
    result = PlayResult(output=out, sample_rate=SR, block_size=BLOCK, block_cycles=cycles, deadline_misses=2,
                        latency_samples=64, uart="m7amp audio: nano f32 48000 Hz\n", target="sim",
                        io_bits=16)
    return RunRecord(input=x, result=result, reference=ref, target=amp, elf="fw.elf", package="pkg",
                     precision="f32", memory=MEMORY)


def test_figures_are_those_of_the_play_result():
    rec = _record()
    f = rec.figures()
    assert f["cycles_per_sample"] == pytest.approx(rec.result.cycles_per_sample)
    assert 3000 <= f["cycles_per_sample"] < 3500
    assert f["cpu_load"] == pytest.approx(rec.result.cycles_per_sample / 4500)
    assert f["esr_vs_reference"] == pytest.approx(metrics.esr(rec.reference, rec.result.output))
    assert f["esr_vs_target"] == pytest.approx(metrics.esr(rec.target, rec.result.output))
    assert f["deadline_misses"] == 2 and f["latency_samples"] == 64 and f["blocks"] == SR // 2 // BLOCK


def test_record_round_trips_through_a_folder(tmp_path: Path):
    rec = _record()
    rec.save(tmp_path / "run")
    back = load_record(tmp_path / "run" / "run.json")
    assert np.array_equal(back.result.output, rec.result.output)
    assert np.array_equal(back.result.block_cycles, rec.result.block_cycles)
    assert np.array_equal(back.reference, rec.reference) and np.array_equal(back.target, rec.target)
    assert back.figures() == rec.figures()
    assert back.result.uart == rec.result.uart and back.memory == rec.memory
    assert back.result.io_bits == 16


def test_load_record_rejects_what_is_not_a_run(tmp_path: Path):
    with pytest.raises(M7Error, match="no run found"):
        load_record(tmp_path)
    (tmp_path / "run.json").write_text('{"hello": 1}')
    with pytest.raises(M7Error, match="not an m7amp run record"):
        load_record(tmp_path)


def _images(page: str) -> dict[str, bytes]:
    return {alt: base64.b64decode(data)
            for alt, data in re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)}


def test_report_embeds_every_plot_and_the_figures(tmp_path: Path):
    rec = _record()
    lines: list[str] = []
    out = write_report(rec, tmp_path / "report.html", robot_log=tmp_path / "none.html", progress=lines.append)
    page = out.read_text()
    images = _images(page)
    assert set(images) == {"waveforms", "spectra", "spectrogram difference", "ESR over time",
                           "cycles per block", "CPU load", "memory"}
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000 for png in images.values())
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", page)
    assert "http" not in text  # nothing fetched from a network: images embedded, audio beside the page
    sources = re.findall(r'<audio controls preload="metadata" src="([^"]+)">', page)
    assert sources == [f"report_audio/{name}.wav" for name in ("input", "target", "reference", "firmware",
                                                               "worst_compared", "worst_firmware")]
    f = rec.figures()
    assert f"{f['cycles_per_sample']:,.1f}" in page
    assert metrics.format_esr(f["esr_vs_reference"]) in page
    assert f"{100 * f['cpu_load']:.1f} %" in page
    assert "<th>deadline misses</th><td>2</td>" in page
    assert "m7amp audio: nano f32 48000 Hz" in page  # the UART log
    assert "41,000 B / 61,024 B" in page and "state 49,104 B in dtcm" in page
    err = np.abs(rec.result.output.astype(np.float64) - rec.reference)
    assert f"{np.count_nonzero(err):,} of {len(err):,} samples differ" in page
    assert f"({err.max() * 32768:.0f} LSB of 16-bit samples)" in page
    assert "Robot log" not in page
    assert any("waveforms" in line for line in lines)  # progress was reported


def test_players_hold_the_signals_with_their_levels(tmp_path: Path):
    import soundfile as sf

    rec = _record()
    page = write_report(rec, tmp_path / "report.html", progress=lambda _: None).read_text()
    for name, signal in (("input", rec.input), ("target", rec.target), ("reference", rec.reference),
                         ("firmware", rec.result.output)):
        back, rate = sf.read(tmp_path / "report_audio" / f"{name}.wav", dtype="float32")
        assert rate == SR and np.max(np.abs(back - np.clip(signal, -1, 1))) <= 2.0**-15
        peak, rms = level_dbfs(signal)
        assert f"peak {peak:.1f} dBFS</td><td>RMS {rms:.1f} dBFS" in page
    expected = (20 * np.log10(0.3), 20 * np.log10(0.3 / np.sqrt(2)))  # a 0.3 sine: peak and RMS
    assert level_dbfs(rec.input) == pytest.approx(expected, abs=1e-3)


def test_report_of_a_run_with_a_short_target_and_no_reference(tmp_path: Path):
    """`m7amp run --target-wav` with a recording shorter than the output, no reference: every section
    that can be drawn is, compared against the amp over the common length."""
    rec = _record()
    rec.reference, rec.target = None, rec.target[: len(rec.target) // 3]
    page = write_report(rec, tmp_path / "r.html", progress=lambda _: None).read_text()
    assert {"spectra", "spectrogram difference", "ESR over time"} <= set(_images(page))
    assert "r_audio/target.wav" in page and "r_audio/reference.wav" not in page
    n = len(rec.target)
    assert metrics.format_esr(metrics.esr(rec.target, rec.result.output[:n])) in page


def test_esr_windows_find_the_worst_and_skip_silence():
    y = np.tile(np.sin(np.arange(100) / 5), 10)
    y[900:] = 1e-6  # a near-silent last window: huge ESR, not ranked
    out = y.copy()
    out[300:400] *= 0.5  # window 3 is wrong by a quarter of its energy
    esr_t, ranked = esr_windows(y, out, 100)
    assert esr_t[3] == pytest.approx(0.25) and np.all(esr_t[:3] == 0)
    assert ranked[:9].all() and not ranked[9]
    assert int(np.argmax(np.where(ranked, esr_t, -np.inf))) == 3


@pytest.mark.parametrize("spread", [0, 12, 3000])
def test_cycles_plot_shows_bars_at_any_spread(spread: int):
    """The histogram bins follow the spread: every block falls in one of at most 40 bins (it used to
    show no bar when all blocks cost about the same, the budget line stretching the axis)."""
    rec = _record()
    base = 97_433
    n = len(rec.result.block_cycles)
    rec.result.block_cycles = base + np.round(np.linspace(0, spread, n)).astype(np.int64)
    png, caption = plot_cycles(rec)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert f"min {base:,} / " in caption and f"max {base + spread:,} cycles (spread {spread:,})" in caption
    edges = cycle_bins(base, base + spread)
    counts, _ = np.histogram(rec.result.block_cycles, edges)
    assert counts.sum() == n and len(counts) <= 40 and edges[1] - edges[0] >= 1
    assert counts[0] > 0 and counts[-1] > 0  # the axis spans the blocks, nothing else
    if spread == 0:
        assert list(counts) == [n]


def test_report_links_the_robot_log(tmp_path: Path):
    log = tmp_path / "results" / "robot" / "log.html"
    log.parent.mkdir(parents=True)
    log.write_text("<html></html>")
    out = write_report(_record(), tmp_path / "out" / "r.html", robot_log=log, progress=lambda _: None)
    page = out.read_text()
    assert '<a href="../results/robot/log.html">Robot log</a>' in page


def test_report_cli_writes_beside_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _record().save(tmp_path / "run")
    assert main(["report", str(tmp_path / "run")]) == 0
    assert "waveforms" in (tmp_path / "run" / "report.html").read_text()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no run found" in capsys.readouterr().err
