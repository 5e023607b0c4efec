"""The hand-written engine's f32 path (firmware/engines/cmsis), built for the host: it reproduces the
Keras golden output of the committed default package and of freshly exported tiny models (NAM and gated
WaveNets, LSTM, GRU; with a knob where the fixture has one), for any block size, and its
init/reset/sizing behave as m7_engine.h documents."""

from __future__ import annotations

import ctypes
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from m7amp.metrics import esr
from tests._skips import requires_arm_gcc, requires_host_cc
from tests.engines import _engine

DEFAULT = _engine.REPO / "training" / "default"
ESR_MAX = 1e-7  # issue #4: f32 engine vs Keras
TINY_FAMILIES = ("nam", "gated", "lstm", "gru")  # tests/export/conftest.py TINY
pytestmark = requires_host_cc


@pytest.fixture(scope="module")
def nano(tmp_path_factory) -> tuple[_engine.EngineLib, dict, np.ndarray, np.ndarray]:
    meta = json.loads((DEFAULT / "metadata.json").read_text())
    sources = [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")]
    sym = meta["c"]["f32"]["symbol"]
    el = _engine.EngineLib(DEFAULT / "c", sources, sym, tmp_path_factory.mktemp("nano"))
    x = np.load(DEFAULT / meta["golden"]["input"]).astype(np.float32)
    y = np.load(DEFAULT / meta["golden"]["output"]).astype(np.float32)
    return el, meta, x, y


@pytest.fixture(scope="module")
def nano_out(nano) -> np.ndarray:
    el, _, x, _ = nano
    eng = _engine.Engine(el, max_block=64)
    assert eng.status == 0
    return eng.run(x, 64)


def test_f32_engine_matches_keras_on_the_default_golden_vectors(nano, nano_out) -> None:
    _, meta, _, y = nano
    value = esr(y, nano_out)
    print(f"\nnano f32 engine ESR vs Keras: {value:.3e}")
    assert value <= ESR_MAX
    # and it is as close to Keras as the numpy oracle of the same descriptor
    assert value <= 100 * max(meta["variants"]["c_f32"]["esr_vs_keras"], 1e-12)


@pytest.mark.parametrize(("block", "max_block"), [(1, 64), (32, 64), (64, 64), (37, 64), (1000, 64), (37, 1)])
def test_any_block_split_gives_the_same_output(nano, nano_out, block, max_block) -> None:
    el, _, x, _ = nano
    eng = _engine.Engine(el, max_block=max_block)
    assert eng.status == 0
    # per-frame arithmetic does not depend on the split, so the output is bit-identical
    np.testing.assert_array_equal(eng.run(x, block), nano_out)
    assert eng.guards_intact()


def test_reset_forgets_the_past(nano, nano_out) -> None:
    el, _, x, _ = nano
    eng = _engine.Engine(el, max_block=32)
    eng.run(x[::-1].copy(), 32)  # leaves non-zero history in every ring buffer
    assert np.any(eng.state[: eng.state_bytes // 4] != 0)
    assert eng.reset() == 0
    assert not np.any(eng.state[: eng.state_bytes // 4])
    np.testing.assert_array_equal(eng.run(x, 32), nano_out)
    assert eng.guards_intact()


def test_compile_time_sizes_match_the_queries_and_the_package(nano) -> None:
    el, meta, _, _ = nano
    assert el.glue_status() == _engine.STATUS
    assert el.glue("max_knobs") == _engine.MAX_KNOBS
    assert el.glue("state_bytes") == el.state_bytes() == meta["memory"]["state_bytes_f32"]
    assert el.glue("scratch_bytes") == el.scratch_bytes(_engine.GLUE_BLOCK)
    assert el.scratch_bytes(2 * _engine.GLUE_BLOCK) == 2 * el.glue("scratch_bytes")


def test_init_rejects_bad_buffers_and_models_with_documented_codes(nano) -> None:
    el, _, x, _ = nano
    s = _engine.STATUS
    state, scratch = el.state_bytes(), el.scratch_bytes(16)
    assert _engine.Engine(el, 16, state_bytes=state - 4).status == s["M7_ERR_STATE_SIZE"]
    assert _engine.Engine(el, 16, scratch_bytes=scratch - 4).status == s["M7_ERR_SCRATCH_SIZE"]
    assert _engine.Engine(el, 0).status == s["M7_ERR_ARG"]
    q15 = el.model(el.symbol.replace("_f32", "_q15"))
    assert _engine.Engine(el, 16, model=q15).status == s["M7_ERR_PRECISION"]
    # a failed init leaves the engine unusable rather than half set up
    bad = _engine.Engine(el, 16, state_bytes=state - 4)
    out = _engine.guarded(0)
    assert bad.process(x[: len(out), 0].copy(), None, out) == s["M7_ERR_NOT_INIT"]
    assert bad.reset() == s["M7_ERR_NOT_INIT"]
    assert _engine.guards_intact(out, 0)  # nothing written
    # misaligned state
    eng = _engine.Engine(el, 16)
    raw = _engine.guarded(state // 4 + 1)
    scr = eng.scratch.ctypes.data
    st = el.lib.m7_engine_init_f32(eng.struct, el.model(), raw.ctypes.data + 2, state, scr, scratch, 16)
    assert st == s["M7_ERR_ALIGN"]
    st = el.lib.m7_engine_init_f32(eng.struct, None, raw.ctypes.data, state, scr, scratch, 16)
    assert st == s["M7_ERR_NULL"]


def test_init_rejects_inconsistent_descriptors(nano) -> None:
    from tests.export import _cmodel

    el, _, _, _ = nano
    s = _engine.STATUS
    orig = _cmodel.Model.in_dll(el.lib, el.symbol)
    cases = {"format_version": (orig.format_version + 1, "M7_ERR_VERSION"),
             "n_inputs": (1 + _engine.MAX_KNOBS + 1, "M7_ERR_UNSUPPORTED"),
             "state_len": (orig.state_len - 1, "M7_ERR_MODEL"),  # the last ring would overflow the state
             "head_len": (0, "M7_ERR_MODEL")}
    for field, (value, code) in cases.items():
        bad = _cmodel.Model.from_buffer_copy(orig)
        setattr(bad, field, value)
        assert _engine.Engine(el, 16, model=ctypes.addressof(bad)).status == s[code], field
    same = _cmodel.Model.from_buffer_copy(orig)
    assert _engine.Engine(el, 16, model=ctypes.addressof(same)).status == s["M7_OK"]


def test_exact_buffer_sizes_are_enough_and_nothing_is_written_past_them(nano, nano_out) -> None:
    el, _, x, _ = nano
    eng = _engine.Engine(el, max_block=7)
    assert eng.status == 0
    np.testing.assert_array_equal(eng.run(x, 50), nano_out)
    assert eng.guards_intact()


# ---------------------------------------------------------------------------- freshly exported tiny models


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    from m7amp.export import export_package
    from tests.export.conftest import make_run_dir

    base = tmp_path_factory.mktemp("tiny")
    out = {}
    for family in TINY_FAMILIES:
        run = make_run_dir(base / "runs" / family, family)
        meta = export_package(run, base / family, block_size=16, tflite=False, progress=lambda _: None)
        out[family] = (base / family, meta)
    return out


@pytest.mark.parametrize("family", TINY_FAMILIES)
def test_f32_engine_matches_keras_on_tiny_models(family, tiny, tmp_path) -> None:
    pkg, meta = tiny[family]
    assert meta["architecture"] == {"nam": "wavenet_nam", "gated": "wavenet_gated"}.get(family, family)
    el = _engine.EngineLib(pkg / "c", [meta["c"]["f32"]["source"].removeprefix("c/")],
                           meta["c"]["f32"]["symbol"], tmp_path)
    x = np.load(pkg / meta["golden"]["input"]).astype(np.float32)
    y = np.load(pkg / meta["golden"]["output"]).astype(np.float32)
    eng = _engine.Engine(el, max_block=16)
    assert eng.status == 0
    out = eng.run(x, 16)
    value = esr(y, out)
    # RNN outputs add the input (input_skip): check the network's own part too, which is far smaller
    dry = x[:, 0] if family in ("lstm", "gru") else np.zeros_like(y)
    value_net = esr(y - dry, out - dry)
    print(f"\ntiny {family} f32 engine ESR vs Keras: {value:.3e} (network part {value_net:.3e})")
    assert value <= ESR_MAX and value_net <= ESR_MAX
    assert eng.reset() == 0
    np.testing.assert_array_equal(eng.run(x, 5), out)  # per-sample knobs, another split
    assert eng.guards_intact()
    if meta["n_inputs"] == 1:
        return
    # held knobs: constant knob frames given once equal knobs = NULL afterwards
    xc = x.copy()
    xc[:, 1] = 0.25
    assert eng.reset() == 0
    ref = eng.run(xc, 16)
    assert eng.reset() == 0
    assert el.lib.m7_engine_set_knobs_f32(eng.struct, np.array([0.25], np.float32).ctypes.data) == 0
    np.testing.assert_array_equal(eng.run(xc[:, :1].copy(), 16), ref)


@requires_arm_gcc
def test_engine_sources_compile_for_cortex_m7(tmp_path) -> None:
    for src in _engine.ENGINE_SOURCES:
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard",
               *_engine.CFLAGS, "-c", "-I", str(_engine.ENGINE_DIR / "include"), str(src),
               "-o", str(tmp_path / "e.o")]
        subprocess.run(cmd, check=True)


# ------------------------------------------------- wider exported models: every specialised kernel path

# kernel 3 with 8/4 channels (NAM: conv 8 and 4 channels by 4 outputs, mixer and residual 8/4), 6/3
# channels (run-time channel loop by 2 outputs; 3 channels: the generic conv) and gated 6, 4 and 2
# channels (2C = 12, 8 and 4 pre-activations: conv by 4 outputs, gated activation, skips); dilations up
# to 64 so that 16-sample blocks cut the rings in several runs.
WIDE = {
    "nam84": (False, (8, 4), ((1, 2, 8, 64), (1, 4, 32))),
    "nam63": (False, (6, 3), ((1, 8, 64), (2, 16))),
    "gated6": (True, (6,), ((1, 4, 32),)),
    "gated4": (True, (4,), ((1, 4, 32, 2),)),
    "gated2": (True, (2,), ((1, 16, 64),)),
}


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    import keras

    from m7amp.export import export_package
    from m7amp.models import build_model
    from m7amp.models._config import WaveNetConfig, config_to_dict, receptive_field
    from tests.export.conftest import SR, make_signal

    base = tmp_path_factory.mktemp("wide")
    out = {}
    for name, (gated, channels, dilations) in WIDE.items():
        cfg = WaveNetConfig(name, gated, channels, dilations, kernel_size=3)
        run = base / "runs" / name
        run.mkdir(parents=True)
        rng = np.random.default_rng(1)
        keras.utils.set_random_seed(1)
        build_model(cfg, 1).save(run / "model.keras")
        test_x = make_signal(rng, 4000, 1)[None]
        rep_x = np.stack([make_signal(rng, 1024, 1) for _ in range(2)])
        np.savez(run / "data.npz", rep_x=rep_x, test_x=test_x, test_y=(0.5 * np.tanh(3 * test_x[..., :1])))
        (run / "run.json").write_text(json.dumps({
            "model": config_to_dict(cfg), "sample_rate": SR, "knobs": [{"name": "k", "min": 0.0, "max": 1.0}],
            "receptive_field": receptive_field(cfg), "seed": 1, "epochs": 0, "train_seconds": 0.0,
            "test": {"esr": 1.0, "esr_pre": 1.0, "loss": 1.0}, "data": {"description": "test fixture"},
            "m7amp_version": "test"}))
        meta = export_package(run, base / name, block_size=16, tflite=False, progress=lambda _: None)
        out[name] = (base / name, meta)
    return out


@pytest.mark.parametrize("name", WIDE)
def test_specialised_kernels_equal_the_generic_loops_bit_for_bit(name, wide, tmp_path) -> None:
    pkg, meta = wide[name]
    src, sym = [meta["c"]["f32"]["source"].removeprefix("c/")], meta["c"]["f32"]["symbol"]
    (tmp_path / "fast").mkdir()
    (tmp_path / "generic").mkdir()
    fast = _engine.EngineLib(pkg / "c", src, sym, tmp_path / "fast")
    generic = _engine.EngineLib(pkg / "c", src, sym, tmp_path / "generic", defines=("M7E_GENERIC_KERNELS",))
    x = np.load(pkg / meta["golden"]["input"]).astype(np.float32)
    y = np.load(pkg / meta["golden"]["output"]).astype(np.float32)
    out = _engine.Engine(fast, max_block=16).run(x, 16)
    value = esr(y, out)
    print(f"\n{name} f32 engine ESR vs Keras: {value:.3e}")
    assert value <= ESR_MAX
    np.testing.assert_array_equal(_engine.Engine(generic, max_block=16).run(x, 16), out)
    eng = _engine.Engine(fast, max_block=64)
    np.testing.assert_array_equal(eng.run(x, 37), out)  # another split of the rings
    assert eng.guards_intact()
