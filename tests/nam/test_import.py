"""``m7amp import``: NAM captures made by NAM's own code (tests/data/nam, tools/make_nam_fixtures.py) import
into packages whose Keras model, host-built C f32 engine and q15 engine reproduce NAM's own forward pass
(the expected outputs were computed by NAM's PyTorch model, not by m7amp); unsupported or broken files
are refused in one line naming the field; levels follow NAM's plugin; old-form configs map the same."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from m7amp import nam
from m7amp.errors import M7Error
from m7amp.metrics import esr
from m7amp.package import ENGINE_ESR_BOUND
from tests._skips import requires_host_cc

DATA = Path(__file__).resolve().parents[1] / "data" / "nam"
SUPPORTED = ("nano", "feather_short", "chain3", "kernels", "gated", "lstm")
ESR_F32 = 1e-10  # issue 16: import vs NAM's forward pass, f32


def _warm(x: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([np.zeros(n, np.float32), x.astype(np.float32)])


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, tuple[dict, Path, np.ndarray, np.ndarray]]:
    """Each supported fixture imported raw (no level change), C sources only: (metadata, package, x, y)."""
    out = {}
    for name in SUPPORTED:
        pkg = tmp_path_factory.mktemp(name)
        meta = nam.import_capture(DATA / f"{name}.nam", pkg, output_mode="raw", tflite=False,
                                  golden_seconds=0.05, progress=lambda _: None)
        with np.load(DATA / f"{name}.npz") as d:
            out[name] = (meta, pkg, d["x"], d["y"])
    return out


@pytest.mark.parametrize("name", SUPPORTED)
def test_keras_model_reproduces_nams_forward_pass(packages, name) -> None:
    import keras

    import m7amp.models  # noqa: F401 - registers the custom layers

    meta, pkg, x, y = packages[name]
    w = meta["nam"]["warmup_samples"]
    model = keras.models.load_model(pkg / "model.keras", compile=False)
    out = model.predict(_warm(x, w)[None, :, None], verbose=0)[0, w:, 0]
    value = esr(y, out)
    print(f"\n{name}: Keras vs NAM ESR {value:.3e}")
    assert value <= ESR_F32
    # without the warm-up the first receptive field differs (NAM starts after silence, we from zero state)
    if meta["architecture"] == "wavenet_nam" and w > 0:
        cold = model.predict(x[None, :, None], verbose=0)[0, :, 0]
        assert esr(y[:w], cold[:w]) > 1e3 * ESR_F32


@requires_host_cc
@pytest.mark.parametrize("name", SUPPORTED)
def test_c_engines_on_the_host_reproduce_nams_forward_pass(packages, name, tmp_path) -> None:
    from m7amp.export._reference import Q15Engine
    from tests.engines import _engine
    from tests.engines.test_engine_q15 import Engine as EngineQ15
    from tests.engines.test_engine_q15 import Lib as LibQ15

    meta, pkg, x, y = packages[name]
    w = meta["nam"]["warmup_samples"]
    xw = _warm(x, w)[:, None]
    sources = [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")]
    el = _engine.EngineLib(pkg / "c", sources, meta["c"]["f32"]["symbol"], tmp_path)
    eng = _engine.Engine(el, max_block=64)
    assert eng.status == 0
    f32 = esr(y, eng.run(xw, 64)[w:])
    ql = LibQ15(pkg / "c", sources, meta["c"]["q15"]["symbol"], tmp_path)
    qe = EngineQ15(ql, max_block=64)
    assert qe.status == 0
    xq = Q15Engine.quantize_input(xw).astype(np.int16)
    out_q = qe.run(xq, 64)
    q15 = esr(y, out_q[w:].astype(np.float64) / 32768)
    print(f"\n{name}: C f32 vs NAM ESR {f32:.3e}, C q15 vs NAM ESR {q15:.3e}")
    assert f32 <= ESR_F32
    assert q15 <= ENGINE_ESR_BOUND["q15"]
    if name == "gated":  # the q15 engine is the numpy reference's integer arithmetic, bit for bit
        ref = ql.reference()
        ref.reset()
        np.testing.assert_array_equal(out_q, ref.process(xq.astype(np.int64)))


def test_metadata_records_the_source_and_levels(packages) -> None:
    meta = packages["feather_short"][0]
    src = json.loads((DATA / "feather_short.nam").read_text())
    assert meta["nam"]["source"] == "feather_short.nam" and meta["nam"]["version"] == src["version"]
    assert meta["nam"]["metadata"]["input_level_dbu"] == 18.3
    assert meta["nam"]["levels"]["output_gain_db"] == 0.0 and meta["nam"]["levels"]["output_mode"] == "raw"
    assert meta["config"]["head_bias"] == [True, True]
    assert meta["name"] == "nam_feather_short" and meta["complete"] is False  # TFLite skipped here
    assert packages["lstm"][0]["config"] == {"name": "nam_lstm", "type": "lstm", "hidden_size": 6,
                                             "input_skip": False}
    assert packages["lstm"][0]["nam"]["warmup_samples"] == nam.LSTM_WARMUP
    assert packages["nano"][0]["nam"]["warmup_samples"] == 4092


def test_levels_follow_nams_plugin() -> None:
    cap = nam.read_capture(DATA / "feather_short.nam")
    loud = cap.metadata["loudness"]
    lv = nam.levels(cap)  # plugin defaults: normalized output, no input calibration
    assert lv["input_gain_db"] == 0.0 and lv["output_gain_db"] == pytest.approx(-18.0 - loud)
    lv = nam.levels(cap, input_gain_db=3, output_gain_db=-2, output_mode="calibrated", calibrate_input=True,
                    input_level_dbu=2.7)
    assert lv["input_gain_db"] == pytest.approx(3 + 2.7 - 18.3)
    assert lv["output_gain_db"] == pytest.approx(-2 + 10.5 - 2.7)
    assert lv["input_gain"] == pytest.approx(10 ** (lv["input_gain_db"] / 20))
    assert nam.levels(cap, output_mode="raw")["output_gain_db"] == 0.0
    bare = nam.read_capture(DATA / "nano.nam")  # loudness, but no dBu levels
    lv = nam.levels(bare, output_mode="calibrated", calibrate_input=True)
    assert lv["input_gain_db"] == 0.0 and lv["output_gain_db"] == 0.0 and len(lv["notes"]) == 2
    with pytest.raises(M7Error, match="output-mode"):
        nam.levels(cap, output_mode="loud")


def test_levels_are_applied_by_the_imported_model(tmp_path) -> None:
    cap = nam.read_capture(DATA / "chain3.nam")
    cfg = nam.model_config(cap, "t")
    lv = nam.levels(cap, input_gain_db=-6.0, output_gain_db=4.0)  # normalized: + (-18 - loudness)
    model = nam.build_keras(cap, cfg, lv["input_gain"], lv["output_gain"])
    with np.load(DATA / "chain3.npz") as d:
        x = d["x"]
    w = nam.warmup_samples(cap, cfg)
    plain = nam.build_keras(cap, cfg)
    xin = _warm(lv["input_gain"] * x, w)[None, :, None]
    want = lv["output_gain"] * plain.predict(xin, verbose=0)[0, w:, 0]
    got = model.predict(_warm(x, w)[None, :, None], verbose=0)[0, w:, 0]
    assert esr(want, got) <= 1e-12
    assert np.sqrt(np.mean(got ** 2)) > 5 * np.sqrt(np.mean(plain.predict(x[None, :, None], verbose=0) ** 2))


def _old_form(doc: dict) -> dict:
    """A new-form WaveNet .nam rewritten in NAM 0.5's layer-array keys (same weights)."""
    doc = copy.deepcopy(doc)
    layers = []
    for lc in doc["config"]["layers"]:
        layers.append({"input_size": lc["input_size"], "condition_size": lc["condition_size"],
                       "head_size": lc["head"]["out_channels"], "channels": lc["channels"],
                       "kernel_size": lc["kernel_sizes"][0], "dilations": lc["dilations"],
                       "activation": "Tanh", "gated": False, "head_bias": lc["head"]["bias"]})
    doc["config"] = {"layers": layers, "head": None, "head_scale": doc["config"]["head_scale"]}
    doc["version"] = "0.5.4"
    return doc


