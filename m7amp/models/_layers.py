"""Custom Keras layers of the m7amp models (registered under the package name "m7amp").

Every convolution is a Keras ``Conv1D`` with ``padding="causal"`` (fast to train, no look-ahead). Kernels
have the Keras layout ``(kernel, in, out)``; tap ``j`` of a dilated conv multiplies the input
``(kernel - 1 - j) * dilation`` samples in the past (tap ``kernel-1`` is the current sample).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def _conv(filters: int, kernel_size: int, dilation: int, use_bias: bool, name: str) -> keras.layers.Conv1D:
    return keras.layers.Conv1D(
        filters, kernel_size, dilation_rate=dilation, padding="causal", use_bias=use_bias, name=name
    )


class _DilatedLayer(keras.layers.Layer):
    """What the NAM and gated layers share: their config and output shapes (``[x', z]`` or ``z``)."""

    channels: int
    kernel_size: int
    dilation: int
    residual: bool
    layer_1x1: keras.layers.Conv1D | None

    def compute_output_shape(self, input_shape: list[tuple[int | None, ...]]) -> Any:
        x_shape = input_shape[0]
        z_shape = (*x_shape[:-1], self.channels)
        return z_shape if self.layer_1x1 is None else [x_shape, z_shape]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "dilation": self.dilation,
            "residual": self.residual,
        }


@keras.saving.register_keras_serializable(package="m7amp")
class NamLayer(_DilatedLayer):
    """One NAM WaveNet layer: ``z = tanh(conv_d(x) + input_mixer(cond))``; ``x' = x + 1x1(z)``.

    Inputs ``[x (B,T,C), cond (B,T,Cc)]``. Returns ``[x', z]``, or ``z`` alone when ``residual`` is
    False (the last layer of the last array, whose residual output is never used).
    Sublayers: ``conv`` (C→C, kernel k, dilation d, bias), ``input_mixer`` (Cc→C, 1×1, no bias),
    ``rechannel_1x1`` (C→C, 1×1, bias; only with ``residual``).
    ``gated`` (NAM's gating_mode "gated"): ``conv`` and ``input_mixer`` have 2C outputs ``a`` and
    ``z = tanh(a[:C])·σ(a[C:])``.
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int, residual: bool = True,
                 gated: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.channels, self.kernel_size, self.dilation = channels, kernel_size, dilation
        self.residual, self.gated = residual, gated
        cp = 2 * channels if gated else channels
        self.conv = _conv(cp, kernel_size, dilation, True, "conv")
        self.input_mixer = _conv(cp, 1, 1, False, "input_mixer")
        self.layer_1x1 = _conv(channels, 1, 1, True, "rechannel_1x1") if residual else None

    def build(self, input_shape: list[tuple[int | None, ...]]) -> None:
        x_shape, cond_shape = input_shape
        self.conv.build(x_shape)
        self.input_mixer.build(cond_shape)
        if self.layer_1x1 is not None:
            self.layer_1x1.build((*x_shape[:-1], self.channels))

    def call(self, inputs: list[Any]) -> Any:
        x, cond = inputs
        a = self.conv(x) + self.input_mixer(cond)
        c = self.channels
        z = ops.tanh(a[..., :c]) * ops.sigmoid(a[..., c:]) if self.gated else ops.tanh(a)
        if self.layer_1x1 is None:
            return z
        return [x + self.layer_1x1(z), z]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gated": self.gated}


@keras.saving.register_keras_serializable(package="m7amp")
class GatedLayer(_DilatedLayer):
    """One Wright/Damskägg layer: ``a = conv_d(x) [+ cond_mixer(knobs)]``, ``z = tanh(a[:C])·σ(a[C:])``,
    ``x' = x + 1x1(z)``.

    Inputs ``[x]`` or ``[x, knobs]`` (when ``n_knobs > 0``). Returns ``[x', z]``, or ``z`` alone without
    ``residual``. Sublayers: ``conv`` (C→2C, bias; output channels ``[:C]`` feed tanh, ``[C:]`` sigmoid),
    ``cond_mixer`` (K→2C, 1×1, no bias; only with knobs), ``rechannel_1x1`` (C→C, bias; with ``residual``).
    """

    def __init__(
        self, channels: int, kernel_size: int, dilation: int, residual: bool = True, n_knobs: int = 0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.channels, self.kernel_size, self.dilation = channels, kernel_size, dilation
        self.residual, self.n_knobs = residual, n_knobs
        self.conv = _conv(2 * channels, kernel_size, dilation, True, "conv")
        self.cond_mixer = _conv(2 * channels, 1, 1, False, "cond_mixer") if n_knobs else None
        self.layer_1x1 = _conv(channels, 1, 1, True, "rechannel_1x1") if residual else None

    def build(self, input_shape: list[tuple[int | None, ...]]) -> None:
        x_shape = input_shape[0]
        self.conv.build(x_shape)
        if self.cond_mixer is not None:
            self.cond_mixer.build(input_shape[1])
        if self.layer_1x1 is not None:
            self.layer_1x1.build((*x_shape[:-1], self.channels))

    def call(self, inputs: list[Any]) -> Any:
        x = inputs[0]
        a = self.conv(x)
        if self.cond_mixer is not None:
            a = a + self.cond_mixer(inputs[1])
        c = self.channels
        z = ops.tanh(a[..., :c]) * ops.sigmoid(a[..., c:])
        if self.layer_1x1 is None:
            return z
        return [x + self.layer_1x1(z), z]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_knobs": self.n_knobs}


@keras.saving.register_keras_serializable(package="m7amp")
class Channels(keras.layers.Layer):
    """Channels ``[start, stop)`` of the last axis (e.g. the audio channel or the knobs of the input)."""

    def __init__(self, start: int, stop: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.start, self.stop = start, stop

    def call(self, x: Any) -> Any:
        return x[..., self.start : self.stop]

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.stop - self.start)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package="m7amp")
class Scale(keras.layers.Layer):
    """Multiply by a constant (NAM's head scale)."""

    def __init__(self, scale: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, x: Any) -> Any:
        return x * self.scale

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}
