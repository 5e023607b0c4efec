"""``build_model``: a Keras functional model from a ``ModelConfig``.

Input ``(batch, time, 1 + n_knobs)``: channel 0 is audio, channels 1.. are knob values in [0, 1].
Output ``(batch, time, 1)``. Causal, any time length >= 1. Layer names are fixed (``describe`` and the
exporters find weights by them):

- NAM WaveNet: ``audio`` (channel slice), ``a{i}_rechannel``, ``a{i}_layer{j}``, ``a{i}_head{j}`` (head
  accumulation adds), ``a{i}_head_rechannel``, ``head_scale``.
- Gated WaveNet: ``audio``, ``knobs``, ``input``, ``layer{j}``, ``skips`` (concatenate), ``mixer``.
- RNN: ``audio``, ``lstm`` or ``gru``, ``dense``, ``input_skip`` (unless the config has none).
"""

from __future__ import annotations

import keras

from m7amp.models._config import ModelConfig, RNNConfig, WaveNetConfig
from m7amp.models._layers import Channels, GatedLayer, NamLayer, Scale


def build_model(config: ModelConfig, n_knobs: int = 0) -> keras.Model:
    """The Keras model for ``config`` with ``n_knobs`` conditioning inputs (weights freshly initialised)."""
    inp = keras.Input(shape=(None, 1 + n_knobs), name="x", dtype="float32")
    audio = Channels(0, 1, name="audio")(inp)
    if isinstance(config, RNNConfig):
        out = _rnn(config, inp, audio)
    elif config.gated:
        out = _gated(config, inp, audio, n_knobs)
    else:
        out = _nam(config, inp, audio)
    return keras.Model(inp, out, name=config.name)


def _nam(config: WaveNetConfig, cond: keras.KerasTensor, audio: keras.KerasTensor) -> keras.KerasTensor:
    x, head = audio, None
    n_arrays = len(config.channels)
    for a, (c, dilations) in enumerate(zip(config.channels, config.dilations, strict=True)):
        last_array = a == n_arrays - 1
        x = keras.layers.Conv1D(c, 1, use_bias=False, name=f"a{a}_rechannel")(x)
        for j, d in enumerate(dilations):
            residual = not (last_array and j == len(dilations) - 1)
            layer = NamLayer(c, config.kernel(a, j), d, residual=residual, gated=config.is_gated(a, j),
                             name=f"a{a}_layer{j}")
            if residual:
                x, z = layer([x, cond])
            else:
                z = layer([x, cond])
            head = z if head is None else keras.layers.Add(name=f"a{a}_head{j}")([head, z])
        head_size = 1 if last_array else config.channels[a + 1]
        head = keras.layers.Conv1D(head_size, 1, use_bias=config.has_head_bias(a),
                                   name=f"a{a}_head_rechannel")(head)
    return Scale(config.head_scale, name="head_scale")(head)


def _gated(
    config: WaveNetConfig, inp: keras.KerasTensor, audio: keras.KerasTensor, n_knobs: int
) -> keras.KerasTensor:
    c, dilations = config.channels[0], config.dilations[0]
    knobs = Channels(1, 1 + n_knobs, name="knobs")(inp) if n_knobs else None
    x = keras.layers.Conv1D(c, 1, use_bias=True, name="input")(audio)
    skips = []
    for j, d in enumerate(dilations):
        residual = j < len(dilations) - 1
        layer = GatedLayer(c, config.kernel_size, d, residual=residual, n_knobs=n_knobs, name=f"layer{j}")
        inputs = [x] if knobs is None else [x, knobs]
        if residual:
            x, z = layer(inputs)
        else:
            z = layer(inputs)
        skips.append(z)
    s = skips[0] if len(skips) == 1 else keras.layers.Concatenate(axis=-1, name="skips")(skips)
    return keras.layers.Conv1D(1, 1, use_bias=True, name="mixer")(s)


def _rnn(config: RNNConfig, inp: keras.KerasTensor, audio: keras.KerasTensor) -> keras.KerasTensor:
    cell = keras.layers.LSTM if config.cell == "lstm" else keras.layers.GRU
    h = cell(config.hidden_size, return_sequences=True, name=config.cell)(inp)
    y = keras.layers.Dense(1, name="dense")(h)
    return keras.layers.Add(name="input_skip")([y, audio]) if config.input_skip else y