def test_old_form_config_maps_to_the_same_model(tmp_path) -> None:
    doc = json.loads((DATA / "feather_short.nam").read_text())
    old = tmp_path / "old.nam"
    old.write_text(json.dumps(_old_form(doc)))
    new_cap, old_cap = nam.read_capture(DATA / "feather_short.nam"), nam.read_capture(old)
    a = nam.build_keras(new_cap, nam.model_config(new_cap, "a"))
    b = nam.build_keras(old_cap, nam.model_config(old_cap, "a"))
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_old_form_gated_maps_to_the_new_form(tmp_path) -> None:
    """NAM's old ``gated: true`` (every layer tanh·sigmoid, as NeuralAmpModelerCore reads it) is the new
    form's gating_mode "gated" with a Sigmoid secondary activation on every layer: same model."""
    doc = json.loads((DATA / "gated.nam").read_text())
    first = copy.deepcopy(doc)
    first["config"]["layers"] = first["config"]["layers"][:1]  # all gated; head to 1 channel with a bias
    first["config"]["layers"][0]["head"] = {"out_channels": 1, "kernel_size": 1, "bias": True}
    n = nam._wavenet_weight_count(nam._wavenet_arrays(first["config"]))
    first["weights"] = [*first["weights"][: n - 1], 0.05]  # NAM's values; the head rechannel's are reused
    old = _old_form(first)
    old["config"]["layers"][0]["gated"] = True
    (tmp_path / "new.nam").write_text(json.dumps(first))
    (tmp_path / "old.nam").write_text(json.dumps(old))
    new_cap, old_cap = nam.read_capture(tmp_path / "new.nam"), nam.read_capture(tmp_path / "old.nam")
    assert nam.model_config(old_cap, "a") == nam.model_config(new_cap, "a")
    assert nam.model_config(old_cap, "a").gating == ((True, True, True, True),)
    a = nam.build_keras(new_cap, nam.model_config(new_cap, "a"))
    b = nam.build_keras(old_cap, nam.model_config(old_cap, "a"))
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def _broken(tmp_path: Path, edit) -> Path:
    doc = json.loads((DATA / "feather_short.nam").read_text())
    edit(doc)
    path = tmp_path / "bad.nam"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(("edit", "field"), [
    (lambda d: d["config"]["layers"][0].update(condition_size=2), "config.layers[0].condition_size"),
    (lambda d: d["config"]["layers"][1].update(activation="ReLU"), "config.layers[1].activation"),
    (lambda d: d["config"]["layers"][0].update(kernel_sizes=[3] * 7),
     "config.layers[0] needs one kernel size"),
    (lambda d: d["config"]["layers"][0]["head1x1"].update(active=True), "config.layers[0].head1x1.active"),
    (lambda d: d["config"]["layers"][0]["conv_pre_film"].update(active=True),
     "config.layers[0].conv_pre_film.active"),
    (lambda d: d["config"]["layers"][0].update(bottleneck=4), "config.layers[0].bottleneck"),
    (lambda d: d["config"]["layers"][1].update(input_size=3), "config.layers[1].input_size"),
    (lambda d: d["config"]["layers"][0]["head"].update(out_channels=3), "config.layers[0].head.out_channels"),
    (lambda d: d["config"].update(head={"out_channels": 1}), "config.head"),
    (lambda d: d.update(architecture="ConvNet"), "architecture"),
    (lambda d: d.update(weights=d["weights"][:-1]), "'weights' has 2929 values"),
    (lambda d: d.pop("weights"), "no 'weights'"),
    (lambda d: d.update(sample_rate=-1), "'sample_rate'"),
    (lambda d: d["config"]["layers"][0].update(gating_mode="blended"), "config.layers[0].gating_mode"),
    (lambda d: d["config"]["layers"][0].update(gating_mode="gated", secondary_activation="ReLU"),
     "config.layers[0].secondary_activation"),
    (lambda d: d["config"]["layers"][0].update(gating_mode=["gated"] * 8, secondary_activation="Hardtanh"),
     "config.layers[0].secondary_activation"),
    (lambda d: d["config"]["layers"][0].update(gated=True), "gated = true contradicts gating_mode"),
    (lambda d: d["config"]["layers"][0].update(gating_mode=["gated", "none"]),
     "config.layers[0].gating_mode needs one entry per dilation"),
])
def test_unsupported_or_broken_files_are_refused_naming_the_field(tmp_path, edit, field) -> None:
    path = _broken(tmp_path, edit)
    with pytest.raises(M7Error) as err:
        nam.model_config(nam.read_capture(path), "x")
    assert field in str(err.value) and "\n" not in str(err.value)


