"""WAV input of m7amp.audio: formats, channels, rates, errors (one clear line each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from m7amp.audio import conform_rate, nominal_rate, play, read_wav, write_wav
from m7amp.errors import M7Error
from tests._skips import requires_arm_gcc
from tests.audio.conftest import guitar


@pytest.mark.parametrize(("subtype", "tolerance"), [("PCM_16", 2.0**-15), ("PCM_24", 2.0**-23),
                                                    ("FLOAT", 0.0), ("PCM_32", 2.0**-31)])
def test_read_wav_formats(tmp_path: Path, subtype: str, tolerance: float):
    import soundfile as sf

    x = guitar(0.05)
    sf.write(tmp_path / "in.wav", x, 48000, subtype=subtype)
    y, rate = read_wav(tmp_path / "in.wav")
    assert rate == 48000 and y.dtype == np.float32 and len(y) == len(x)
    assert np.max(np.abs(y - x)) <= tolerance


def test_stereo_gives_the_left_channel_with_one_notice(tmp_path: Path):
    import soundfile as sf

    left, right = guitar(0.02, seed=1), guitar(0.02, seed=2)
    sf.write(tmp_path / "st.wav", np.stack([left, right], axis=1), 44100, subtype="PCM_24")
    notes: list[str] = []
    y, rate = read_wav(tmp_path / "st.wav", notes.append)
    assert rate == 44100 and np.max(np.abs(y - left)) < 2.0**-22
    assert notes == ["st.wav has 2 channels: using the left channel"]


def test_unreadable_and_missing_files_fail_with_one_line(tmp_path: Path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(M7Error) as err:
        read_wav(bad)
    assert str(err.value).startswith(f"cannot read audio file {bad}") and "\n" not in str(err.value)
    with pytest.raises(M7Error, match="audio file not found"):
        read_wav(tmp_path / "missing.wav")


def test_run_refuses_nan_input_and_notes_clipped_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`m7amp run` on a float WAV with a NaN: one error line naming the file and sample, exit 2 (it used
    to run and print "ESR nan"); the same checks hold for --target-wav (the same reader)."""
    import soundfile as sf

    from m7amp.cli import main

    x = guitar(0.05)
    x[1200] = np.nan
    sf.write(tmp_path / "nan.wav", x, 48000, subtype="FLOAT")
    assert main(["run", "--in", str(tmp_path / "nan.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"m7amp run: error: {tmp_path / 'nan.wav'}: sample 1,200 (at 0.025000 s) is NaN: "
                   "fix or re-export the file")
    x[1200] = 0.0
    sf.write(tmp_path / "in.wav", x, 48000, subtype="FLOAT")
    x[[5, 6]] = [1.25, -1.5]
    sf.write(tmp_path / "hot.wav", x, 48000, subtype="FLOAT")
    notes: list[str] = []
    y, _ = read_wav(tmp_path / "hot.wav", notes.append)
    assert notes == [f"{tmp_path / 'hot.wav'}: 2 sample(s) beyond full scale (peak 1.5, +3.5 dBFS) "
                     "clipped to ±1"]
    assert np.max(np.abs(y)) == 1.0


def test_rates_resampling_and_output(tmp_path: Path):
    notes: list[str] = []
    x = guitar(0.05, rate=44100)
    y = conform_rate(x, 44100, 48000, "in.wav", notes.append)
    assert len(y) == round(len(x) * 48000 / 44100)
    assert notes == ["in.wav is 44100 Hz, not 48000 Hz: resampled to 48000 Hz"]
    assert conform_rate(x, 44100, 44100, "in.wav", notes.append) is x and len(notes) == 1
    assert nominal_rate(47991.07) == 48000 and nominal_rate(44108.0) == 44100
    assert nominal_rate(30000.4) == 30000
    for name in ("out.wav", "out"):  # a WAV whatever the extension (soundfile guesses from it otherwise)
        write_wav(tmp_path / name, y, 48000)
        back, rate = read_wav(tmp_path / name)
        assert rate == 48000 and np.max(np.abs(back - y)) < 2.0**-22


@requires_arm_gcc
def test_play_resamples_an_input_at_another_rate(loopback_elf):
    notes: list[str] = []
    x = guitar(0.05, rate=44100)
    result = play(loopback_elf(PLLSAIN=172), x, 44100, notice=notes.append)
    assert notes == ["the input is 44100 Hz, not 48000 Hz: resampled to 48000 Hz"]
    assert result.sample_rate == 48000
    expected = conform_rate(x, 44100, 48000, "x")
    assert len(result.output) == len(expected)
    assert np.max(np.abs(result.output - expected / 2)) < 2.0**-23


@requires_arm_gcc
def test_play_of_a_firmware_without_audio_fails_with_one_line(tmp_path: Path):
    from m7amp.sim import build_workload

    elf = build_workload([Path(__file__).parents[1] / "sim" / "fixtures" / "hello.c"], tmp_path)
    with pytest.raises(M7Error) as err:
        play(elf, guitar(0.01), 48000)
    assert "stopped (exit) after 0 frames" in str(err.value) and "\n" not in str(err.value)
