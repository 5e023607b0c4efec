"""Model packages of the presets for benchmarks: ``preset_package("feather")`` -> a package folder.

The committed default package (``training/default``) serves its own preset (nano). Any other preset
(training/presets/<preset>.toml, or an RNN size ``lstm<N>`` / ``gru<N>``) gets a package built on
demand: the Keras model freshly initialised with a fixed seed (untrained: cycle counts do not depend
on the weights' values, only on the structure), golden vectors and q15 calibration from the built-in
synthetic guitar through the reference amp, exported with the C sources only (no TFLite; with
``stream_tflite``, also the streaming TFLite models the tflm engine runs). It is cached in
``build/packages/<preset>`` and reused while its config equals the preset's TOML and the exporter's
sources (m7amp/export, m7amp/models) are the ones that wrote it: a changed exporter may write a
different C format, so the package is redone.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from m7amp.errors import M7Error
from m7amp.package import DEFAULT_PACKAGE

if TYPE_CHECKING:
    from m7amp.models import ModelConfig

REPO = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO / "build" / "packages"
SEED = 0  # Keras initialisation and synthetic data
_SECONDS = 1.0  # golden clip length (the export's default)
_STAMP = "bench-exporter.sha256"  # beside metadata.json: which exporter sources wrote the package


def exporter_stamp() -> str:
    """A hash of the sources that define a package's content (exporter and model code)."""
    h = hashlib.sha256()
    sources = [*(REPO / "m7amp" / "export").glob("*.py"), *(REPO / "m7amp" / "models").glob("*.py")]
    for path in sorted(sources):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _config_dict(preset: str) -> dict:
    from m7amp.models._config import config_to_dict, load_config

    return config_to_dict(load_config(preset))


def _valid(pkg: Path, want: dict, stream_tflite: bool = False) -> bool:
    meta = pkg / "metadata.json"
    if not meta.is_file():
        return False
    data = json.loads(meta.read_text())
    files = [pkg / "c" / f"{data['name']}_{p}.c" for p in ("f32", "q15")]
    if stream_tflite:  # converted, or tried: a failed conversion is recorded and not retried
        tried = all(k in data.get("variants", {}) and "skipped" not in data["variants"][k]
                    for k in ("stream_f32", "stream_int8"))
        if not tried:
            return False
    return data.get("config") == want and all(s.is_file() for s in files)


def preset_package(
    preset: str, progress: Callable[[str], None] = print, cache_dir: Path | None = None,
    stream_tflite: bool = False,
) -> Path:
    """The package folder for ``preset``: the default package if it is that preset, else a cached or
    freshly exported one (see the module doc; ``stream_tflite``: with the streaming TFLite models too).
    M7Error for an unknown preset."""
    from m7amp.models import Preset
    from m7amp.models._config import is_model_name

    if not is_model_name(preset) or preset != preset.lower():
        known = [p.value for p in Preset]
        raise M7Error(f"unknown preset {preset!r} (known: {', '.join(known)}, lstm<N>, gru<N>)")
    want = _config_dict(preset)
    if _valid(DEFAULT_PACKAGE, want, stream_tflite):
        return DEFAULT_PACKAGE
    pkg = Path(cache_dir or CACHE_DIR) / preset
    stamp = pkg / _STAMP
    if _valid(pkg, want, stream_tflite) and stamp.is_file() and stamp.read_text() == exporter_stamp():
        return pkg
    progress(f"bench: no package for {preset}: exporting a freshly initialised {preset} (seed {SEED}, "
             f"C sources{' and streaming TFLite' if stream_tflite else ' only'}) into {pkg}")
    with tempfile.TemporaryDirectory() as tmp:
        from m7amp.models import load_config

        run_dir = fresh_run(load_config(preset), Path(tmp))
        from m7amp.export import export_package

        export_package(run_dir, pkg, force=True, golden_seconds=_SECONDS,
                       tflite="stream" if stream_tflite else False,
                       progress=lambda line: progress(f"bench: {line}"))
    stamp.write_text(exporter_stamp())
    return pkg


def fresh_run(cfg: ModelConfig, run_dir: Path, seconds: float = _SECONDS, sample_rate: int = 48_000) -> Path:
    """Write a training-run folder (model.keras, run.json, data.npz) as `m7amp train` does, with the
    model of ``cfg`` untrained (seed SEED) and ``seconds`` of synthetic test data."""
    import keras
    import numpy as np

    from m7amp.data import reference_amp, synth_guitar
    from m7amp.models import build_model, config_to_dict, receptive_field

    sr = sample_rate
    keras.utils.set_random_seed(SEED)
    build_model(cfg, 0).save(run_dir / "model.keras")
    x = synth_guitar(seconds + 3.0, sr, seed=SEED)
    y = reference_amp(x, sr)
    n = int(seconds * sr)
    rep = x[n : n + 4 * 4096].reshape(4, 4096, 1)  # calibration clips for the q15 scales
    np.savez(run_dir / "data.npz", test_x=x[None, :n, None], test_y=y[None, :n, None], rep_x=rep)
    run = {
        "model": config_to_dict(cfg), "sample_rate": sr, "knobs": [],
        "receptive_field": receptive_field(cfg),
        "seed": SEED, "epochs": 0, "train_seconds": 0.0, "test": {},
        "data": {"description": f"synthetic guitar + reference amp, seed {SEED}; model untrained (bench)"},
        "m7amp_version": "bench",
    }
    (run_dir / "run.json").write_text(json.dumps(run))
    return run_dir
