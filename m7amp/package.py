"""A model package on disk (written by ``m7amp export``, docs/model-package.md) as the runtime side
sees it: its metadata, its C model sources and its reference output.

The reference is the package's Keras model (``model.keras``): the model the firmware engine
implements, run from silence over the whole clip. TensorFlow is imported only when it is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from m7amp.errors import M7Error

DEFAULT_PACKAGE = Path(__file__).resolve().parents[1] / "training" / "default"


@dataclass(frozen=True)
class Package:
    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        """The C identifier of the model (the stem of ``c/<name>_<precision>.c``)."""
        return str(self.meta["c"]["f32"]["symbol"]).removesuffix("_f32")

    @property
    def sample_rate(self) -> int:
        return int(self.meta["sample_rate"])

    @property
    def c_dir(self) -> Path:
        return self.path / "c"

    @cached_property
    def _keras_model(self) -> Any:
        import keras

        import m7amp.models  # noqa: F401 - registers the custom layers model.keras refers to

        return keras.models.load_model(self.path / "model.keras", compile=False)

    def reference_output(self, samples: np.ndarray, io_bits: int = 0) -> np.ndarray:
        """The Keras model's output for mono ``samples`` (float32, same length), from a zero state.

        ``io_bits`` (a PlayResult's) puts the model behind the same integer audio format as the
        firmware: its input and output quantized to that many bits, so that a comparison with the
        firmware measures the engine, not the codec's rounding."""
        from m7amp.playback import quantize

        if int(self.meta.get("n_inputs", 1)) != 1:
            raise M7Error(f"{self.path}: a model with knobs needs knob values; only knob-less models here")
        x = quantize(samples, io_bits)[None, :, None]
        return quantize(self._keras_model.predict(x, verbose=0)[0, :, 0], io_bits)


def load_package(path: str | Path | None = None) -> Package:
    """Read ``path/metadata.json`` (default: the committed default package, training/default)."""
    path = Path(path) if path is not None else DEFAULT_PACKAGE
    meta_path = path / "metadata.json"
    if not meta_path.is_file():
        raise M7Error(f"{path} is not a model package (no metadata.json); make one with `m7amp export`")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise M7Error(f"{meta_path}: not valid JSON ({exc})") from None
    if "c" not in meta:
        raise M7Error(f"{meta_path} lists no C model sources: re-export the package")
    return Package(path.resolve(), meta)


# How close the firmware's output must be to reference_output(), as ESR, per engine precision
# (issue #4's bounds for the hand-written engine; docs/engine.md records what it reaches).
ENGINE_ESR_BOUND: dict[str, float] = {"f32": 1e-7, "q15": 1e-3}
