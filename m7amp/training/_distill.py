"""Distillation: a finished training run (the *teacher*) labels extra DI audio, and the student trains on
those labels mixed with the real pairs (``m7amp train --teacher RUN_DIR``, docs/training.md).

Extra DI: the files or folders of ``--distill-di`` (any rate, resampled to the dataset's) and
``--distill-synthetic`` seconds of the built-in synthetic guitar. Every clip is scaled to the RMS of the
dataset's training inputs (the amp is nonlinear: the student must see the levels it will meet), less if
its peak would pass 0.99, and, with
knobs, labelled at every knob setting of the training split. Clips are cut into segments exactly like
the real pairs (``warmup + segment_length``, hop ``segment_length``).

The teacher's outputs are computed once and cached in ``RUN_DIR/checkpoint/distill.npz`` (inputs,
teacher outputs, and what they came from); a resumed run reads the cache and never runs the teacher again.

Mixing: every epoch sees all real training segments plus ``round(ratio × real)`` distilled segments,
drawn without replacement from the cache by a generator seeded ``[seed, epoch, 1]`` (a resumed run sees
the same batches); real and distilled segments are shuffled together into the batches.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from m7amp.data import Dataset, load_audio, resample, segment_starts, synth_guitar
from m7amp.errors import M7Error

CACHE = "distill.npz"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")


@dataclass(frozen=True)
class DistillSpec:
    """What ``--teacher`` and its options ask for (stored in the run's ``run_args.json``)."""

    teacher: str
    ratio: float = 1.0
    di: tuple[str, ...] = ()
    synthetic_seconds: float = 60.0
    synthetic_seed: int = 1000

    def __post_init__(self) -> None:
        if not self.ratio > 0:
            raise M7Error(f"--distill-ratio must be > 0, got {self.ratio:g}")
        if self.synthetic_seconds < 0:
            raise M7Error(f"--distill-synthetic must be >= 0, got {self.synthetic_seconds:g}")
        if not self.di and self.synthetic_seconds == 0:
            raise M7Error("--teacher needs extra DI: give --distill-di FILE/DIR or --distill-synthetic S > 0")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "teacher": str(Path(self.teacher).resolve()),
                "di": [str(Path(p).resolve()) for p in self.di]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DistillSpec:
        return cls(**{**d, "di": tuple(d.get("di", ()))})


def check_run(run_dir: str | Path, dataset: Dataset, what: str = "--teacher") -> dict[str, Any]:
    """The run.json of ``run_dir``, after checking it is a finished run that fits ``dataset`` (its rate and
    knob names); errors start with ``what``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise M7Error(f"{what} {run_dir}: no such run folder")
    for name in ("run.json", "model.keras"):
        if not (run_dir / name).is_file():
            raise M7Error(f"{what} {run_dir}: not a finished training run (no {name})")
    run = json.loads((run_dir / "run.json").read_text())
    if run["sample_rate"] != dataset.sample_rate:
        raise M7Error(f"{what} {run_dir} was trained at {run['sample_rate']} Hz but the data is at "
                      f"{dataset.sample_rate} Hz")
    theirs = [k["name"] for k in run.get("knobs", [])]
    ours = [k.name for k in dataset.knobs]
    if theirs != ours:
        raise M7Error(f"{what} {run_dir} has {len(theirs)} knob(s) {theirs} but the data has "
                      f"{len(ours)} {ours}")
    return run


def check_teacher(run_dir: str | Path, dataset: Dataset) -> dict[str, Any]:
    """The teacher's run.json (see :func:`check_run`)."""
    return check_run(run_dir, dataset, "--teacher")


def knob_settings(dataset: Dataset) -> list[tuple[float, ...]]:
    """The distinct (normalised) knob settings of the training split, in order of appearance."""
    out: list[tuple[float, ...]] = []
    for pair, _, _ in dataset.regions("train"):
        if pair.knobs not in out:
            out.append(pair.knobs)
    return out or [()]


def _di_files(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise M7Error(f"--distill-di {p}: no audio files in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise M7Error(f"--distill-di {p}: no such file or folder")
    return files


LEAK_CORRELATION = 0.99  # normalised cross-correlation at which a DI clip counts as holding a region


def _holds(long: np.ndarray, short: np.ndarray) -> bool:
    """Whether ``short`` appears somewhere in ``long`` (at any gain): the normalised cross-correlation
    reaches :data:`LEAK_CORRELATION` at some offset (FFT correlation, window energies by cumulative sum)."""
    m, n = len(short), len(long)
    e_short = float(np.dot(short.astype(np.float64), short))
    if m == 0 or e_short < 1e-12 * m:
        return False  # silence matches everything and leaks nothing
    size = 1 << (n + m).bit_length()
    corr = np.fft.irfft(np.fft.rfft(long, size) * np.conj(np.fft.rfft(short, size)), size)[: n - m + 1]
    c2 = np.concatenate([[0.0], np.cumsum(np.square(long, dtype=np.float64))])
    window = np.maximum(c2[m:] - c2[:-m], 1e-3 * e_short)  # near-silent windows cannot match
    return bool(np.max(corr / np.sqrt(window * e_short)) >= LEAK_CORRELATION)


def load_di(spec: DistillSpec, dataset: Dataset) -> list[tuple[str, np.ndarray]]:
    """The ``--distill-di`` clips at the dataset's rate (unscaled), after checking that none holds (or is
    held in) the input of a validation or test region: the teacher's labels of it would leak that split
    into training. Run before the run folder is made, so a bad file is a one-line error and no half run."""
    clips = []
    for f in _di_files(spec.di):
        x, rate = load_audio(f)
        clips.append((f.name, resample(x, rate, dataset.sample_rate)))
    for name, x in clips:
        for split in ("val", "test"):
            for pair, a, b in dataset.regions(split):
                r = pair.x[a:b]
                if _holds(x, r) if len(x) >= len(r) else _holds(r, x):
                    sr = dataset.sample_rate
                    raise M7Error(f"--distill-di {name} holds the {split} input of {pair.name} "
                                  f"({a / sr:.2f}-{b / sr:.2f} s): its teacher labels would leak the "
                                  f"{split} split into training; cut that stretch out or leave the file out")
    return clips


def extra_di(spec: DistillSpec, dataset: Dataset) -> list[tuple[str, np.ndarray]]:
    """The extra DI clips at the dataset's rate, each scaled to the RMS of the training inputs."""
    train_x = np.concatenate([p.x[a:b] for p, a, b in dataset.regions("train")])
    level = float(np.sqrt(np.mean(np.square(train_x, dtype=np.float64))))
    clips = load_di(spec, dataset)
    if spec.synthetic_seconds > 0:
        clips.append((f"synthetic guitar (seed {spec.synthetic_seed})",
                      synth_guitar(spec.synthetic_seconds, dataset.sample_rate, spec.synthetic_seed)))
    out = []
    for name, x in clips:
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        if rms < 1e-6:
            raise M7Error(f"distillation DI {name} is silent")
        gain = min(level / rms, 0.99 / float(np.max(np.abs(x))))  # never beyond full scale
        out.append((name, (x * gain).astype(np.float32)))
    return out


def load_teacher(run_dir: str | Path) -> Any:
    """The teacher's Keras model (best weights of its run)."""
    import keras

    import m7amp.models  # noqa: F401 - registers the custom layers model.keras refers to

    return keras.models.load_model(Path(run_dir) / "model.keras", compile=False)


def teacher_predict(model: Any, seqs: list[np.ndarray], context: int | None = None,
                    chunk: int = 1 << 16) -> list[np.ndarray]:
    """The teacher over whole sequences ``(T, 1 + K)``: outputs ``(T,)`` each.

    ``context`` (a WaveNet's receptive field − 1) lets a long sequence run in chunks of ``chunk`` outputs,
    each fed its ``context`` preceding inputs, which gives the same outputs as one pass while memory
    stays bounded; ``None`` (an RNN: its state runs through) runs each sequence whole."""
    out = []
    for s in seqs:
        s = s.astype(np.float32)
        if context is None or len(s) <= chunk:
            out.append(np.asarray(model(s[None], training=False))[0, :, 0].astype(np.float32))
            continue
        # the first chunk starts like the whole pass (each layer's own causal padding: not the same as
        # zeros at the input, since biases make a layer's output of silence non-zero); later ones get
        # their context from the signal
        parts = [np.asarray(model(s[None, :chunk], training=False))[0, :, 0]]
        parts += [np.asarray(model(s[None, a - context : a + chunk], training=False))[0, context:, 0]
                  for a in range(chunk, len(s), chunk)]
        out.append(np.concatenate(parts).astype(np.float32))
    return out


def build_distilled(spec: DistillSpec, dataset: Dataset, warmup: int,
                    length: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Run the teacher over the extra DI at every knob setting; segments ``x (n, W+L, 1+K)``, ``y (n,
    W+L, 1)`` and a description (teacher, sources, seconds) for run.json."""
    teacher_run = check_teacher(spec.teacher, dataset)
    clips = extra_di(spec, dataset)
    settings = knob_settings(dataset)
    model = load_teacher(spec.teacher)
    seqs = []
    for _, x in clips:
        for knobs in settings:
            s = np.empty((len(x), 1 + len(knobs)), np.float32)
            s[:, 0] = x
            s[:, 1:] = knobs
            seqs.append(s)
    context = teacher_run["receptive_field"] - 1 if teacher_run["model"].get("type") == "wavenet" else None
    preds = teacher_predict(model, seqs, context)
    xs, ys = [], []
    for s, y in zip(seqs, preds, strict=True):
        for a in segment_starts(0, len(s), warmup, length):
            xs.append(s[a : a + warmup + length])
            ys.append(y[a : a + warmup + length, None])
    if not xs:
        raise M7Error(f"distillation DI too short: no clip holds one segment of {warmup + length} samples")
    seconds = sum(len(x) for _, x in clips) / dataset.sample_rate
    info = {"teacher": str(Path(spec.teacher).resolve()), "teacher_model": teacher_run["model"]["name"],
            "teacher_test_esr": teacher_run["test"]["esr"], "ratio": spec.ratio,
            "sources": [{"name": n, "seconds": round(len(x) / dataset.sample_rate, 3)} for n, x in clips],
            "di_seconds": round(seconds, 3), "knob_settings": len(settings),
            "segments": len(xs)}
    return np.stack(xs), np.stack(ys), info


def distilled_segments(spec: DistillSpec, dataset: Dataset, warmup: int, length: int,
                       ckpt: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The cached distilled segments of this run (``ckpt/distill.npz``), computed on first use."""
    path = ckpt / CACHE
    if path.is_file():
        with np.load(path) as f:
            return f["x"], f["y"], json.loads(str(f["info"]))
    x, y, info = build_distilled(spec, dataset, warmup, length)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, x=x, y=y, info=np.array(json.dumps(info)))
    tmp.replace(path)
    print(f"distillation: teacher {info['teacher_model']} labelled {info['di_seconds']:.1f} s of DI "
          f"x {info['knob_settings']} knob setting(s) = {info['segments']} segments (cached in {path})",
          flush=True)
    return x, y, info


def epoch_order(n_real: int, n_distilled: int, ratio: float, seed: int, epoch: int) -> np.ndarray:
    """Indices into ``concat(real, distilled)`` for one epoch: every real segment plus
    ``min(n_distilled, round(ratio × n_real))`` distilled ones, shuffled together."""
    order = np.random.default_rng([seed, epoch]).permutation(n_real)
    if n_distilled == 0:
        return order
    k = min(n_distilled, max(1, round(ratio * n_real)))
    pick = n_real + np.random.default_rng([seed, epoch, 1]).choice(n_distilled, k, replace=False)
    both = np.concatenate([order, pick])
    return both[np.random.default_rng([seed, epoch, 2]).permutation(len(both))]
