"""Test ESR of trained runs per knob setting: ``m7amp bench esr RUN_DIR … --data MANIFEST``.

Each run's best model (``model.keras``) runs over every region of the chosen split of the manifest (one
region per pair, from zero state, the first ``warmup`` outputs excluded as in training) and the ESR is
computed per knob setting (all regions of that setting together), then averaged over settings. A
manifest with settings the run never trained on (``jvm-tone-sweeps.toml``'s single-knob sweeps) checks
interpolation: the ``trained`` column says whether the run's own training data held that setting.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import metrics
from m7amp.data import Dataset, load_dataset, load_manifest, parse_manifest, split_sequences
from m7amp.errors import M7Error
from m7amp.training._distill import check_run, load_teacher, teacher_predict


def setting_label(dataset: Dataset, knobs: tuple[float, ...]) -> str:
    """``bass 3, middle 7, treble 1`` on the knobs' own scale (``-`` without knobs)."""
    if not knobs:
        return "-"
    return ", ".join(f"{k.name} {k.min + v * (k.max - k.min):g}" for k, v in zip(dataset.knobs, knobs,
                                                                                strict=True))


def _trained_settings(run_dir: Path) -> set[tuple[float, ...]] | None:
    """Knob values (user scale) of the pairs the run trained on (None: unknown).

    Read from the run's own copy of its manifest (``data.toml``), or the manifest path it recorded when
    that copy is absent; only the TOML is read, so neither the manifest's location nor its audio is needed.
    """
    args = run_dir / "checkpoint" / "run_args.json"
    if not args.is_file():
        return None
    spec = json.loads(args.read_text())["data"]
    if "manifest" not in spec:
        return None
    source = next((p for p in (run_dir / "data.toml", Path(spec["manifest"])) if p.is_file()), None)
    if source is None:
        return None
    manifest = parse_manifest(tomllib.loads(source.read_text(encoding="utf-8")), source.parent, str(source),
                              check_files=False)
    return {pair.knobs for pair in manifest.pairs if _trains(pair.split, manifest.split)}


def _trains(split: str | dict[str, float] | None, default: dict[str, float]) -> bool:
    """Whether a pair with this ``split`` (its own, or None: the manifest's) has training audio."""
    if isinstance(split, str):
        return split == "train"
    return (split or default)["train"] > 0


def esr_by_setting(run_dir: str | Path, dataset: Dataset, split: str = "test") -> list[dict[str, Any]]:
    """One row per knob setting of ``dataset`` (order of appearance): ESR, pre-emphasised ESR, seconds."""
    run_dir = Path(run_dir)
    run = check_run(run_dir, dataset, "run")
    warmup = int(run["warmup"])
    model = load_teacher(run_dir)
    trained = _trained_settings(run_dir)
    groups: dict[tuple[float, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
    for (x, y), (pair, _, _) in zip(split_sequences(dataset, split), dataset.regions(split), strict=True):
        groups.setdefault(pair.knobs, []).append((x, y))
    if not groups:
        raise M7Error(f"{dataset.name}: the {split} split is empty")
    rows = []
    for knobs, seqs in groups.items():
        preds = teacher_predict(model, [x for x, _ in seqs])
        y = np.concatenate([t[warmup:] for _, t in seqs])
        yhat = np.concatenate([p[warmup:] for p in preds])
        pre = metrics.esr(np.concatenate([metrics.pre_emphasis(t)[warmup:] for _, t in seqs]),
                          np.concatenate([metrics.pre_emphasis(p)[warmup:] for p in preds]))
        user = tuple(round(k.min + v * (k.max - k.min), 6) for k, v in zip(dataset.knobs, knobs, strict=True))
        rows.append({"setting": setting_label(dataset, knobs), "esr": metrics.esr(y, yhat), "esr_pre": pre,
                     "seconds": len(y) / dataset.sample_rate,
                     "trained": None if trained is None else user in trained})
    return rows


def bench_esr(args: Any) -> int:
    """``m7amp bench esr``: the table (settings down, runs across), then the mean over settings."""
    dataset = load_dataset(load_manifest(args.data, args.data_root))
    runs = [Path(r) for r in args.runs]
    table = {r: esr_by_setting(r, dataset, args.split) for r in runs}
    first = table[runs[0]]
    names = [json.loads((r / "run.json").read_text())["model"]["name"] + f" ({r.name})" for r in runs]
    print(f"{args.split} ESR after the warm-up per knob setting, {dataset.name} ({dataset.sample_rate} Hz)")
    print("| setting | s | trained | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(runs))
    for i, row in enumerate(first):
        seen = {None: "?", True: "yes", False: "no"}[row["trained"]]
        cells = " | ".join(f"{table[r][i]['esr']:.4g}" for r in runs)
        print(f"| {row['setting']} | {row['seconds']:.2f} | {seen} | {cells} |")
    means = " | ".join(f"**{np.mean([x['esr'] for x in table[r]]):.4g}**" for r in runs)
    print(f"| mean over {len(first)} settings | | | {means} |")
    return 0
