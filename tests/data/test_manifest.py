"""Manifests and dataset loading: every bad input gives one clear line (M7Error) or a logged warning."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m7amp.data import load_dataset, load_manifest, parse_manifest, reference_amp, synth_guitar
from m7amp.errors import M7Error

RATE = 16000


def _write_pair(folder: Path, name: str, seconds: float = 1.0, rate: int = RATE, gain: float = 0.5,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    x = synth_guitar(seconds, rate, seed)
    y = reference_amp(x, rate, gain)
    sf.write(folder / f"{name}_in.wav", x, rate, subtype="FLOAT")
    sf.write(folder / f"{name}_out.wav", y, rate, subtype="FLOAT")
    return x, y


def _manifest(tmp_path: Path, body: str, pairs: str | None = None) -> Path:
    default_pairs = '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\n'
    path = tmp_path / "m.toml"
    path.write_text(body + "\n" + (default_pairs if pairs is None else pairs))
    return path


@pytest.fixture
def audio(tmp_path: Path) -> Path:
    _write_pair(tmp_path, "a")
    return tmp_path


def test_good_manifest_with_knobs(audio: Path) -> None:
    _write_pair(audio, "b", gain=0.9, seed=1)
    path = _manifest(audio, 'name = "t"\n[[knobs]]\nname = "gain"\nmin = 0\nmax = 10\n', pairs=(
        '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\nknobs = { gain = 5 }\n'
        '[[pairs]]\ninput = "b_in.wav"\ntarget = "b_out.wav"\nknobs = { gain = 9 }\nsplit = "test"\n'))
    ds = load_dataset(path)
    assert ds.name == "t" and ds.sample_rate == RATE and ds.n_knobs == 1
    assert [p.knobs for p in ds.pairs] == [(0.5,), (0.9,)]  # normalised to [0, 1]
    assert ds.pairs[1].split == "test"
    assert ds.seconds("test") == pytest.approx(0.15 + 1.0)
    assert ds.describe()["lags"][0]["samples"] is not None


def test_pair_with_its_own_split_fractions(audio: Path) -> None:
    """A pair may carry its own train | val | test fractions (test may be 0): e.g. the tail of each
    training clip as validation while another clip is the whole test split."""
    _write_pair(audio, "b", seed=1)
    path = _manifest(audio, "", pairs=(
        '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\nsplit = { train = 0.8, val = 0.2 }\n'
        '[[pairs]]\ninput = "b_in.wav"\ntarget = "b_out.wav"\nsplit = "test"\n'))
    ds = load_dataset(path)
    assert ds.regions("train") == [(ds.pairs[0], 0, int(0.8 * RATE))]
    assert ds.regions("val") == [(ds.pairs[0], int(0.8 * RATE), RATE)]
    assert [(p.name, a, b) for p, a, b in ds.regions("test")] == [(ds.pairs[1].name, 0, RATE)]


def test_fixed_lag_is_compensated_on_every_pair(audio: Path) -> None:
    x, y = _write_pair(audio, "late")
    sf.write(audio / "late_out.wav", np.concatenate([np.zeros(5), y[:-5]]), RATE, subtype="FLOAT")
    pairs = '[[pairs]]\ninput = "late_in.wav"\ntarget = "late_out.wav"\n'
    ds = load_dataset(_manifest(audio, 'align = "compensate"\nlag = 3', pairs))
    assert len(ds.pairs[0].x) == len(x) - 3
    np.testing.assert_allclose(ds.pairs[0].y[2:], y[: len(x) - 5], atol=1e-6)  # 5 late, 3 removed
    with pytest.raises(M7Error, match="'lag' needs align"):
        load_dataset(_manifest(audio, "lag = 3", pairs))


def test_root_from_environment_and_option(audio: Path, tmp_path_factory: pytest.TempPathFactory,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path_factory.mktemp("manifests")
    path = _manifest(elsewhere, 'root = "${M7AMP_SHARED_DATA}/sub"')
    (audio / "sub").mkdir()
    _write_pair(audio / "sub", "a")
    monkeypatch.setenv("M7AMP_SHARED_DATA", str(audio))
    assert load_manifest(path).pairs[0].input == audio / "sub" / "a_in.wav"
    # --data-root replaces the root
    assert load_manifest(path, data_root=audio).pairs[0].input == audio / "a_in.wav"


@pytest.mark.parametrize(
    ("body", "pairs", "message"),
    [
        ("colour = 1", None, "unknown key 'colour'"),
        ("", "", "'pairs' is missing or empty"),
        ("", '[[pairs]]\ninput = "a_in.wav"\n', "missing 'target'"),
        ("", '[[pairs]]\ninput = "a_in.wav"\ntarget = "zz.wav"\n', "target file not found"),
        ("", '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\nvolume = 3\n', "unknown key 'volume'"),
        ("sample_rate = -1", None, "'sample_rate' must be a positive integer"),
        ('align = "maybe"', None, "'align' must be one of"),
        ("[split]\ntrain = 0.5\nval = 0.1\ntest = 0.1", None, "must add up to 1"),
        ("[split]\ntrain = 0.9\nval = 0.1\ntest = 0.0", None, "test > 0"),
        ('[[knobs]]\nname = "gain"', None, "missing value for knob 'gain'"),
        ('[[knobs]]\nname = "gain"\nmin = 1\nmax = 1', None, "'max' (1) must be greater"),
        ('[[knobs]]\nname = "gain"\nmax = 10', '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\n'
         'knobs = { gain = 11 }\n', "outside [0, 10]"),
        ("", '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\nknobs = { tone = 1 }\n',
         "unknown knob 'tone'"),
        ('channel = "left"', None, "'channel' must be"),
        ('root = "missing-folder"', None, "data root folder not found"),
        ("name = [", None, "not valid TOML"),
        ("", '[[pairs]]\ninput = "a_in.wav"\ntarget = "a_out.wav"\nsplit = { train = 0.5, val = 0.2 }\n',
         "must add up to 1"),
        ('align = "compensate"\nlag = 2.5', None, "'lag' must be an integer"),
    ],
)
def test_bad_manifest_names_the_problem(audio: Path, body: str, pairs: str | None, message: str) -> None:
    with pytest.raises(M7Error) as err:
        load_dataset(_manifest(audio, body, pairs))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(M7Error, match="manifest not found"):
        load_manifest(tmp_path / "none.toml")


def test_shared_root_unset_and_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("M7AMP_SHARED_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # ../shared/data does not exist from here
    with pytest.raises(M7Error, match="M7AMP_SHARED_DATA is not set"):
        load_manifest(_manifest(tmp_path, 'root = "${M7AMP_SHARED_DATA}/x"'))


def test_toml_only_parse_needs_no_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check_files=False (bench esr's 'trained' column): knobs and splits without the root or the audio."""
    monkeypatch.delenv("M7AMP_SHARED_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    doc = {"root": "${M7AMP_SHARED_DATA}/x", "knobs": [{"name": "gain", "min": 0, "max": 10}],
           "pairs": [{"input": "a.wav", "target": "b.wav", "knobs": {"gain": 5}, "split": "test"}]}
    manifest = parse_manifest(doc, tmp_path, "m.toml", check_files=False)
    assert [(p.knobs, p.split) for p in manifest.pairs] == [((5.0,), "test")]
    with pytest.raises(M7Error, match="M7AMP_SHARED_DATA is not set"):
        parse_manifest(doc, tmp_path, "m.toml")
    doc["pairs"][0]["knobs"] = {"gain": 11}  # still validated
    with pytest.raises(M7Error, match="outside"):
        parse_manifest(doc, tmp_path, "m.toml", check_files=False)


