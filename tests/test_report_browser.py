"""The demo-style report in a real headless Chromium (Debian's chromium + chromium-driver, via selenium):
every player loads its WAV, every plot decodes, the console stays clean. Skips when the browser is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_report import _record
from tools.report_browser import check_page, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

PLAYERS = ("input", "target", "reference", "firmware", "worst_compared", "worst_firmware")
PLOTS = {"waveforms", "spectra", "spectrogram difference", "ESR over time", "cycles per block", "CPU load",
         "memory"}


def test_report_page_in_chromium(tmp_path: Path):
    from m7amp.report import write_report

    page = write_report(_record(), tmp_path / "report.html", robot_log=tmp_path / "none.html",
                        progress=lambda _: None)
    state = check_page(page, tmp_path / "shot.png")
    audio = {Path(a["src"]).stem: a for a in state["audio"]}
    assert set(audio) == set(PLAYERS)
    for name, a in audio.items():
        assert a["error"] is None and a["ready"] >= 1, f"{name}: {a}"  # metadata decoded from the WAV
    assert audio["input"]["duration"] == pytest.approx(0.5, abs=1e-3)  # the 0.5 s record
    assert audio["worst_firmware"]["duration"] == pytest.approx(0.5, abs=1e-3)  # clip capped to the run
    assert {i["alt"] for i in state["images"]} == PLOTS
    assert all(i["complete"] and i["width"] == 800 for i in state["images"]), state["images"]
    assert state["headings"][:2] == ["Listen", "Waveforms"]
    assert [c for c in state["console"] if c[0] in ("SEVERE", "WARNING")] == []
    assert (tmp_path / "shot.png").read_bytes().startswith(b"\x89PNG")


def test_a_missing_wav_shows_as_a_failed_player(tmp_path: Path):
    """The check can fail: a report whose WAV is gone gives a media error and a console error."""
    from m7amp.report import write_report

    page = write_report(_record(), tmp_path / "report.html", progress=lambda _: None)
    (tmp_path / "report_audio" / "firmware.wav").unlink()
    state = check_page(page)
    firmware = next(a for a in state["audio"] if a["src"].endswith("/firmware.wav"))
    assert firmware["error"] is not None and firmware["ready"] == 0
    assert any(level == "SEVERE" and "firmware.wav" in message for level, message in state["console"])
