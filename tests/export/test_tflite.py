"""TFLite variants (m7amp.export._tflite): whole-clip f32/int8/16x8, block streaming f32/int8, op lists.

Tiny models of every family (NAM and gated WaveNets with dilations, LSTM, GRU) with seeded weights;
each flatbuffer is converted once per module (TF conversion dominates the run time).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from m7amp.metrics import esr
from m7amp.models._config import RNNConfig, WaveNetConfig

SR = 8000
N = 1000  # clip length: not a multiple of the block sizes below, so the zero-padded tail is exercised
CONFIGS = {
    # (config, knobs, block size): "nam" streams in blocks shorter than its longest history (2*4 frames)
    "nam": (WaveNetConfig("t_nam", False, (3, 2), ((1, 2, 4), (1, 2)), head_scale=0.5), 1, 6),
    "gated": (WaveNetConfig("t_gated", True, (3,), ((1, 2, 4, 8),), kernel_size=2), 1, 32),
    "lstm": (RNNConfig("t_lstm", "lstm", 6), 0, 16),
    "gru": (RNNConfig("t_gru", "gru", 5), 1, 16),
}
WAVENETS = ("nam", "gated")
# Quantised-vs-Keras ESR bounds. An int8 tensor carries ~48 dB SNR (ESR ~1.6e-5 for a full-range signal);
# ~10-20 quantised tensors in series, activations using part of their calibrated range and the int8
# output step give 1e-4..1e-2 for these small models (docs/tflite.md), so 0.05 flags a broken
# quantisation (wrong scales or saturation give ~1) with margin. 16x8 keeps int8 *weights*: the random
# gated model's 12→1 mixer sums ±0.5 inputs into a ±0.1 output, so its weight rounding alone costs
# ~2e-3 (measured tensor by tensor: every int16 activation before it is within 3e-5); hence 0.01.
INT8_BOUND = 0.05
INT16_BOUND = 0.01


def _signal(rng: np.random.Generator, n: int, n_knobs: int, start: int = 0) -> np.ndarray:
    """Decaying plucked-like tones plus noise (audio in [-1, 1]) and slowly moving knobs in [0, 1]."""
    t = (start + np.arange(n)) / SR
    x = np.zeros((n, 1 + n_knobs), np.float32)
    x[:, 0] = 0.8 * np.sin(2 * np.pi * 196 * t) * np.exp(-3 * (t % 0.25)) + 0.05 * rng.standard_normal(n)
    for k in range(n_knobs):
        x[:, 1 + k] = 0.5 + 0.45 * np.sin(2 * np.pi * (2 + k) * t)
    return np.clip(x, -1, 1)


@pytest.fixture(scope="module")
def cases() -> dict[str, dict]:
    """Per family: the Keras model, a test clip, its Keras output and representative data."""
    import keras

    from m7amp.models import build_model

    out = {}
    for i, (family, (cfg, n_knobs, block)) in enumerate(CONFIGS.items()):
        keras.utils.set_random_seed(10 + i)
        model = build_model(cfg, n_knobs)
        rng = np.random.default_rng(i)
        x = _signal(rng, N, n_knobs)
        # calibration segments from across the signal: together they span the knobs' whole range (with
        # the knobs seen only near 0.5, 16x8 saturates and loses 100x in ESR)
        rep_x = np.stack([_signal(rng, 512, n_knobs, start) for start in range(0, 4000, 500)])
        y = model(x[None]).numpy().reshape(-1)
        out[family] = {"cfg": cfg, "model": model, "x": x, "y": y, "rep_x": rep_x, "block": block}
    return out


@pytest.fixture(scope="module")
def whole(cases) -> dict[tuple[str, str], bytes]:
    """Whole-clip flatbuffers: every kind each family supports."""
    from m7amp.export._tflite import convert_whole, whole_kinds

    return {
        (family, kind): convert_whole(c["model"], N, kind, c["rep_x"])
        for family, c in cases.items()
        for kind in whole_kinds(c["model"])
    }


@pytest.fixture(scope="module")
def stream(cases) -> dict[tuple[str, str], bytes]:
    """Streaming flatbuffers: f32 for every family, int8 for the NAM WaveNet and the LSTM."""
    from m7amp.export._tflite import convert_streaming

    wanted = [(f, "f32") for f in cases] + [("nam", "int8"), ("lstm", "int8")]
    return {
        (f, kind): convert_streaming(
            cases[f]["cfg"], cases[f]["model"], cases[f]["block"], kind, cases[f]["rep_x"]
        )
        for f, kind in wanted
    }


@pytest.mark.parametrize("family", list(CONFIGS))
def test_whole_f32_matches_keras(cases, whole, family):
    from m7amp.export._tflite import run_tflite_whole

    c = cases[family]
    assert esr(c["y"], run_tflite_whole(whole[family, "f32"], c["x"])) < 1e-6


@pytest.mark.parametrize("family", WAVENETS)
def test_whole_wavenet_dilation_is_native(whole, family):
    from m7amp.export._tflite import tflite_conv2d_dilations, tflite_ops

    assert "SPACE_TO_BATCH_ND" not in tflite_ops(whole[family, "int8"])
    assert max(tflite_conv2d_dilations(whole[family, "int8"])) == 4 if family == "nam" else 8


@pytest.mark.parametrize("family", WAVENETS)
def test_whole_quantised_esr_is_finite_and_small(cases, whole, family):
    from m7amp.export._tflite import run_tflite_whole

    c = cases[family]
    e8 = esr(c["y"], run_tflite_whole(whole[family, "int8"], c["x"]))
    e16 = esr(c["y"], run_tflite_whole(whole[family, "16x8"], c["x"]))
    assert math.isfinite(e8) and 0 < e8 < INT8_BOUND
    assert math.isfinite(e16) and 0 < e16 < INT16_BOUND
    assert e16 < e8  # int16 activations must beat int8 ones


def test_whole_quantised_io_is_integer_with_scales(whole):
    from m7amp.export._tflite import tflite_io

    io8, io16 = tflite_io(whole["nam", "int8"]), tflite_io(whole["nam", "16x8"])
    assert io8["input"]["dtype"] == io8["output"]["dtype"] == "int8"
    assert io16["input"]["dtype"] == io16["output"]["dtype"] == "int16"
    assert io16["input"]["zero_point"] == 0  # int16 activations are symmetric
    assert io8["input"]["shape"] == [1, N, 2] and io8["output"]["shape"] == [1, N, 1]
    # the input scale covers audio in [-1, 1] without wasting more than half the int8 range
    assert 1 / 255 <= io8["input"]["scale"] <= 2 / 255 * 2
    assert tflite_io(whole["nam", "f32"])["input"]["scale"] is None


def test_whole_run_pads_a_short_clip_and_rejects_a_long_one(cases, whole):
    from m7amp.export._tflite import run_tflite_whole

    c = cases["gated"]
    y = run_tflite_whole(whole["gated", "f32"], c["x"][:300])
    assert y.shape == (300,) and esr(c["y"][:300], y) < 1e-6
    with pytest.raises(ValueError, match="at most"):
        run_tflite_whole(whole["gated", "f32"], np.zeros((N + 1, 2), np.float32))


def test_rnn_whole_clip_is_float_only(cases):
    from m7amp.export._tflite import convert_whole, whole_kinds

    assert whole_kinds(cases["lstm"]["model"]) == ("f32",)
    assert whole_kinds(cases["nam"]["model"]) == ("f32", "int8", "16x8")
    with pytest.raises(ValueError, match="not available"):
        convert_whole(cases["gru"]["model"], N, "int8", cases["gru"]["rep_x"])


def test_quantised_conversion_needs_representative_data(cases):
    from m7amp.export._tflite import convert_streaming, convert_whole

    with pytest.raises(ValueError, match="representative"):
        convert_whole(cases["nam"]["model"], 64, "int8", None)
    with pytest.raises(ValueError, match="rep_x must be"):
        convert_streaming(cases["nam"]["cfg"], cases["nam"]["model"], 8, "int8", np.zeros((2, 64, 5)))
    with pytest.raises(ValueError, match="kind"):
        convert_streaming(cases["nam"]["cfg"], cases["nam"]["model"], 8, "16x8", cases["nam"]["rep_x"])


@pytest.mark.parametrize("family", list(CONFIGS))
def test_stream_f32_over_blocks_equals_keras_whole_clip(cases, stream, family):
    from m7amp.export._tflite import run_tflite_streaming

    c = cases[family]
    y = run_tflite_streaming(stream[family, "f32"], c["x"], c["block"])
    assert y.shape == (N,)
    assert esr(c["y"], y) < 1e-6


def test_stream_state_carries_across_invokes(cases, stream):
    """Running every block from zero state (a fresh interpreter each) must differ: the state is real."""
    from m7amp.export._tflite import run_tflite_streaming

    c = cases["nam"]
    b = c["block"]
    blocks = [run_tflite_streaming(stream["nam", "f32"], c["x"][i : i + b], b) for i in range(0, N, b)]
    assert esr(c["y"], np.concatenate(blocks)) > 1e-3


@pytest.mark.parametrize("family", WAVENETS)
def test_stream_wavenet_keeps_dilation_native_in_conv2d(stream, family):
    from m7amp.export._tflite import tflite_conv2d_dilations, tflite_ops

    blob = stream[family, "f32"]
    ops = tflite_ops(blob)
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CONV_2D"} <= set(ops)
    assert "SPACE_TO_BATCH_ND" not in ops and "BATCH_TO_SPACE_ND" not in ops
    dilations = {d for d in tflite_conv2d_dilations(blob) if d > 1}
    assert dilations == ({2, 4} if family == "nam" else {2, 4, 8})


@pytest.mark.parametrize("family", ["lstm", "gru"])
def test_stream_rnn_is_unrolled_with_state_variables(stream, family):
    from m7amp.export._tflite import tflite_ops

    ops = set(tflite_ops(stream[family, "f32"]))
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "FULLY_CONNECTED"} <= ops
    assert "WHILE" not in ops


@pytest.mark.parametrize("family", ["nam", "lstm"])
def test_stream_int8_is_integer_including_its_state(cases, stream, family):
    from m7amp.export._tflite import run_tflite_streaming, tflite_io, tflite_ops, tflite_state_dtypes

    c = cases[family]
    blob = stream[family, "int8"]
    e = esr(c["y"], run_tflite_streaming(blob, c["x"], c["block"]))
    assert math.isfinite(e) and 0 < e < INT8_BOUND
    io = tflite_io(blob)
    assert io["input"]["dtype"] == io["output"]["dtype"] == "int8"
    states = tflite_state_dtypes(blob)
    assert states and set(states) == {"int8"}
    assert "DEQUANTIZE" not in tflite_ops(blob)


def test_stream_int8_falls_back_to_float_state_after_a_fixed_scale_activation():
    """A dilated conv reading a tanh output (int8 tanh has the fixed output scale 1/128): CONCATENATION
    cannot give ``[state, block]`` one scale, so the state stays float32 (same results, more ops)."""
    import keras

    from m7amp.export._tflite import convert_streaming, run_tflite_streaming, tflite_ops, tflite_state_dtypes

    keras.utils.set_random_seed(3)
    inp = keras.Input((None, 1))
    h = keras.layers.Conv1D(3, 3, dilation_rate=2, padding="causal", activation="tanh")(inp)
    h = keras.layers.Conv1D(3, 3, dilation_rate=4, padding="causal")(h)
    model = keras.Model(inp, keras.layers.Conv1D(1, 1)(h))
    rng = np.random.default_rng(0)
    x = _signal(rng, 256, 0)
    rep = np.stack([_signal(rng, 256, 0, s) for s in range(0, 4000, 500)])
    blob = convert_streaming(None, model, 32, "int8", rep)
    assert set(tflite_state_dtypes(blob)) == {"float32"}
    assert {"QUANTIZE", "DEQUANTIZE"} <= set(tflite_ops(blob))
    e = esr(model(x[None]).numpy().reshape(-1), run_tflite_streaming(blob, x, 32))
    assert math.isfinite(e) and e < INT8_BOUND


def test_run_streaming_rejects_a_wrong_block_size(cases, stream):
    from m7amp.export._tflite import run_tflite_streaming

    with pytest.raises(ValueError, match="blocks of"):
        run_tflite_streaming(stream["gru", "f32"], cases["gru"]["x"], 8)
