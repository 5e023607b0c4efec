"""Model configurations: presets, TOML loading, and the numbers derived from a config alone.

This module itself needs no TensorFlow, but importing it goes through ``m7amp/models/__init__.py``,
which imports Keras (seconds): command-line modules import ``m7amp.models`` inside functions.

Two model families:

- ``WaveNetConfig``: causal dilated-convolution WaveNets, kernel ``kernel_size``.
  ``gated=False`` is the Neural Amp Modeler (NAM) form: one or more layer arrays, tanh, an input mixer
  from the condition (audio + knobs) in every layer, a head accumulator carried from array to array and a
  head scale. ``gated=True`` is the Wright/Damskägg form: one stack, tanh·sigmoid gates (C → 2C), 1×1
  residuals and every layer's gate output concatenated into a linear mixer.
- ``RNNConfig``: one LSTM or GRU layer, a dense output and an input skip (``y = dense(h) + x``).

The presets are TOML files in ``training/presets/<name>.toml``; ``load_config`` accepts a preset name,
a path to such a file, or an RNN size name ``lstm<N>`` / ``gru<N>`` (one layer of N hidden units, N in
1..256: the sizes the benchmark and ``m7amp fit`` compare without a TOML file each).
"""

from __future__ import annotations

import enum
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from m7amp.errors import M7Error

PRESET_DIR = Path(__file__).resolve().parents[2] / "training" / "presets"


class Preset(enum.Enum):
    """The named model configurations (each value is the stem of a TOML file in ``training/presets``)."""

    NANO = "nano"
    FEATHER = "feather"
    LITE = "lite"
    STANDARD = "standard"
    WAVENET1 = "wavenet1"
    WAVENET2 = "wavenet2"
    WAVENET3 = "wavenet3"
    LSTM16 = "lstm16"
    GRU12 = "gru12"

    @property
    def path(self) -> Path:
        return PRESET_DIR / f"{self.value}.toml"


@dataclass(frozen=True)
class WaveNetConfig:
    """A causal WaveNet. ``channels[i]`` and ``dilations[i]`` describe layer array ``i``.

    NAM form (``gated=False``): array ``i`` has a 1×1 rechannel (no bias) from the audio (array 0) or
    from the previous array's residual stream, layers with dilations ``dilations[i]``, and a 1×1 head
    rechannel to ``channels[i+1]`` (to 1 with a bias for the last array); the output is
    ``head_scale`` times the last head rechannel; ``gating`` makes single layers gated (NAM's
    gating_mode "gated": tanh·sigmoid, C → 2C pre-activations, the head still adds z). Gated form:
    exactly one array.
    """

    name: str
    gated: bool
    channels: tuple[int, ...]
    dilations: tuple[tuple[int, ...], ...]
    kernel_size: int = 3
    head_scale: float = 0.02
    head_bias: tuple[bool, ...] | None = None  # NAM only: bias of each head rechannel; None = last only
    kernel_sizes: tuple[tuple[int, ...], ...] | None = None  # NAM only: per layer; None = kernel_size
    # NAM only: per layer, True for a gated layer (conv and input mixer C -> 2C, z = tanh(a[:C])·σ(a[C:]),
    # NAM's gating_mode "gated"); None = no gated layer
    gating: tuple[tuple[bool, ...], ...] | None = None

    def kernel(self, array: int, layer: int) -> int:
        """Kernel size of layer ``layer`` of array ``array`` (``kernel_sizes`` if given)."""
        return self.kernel_size if self.kernel_sizes is None else self.kernel_sizes[array][layer]

    def is_gated(self, array: int, layer: int) -> bool:
        """Whether layer ``layer`` of NAM array ``array`` is gated (``gating``; the Wright form: all)."""
        return self.gated or (self.gating is not None and self.gating[array][layer])

    def has_head_bias(self, array: int) -> bool:
        """Whether layer array ``array``'s head rechannel has a bias (default: only the last one)."""
        if self.head_bias is None:
            return array == len(self.channels) - 1
        return self.head_bias[array]

    @property
    def kind(self) -> str:
        return "wavenet"

    def __post_init__(self) -> None:
        if not self.channels or len(self.channels) != len(self.dilations):
            raise M7Error(f"model {self.name!r}: channels and dilations need one entry per layer array")
        if self.gated and len(self.channels) != 1:
            raise M7Error(f"model {self.name!r}: a gated WaveNet has exactly one layer array")
        if any(c < 1 for c in self.channels) or any(not ds for ds in self.dilations):
            raise M7Error(f"model {self.name!r}: every layer array needs channels >= 1 and dilations")
        if any(d < 1 for ds in self.dilations for d in ds) or self.kernel_size < 1:
            raise M7Error(f"model {self.name!r}: dilations and kernel_size must be >= 1")
        if self.head_bias is not None and (self.gated or len(self.head_bias) != len(self.channels)):
            raise M7Error(f"model {self.name!r}: head_bias needs one entry per layer array (NAM form only)")
        if self.kernel_sizes is not None and (
                self.gated or [len(k) for k in self.kernel_sizes] != [len(d) for d in self.dilations]
                or min(min(k) for k in self.kernel_sizes) < 1):
            raise M7Error(f"model {self.name!r}: kernel_sizes needs one size >= 1 per layer (NAM form only)")
        if self.gating is not None and (
                self.gated or [len(g) for g in self.gating] != [len(d) for d in self.dilations]):
            raise M7Error(f"model {self.name!r}: gating needs one true/false per layer (NAM form only)")