def test_blended_and_multi_layer_lstm_are_refused(tmp_path) -> None:
    with pytest.raises(M7Error, match=r'config\.layers\[0\]\.gating_mode = "blended"'):
        nam.model_config(nam.read_capture(DATA / "blended.nam"), "g")
    doc = json.loads((DATA / "lstm.nam").read_text())
    doc["config"]["num_layers"] = 2
    (tmp_path / "l2.nam").write_text(json.dumps(doc))
    with pytest.raises(M7Error, match=r"config\.num_layers = 2"):
        nam.model_config(nam.read_capture(tmp_path / "l2.nam"), "l")
    (tmp_path / "junk.nam").write_text("{not json")
    with pytest.raises(M7Error, match=r"not a \.nam file"):
        nam.read_capture(tmp_path / "junk.nam")


def test_cli_refusal_is_one_line_with_exit_code_2(tmp_path, capsys) -> None:
    from m7amp.cli import main

    assert main(["import", str(DATA / "blended.nam"), "--out", str(tmp_path / "pkg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "m7amp import: error: unsupported .nam: config.layers[0].gating_mode" in err
    assert not (tmp_path / "pkg").exists()


def test_bench_table_says_when_a_capture_does_not_fit_in_real_time() -> None:
    from m7amp.bench import format_engine_table

    row = {"engine": "cmsis", "preset": "nam_standard", "precision": "f32", "macs_per_sample": 13256,
           "cycles_per_sample": 30000.0, "cycles_per_mac": 2.26, "load_44k1": 6.125, "load_48k": 6.667,
           "flash_bytes": 90000, "ram_bytes": 250000}
    slow48 = row | {"load_44k1": 0.97, "load_48k": 1.05}
    fits = row | {"load_44k1": 0.5, "load_48k": 0.55}
    lines = format_engine_table([row, slow48, fits]).splitlines()[1:]
    assert lines[0].endswith("does not fit in real time at 44.1 or 48 kHz")
    assert lines[1].endswith("does not fit in real time at 48 kHz")
    assert "does not fit" not in lines[2]


def test_config_extensions_round_trip_and_are_checked() -> None:
    from m7amp.models import (
        RNNConfig,
        WaveNetConfig,
        config_from_dict,
        config_to_dict,
        load_config,
        parameter_count,
    )

    wn = WaveNetConfig("t", False, (3, 2), ((1, 2), (1,)), 2, 0.1, head_bias=(True, False))
    lstm = RNNConfig("l", "lstm", 6, input_skip=False)
    for cfg in (wn, lstm):
        assert config_from_dict(config_to_dict(cfg)) == cfg
    assert "head_bias" not in config_to_dict(load_config("nano"))  # presets keep their form
    # a bias on the first head rechannel (2 outputs) and none on the last (1 output)
    default = WaveNetConfig("t", False, (3, 2), ((1, 2), (1,)), 2, 0.1)
    assert parameter_count(wn) == parameter_count(default) + 2 - 1
    with pytest.raises(M7Error, match="head_bias needs one entry per layer array"):
        WaveNetConfig("t", False, (3, 2), ((1,), (1,)), head_bias=(True,))
    # gating: per layer; a gated layer's conv and input mixer have 2C outputs (2C·C·k + 2C + 2C more)
    gated = WaveNetConfig("t", False, (3, 2), ((1, 2), (1,)), 2, 0.1, gating=((True, False), (False,)))
    assert config_from_dict(config_to_dict(gated)) == gated
    assert parameter_count(gated) == parameter_count(default) + 3 * 3 * 2 + 3 + 3
    with pytest.raises(M7Error, match="gating needs one true/false per layer"):
        WaveNetConfig("t", False, (3, 2), ((1, 2), (1,)), gating=((True,), (False,)))


def test_bench_engine_with_package_alone_benches_that_package(tmp_path, monkeypatch) -> None:
    """``m7amp bench engine --package PKG`` (as docs/nam-import.md shows) benches PKG, not the default
    nano."""
    from m7amp import bench
    from m7amp.cli import main

    for name in ("nam_a", "nam_b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metadata.json").write_text(json.dumps({"name": name}))
    calls = []

    def fake_row(pkg, precision, block, blocks, engine, preset, cab):
        calls.append((preset, Path(pkg).name, precision))
        return {"engine": engine, "preset": preset, "precision": precision}

    monkeypatch.setattr(bench, "bench_engine_row", fake_row)
    monkeypatch.setattr(bench, "format_engine_table", lambda rows, breakdown=False: "table")
    pkgs = ["--package", str(tmp_path / "nam_a"), "--package", str(tmp_path / "nam_b")]
    assert main(["bench", "engine", *pkgs, "--precision", "f32"]) == 0
    assert calls == [("nam_a", "nam_a", "f32"), ("nam_b", "nam_b", "f32")]
