"""The training report (report/index.html of a run): per-file ESR table, loss curve, and the worst test
segment as two players, checked as HTML and, when Debian's chromium is installed, in a headless browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m7amp.training._report import worst_segment, write_report
from tools.report_browser import check_page, skip_reason

SR = 8000


def _signals(seconds: float = 3.0, bad_at: float = 2.05) -> tuple[np.ndarray, np.ndarray]:
    """A target and a model output that is close everywhere except a burst of error at ``bad_at``."""
    t = np.arange(int(seconds * SR)) / SR
    target = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    pred = target + 0.01 * np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    a = int(bad_at * SR)
    pred[a : a + SR // 20] += 0.3
    return target, pred.astype(np.float32)


def _run() -> dict:
    return {
        "sample_rate": SR, "warmup": 100, "model": {"name": "tiny", "type": "wavenet"}, "parameters": 10,
        "macs_per_sample": 10, "receptive_field": 101, "knobs": [], "epochs": 2, "best_epoch": 2,
        "stopped_early": False, "train_seconds": 1.0, "seed": 0,
        "test": {"esr": 0.02, "esr_pre": 0.03, "loss": 0.025},
        "data": {"name": "d", "source": "manifest", "pairs": 3, "seconds": {"train": 6, "val": 3, "test": 3}},
        "per_file": [{"split": split, "pair": pair, "start_s": 0.0, "seconds": 3.0, "esr": esr,
                      "esr_pre": 2 * esr}
                     for split, pair, esr in (("train", "clip_1", 0.011), ("val", "clip_8", 0.017),
                                              ("test", "clip_9", 0.021))],
    }


HISTORY = [{"epoch": 1, "loss": 0.5, "val_loss": 0.4, "val_esr": 0.3},
           {"epoch": 2, "loss": 0.3, "val_loss": 0.25, "val_esr": 0.2}]


def test_worst_segment_finds_the_bad_window() -> None:
    target, pred = _signals()
    start, n, esr, clip = worst_segment(target, pred, SR, skip=100)
    assert n == SR // 10
    assert start <= int(2.05 * SR) < start + n  # the window holding the burst
    assert esr > 0.1  # the burst, not the small everywhere-error (ESR ~4e-4)
    assert clip <= start and start + n <= clip + SR  # the 1 s clip contains the window


def test_report_has_per_file_table_and_worst_segment_players(tmp_path: Path) -> None:
    target, pred = _signals()
    other_t, other_p = _signals(bad_at=0.5)
    other_p = other_t + 0.5 * (other_p - other_t)  # a milder error: not the worst region
    page = write_report(tmp_path, _run(), HISTORY, target, pred, "m7amp train ...",
                        regions=[("clip_a", other_t, other_p), ("clip_b", target, pred)])
    html = page.read_text()
    for cell in ("ESR per file", "clip_1", "clip_8", "clip_9", "validation", "<td>0.021</td>"):
        assert cell in html, cell
    assert 'src="worst_target.wav"' in html and 'src="worst_model.wav"' in html and "of clip_b" in html
    y, sr = sf.read(tmp_path / "report" / "worst_target.wav")
    m, _ = sf.read(tmp_path / "report" / "worst_model.wav")
    assert sr == SR and len(y) == len(m) == SR
    _, _, _, clip = worst_segment(target, pred, SR, 100)
    np.testing.assert_allclose(y, target[clip : clip + SR], atol=1 / 2**15)  # 16-bit copy of the amp
    np.testing.assert_allclose(m, pred[clip : clip + SR], atol=1 / 2**15)


@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
def test_training_report_in_chromium(tmp_path: Path) -> None:
    target, pred = _signals()
    page = write_report(tmp_path, _run(), HISTORY, target, pred)
    state = check_page(page)
    audio = {Path(a["src"]).stem: a for a in state["audio"]}
    assert set(audio) == {"worst_target", "worst_model"}
    for name, a in audio.items():
        assert a["error"] is None and a["ready"] >= 1, f"{name}: {a}"
        assert a["duration"] == pytest.approx(1.0, abs=1e-3)
    assert {i["alt"] for i in state["images"]} == {"loss curve", "target and model waveforms",
                                                   "target and model spectra"}
    assert all(i["complete"] and i["width"] > 0 for i in state["images"])
    assert state["headings"] == ["ESR per file", "Loss curve", "Worst test segment",
                                 "Waveform (test clip, zoomed)", "Spectra (test clip)"]
    assert [c for c in state["console"] if c[0] in ("SEVERE", "WARNING")] == []
