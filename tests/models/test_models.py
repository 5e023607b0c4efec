"""Model configs and Keras models: presets, derived numbers, causality, save/load, the ``describe`` walk."""

from __future__ import annotations

import numpy as np
import pytest

from m7amp.errors import M7Error
from m7amp.models._config import (
    Preset,
    RNNConfig,
    WaveNetConfig,
    config_from_dict,
    config_to_dict,
    is_model_name,
    load_config,
    macs_per_sample,
    parameter_count,
    receptive_field,
    rnn_size_config,
)

# Small configs of every family keep the Keras tests fast; the presets are checked by formula below.
SMALL = {
    "nam": WaveNetConfig("t_nam", False, (3, 2), ((1, 2, 4), (1, 2)), kernel_size=3, head_scale=0.5),
    "gated": WaveNetConfig("t_gated", True, (3,), ((1, 2, 4, 1),), kernel_size=2),
    "lstm": RNNConfig("t_lstm", "lstm", 5),
    "gru": RNNConfig("t_gru", "gru", 4),
}


def _run(model, x: np.ndarray) -> np.ndarray:
    return model(x).numpy()


def keras_graph_macs(model) -> int:
    """Multiply-accumulates per sample counted from the Keras layers themselves (independent of describe)."""
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Conv1D):
            k, cin, cout = layer.kernel.shape
            total += k * cin * cout
        elif isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
        elif isinstance(layer, keras.layers.LSTM | keras.layers.GRU):
            total += int(np.prod(layer.cell.kernel.shape)) + int(np.prod(layer.cell.recurrent_kernel.shape))
    return total


@pytest.mark.parametrize("preset", list(Preset), ids=lambda p: p.value)
def test_every_preset_loads_and_round_trips(preset: Preset) -> None:
    cfg = load_config(preset.value)
    assert cfg.name == preset.value
    assert config_from_dict(config_to_dict(cfg)) == cfg
    assert load_config(str(preset.path)) == cfg


def test_nam_presets_match_the_published_structure() -> None:
    # Receptive field 4093 at kernel 3; standard ~13.3k MACs and ~13.8k parameters (docs/models.md
    # explains the 64 MACs / 72 parameters of NAM's never-used last 1x1 that we do not build).
    for name in ("nano", "feather", "lite", "standard"):
        assert receptive_field(load_config(name)) == 4093
    standard = load_config("standard")
    assert macs_per_sample(standard) + 64 == 13320
    assert parameter_count(standard) + 72 == 13801
    assert [macs_per_sample(load_config(n)) for n in ("nano", "feather")] == [878, 3380]


def test_wavenet1_parameters_match_wright() -> None:
    # 18.6k in the paper, including the last layer's unused 1x1 residual (16*16 + 16).
    assert parameter_count(load_config("wavenet1")) + 272 == 18593
    assert receptive_field(load_config("wavenet1")) == 2047


def test_rnn_receptive_field_is_one_sample() -> None:
    assert receptive_field(load_config("lstm16")) == 1
    assert macs_per_sample(load_config("gru12"), n_knobs=1) == 3 * 12 * (2 + 12) + 12


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "type": "conv"},
        {"name": "x", "type": "lstm"},
        {"name": "x", "type": "gru", "hidden_size": 0},
        {"name": "x", "type": "wavenet", "gated": True, "channels": [4, 2], "dilations": [[1], [1]]},
        {"name": "x", "type": "wavenet", "gated": False, "channels": [4], "dilations": [[1], [2]]},
        {"name": "x", "type": "wavenet", "gated": False, "channels": [4], "dilations": [[0]]},
        {"name": "x", "type": "lstm", "hidden_size": 8, "layers": 2},
    ],
)
def test_bad_configs_are_user_errors(bad: dict) -> None:
    with pytest.raises(M7Error):
        config_from_dict(bad)


