"""The training loop: segments, Adam, validation every epoch, the LR schedule (warm-up, then cosine or
reduce-on-plateau), early stopping, checkpoints and resume, all seeded; then the test-split evaluation,
the ESR of every pair of every split, and the run folder.

Determinism: ``keras.utils.set_random_seed(seed)`` plus ``tf.config.experimental.enable_op_determinism``
make the initial weights and every update reproducible on one machine; the batch order of epoch ``e`` is
drawn from ``numpy.random.default_rng([seed, e])``, so a resumed run sees the same batches as an
uninterrupted one.

Checkpoint (``RUN_DIR/checkpoint/``, rewritten after every epoch, each file replaced atomically):
``weights.npz`` (last weights), ``optimizer.npz`` (Adam's variables incl. its step counter),
``best.npz`` (weights with the lowest validation loss), ``state.json`` (epoch, history, schedule state).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import __version__, metrics
from m7amp.data import Dataset, make_segments, split_sequences
from m7amp.errors import M7Error
from m7amp.training._config import TrainConfig
from m7amp.training._distill import DistillSpec, distilled_segments, epoch_order
from m7amp.training._evaluate import predict, predict_sequences, score

REP_SEGMENTS, REP_LENGTH = 32, 4096  # representative data for int8 calibration (contract: <= 32 x 4096)
TEST_SECONDS = 10.0  # golden test clip length cap (contract: <= 10 s)


def warmup_samples(model_config: Any, train_config: TrainConfig) -> int:
    """Outputs excluded from the loss at the start of each segment: the receptive field minus one for
    WaveNets (their first outputs see zero padding), ``rnn.warmup`` for RNNs (state settling)."""
    from m7amp.models import receptive_field

    if model_config.kind == "wavenet":
        return receptive_field(model_config) - 1
    return train_config.rnn_warmup


def segment_length(model_config: Any, train_config: TrainConfig) -> int:
    return train_config.segment_length if model_config.kind == "wavenet" else train_config.rnn_segment_length


@dataclass
class _State:
    """Everything besides weights that a resumed run needs."""

    epoch: int = 0  # epochs completed
    history: list[dict[str, float]] = field(default_factory=list)
    best_val: float = float("inf")
    best_epoch: int = 0
    lr: float = 0.0
    plateau_wait: int = 0
    stop_wait: int = 0
    stopped_early: bool = False
    train_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path) -> _State:
        return cls(**json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        _atomic_write(path, json.dumps(self.__dict__, indent=1).encode())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _save_arrays(path: Path, arrays: list[np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, *arrays)
    tmp.replace(path)


def _load_arrays(path: Path) -> list[np.ndarray]:
    with np.load(path) as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def make_steps(model: Any, optimizer: Any, loss_fn: Any, channels: int,
               jit_compile: bool = False) -> tuple[Any, Any]:
    """Compiled ``train_step(x, y) -> loss`` (one Adam update) and ``forward(x) -> y`` (inference).

    ``jit_compile`` compiles the training step with XLA: about 1.5–1.8x faster for WaveNets on this
    CPU, but slower for Keras's LSTM/GRU loops (hence the separate ``rnn.jit_compile``)."""
    import tensorflow as tf

    signature = [tf.TensorSpec([None, None, channels], tf.float32),
                 tf.TensorSpec([None, None, 1], tf.float32)]

    @tf.function(input_signature=signature, jit_compile=jit_compile)
    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function(input_signature=signature[:1])
    def forward(x: Any) -> Any:
        return model(x, training=False)

    return train_step, forward