@dataclass(frozen=True)
class RNNConfig:
    """One recurrent layer (``cell`` "lstm" or "gru") of ``hidden_size`` units, dense output, and (unless
    ``input_skip`` is False, as in NAM's LSTM) the input added to the output."""

    name: str
    cell: str
    hidden_size: int
    input_skip: bool = True

    @property
    def kind(self) -> str:
        return self.cell

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru"):
            raise M7Error(f"model {self.name!r}: cell must be 'lstm' or 'gru', not {self.cell!r}")
        if not 1 <= self.hidden_size <= 256:
            raise M7Error(f"model {self.name!r}: hidden_size must be in 1..256 (8..40 is the useful range)")


ModelConfig = WaveNetConfig | RNNConfig

_RNN_NAME = re.compile(r"(lstm|gru)([1-9][0-9]{0,2})")


def rnn_size_config(name: str) -> RNNConfig | None:
    """``"gru24"`` -> a GRU of 24 hidden units (``lstm<N>`` / ``gru<N>``, N in 1..256); else None."""
    match = _RNN_NAME.fullmatch(name.lower())
    if match is None or int(match.group(2)) > 256:
        return None
    return RNNConfig(name=name.lower(), cell=match.group(1), hidden_size=int(match.group(2)))


def is_model_name(name: str) -> bool:
    """True for a preset name or an RNN size name (``lstm<N>`` / ``gru<N>``)."""
    return name.lower() in {p.value for p in Preset} or rnn_size_config(name) is not None


def config_to_dict(config: ModelConfig) -> dict[str, Any]:
    """A JSON/TOML-safe dict that ``config_from_dict`` turns back into an equal config."""
    if isinstance(config, RNNConfig):
        d: dict[str, Any] = {"name": config.name, "type": config.cell, "hidden_size": config.hidden_size}
        return d if config.input_skip else d | {"input_skip": False}
    d = {
        "name": config.name,
        "type": "wavenet",
        "gated": config.gated,
        "kernel_size": config.kernel_size,
        "channels": list(config.channels),
        "dilations": [list(ds) for ds in config.dilations],
        "head_scale": config.head_scale,
    }
    if config.kernel_sizes is not None:
        d["kernel_sizes"] = [list(ks) for ks in config.kernel_sizes]
    if config.gating is not None:
        d["gating"] = [list(gs) for gs in config.gating]
    return d if config.head_bias is None else d | {"head_bias": list(config.head_bias)}