def test_different_lengths_error_or_trim(audio: Path, caplog: pytest.LogCaptureFixture) -> None:
    x, _ = _write_pair(audio, "a")
    sf.write(audio / "a_in.wav", x[:-100], RATE, subtype="FLOAT")
    with pytest.raises(M7Error, match=f"input has {RATE - 100} samples, target {RATE}"):
        load_dataset(_manifest(audio, ""))
    with caplog.at_level(logging.WARNING, logger="m7amp.data"):
        ds = load_dataset(_manifest(audio, "trim = true"))
    assert len(ds.pairs[0].x) == len(ds.pairs[0].y) == RATE - 100
    assert any("cut to" in r.message for r in caplog.records)


def test_different_rates_error_or_resample(audio: Path) -> None:
    _x, _y = _write_pair(audio, "a")
    sf.write(audio / "a_out.wav", reference_amp(synth_guitar(1.0, 32000, 0), 32000), 32000, subtype="FLOAT")
    with pytest.raises(M7Error, match="32000 Hz but the dataset rate is 16000 Hz"):
        load_dataset(_manifest(audio, ""))
    ds = load_dataset(_manifest(audio, "resample = true"))
    assert ds.sample_rate == RATE and len(ds.pairs[0].y) == RATE
    ds = load_dataset(_manifest(audio, "resample = true\nsample_rate = 8000"))
    assert ds.sample_rate == 8000 and len(ds.pairs[0].x) == len(ds.pairs[0].y) == 8000


