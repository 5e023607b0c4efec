"""A played run on disk: what ``m7amp demo``, the suites and ``m7amp report`` share.

A run folder holds ``run.json`` (the figures, what ran where, the UART log) and ``signals.npz`` (input,
firmware output, reference model output, target recording, cycles per block). ``run.json`` is the one
place the figures are computed (:meth:`RunRecord.figures`), so the demo's printout, ``m7amp run``'s
table and JSON, the report and the tests read the same numbers. ``m7amp demo`` and
``m7amp run --record DIR`` write one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import metrics
from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ, PlayResult

RUN_JSON = "run.json"
SIGNALS = "signals.npz"
FORMAT = 1


@dataclass
class RunRecord:
    """One WAV played through firmware on a target, with what it is compared against.

    ``reference`` is the model package's own output for ``input`` (what the firmware should give);
    ``target`` is the amp it imitates (a recording, or the built-in reference amp), when known.
    """

    input: np.ndarray
    result: PlayResult
    reference: np.ndarray | None = None
    target: np.ndarray | None = None
    elf: str | None = None
    package: str | None = None
    precision: str | None = None
    memory: dict[str, int] = field(default_factory=dict)
    title: str = "m7amp run"

    def figures(self) -> dict[str, Any]:
        """The run's numbers, JSON-ready (NaN-free: absent figures are None)."""
        r = self.result
        cycles = np.asarray(r.block_cycles, dtype=np.float64)
        budget = r.block_size * CORE_HZ / r.sample_rate
        figs: dict[str, Any] = {
            "samples": len(r.output),
            "seconds": len(r.output) / r.sample_rate,
            "sample_rate": r.sample_rate,
            "block_size": r.block_size,
            "blocks": len(cycles),
            "cycles_per_sample": None if len(cycles) == 0 else r.cycles_per_sample,
            "block_cycles_min": None if len(cycles) == 0 else int(cycles.min()),
            "block_cycles_avg": None if len(cycles) == 0 else float(cycles.mean()),
            "block_cycles_max": None if len(cycles) == 0 else int(cycles.max()),
            "block_budget_cycles": budget,
            "cpu_load": None if len(cycles) == 0 else r.cpu_load,
            "peak_load": None if len(cycles) == 0 else r.peak_load,
            "deadline_misses": int(r.deadline_misses),
            "latency_samples": int(r.latency_samples),
            "esr_vs_reference": None,
            "esr_vs_target": None,
        }
        for key, signal in (("esr_vs_reference", self.reference), ("esr_vs_target", self.target)):
            if signal is not None:  # over the common length (a target recording may be shorter)
                n = min(len(signal), len(r.output))
                figs[key] = metrics.esr(signal[:n], r.output[:n])
        return figs

    def save(self, folder: str | Path) -> Path:
        """Write ``run.json`` and ``signals.npz`` into ``folder`` (created); return the JSON path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        r = self.result
        signals = {"input": self.input, "output": r.output, "block_cycles": np.asarray(r.block_cycles)}
        if self.reference is not None:
            signals["reference"] = self.reference
        if self.target is not None:
            signals["target"] = self.target
        np.savez_compressed(folder / SIGNALS, **signals)
        doc = {
            "format": FORMAT,
            "title": self.title,
            "target": r.target,
            "io_bits": r.io_bits,
            "elf": self.elf,
            "package": self.package,
            "precision": self.precision,
            "memory": self.memory,
            "figures": self.figures(),
            "extra": {k: v for k, v in r.extra.items() if _json_able(v)},
            "uart": r.uart,
            "signals": SIGNALS,
        }
        path = folder / RUN_JSON
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path


def _json_able(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def load_record(path: str | Path) -> RunRecord:
    """Read a run folder or its ``run.json``."""
    path = Path(path)
    json_path = path / RUN_JSON if path.is_dir() else path
    if not json_path.is_file():
        raise M7Error(f"no run found at {path} (expected a run folder or its {RUN_JSON})")
    try:
        doc = json.loads(json_path.read_text())
    except json.JSONDecodeError as exc:
        raise M7Error(f"{json_path}: not valid JSON ({exc})") from None
    if doc.get("format") != FORMAT or "figures" not in doc:
        raise M7Error(f"{json_path} is not an m7amp run record (format {FORMAT})")
    npz_path = json_path.parent / doc.get("signals", SIGNALS)
    if not npz_path.is_file():
        raise M7Error(f"{npz_path} is missing: the run record is incomplete")
    with np.load(npz_path) as npz:
        sig = {k: npz[k] for k in npz.files}
    figs = doc["figures"]
    result = PlayResult(
        output=sig["output"], sample_rate=int(figs["sample_rate"]), block_size=int(figs["block_size"]),
        block_cycles=sig["block_cycles"], deadline_misses=int(figs["deadline_misses"]),
        latency_samples=int(figs["latency_samples"]), uart=doc.get("uart", ""), target=doc.get("target", ""),
        io_bits=int(doc.get("io_bits", 0)), extra=dict(doc.get("extra", {})),
    )
    return RunRecord(
        input=sig["input"], result=result, reference=sig.get("reference"), target=sig.get("target"),
        elf=doc.get("elf"), package=doc.get("package"), precision=doc.get("precision"),
        memory=dict(doc.get("memory", {})), title=doc.get("title", "m7amp run"),
    )