def config_from_dict(d: dict[str, Any]) -> ModelConfig:
    """Inverse of ``config_to_dict``; ``M7Error`` naming the problem if ``d`` is not a valid config."""
    d = dict(d)
    d.pop("_notes", None)
    kind = d.pop("type", None)
    name = str(d.pop("name", "custom"))
    try:
        if kind in ("lstm", "gru"):
            cfg: ModelConfig = RNNConfig(name=name, cell=kind, hidden_size=int(d.pop("hidden_size")),
                                         input_skip=bool(d.pop("input_skip", True)))
        elif kind == "wavenet":
            cfg = WaveNetConfig(
                name=name,
                gated=bool(d.pop("gated")),
                kernel_size=int(d.pop("kernel_size", 3)),
                channels=tuple(int(c) for c in d.pop("channels")),
                dilations=tuple(tuple(int(x) for x in ds) for ds in d.pop("dilations")),
                head_scale=float(d.pop("head_scale", 0.02)),
                head_bias=None if "head_bias" not in d else tuple(bool(b) for b in d.pop("head_bias")),
                kernel_sizes=None if "kernel_sizes" not in d else tuple(
                    tuple(int(k) for k in ks) for ks in d.pop("kernel_sizes")),
                gating=None if "gating" not in d else tuple(
                    tuple(bool(g) for g in gs) for gs in d.pop("gating")),
            )
        else:
            raise M7Error(f"model {name!r}: type must be 'wavenet', 'lstm' or 'gru', not {kind!r}")
    except KeyError as exc:
        raise M7Error(f"model {name!r}: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise M7Error(f"model {name!r}: bad value ({exc})") from None
    if d:
        raise M7Error(f"model {name!r}: unknown keys {sorted(d)}")
    return cfg


def load_config(name_or_path: str | Path) -> ModelConfig:
    """A preset name (see ``Preset``), an RNN size name (``lstm<N>`` / ``gru<N>``) or a path to a TOML
    model config."""
    text = str(name_or_path)
    presets = {p.value: p for p in Preset}
    rnn = None if text.lower() in presets else rnn_size_config(text)
    if rnn is not None:
        return rnn
    path = presets[text.lower()].path if text.lower() in presets else Path(text)
    if not path.is_file():
        known = ", ".join(presets)
        raise M7Error(f"no model config {text!r}: give a preset ({known}), lstm<N> or gru<N> (N hidden "
                      "units, 1..256) or a path to a TOML file")
    try:
        with path.open("rb") as f:
            d = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise M7Error(f"{path}: not valid TOML ({exc})") from None
    return config_from_dict(d)


def receptive_field(config: ModelConfig) -> int:
    """Samples of input (including the current one) that one output sample depends on; 1 for RNNs."""
    if isinstance(config, RNNConfig):
        return 1
    return 1 + sum((config.kernel(a, j) - 1) * d for a, ds in enumerate(config.dilations)
                   for j, d in enumerate(ds))


def _wavenet_sizes(config: WaveNetConfig, n_knobs: int) -> list[tuple[int, int, int, bool]]:
    """(in, out, kernel, bias) of every matrix multiply in streaming order (see ``describe``)."""
    k, mats = config.kernel_size, []
    if config.gated:
        c, ds = config.channels[0], config.dilations[0]
        mats.append((1, c, 1, True))  # input layer
        for i, _ in enumerate(ds):
            mats.append((c, 2 * c, k, True))
            if n_knobs:
                mats.append((n_knobs, 2 * c, 1, False))
            if i < len(ds) - 1:  # the last layer's residual is never used
                mats.append((c, c, 1, True))
        mats.append((c * len(ds), 1, 1, True))  # linear mixer over the concatenated skips
        return mats
    chans = config.channels
    for a, (c, ds) in enumerate(zip(chans, config.dilations, strict=True)):
        last_array = a == len(chans) - 1
        mats.append((1 if a == 0 else chans[a - 1], c, 1, False))  # rechannel
        for i, _ in enumerate(ds):
            cp = 2 * c if config.is_gated(a, i) else c  # pre-activation channels
            mats.append((c, cp, config.kernel(a, i), True))
            mats.append((1 + n_knobs, cp, 1, False))  # input mixer from the condition
            if not (last_array and i == len(ds) - 1):
                mats.append((c, c, 1, True))
        mats.append((c, 1 if last_array else chans[a + 1], 1, config.has_head_bias(a)))  # head rechannel
    return mats


def macs_per_sample(config: ModelConfig, n_knobs: int = 0) -> int:
    """Multiply-accumulates per output sample in streaming inference (weights × inputs, no activations)."""
    if isinstance(config, RNNConfig):
        h, n_in = config.hidden_size, 1 + n_knobs
        gates = 4 if config.cell == "lstm" else 3
        return gates * h * (n_in + h) + h
    return sum(i * o * k for i, o, k, _ in _wavenet_sizes(config, n_knobs))


def parameter_count(config: ModelConfig, n_knobs: int = 0) -> int:
    """Trainable parameters of ``build_model(config, n_knobs)``."""
    if isinstance(config, RNNConfig):
        h, n_in = config.hidden_size, 1 + n_knobs
        if config.cell == "lstm":
            return 4 * h * (n_in + h) + 4 * h + h + 1
        return 3 * h * (n_in + h) + 6 * h + h + 1  # Keras GRU reset_after: two bias vectors
    return sum(i * o * k + (o if b else 0) for i, o, k, b in _wavenet_sizes(config, n_knobs))


def state_floats(config: ModelConfig) -> int:
    """Floats of persistent streaming state: each dilated layer's past inputs, or the RNN state."""
    if isinstance(config, RNNConfig):
        return config.hidden_size * (2 if config.cell == "lstm" else 1)
    return sum(c * (config.kernel(a, j) - 1) * d
               for a, (c, ds) in enumerate(zip(config.channels, config.dilations, strict=True))
               for j, d in enumerate(ds))