def test_load_config_unknown_name_or_bad_toml(tmp_path) -> None:
    with pytest.raises(M7Error, match="preset"):
        load_config("no-such-model")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [\n")
    with pytest.raises(M7Error, match="TOML"):
        load_config(str(bad))
    good = tmp_path / "mine.toml"
    good.write_text('name = "mine"\ntype = "gru"\nhidden_size = 9\n')
    assert load_config(str(good)) == RNNConfig("mine", "gru", 9)


def test_rnn_size_names() -> None:
    # lstm<N> / gru<N> need no TOML; the committed lstm16 and gru12 presets are the same configs
    assert load_config("gru24") == RNNConfig("gru24", "gru", 24)
    assert load_config("LSTM8") == RNNConfig("lstm8", "lstm", 8)
    assert load_config("lstm16") == RNNConfig("lstm16", "lstm", 16) == load_config(Preset.LSTM16.path)
    assert load_config("gru12") == load_config(Preset.GRU12.path)
    assert rnn_size_config("gru256") is not None and is_model_name("standard") and is_model_name("gru3")
    for bad in ("gru0", "gru257", "gru08", "lstm", "rnn16", "gru16x"):
        assert rnn_size_config(bad) is None and not is_model_name(bad)
        with pytest.raises(M7Error, match=r"lstm<N> or gru<N>"):
            load_config(bad)


@pytest.fixture(
    scope="module", params=[(f, k) for f in SMALL for k in (0, 2)], ids=lambda p: f"{p[0]}-k{p[1]}"
)
def built(request):
    from m7amp.models import build_model

    family, n_knobs = request.param
    cfg = SMALL[family]
    return cfg, n_knobs, build_model(cfg, n_knobs)


def test_parameters_and_macs_match_the_keras_graph(built) -> None:
    from m7amp.models import describe

    cfg, n_knobs, model = built
    assert model.count_params() == parameter_count(cfg, n_knobs)
    assert keras_graph_macs(model) == macs_per_sample(cfg, n_knobs)
    assert sum(op.macs for op in describe(model, cfg)) == macs_per_sample(cfg, n_knobs)


def test_model_is_causal_and_takes_any_length(built) -> None:
    _cfg, n_knobs, model = built
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (2, 64, 1 + n_knobs)).astype(np.float32)
    y = _run(model, x)
    assert y.shape == (2, 64, 1)
    x2 = x.copy()
    x2[:, 40:] = rng.uniform(-1, 1, x2[:, 40:].shape)
    y2 = _run(model, x2)
    np.testing.assert_array_equal(y[:, :40], y2[:, :40])  # no look-ahead
    assert np.abs(y[:, 40:] - y2[:, 40:]).max() > 0
    assert _run(model, x[:, :1]).shape == (2, 1, 1)


def test_receptive_field_is_exact(built) -> None:
    cfg, n_knobs, model = built
    rf = receptive_field(cfg)
    if rf == 1:
        pytest.skip("recurrent models depend on all the past")
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (1, rf + 20, 1 + n_knobs)).astype(np.float32)
    y = _run(model, x)[0, :, 0]
    x[0, 0] += 0.5  # the first output that still sees sample 0 is rf-1 samples later
    y2 = _run(model, x)[0, :, 0]
    assert y2[rf - 1] != y[rf - 1]
    np.testing.assert_array_equal(y2[rf:], y[rf:])


def test_knobs_change_the_output(built) -> None:
    _cfg, n_knobs, model = built
    if not n_knobs:
        pytest.skip("no knobs")
    x = np.random.default_rng(3).uniform(-1, 1, (1, 32, 1 + n_knobs)).astype(np.float32)
    x2 = x.copy()
    x2[..., 1:] = 1.0 - x2[..., 1:]
    assert np.abs(_run(model, x) - _run(model, x2)).max() > 1e-6


def test_saved_model_loads_with_only_the_package_imported(built, tmp_path) -> None:
    import keras

    _cfg, n_knobs, model = built
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(4).uniform(-1, 1, (1, 50, 1 + n_knobs)).astype(np.float32)
    np.testing.assert_array_equal(_run(model, x), _run(loaded, x))


def test_describe_lists_every_weight_once(built) -> None:
    from m7amp.models import describe

    cfg, _n_knobs, model = built
    ops = describe(model, cfg)
    assert ops[-1].kind == "output"
    described = sorted(float(v) for op in ops for w in op.weights.values() for v in w.ravel())
    keras_values = sorted(float(v) for w in model.get_weights() for v in np.ravel(w))
    assert described == keras_values
    layers = [op for op in ops if op.kind in ("nam_layer", "gated_layer")]
    if isinstance(cfg, WaveNetConfig):
        assert [op.dilation for op in layers] == [d for ds in cfg.dilations for d in ds]
