"""``m7amp import CAPTURE.nam --out PKG``: a Neural Amp Modeler capture as an ordinary model package.

A ``.nam`` file is JSON: ``version``, ``architecture``, ``config``, ``weights`` (one flat list),
``sample_rate`` (absent in old files: 48000) and ``metadata`` (``loudness``, ``input_level_dbu``,
``output_level_dbu``, ...). This module reads it, maps it onto the m7amp Keras models exactly, writes
a temporary training-run directory and calls the project's one export path (``export_package``), then
adds a ``nam`` section (source, levels) to ``metadata.json``. docs/nam-import.md has the details; the CLI
is m7amp/commands/import_nam.py.

Supported (anything else is refused in one line naming the field):

- ``WaveNet``: layer arrays in NAM's old (``head_size``, ``head_bias``, ``gated``) and new
  (``head``, ``kernel_sizes``, ``gating_mode``, ``layer1x1``, ...) config forms, any channels per array,
  dilations and kernel sizes (per layer), tanh, gated or not per layer (``gating_mode`` "gated" with a
  Sigmoid ``secondary_activation``, or the old ``gated: true``: the dilated conv and the input mixer have
  2C outputs, ``z = tanh(a[:C]) * sigmoid(a[C:])``; not "blended"), condition size 1, a bias on any head
  rechannel, layer 1x1 on or off (off: the residual adds the activation itself, an identity 1x1), no head 1x1,
  bottleneck = channels, no groups, FiLM, slimming, post-head or condition DSP. Weight order (NAM
  ``LayerArray.export_weights``): per array the rechannel, per layer conv weight and bias, input
  mixer, layer 1x1 weight and bias, then the head rechannel (and bias); the last value is the head
  scale. Torch ``Conv1d`` weights are ``(out, in, k)``.
- ``LSTM``: one layer, input size 1. Per layer ``[W_ih | W_hh]`` as one ``(4H, 1+H)`` row-major
  matrix, ``b_ih + b_hh``, the initial hidden and cell state, then the head ``(1, H)`` and its bias.
  Gates i, f, g, o as in Keras. No input skip.

Levels are folded into the weights (see ``levels``) so every engine and build applies them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from m7amp.errors import M7Error

DEFAULT_RATE = 48000  # NAM's rate when a file has no sample_rate
TARGET_LOUDNESS_DB = -18.0  # NAM plugin, output mode "Normalized"
PLUGIN_INPUT_LEVEL_DBU = 12.0  # NAM plugin's default "input calibration level"
LSTM_WARMUP = 48000  # NAM exports an LSTM's initial state as its state after this many zeros
OUTPUT_MODES = ("raw", "normalized", "calibrated")


@dataclass(frozen=True)
class Capture:
    """The parts of a ``.nam`` file the import uses."""

    path: Path
    version: str
    architecture: str
    config: dict[str, Any]
    weights: np.ndarray  # float32
    sample_rate: int
    metadata: dict[str, Any]
    sha256: str


def read_capture(path: str | Path) -> Capture:
    """Parse a ``.nam`` file; ``M7Error`` (one line) if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise M7Error(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise M7Error(f"{path}: not a .nam file (not JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise M7Error(f"{path}: not a .nam file (JSON is not an object)")
    for key in ("architecture", "config", "weights"):
        if key not in doc:
            raise M7Error(f"{path}: not a .nam file: no '{key}'")
    if not isinstance(doc["config"], dict):
        raise M7Error(f"{path}: 'config' must be an object")
    try:
        weights = np.asarray(doc["weights"], dtype=np.float64)
    except (TypeError, ValueError):
        raise M7Error(f"{path}: 'weights' must be a list of numbers") from None
    if weights.ndim != 1 or not np.all(np.isfinite(weights)):
        raise M7Error(f"{path}: 'weights' must be a flat list of finite numbers")
    rate = doc.get("sample_rate") or DEFAULT_RATE
    if not isinstance(rate, int | float) or rate != int(rate) or rate <= 0:
        raise M7Error(f"{path}: 'sample_rate' must be a positive whole number, not {rate!r}")
    meta = doc.get("metadata") or {}
    return Capture(path, str(doc.get("version", "?")), str(doc["architecture"]), doc["config"],
                   weights.astype(np.float32), int(rate), meta if isinstance(meta, dict) else {},
                   hashlib.sha256(raw).hexdigest())


# ------------------------------------------------------------------------------------------ config checks


def _refuse(field: str, value: Any, want: str) -> M7Error:
    return M7Error(f"unsupported .nam: {field} = {json.dumps(value)} (m7amp supports {want})")


def _activation_name(a: Any) -> Any:
    return a.get("type", a.get("name")) if isinstance(a, dict) else a


def _per_layer(value: Any, n: int) -> list[Any]:
    return list(value) if isinstance(value, list) else [value] * n


@dataclass(frozen=True)
class _Array:
    channels: int
    in_size: int
    head_out: int
    head_bias: bool
    kernels: tuple[int, ...]
    dilations: tuple[int, ...]
    layer1x1: bool
    gated: tuple[bool, ...]  # per layer: NAM gating_mode "gated" (conv and mixer C -> 2C)


def _wavenet_arrays(cfg: dict[str, Any]) -> list[_Array]:
    """The layer arrays of a NAM WaveNet config, checked against what m7amp runs."""
    if cfg.get("head") is not None:
        raise _refuse("config.head", cfg["head"], "null (no post-head)")
    if cfg.get("condition_dsp") is not None:
        raise _refuse("config.condition_dsp", "...", "no condition DSP")
    layers = cfg.get("layers")
    if not isinstance(layers, list) or not layers:
        raise M7Error("bad .nam: config.layers must be a non-empty list of layer arrays")
    arrays = []
    for i, lc in enumerate(layers):
        f = f"config.layers[{i}]"
        try:
            dil = tuple(int(d) for d in lc["dilations"])
            channels, in_size = int(lc["channels"]), int(lc["input_size"])
            cond = int(lc["condition_size"])
            if "head" in lc:  # new form
                head_out, head_bias = int(lc["head"]["out_channels"]), bool(lc["head"]["bias"])
                if int(lc["head"].get("kernel_size", 1)) != 1:
                    raise _refuse(f"{f}.head.kernel_size", lc["head"]["kernel_size"], "1")
            else:  # old form
                head_out, head_bias = int(lc["head_size"]), bool(lc["head_bias"])
            ks = [int(k) for k in _per_layer(lc.get("kernel_sizes", lc.get("kernel_size")), len(dil))]
        except KeyError as exc:
            raise M7Error(f"bad .nam: {f} has no '{exc.args[0]}'") from None
        except (TypeError, ValueError) as exc:
            raise M7Error(f"bad .nam: {f}: {exc}") from None
        if not dil or min(dil) < 1:
            raise M7Error(f"bad .nam: {f}.dilations must be a non-empty list of positive integers")
        if cond != 1:
            raise _refuse(f"{f}.condition_size", cond, "1")
        if len(ks) != len(dil) or min(ks) < 1:
            raise M7Error(f"bad .nam: {f} needs one kernel size >= 1 per dilation")
        acts = [_activation_name(a) for a in _per_layer(lc.get("activation", "Tanh"), len(dil))]
        if any(a != "Tanh" for a in acts):
            raise _refuse(f"{f}.activation", sorted({str(a) for a in acts}), "Tanh")
        # old form: "gated": true (every layer tanh·sigmoid); new form: per-layer gating_mode
        old_gated = lc.get("gated", False)
        if not isinstance(old_gated, bool):
            raise M7Error(f"bad .nam: {f}.gated must be true or false")
        modes = _per_layer(lc.get("gating_mode", "gated" if old_gated else "none"), len(dil))
        if len(modes) != len(dil):
            raise M7Error(f"bad .nam: {f}.gating_mode needs one entry per dilation")
        if any(m not in ("none", "gated") for m in modes):
            raise _refuse(f"{f}.gating_mode", modes[0] if len(set(map(str, modes))) == 1 else modes,
                          '"none" or "gated" per layer (not "blended")')
        if old_gated and any(m != "gated" for m in modes):
            raise M7Error(f"bad .nam: {f}.gated = true contradicts gating_mode {json.dumps(modes)}")
        seconds = _per_layer(lc.get("secondary_activation", "Sigmoid" if old_gated else None), len(dil))
        for m, sec in zip(modes, seconds, strict=False):
            if m == "gated" and _activation_name(sec) != "Sigmoid":
                raise _refuse(f"{f}.secondary_activation", sec, "Sigmoid for a gated layer")
        if int(lc.get("bottleneck", channels)) != channels:
            raise _refuse(f"{f}.bottleneck", lc["bottleneck"], "bottleneck = channels")
        for key in ("groups_input", "groups_input_mixin"):
            if int(lc.get(key, 1)) != 1:
                raise _refuse(f"{f}.{key}", lc[key], "1")
        head1x1 = lc.get("head1x1", lc.get("head_1x1_config")) or {}
        if head1x1.get("active", False):
            raise _refuse(f"{f}.head1x1.active", True, "false")
        layer1x1 = lc.get("layer1x1", lc.get("layer_1x1_config")) or {}
        if int(layer1x1.get("groups", 1)) != 1:
            raise _refuse(f"{f}.layer1x1.groups", layer1x1["groups"], "1")
        for key, value in lc.items():
            if key.endswith("_film") and isinstance(value, dict) and value.get("active", False):
                raise _refuse(f"{f}.{key}.active", True, "false (no FiLM)")
        if lc.get("slimmable"):
            raise _refuse(f"{f}.slimmable", lc["slimmable"], "null")
        want_in = 1 if i == 0 else arrays[-1].channels
        if in_size != want_in:
            raise _refuse(f"{f}.input_size", in_size, f"{want_in} (the previous array's channels)")
        arrays.append(_Array(channels, in_size, head_out, head_bias, tuple(ks), dil,
                             bool(layer1x1.get("active", True)), tuple(m == "gated" for m in modes)))
    for i, a in enumerate(arrays):
        want = 1 if i == len(arrays) - 1 else arrays[i + 1].channels
        if a.head_out != want:
            field = "head.out_channels" if "head" in layers[i] else "head_size"
            raise _refuse(f"config.layers[{i}].{field}", a.head_out, f"{want} (the next array's channels; "
                          "1 for the last)")
    return arrays


def _wavenet_weight_count(arrays: list[_Array]) -> int:
    n = 0
    for a in arrays:
        c = a.channels
        n += a.in_size * c
        n += sum((2 if g else 1) * (c * c * k + c + c) + (c * c + c if a.layer1x1 else 0)
                 for k, g in zip(a.kernels, a.gated, strict=True))
        n += c * a.head_out + (a.head_out if a.head_bias else 0)
    return n + 1  # head scale


def _lstm_shape(cfg: dict[str, Any]) -> int:
    try:
        for key, want in (("input_size", 1), ("num_layers", 1)):
            if int(cfg.get(key, 1)) != want:
                raise _refuse(f"config.{key}", cfg[key], str(want))
        h = int(cfg["hidden_size"])
    except KeyError:
        raise M7Error("bad .nam: config has no 'hidden_size'") from None
    except (TypeError, ValueError) as exc:
        raise M7Error(f"bad .nam: config: {exc}") from None
    if not 1 <= h <= 256:
        raise _refuse("config.hidden_size", h, "1..256")
    extra = sorted(set(cfg) - {"input_size", "hidden_size", "num_layers"})
    if extra:
        raise _refuse(f"config.{extra[0]}", cfg[extra[0]], "input_size, hidden_size, num_layers only")
    return h


def model_config(capture: Capture, name: str) -> Any:
    """The m7amp ``ModelConfig`` of the capture (weights not yet read); ``M7Error`` naming what is
    unsupported. Checks the weight count."""
    from m7amp.models import RNNConfig, WaveNetConfig

    arch, cfg = capture.architecture, capture.config
    if arch == "WaveNet":
        arrays = _wavenet_arrays(cfg)
        want = _wavenet_weight_count(arrays)
        kernels = tuple(a.kernels for a in arrays)
        one = len({k for ks in kernels for k in ks}) == 1
        config: Any = WaveNetConfig(
            name=name, gated=False, channels=tuple(a.channels for a in arrays),
            dilations=tuple(a.dilations for a in arrays), kernel_size=kernels[0][0],
            kernel_sizes=None if one else kernels,
            head_scale=float(capture.weights[-1]) if len(capture.weights) else 1.0,
            head_bias=tuple(a.head_bias for a in arrays),
            gating=tuple(a.gated for a in arrays) if any(g for a in arrays for g in a.gated) else None)
    elif arch == "LSTM":
        h = _lstm_shape(cfg)
        want = 4 * h * (1 + h) + 4 * h + 2 * h + h + 1
        config = RNNConfig(name=name, cell="lstm", hidden_size=h, input_skip=False)
    else:
        raise _refuse("architecture", arch, '"WaveNet" or "LSTM"')
    if len(capture.weights) != want:
        raise M7Error(f"bad .nam: 'weights' has {len(capture.weights)} values, the config needs {want}")
    return config


# ------------------------------------------------------------------------------------------------ levels


def levels(capture: Capture, input_gain_db: float = 0.0, output_gain_db: float = 0.0,
           output_mode: str = "normalized", calibrate_input: bool = False,
           input_level_dbu: float = PLUGIN_INPUT_LEVEL_DBU) -> dict[str, Any]:
    """The input and output gains NAM's plugin applies around this capture with these settings
    (its Input and Output knobs, output mode, "calibrate input" and input calibration level):

    - input dB = ``input_gain_db`` (+ ``input_level_dbu - input_level_dbu(capture)`` when
      ``calibrate_input`` and the capture has an input level);
    - output dB = ``output_gain_db`` + (normalized: ``-18 - loudness`` if the capture has a loudness;
      calibrated: ``output_level_dbu(capture) - input_level_dbu`` if it has an output level; raw: 0).
    """
    if output_mode not in OUTPUT_MODES:
        raise M7Error(f"--output-mode must be one of {', '.join(OUTPUT_MODES)}, not {output_mode!r}")
    meta, notes = capture.metadata, []
    in_db, out_db = float(input_gain_db), float(output_gain_db)

    def number(key: str) -> float | None:
        v = meta.get(key)
        return float(v) if isinstance(v, int | float) and math.isfinite(v) else None

    if calibrate_input:
        level = number("input_level_dbu")
        if level is None:
            notes.append("calibrate input: the capture has no input_level_dbu; no calibration applied")
        else:
            in_db += input_level_dbu - level
    if output_mode == "normalized":
        loud = number("loudness")
        if loud is None:
            notes.append("normalized output: the capture has no loudness; no normalization applied")
        else:
            out_db += TARGET_LOUDNESS_DB - loud
    elif output_mode == "calibrated":
        level = number("output_level_dbu")
        if level is None:
            notes.append("calibrated output: the capture has no output_level_dbu; no calibration applied")
        else:
            out_db += level - input_level_dbu
    return {"input_gain_db": in_db, "output_gain_db": out_db, "input_gain": 10 ** (in_db / 20),
            "output_gain": 10 ** (out_db / 20), "output_mode": output_mode,
            "calibrate_input": calibrate_input,
            "input_level_dbu": input_level_dbu, "knob_input_db": float(input_gain_db),
            "knob_output_db": float(output_gain_db), "notes": notes}


# ----------------------------------------------------------------------------------------- Keras model


def build_keras(capture: Capture, config: Any, input_gain: float = 1.0, output_gain: float = 1.0) -> Any:
    """The Keras model of ``config`` with the capture's weights; ``input_gain`` and ``output_gain`` are
    folded in (the WaveNet's input-facing 1x1s and head scale, the LSTM's input kernel and head)."""
    from m7amp.models import build_model

    w = capture.weights
    if capture.architecture == "LSTM":
        model = build_model(config)
        h = config.hidden_size
        m = w[: 4 * h * (1 + h)].reshape(4 * h, 1 + h)
        b = w[4 * h * (1 + h): 4 * h * (2 + h)]
        head = w[4 * h * (2 + h) + 2 * h:]  # after the initial hidden and cell state
        model.get_layer("lstm").set_weights([m[:, :1].T * input_gain, m[:, 1:].T.copy(), b])
        model.get_layer("dense").set_weights([head[:h].reshape(h, 1) * output_gain, head[h:] * output_gain])
        return model

    arrays = _wavenet_arrays(capture.config)
    config = dataclasses.replace(config, head_scale=float(w[-1]) * output_gain)
    model = build_model(config)
    pos = 0

    def take(*shape: int) -> np.ndarray:
        nonlocal pos
        n = int(np.prod(shape))
        out = w[pos: pos + n].reshape(shape)
        pos += n
        return out

    def k(t: np.ndarray) -> np.ndarray:  # torch Conv1d (out, in, k) -> Keras (k, in, out)
        return np.ascontiguousarray(t.transpose(2, 1, 0))

    for a, arr in enumerate(arrays):
        c = arr.channels
        gain = input_gain if a == 0 else 1.0
        model.get_layer(f"a{a}_rechannel").set_weights([k(take(c, arr.in_size, 1)) * gain])
        for j, _ in enumerate(arr.dilations):
            layer = model.get_layer(f"a{a}_layer{j}")
            cp = 2 * c if arr.gated[j] else c  # gated: outputs [:c] feed tanh, [c:] sigmoid (NAM's split)
            layer.conv.set_weights([k(take(cp, c, arr.kernels[j])), take(cp).copy()])
            layer.input_mixer.set_weights([k(take(cp, 1, 1)) * input_gain])
            # without a layer 1x1 NAM adds the activation itself: x + z (an identity 1x1, exact)
            res = (take(c, c, 1), take(c)) if arr.layer1x1 else (np.eye(c, dtype=np.float32)[:, :, None],
                                                                  np.zeros(c, np.float32))
            if layer.layer_1x1 is not None:  # the very last layer's residual is never read
                layer.layer_1x1.set_weights([k(res[0]), res[1].copy()])
        head = [k(take(arr.head_out, c, 1))] + ([take(arr.head_out).copy()] if arr.head_bias else [])
        model.get_layer(f"a{a}_head_rechannel").set_weights(head)
    assert pos == len(w) - 1, (pos, len(w))
    return model


def warmup_samples(capture: Capture, config: Any) -> int:
    """Zeros an engine starting from zero state must play first to be in the state NAM's forward pass
    starts from: the receptive field minus one for a WaveNet (NAM pads the input with zeros), one
    second (48000 samples) of silence for an LSTM (NAM stores that state as its initial state)."""
    from m7amp.models import receptive_field

    return LSTM_WARMUP if capture.architecture == "LSTM" else receptive_field(config) - 1


# -------------------------------------------------------------------------------------------------- import


def import_capture(
    nam_path: str | Path,
    out_dir: str | Path,
    *,
    name: str | None = None,
    input_gain_db: float = 0.0,
    output_gain_db: float = 0.0,
    output_mode: str = "normalized",
    calibrate_input: bool = False,
    input_level_dbu: float = PLUGIN_INPUT_LEVEL_DBU,
    block_size: int = 32,
    golden_seconds: float = 1.0,
    force: bool = False,
    tflite: bool = True,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write the model package of a ``.nam`` capture into ``out_dir``; returns its metadata.

    Golden input and q15 calibration data: the built-in synthetic guitar at the capture's rate (a
    capture has no recording, so the golden target is the imported model's own output)."""
    import time

    from m7amp.data import synth_guitar
    from m7amp.export import export_package
    from m7amp.export._csrc import c_identifier
    from m7amp.models import config_to_dict

    t0 = time.monotonic()
    capture = read_capture(nam_path)
    name = name or c_identifier(f"nam_{capture.path.stem.lower()}")
    config = model_config(capture, name)
    lv = levels(capture, input_gain_db, output_gain_db, output_mode, calibrate_input, input_level_dbu)
    for note in lv["notes"]:
        progress(f"import: note: {note}")
    progress(f"import: {capture.path.name}: NAM {capture.architecture} (version {capture.version}), "
             f"{len(capture.weights)} weights, {capture.sample_rate} Hz")
    model = build_keras(capture, config, lv["input_gain"], lv["output_gain"])
    if capture.architecture == "WaveNet":
        config = dataclasses.replace(config, head_scale=float(model.get_layer("head_scale").scale))
    rate = capture.sample_rate
    golden_x = synth_guitar(max(golden_seconds, block_size / rate) + 0.01, rate, seed=7)
    rep = synth_guitar(4.0, rate, seed=8)
    rep_x = rep[: len(rep) // 4096 * 4096].reshape(-1, 4096, 1)[:16]
    test_x = golden_x[None, :, None].astype(np.float32)
    test_y = model.predict(test_x, verbose=0).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="m7amp-nam-") as tmp:
        run_dir = Path(tmp)
        model.save(run_dir / "model.keras")
        data = (f"NAM capture {capture.path.name}: golden input = built-in synthetic guitar (seed 7), "
                "target = the imported model's own output (a capture has no recording)")
        run = {"model": config_to_dict(config), "sample_rate": rate, "knobs": [], "data": data}
        (run_dir / "run.json").write_text(json.dumps(run))
        np.savez(run_dir / "data.npz", rep_x=rep_x.astype(np.float32), test_x=test_x, test_y=test_y)
        meta = export_package(run_dir, out_dir, block_size=block_size, force=force,
                              golden_seconds=golden_seconds, progress=progress, tflite=tflite)
    meta["nam"] = {
        "source": capture.path.name,
        "sha256": capture.sha256,
        "version": capture.version,
        "architecture": capture.architecture,
        "config": capture.config,
        "sample_rate": capture.sample_rate,
        "metadata": capture.metadata,
        "levels": lv,
        "warmup_samples": warmup_samples(capture, config),
        "import_seconds": round(time.monotonic() - t0, 1),
    }
    (Path(out_dir) / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