def test_nan_and_silence_are_errors(audio: Path) -> None:
    _x, y = _write_pair(audio, "a")
    y[100] = np.nan
    sf.write(audio / "a_out.wav", y, RATE, subtype="FLOAT")
    with pytest.raises(M7Error, match=r"a_out\.wav: sample 100 \(at 0\.006250 s\) is NaN: fix"):
        load_dataset(_manifest(audio, ""))
    sf.write(audio / "a_out.wav", np.zeros_like(y), RATE, subtype="FLOAT")
    with pytest.raises(M7Error, match=r"a_out\.wav: silent"):
        load_dataset(_manifest(audio, ""))


def test_clipping_dc_and_leading_target_warn(audio: Path, caplog: pytest.LogCaptureFixture) -> None:
    _x, y = _write_pair(audio, "a")
    sf.write(audio / "a_out.wav", np.clip(8 * np.roll(y, -20), -1, 1) + 0.05, RATE, subtype="FLOAT")
    with caplog.at_level(logging.WARNING, logger="m7amp.data"):
        ds = load_dataset(_manifest(audio, ""))
    text = "\n".join(ds.warnings)
    assert "clipped" in text and "DC offset" in text and "LEADS the input" in text
    # + 0.05 puts the clipped peaks beyond full scale: clipped to ±1 when read, with its own line
    assert "a_out.wav: " in text and "beyond full scale (peak 1.05, +0.4 dBFS) clipped to ±1" in text
    assert len(caplog.records) == len(ds.warnings) == 4
    ds = load_dataset(_manifest(audio, 'align = "compensate"'))
    assert ds.pairs[0].lag_samples is not None and ds.pairs[0].lag_samples < -15
    assert len(ds.pairs[0].x) == RATE + ds.pairs[0].lag_samples


def test_mp3_pair(tmp_path: Path) -> None:
    _write_pair(tmp_path, "a", seconds=2.0, rate=48000)
    for name in ("a_in", "a_out"):
        data, rate = sf.read(tmp_path / f"{name}.wav")
        sf.write(tmp_path / f"{name}.mp3", data, rate, format="MP3")
    path = _manifest(tmp_path, "", '[[pairs]]\ninput = "a_in.mp3"\ntarget = "a_out.mp3"\n')
    ds = load_dataset(path)
    assert ds.sample_rate == 48000 and abs(len(ds.pairs[0].x) - 96000) < 2000
