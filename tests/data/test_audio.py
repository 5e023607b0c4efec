"""Loading, down-mix, resampling, the signal checks and lag estimation (m7amp.data._audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m7amp.data import (
    check_signal,
    compensate_lag,
    estimate_lag,
    load_audio,
    reference_amp,
    resample,
    synth_guitar,
)
from m7amp.errors import M7Error


def test_stereo_is_mixed_by_mean_or_channel_picked(tmp_path: Path) -> None:
    left = np.linspace(-0.5, 0.5, 1000)
    right = np.full(1000, 0.25)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, right], axis=1), 44100, subtype="FLOAT")
    x, rate = load_audio(path)
    assert rate == 44100
    np.testing.assert_allclose(x, (left + right) / 2, atol=1e-7)
    x1, _ = load_audio(path, channel=1)
    np.testing.assert_allclose(x1, right, atol=1e-7)
    with pytest.raises(M7Error, match="channel 2 does not exist"):
        load_audio(path, channel=2)


def test_flac_and_missing_and_garbage(tmp_path: Path) -> None:
    sig = (0.3 * np.sin(np.arange(4800) / 10)).astype(np.float32)
    sf.write(tmp_path / "a.flac", sig, 48000)
    x, rate = load_audio(tmp_path / "a.flac")
    assert rate == 48000 and np.max(np.abs(x - sig)) < 1e-4  # 16-bit FLAC
    with pytest.raises(M7Error, match="not found"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    with pytest.raises(M7Error, match="cannot read audio file"):
        load_audio(tmp_path / "bad.wav")


def test_mp3_decodes_here() -> None:
    # libsndfile >= 1.1 decodes MP3; the morphdrive data is MP3, so this must hold on this machine
    assert "MP3" in sf.available_formats()


def test_resample_keeps_a_tone() -> None:
    t = np.arange(44100) / 44100
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    y = resample(x, 44100, 48000)
    assert len(y) == 48000
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) - 1000) <= 1  # 1 Hz bins at 48000 samples / 48 kHz


def test_checks_reject_nan_inf_and_silence() -> None:
    x = np.full(1000, 0.1, dtype=np.float32)
    x -= x.mean()
    x[::2] = 0.1
    bad = x.copy()
    bad[10] = np.nan
    with pytest.raises(M7Error, match="NaN/Inf"):
        check_signal(bad, "f.wav")
    bad[10] = np.inf
    with pytest.raises(M7Error, match="NaN/Inf"):
        check_signal(bad, "f.wav")
    with pytest.raises(M7Error, match="silent"):
        check_signal(np.full(1000, 1e-5, dtype=np.float32), "quiet.wav")


@pytest.mark.parametrize(("value", "shown"), [(np.nan, "NaN"), (np.inf, "+Inf"), (-np.inf, "-Inf")])
def test_load_audio_refuses_a_non_finite_sample_naming_the_first(tmp_path: Path, value: float,
                                                                 shown: str) -> None:
    x = (0.3 * np.sin(np.arange(48000) / 10)).astype(np.float32)
    x[[4800, 9000]] = value
    sf.write(tmp_path / "bad.wav", x, 48000, subtype="FLOAT")
    with pytest.raises(M7Error) as err:
        load_audio(tmp_path / "bad.wav")
    assert str(err.value) == (f"{tmp_path / 'bad.wav'}: sample 4,800 (at 0.100000 s) is {shown}, and 1 more "
                              "samples are not finite: fix or re-export the file")


def test_load_audio_clips_beyond_full_scale_with_one_notice(tmp_path: Path) -> None:
    x = (0.5 * np.sin(np.arange(4800) / 10)).astype(np.float32)
    x[[10, 20, 30]] = [1.5, -2.0, 1.01]
    sf.write(tmp_path / "hot.wav", x, 48000, subtype="FLOAT")
    notes: list[str] = []
    y, _ = load_audio(tmp_path / "hot.wav", notice=notes.append)
    assert notes == [f"{tmp_path / 'hot.wav'}: 3 sample(s) beyond full scale (peak 2, +6.0 dBFS) "
                     "clipped to ±1"]
    assert y[10] == 1.0 and y[20] == -1.0 and y[30] == 1.0 and np.array_equal(y[:10], x[:10])
    sf.write(tmp_path / "ok.wav", np.clip(x, -1, 1), 48000, subtype="FLOAT")
    load_audio(tmp_path / "ok.wav", notice=notes.append)  # exactly full scale is not beyond it
    assert len(notes) == 1


def test_checks_warn_on_clipping_and_dc() -> None:
    rng = np.random.default_rng(0)
    clean = (0.3 * rng.standard_normal(10000)).clip(-0.9, 0.9).astype(np.float32)
    assert check_signal(clean, "clean.wav") == []
    clipped = (3 * clean).clip(-1, 1)
    warnings = check_signal(clipped, "hot.wav")
    assert len(warnings) == 1 and "clipped" in warnings[0] and "hot.wav" in warnings[0]
    warnings = check_signal(clean + 0.1, "dc.wav")
    assert len(warnings) == 1 and "DC offset" in warnings[0]


@pytest.mark.parametrize("shift", [7, 23, -5])
def test_lag_estimate_recovers_a_known_shift(shift: int) -> None:
    x = synth_guitar(1.0, 48000, seed=3)
    # the same signal delayed by `shift` samples (negative: advanced) is found exactly
    lag = estimate_lag(x, np.roll(x, shift), 48000, max_lag_ms=5)
    assert lag.samples == shift
    assert lag.ms == pytest.approx(1000 * shift / 48000)
    # through the amp, the filters add their own small delay: a shift adds to it sample-exactly
    y = reference_amp(x, 48000, gain=0.7)
    base = estimate_lag(x, y, 48000, max_lag_ms=5)
    shifted = estimate_lag(x, np.roll(y, shift), 48000, max_lag_ms=5)
    assert abs(base.samples) <= 4 and base.peak_ratio > 10
    assert shifted.samples == base.samples + shift
    xs, ys = compensate_lag(x, np.roll(y, shift), shifted.samples)
    assert len(xs) == len(ys) == len(x) - abs(shifted.samples)
    assert estimate_lag(xs, ys, 48000, max_lag_ms=5).samples == 0