class _Progress:
    """A tqdm bar per epoch on a terminal; otherwise only the one summary line per epoch."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None

    def start(self, epoch: int, epochs: int, steps: int) -> None:
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False)

    def step(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4g}")

    def end(self, line: str) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        print(line, flush=True)


def train_model(dataset: Dataset, model_config: Any, train_config: TrainConfig, run_dir: Path,
                resume: bool = False, progress: bool | None = None,
                distill: DistillSpec | None = None, restart_patience: bool = False) -> dict[str, Any]:
    """Train ``model_config`` on ``dataset`` into ``run_dir`` (checkpoint, model.keras, history).

    With ``distill``, each epoch adds segments of extra DI labelled by a teacher run to the real ones
    (:mod:`m7amp.training._distill`; the teacher's outputs are cached in the checkpoint). With
    ``restart_patience`` (a resume with a larger budget: the cosine restarts from a higher rate), early
    stopping and the plateau count epochs from the resume, not from the last best epoch.

    Returns a summary: test metrics, epochs, seconds. The caller writes the run files around it
    (see :func:`m7amp.training.run_training`).
    """
    import keras
    import tensorflow as tf

    from m7amp.models import build_model
    from m7amp.training._losses import AmpLoss

    cfg = train_config
    keras.utils.set_random_seed(cfg.seed)
    tf.config.experimental.enable_op_determinism()

    warmup = warmup_samples(model_config, cfg)
    length = segment_length(model_config, cfg)
    x_train, y_train = make_segments(dataset, "train", warmup, length)
    x_val, y_val = make_segments(dataset, "val", warmup, length)
    ckpt = run_dir / "checkpoint"
    ckpt.mkdir(parents=True, exist_ok=True)
    n = len(x_train)  # real training segments
    n_distilled, distill_info = 0, None
    if distill is not None:
        x_d, y_d, distill_info = distilled_segments(distill, dataset, warmup, length, ckpt)
        n_distilled = len(x_d)
        x_train, y_train = np.concatenate([x_train, x_d]), np.concatenate([y_train, y_d])
        keras.utils.set_random_seed(cfg.seed)  # the student starts from the same weights as without

    model = build_model(model_config, dataset.n_knobs)
    optimizer = keras.optimizers.Adam(learning_rate=cfg.learning_rate)
    optimizer.build(model.trainable_variables)
    terms = cfg.loss_terms(dataset.sample_rate)
    loss_fn = AmpLoss(warmup, **terms)

    state = _State(lr=cfg.learning_rate)
    if resume:
        state = _State.load(ckpt / "state.json")
        model.set_weights(_load_arrays(ckpt / "weights.npz"))
        for var, value in zip(optimizer.variables, _load_arrays(ckpt / "optimizer.npz"), strict=True):
            var.assign(value)
        print(f"resuming {run_dir} after epoch {state.epoch} (best validation loss "
              f"{state.best_val:.4g} at epoch {state.best_epoch})", flush=True)
        if restart_patience:
            state.plateau_wait = state.stop_wait = 0
    optimizer.learning_rate.assign(state.lr)

    jit = cfg.jit_compile if model_config.kind == "wavenet" else cfg.rnn_jit_compile
    train_step, forward = make_steps(model, optimizer, loss_fn, x_train.shape[-1], jit)

    bar = _Progress(progress)
    ratio = distill.ratio if distill is not None else 0.0
    per_epoch = len(epoch_order(n, n_distilled, ratio, cfg.seed, 1))
    # full batches only (the few segments left over change every epoch): one batch shape, one compile
    batch = min(cfg.batch_size, per_epoch)
    steps = per_epoch // batch
    while state.epoch < cfg.epochs and not state.stopped_early:
        epoch = state.epoch + 1
        t0 = time.perf_counter()
        scheduled = cfg.scheduled_lr(epoch)
        if cfg.lr_schedule == "cosine" and scheduled is not None:
            state.lr = scheduled
        lr_now = state.lr if scheduled is None else scheduled  # plateau: warm-up, then the managed rate
        optimizer.learning_rate.assign(lr_now)
        order = epoch_order(n, n_distilled, ratio, cfg.seed, epoch)
        bar.start(epoch, cfg.epochs, steps)
        losses = []
        for s in range(steps):
            idx = np.sort(order[s * batch : (s + 1) * batch])
            loss = float(train_step(x_train[idx], y_train[idx]))
            if not np.isfinite(loss):
                raise M7Error(f"training diverged (loss {loss}) in epoch {epoch}: lower learning_rate")
            losses.append(loss)
            bar.step(loss)
        val_pred = predict(forward, x_val, cfg.batch_size)
        val = score(list(y_val[..., 0]), list(val_pred), warmup, **terms)
        state.train_seconds += time.perf_counter() - t0
        record = {"epoch": epoch, "loss": float(np.mean(losses)), "val_loss": val["loss"],
                  "val_esr": val["esr"], "val_esr_pre": val["esr_pre"], "lr": lr_now,
                  "seconds": round(time.perf_counter() - t0, 3)}
        state.history.append(record)
        state.epoch = epoch
        improved = val["loss"] < state.best_val
        if improved:
            state.best_val, state.best_epoch = val["loss"], epoch
            state.plateau_wait = state.stop_wait = 0
            _save_arrays(ckpt / "best.npz", model.get_weights())
        else:
            state.plateau_wait += 1
            state.stop_wait += 1
            if (cfg.lr_schedule == "plateau" and epoch > cfg.warmup_epochs
                    and state.plateau_wait >= cfg.lr_patience and state.lr > cfg.min_lr):
                state.lr = max(cfg.min_lr, state.lr * cfg.lr_factor)
                state.plateau_wait = 0
                optimizer.learning_rate.assign(state.lr)
            if state.stop_wait >= cfg.patience:
                state.stopped_early = True
        bar.end(f"epoch {epoch}/{cfg.epochs}  loss {record['loss']:.4g}  val_loss {val['loss']:.4g}  "
                f"val_esr {metrics.format_esr(val['esr'])}  lr {record['lr']:.3g}  {record['seconds']:.1f} s"
                + ("  *best" if improved else "") + ("  (early stop)" if state.stopped_early else ""))
        _save_arrays(ckpt / "weights.npz", model.get_weights())
        _save_arrays(ckpt / "optimizer.npz", [v.numpy() for v in optimizer.variables])
        state.save(ckpt / "state.json")

    # the best weights become model.keras, evaluated on the test split
    if not (ckpt / "best.npz").is_file():
        raise M7Error(f"no epoch gave a finite validation loss in {run_dir}: check the data")
    model.set_weights(_load_arrays(ckpt / "best.npz"))
    model.save(run_dir / "model.keras")
    seqs = split_sequences(dataset, "test")
    test_pred = predict_sequences(forward, [x for x, _ in seqs], batch_size=8)
    test = score([y for _, y in seqs], test_pred, warmup, **terms)
    return {"state": state, "test": test, "warmup": warmup, "segment_length": length,
            "test_sequences": seqs, "test_pred": test_pred, "model": model, "forward": forward,
            "train_segments": n, "val_segments": len(x_val), "distill": distill_info,
            "per_file": per_file_scores(dataset, forward, warmup, cfg, test_pred)}


def per_file_scores(dataset: Dataset, forward: Any, warmup: int, cfg: TrainConfig,
                    test_pred: list[np.ndarray]) -> list[dict[str, Any]]:
    """ESR of every pair's region of every split, each run whole from a zero state with its first
    ``warmup`` outputs excluded (as the test score): which clips the model fits and which it does not."""
    rows = []
    for split in ("train", "val", "test"):
        regions = dataset.regions(split)
        seqs = split_sequences(dataset, split)
        preds = test_pred if split == "test" else predict_sequences(forward, [x for x, _ in seqs], 8)
        for (pair, a, b), (_, y), p in zip(regions, seqs, preds, strict=True):
            if len(y) <= warmup:
                continue
            sc = score([y], [p], warmup, **cfg.loss_terms(dataset.sample_rate))
            rows.append({"split": split, "pair": pair.name, "start_s": round(a / dataset.sample_rate, 3),
                         "seconds": round((b - a) / dataset.sample_rate, 3), "esr": sc["esr"],
                         "esr_pre": sc["esr_pre"]})
    return rows


def representative_data(dataset: Dataset) -> np.ndarray:
    """Up to 32 segments of up to 4096 samples spread evenly over the train split: ``(n, T, 1 + K)``."""
    regions = dataset.regions("train")
    length = min(REP_LENGTH, min(b - a for _, a, b in regions))
    windows = [(p, s) for p, a, b in regions for s in range(a, b - length + 1, length)]
    pick = np.linspace(0, len(windows) - 1, min(REP_SEGMENTS, len(windows))).round().astype(int)
    out = []
    for i in pick:
        p, s = windows[i]
        seg = np.empty((length, 1 + len(p.knobs)), np.float32)
        seg[:, 0] = p.x[s : s + length]
        seg[:, 1:] = p.knobs
        out.append(seg)
    return np.stack(out)


def test_clip(seqs: list[tuple[np.ndarray, np.ndarray]], sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The test regions one after another, cut at 10 s: x ``(1, T, 1 + K)``, y ``(1, T, 1)``."""
    cap = int(TEST_SECONDS * sample_rate)
    x = np.concatenate([s[0] for s in seqs])[:cap]
    y = np.concatenate([s[1] for s in seqs])[:cap]
    return x[None].astype(np.float32), y[None, :, None].astype(np.float32)


def run_summary(model_config: Any, dataset: Dataset, cfg: TrainConfig,
                result: dict[str, Any]) -> dict[str, Any]:
    """The run.json document (contract between `m7amp train` and `m7amp export`)."""
    from m7amp.models import config_to_dict, macs_per_sample, receptive_field

    state: _State = result["state"]
    test = result["test"]
    return {
        "model": config_to_dict(model_config),
        "sample_rate": dataset.sample_rate,
        "knobs": [k.to_dict() for k in dataset.knobs],
        "receptive_field": receptive_field(model_config),
        "seed": cfg.seed,
        "epochs": state.epoch,
        "best_epoch": state.best_epoch,
        "stopped_early": state.stopped_early,
        "train_seconds": round(state.train_seconds, 3),
        "warmup": result["warmup"],
        "segment_length": result["segment_length"],
        "macs_per_sample": macs_per_sample(model_config, dataset.n_knobs),
        "parameters": int(result["model"].count_params()),
        "test": {"esr": test["esr"], "esr_pre": test["esr_pre"], "loss": test["loss"], "dc": test["dc"],
                 "verdict": metrics.esr_verdict(test["esr"])},
        "per_file": result.get("per_file", []),
        "data": {**dataset.describe(), "train_segments": result["train_segments"],
                 "val_segments": result["val_segments"]},
        "m7amp_version": __version__,
    }
