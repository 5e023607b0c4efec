"""Training throughput per model preset on this machine: ``m7amp bench train``.

Throughput is counted in *loss samples* per second of wall time: output samples that enter the loss
(segment_length per segment; the warm-up is computed but not counted) per second of optimiser steps
(forward + backward + Adam update), after one untimed step that compiles the graph. The segments come
from the built-in synthetic data and the default learning config (training/train.toml).
"""

from __future__ import annotations

import time
from typing import Any

PRESETS = ("nano", "feather", "lite", "standard", "lstm16")


def bench_throughput(presets: list[str] | tuple[str, ...] = PRESETS, seconds: float = 10.0,
                     batch_size: int | None = None) -> list[dict[str, Any]]:
    """Time training steps of each preset for about ``seconds`` each; one dict per preset."""
    import keras
    import numpy as np

    from m7amp.data import make_segments, synthetic_dataset
    from m7amp.models import build_model, load_config, macs_per_sample
    from m7amp.training._config import load_train_config
    from m7amp.training._losses import AmpLoss
    from m7amp.training._train import make_steps, segment_length, warmup_samples

    cfg = load_train_config()
    batch = batch_size or cfg.batch_size
    dataset = synthetic_dataset(20.0, seed=0)
    rows = []
    for name in presets:
        model_config = load_config(name)
        keras.utils.set_random_seed(0)
        warmup, length = warmup_samples(model_config, cfg), segment_length(model_config, cfg)
        x, y = make_segments(dataset, "train", warmup, length)
        reps = -(-batch // len(x))
        x, y = np.concatenate([x] * reps)[:batch], np.concatenate([y] * reps)[:batch]
        model = build_model(model_config)
        optimizer = keras.optimizers.Adam(cfg.learning_rate)
        jit = cfg.jit_compile if model_config.kind == "wavenet" else cfg.rnn_jit_compile
        train_step, _ = make_steps(model, optimizer, AmpLoss(warmup), x.shape[-1], jit)
        float(train_step(x, y))  # compile
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or steps < 2:
            float(train_step(x, y))
            steps += 1
        elapsed = time.perf_counter() - t0
        rate = steps * batch * length / elapsed
        rows.append({"preset": name, "kind": model_config.kind, "parameters": int(model.count_params()),
                     "macs_per_sample": macs_per_sample(model_config), "batch": batch,
                     "segment": f"{warmup}+{length}", "steps": steps, "seconds": round(elapsed, 2),
                     "samples_per_s": round(rate), "realtime_48k": round(rate / 48000, 2)})
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    head = ("preset", "kind", "params", "MACs/sample", "batch", "segment (warm-up+loss)", "steps",
            "loss samples/s", "x real time @48k")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        keys = ("preset", "kind", "parameters", "macs_per_sample", "batch", "segment", "steps",
                "samples_per_s", "realtime_48k")
        lines.append(" | ".join(str(r[k]) for k in keys))
    return "\n".join("| " + line + " |" for line in lines)
