"""``describe``: a model's computation as a flat list of ops in execution order, with numpy weights.

This is the one walk of a model shared by the C exporter, the numpy reference engine and the streaming
TFLite builder. Every op reads and writes named per-sample vectors ("buffers"):

========  ==============================================================================================
buffer    meaning (one vector per sample)
========  ==============================================================================================
input     the model input, ``1 + n_knobs`` values: audio, then knobs in [0, 1]
audio     ``input[0:1]``;  ``knobs`` is ``input[1:]``
x         the residual stream of the current layer array (``in_ch``/``out_ch`` channels)
head      NAM head accumulator; set to zero at the start of every sample
skip      gated WaveNet: the concatenated gate outputs of all layers
h         RNN hidden state output (the cell keeps its own state)
out       one value before the output op
========  ==============================================================================================

Op kinds and their exact semantics (``W·v`` is a matrix-vector product; layouts below):

- ``conv1x1``: ``dst[:out_ch] = W·src[:in_ch] (+ b)``.  ``src`` may equal ``dst`` (compute, then store).
- ``nam_layer``: ``z = tanh(sum_j conv_w[:, j, :]·x[t - (k-1-j)·d] + conv_b + mix_w·input)``;
  ``head[:out_ch] += z``; then, if ``res_w`` is present, ``x = x + res_w·z + res_b``. With ``gated``
  (NAM's gating_mode "gated") the sum ``a`` has 2C values and ``z = tanh(a[:C]) * sigmoid(a[C:])``.
- ``gated_layer``: ``a = sum_j conv_w[:, j, :]·x[t - (k-1-j)·d] + conv_b (+ mix_w·knobs)`` (2C values);
  ``z = tanh(a[:C]) * sigmoid(a[C:])``; ``skip[skip_offset : skip_offset + C] = z``; then, if ``res_w``
  is present, ``x = x + res_w·z + res_b``.
- ``lstm`` (Keras gate order i, f, g, o): ``a = w_in·input + w_h·h + b``; ``i, f, o = sigmoid(...)``,
  ``g = tanh(...)``; ``c = f*c + i*g``; ``h = o * tanh(c)``.
- ``gru`` (Keras, reset_after; gate order z, r, n): ``u = w_in·input + b_in``, ``v = w_h·h + b_h``;
  ``z = sigmoid(u_z + v_z)``, ``r = sigmoid(u_r + v_r)``, ``n = tanh(u_n + r*v_n)``;
  ``h = z*h + (1-z)*n``.
- ``output``: ``y = scale * out[0] (+ audio if input_skip)``.

Weight layouts (row-major numpy, float32): 1×1 weights ``[out][in]``; dilated conv weights
``[out][k][in]`` where tap ``j`` multiplies the input ``(k-1-j)·d`` samples back (tap ``k-1`` is the
current sample); RNN ``w_in [G·H][in]``, ``w_h [G·H][H]`` with the gates stacked in Keras order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from m7amp.models._config import ModelConfig, RNNConfig, WaveNetConfig


@dataclass(frozen=True)
class LayerSpec:
    """One op of ``describe``; see the module docstring for the semantics of each ``kind``."""

    kind: str  # conv1x1 | nam_layer | gated_layer | lstm | gru | output
    name: str  # the Keras layer it comes from
    src: str  # buffer read (residual input for the conv layers)
    dst: str  # buffer written
    in_ch: int
    out_ch: int
    kernel: int = 1
    dilation: int = 1
    cond: str = ""  # nam_layer: "input"; gated_layer with knobs: "knobs"
    cond_ch: int = 0
    skip_offset: int = 0  # gated_layer
    gated: bool = False  # nam_layer: tanh·sigmoid of 2C pre-activations (always True for gated_layer)
    scale: float = 1.0  # output
    input_skip: bool = False  # output
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def state_frames(self) -> int:
        """Past input frames a dilated layer keeps (``(k-1)·d``); RNN cells: 1 (their state)."""
        if self.kind in ("nam_layer", "gated_layer"):
            return (self.kernel - 1) * self.dilation
        return 1 if self.kind in ("lstm", "gru") else 0

    @property
    def state_values(self) -> int:
        """Floats of persistent state this op keeps between samples."""
        if self.kind in ("nam_layer", "gated_layer"):
            return self.state_frames * self.in_ch
        if self.kind == "lstm":
            return 2 * self.out_ch
        return self.out_ch if self.kind == "gru" else 0

    @property
    def macs(self) -> int:
        """Multiply-accumulates per sample."""
        return sum(int(w.size) for w in self.weights.values() if w.ndim >= 2)  # biases are 1-D


def _w(layer: Any, name: str) -> np.ndarray:
    """A weight of a Keras layer (or sublayer) by its variable name."""
    for v in layer.weights:
        if v.path.rsplit("/", 1)[-1] == name:
            return np.asarray(v.numpy(), dtype=np.float32)
    raise KeyError(f"{layer.name} has no weight {name!r}")


def _conv_w(conv: Any) -> np.ndarray:
    """Keras Conv1D kernel (k, in, out) -> [out][k][in]."""
    return np.ascontiguousarray(np.transpose(_w(conv, "kernel"), (2, 0, 1)))


def _1x1(conv: Any) -> np.ndarray:
    return np.ascontiguousarray(_w(conv, "kernel")[0].T)


def _bias(conv: Any) -> dict[str, np.ndarray]:
    return {"b": _w(conv, "bias")} if conv.use_bias else {}


def describe(model: Any, config: ModelConfig) -> list[LayerSpec]:
    """The ops of ``model`` (built by ``build_model(config, n_knobs)``) in execution order."""
    n_in = int(model.input_shape[-1])
    if isinstance(config, RNNConfig):
        return _describe_rnn(model, config, n_in)
    if config.gated:
        return _describe_gated(model, config, n_in)
    return _describe_nam(model, config, n_in)


def _describe_nam(model: Any, config: WaveNetConfig, n_in: int) -> list[LayerSpec]:
    ops: list[LayerSpec] = []
    n_arrays = len(config.channels)
    for a, (c, dilations) in enumerate(zip(config.channels, config.dilations, strict=True)):
        rech = model.get_layer(f"a{a}_rechannel")
        in_ch = 1 if a == 0 else config.channels[a - 1]
        ops.append(LayerSpec("conv1x1", rech.name, "audio" if a == 0 else "x", "x", in_ch, c,
                             weights={"w": _1x1(rech)}))
        for j, d in enumerate(dilations):
            layer = model.get_layer(f"a{a}_layer{j}")
            w = {"conv_w": _conv_w(layer.conv), "conv_b": _w(layer.conv, "bias"),
                 "mix_w": _1x1(layer.input_mixer)}
            if layer.layer_1x1 is not None:
                w |= {"res_w": _1x1(layer.layer_1x1), "res_b": _w(layer.layer_1x1, "bias")}
            ops.append(LayerSpec("nam_layer", layer.name, "x", "x", c, c, config.kernel(a, j), d,
                                 cond="input", cond_ch=n_in, gated=config.is_gated(a, j), weights=w))
        head = model.get_layer(f"a{a}_head_rechannel")
        last = a == n_arrays - 1
        ops.append(LayerSpec("conv1x1", head.name, "head", "out" if last else "head", c,
                             1 if last else config.channels[a + 1], weights={"w": _1x1(head)} | _bias(head)))
    ops.append(LayerSpec("output", "head_scale", "out", "y", 1, 1, scale=config.head_scale))
    return ops


def _describe_gated(model: Any, config: WaveNetConfig, n_in: int) -> list[LayerSpec]:
    c, dilations = config.channels[0], config.dilations[0]
    n_knobs = n_in - 1
    inp = model.get_layer("input")
    ops = [LayerSpec("conv1x1", "input", "audio", "x", 1, c, weights={"w": _1x1(inp)} | _bias(inp))]
    for j, d in enumerate(dilations):
        layer = model.get_layer(f"layer{j}")
        w = {"conv_w": _conv_w(layer.conv), "conv_b": _w(layer.conv, "bias")}
        if layer.cond_mixer is not None:
            w["mix_w"] = _1x1(layer.cond_mixer)
        if layer.layer_1x1 is not None:
            w |= {"res_w": _1x1(layer.layer_1x1), "res_b": _w(layer.layer_1x1, "bias")}
        ops.append(LayerSpec("gated_layer", layer.name, "x", "x", c, c, config.kernel_size, d,
                             cond="knobs" if n_knobs else "", cond_ch=n_knobs, skip_offset=j * c, gated=True,
                             weights=w))
    mixer = model.get_layer("mixer")
    ops.append(LayerSpec("conv1x1", "mixer", "skip", "out", c * len(dilations), 1,
                         weights={"w": _1x1(mixer)} | _bias(mixer)))
    ops.append(LayerSpec("output", "mixer", "out", "y", 1, 1))
    return ops


def _describe_rnn(model: Any, config: RNNConfig, n_in: int) -> list[LayerSpec]:
    rnn, dense, h = model.get_layer(config.cell), model.get_layer("dense"), config.hidden_size
    kernel, rec = _w(rnn, "kernel"), _w(rnn, "recurrent_kernel")
    w = {"w_in": np.ascontiguousarray(kernel.T), "w_h": np.ascontiguousarray(rec.T)}
    bias = _w(rnn, "bias")
    if config.cell == "lstm":
        w["b"] = bias
    else:  # Keras GRU (reset_after=True) keeps input and recurrent biases apart: (2, 3H)
        w["b_in"], w["b_h"] = bias[0].copy(), bias[1].copy()
    return [
        LayerSpec(config.cell, rnn.name, "input", "h", n_in, h, weights=w),
        LayerSpec("conv1x1", "dense", "h", "out", h, 1,
                  weights={"w": np.ascontiguousarray(_w(dense, "kernel").T), "b": _w(dense, "bias")}),
        LayerSpec("output", "input_skip" if config.input_skip else "dense", "out", "y", 1, 1,
                  input_skip=config.input_skip),
    ]
