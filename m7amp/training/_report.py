"""The training report: PNG plots, WAVs and a small HTML page in ``RUN_DIR/report/``.

Plots (matplotlib, Agg canvas, no display needed): the loss curve (train and validation), the target
and model waveforms on a zoomed 20 ms window around the loudest moment of the test clip, and both
spectra (Welch PSD) with the error's spectrum. A table gives the ESR of every pair in every split (from
``run.json``'s ``per_file``), and two players (``worst_target.wav``, ``worst_model.wav``) play one second
of the amp and of the model around the test window (100 ms) with the highest ESR.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import metrics

ZOOM_SECONDS = 0.02
WORST_SECONDS = 1.0  # length of the worst-segment clips (centred on the worst ESR window)


def _figure(width: float = 8.0, height: float = 3.6) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_loss(history: list[dict[str, float]], path: Path) -> None:
    from matplotlib.ticker import MaxNLocator

    fig = _figure()
    ax = fig.add_subplot()
    epochs = [h["epoch"] for h in history]
    ax.semilogy(epochs, [h["loss"] for h in history], "o-", ms=3, label="train loss")
    ax.semilogy(epochs, [h["val_loss"] for h in history], "o-", ms=3, label="validation loss")
    ax.semilogy(epochs, [h["val_esr"] for h in history], "--", label="validation ESR")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss / ESR (log)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def plot_waveform(target: np.ndarray, pred: np.ndarray, sample_rate: int, path: Path, skip: int = 0) -> None:
    """Zoomed target/model/error waveforms; the first ``skip`` samples (warm-up) are not candidates."""
    target, pred = target[skip:], pred[skip:]
    n = min(len(target), int(ZOOM_SECONDS * sample_rate))
    # centre the window on the loudest 20 ms of the target (RMS over a sliding window)
    energy = np.convolve(target.astype(np.float64) ** 2, np.ones(n), mode="valid")
    start = int(np.argmax(energy))
    t = 1000.0 * (skip + start + np.arange(n)) / sample_rate
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(t, target[start : start + n], label="target (amp)", lw=1.4)
    ax.plot(t, pred[start : start + n], label="model", lw=1.0)
    ax.plot(t, target[start : start + n] - pred[start : start + n], label="error", lw=0.8, alpha=0.7)
    ax.set_xlabel("time in the test clip (ms)")
    ax.set_ylabel("amplitude")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path)


def plot_spectra(target: np.ndarray, pred: np.ndarray, sample_rate: int, path: Path) -> None:
    from scipy.signal import welch

    nper = min(4096, len(target))
    fig = _figure()
    ax = fig.add_subplot()
    for sig, label in ((target, "target (amp)"), (pred, "model"), (target - pred, "error")):
        f, p = welch(sig.astype(np.float64), sample_rate, nperseg=nper)
        ax.semilogx(f[1:], 10 * np.log10(p[1:] + 1e-20), label=label, lw=1.0)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power spectral density (dB/Hz)")
    ax.set_xlim(20, sample_rate / 2)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def worst_segment(target: np.ndarray, pred: np.ndarray, sample_rate: int,
                  skip: int = 0) -> tuple[int, int, float, int]:
    """The test window (``report.ESR_WINDOW_SECONDS``) with the highest ESR among those loud enough to
    rank, after the first ``skip`` samples: (window start, window length, its ESR, clip start), the clip
    being ``WORST_SECONDS`` (or the whole signal if shorter) centred on the window."""
    from m7amp.report import ESR_WINDOW_SECONDS, esr_windows

    target, pred = target[skip:], pred[skip:]
    n = max(1, min(int(ESR_WINDOW_SECONDS * sample_rate), len(target)))
    esr_t, ranked = esr_windows(target, pred, n)
    worst = int(np.argmax(np.where(ranked, esr_t, -np.inf)))
    span = min(int(WORST_SECONDS * sample_rate), len(target))
    a = max(0, min(worst * n + n // 2 - span // 2, len(target) - span))
    return skip + worst * n, n, float(esr_t[worst]), skip + a


def per_file_table(rows: list[dict[str, Any]]) -> str:
    """HTML table of the per-pair ESR of each split (empty string without rows)."""
    if not rows:
        return ""
    names = {"train": "train", "val": "validation", "test": "test"}
    body = "\n".join(
        f"<tr><td>{names.get(r['split'], r['split'])}</td><td>{html.escape(r['pair'])}</td>"
        f"<td>{r['start_s']:g}–{r['start_s'] + r['seconds']:g} s</td>"
        f"<td>{metrics.format_esr(r['esr'])}</td><td>{metrics.format_esr(r['esr_pre'])}</td></tr>"
        for r in rows)
    return ('<table class="per-file"><tr><th>split</th><th>pair</th><th>region</th><th>ESR</th>'
            f"<th>ESR (pre-emphasised)</th></tr>\n{body}\n</table>")


def write_report(run_dir: Path, run: dict[str, Any], history: list[dict[str, float]], target: np.ndarray,
                 pred: np.ndarray, command: str = "",
                 regions: list[tuple[str, np.ndarray, np.ndarray]] | None = None) -> Path:
    """Write ``report/index.html`` with loss.png, waveform.png, spectrum.png and the worst-segment WAVs;
    returns the HTML path. ``target``/``pred`` are the test region plotted; ``regions`` (name, target,
    model) are all test regions, searched for the worst window (default: just ``target``/``pred``)."""
    out = run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    sr = int(run["sample_rate"])
    plot_loss(history, out / "loss.png")
    warmup = int(run.get("warmup", 0)) if len(target) > 2 * int(run.get("warmup", 0)) else 0
    plot_waveform(target, pred, sr, out / "waveform.png", skip=warmup)
    plot_spectra(target[warmup:], pred[warmup:], sr, out / "spectrum.png")
    from m7amp.audio import write_wav

    candidates = []
    for name, y, p in regions or [("", target, pred)]:
        skip = int(run.get("warmup", 0)) if len(y) > 2 * int(run.get("warmup", 0)) else 0
        candidates.append((worst_segment(y, p, sr, skip), name, y, p))
    (w_start, w_len, w_esr, clip), w_name, w_y, w_p = max(candidates, key=lambda c: c[0][2])
    span = min(int(WORST_SECONDS * sr), len(w_y) - clip)
    for stem, sig in (("worst_target", w_y), ("worst_model", w_p)):
        write_wav(out / f"{stem}.wav", np.clip(sig[clip : clip + span], -1.0, 1.0), sr, subtype="PCM_16")
    where = f" of {html.escape(w_name)}" if w_name else ""
    worst = (f"<p>The {1000 * w_len / sr:.0f} ms test window with the highest ESR starts at "
             f"{w_start / sr:.2f} s{where} (ESR {metrics.format_esr(w_esr)}); the players hold "
             f"{clip / sr:.2f}–{(clip + span) / sr:.2f} s.</p>\n<table class=\"players\">"
             '<tr><th>target (amp)</th><td><audio controls preload="metadata" src="worst_target.wav">'
             '</audio></td></tr>\n<tr><th>model</th><td><audio controls preload="metadata" '
             'src="worst_model.wav"></audio></td></tr></table>')
    per_file = per_file_table(run.get("per_file", []))
    test = run["test"]
    data = run["data"]
    rows = [
        ("model", f"{run['model']['name']} ({run['model']['type']}), {run['parameters']} parameters, "
                  f"{run['macs_per_sample']} MACs/sample, receptive field {run['receptive_field']}"),
        ("data", f"{data.get('name')} ({data.get('source')}): {data['pairs']} pair(s) at {sr} Hz; "
                 f"train {data['seconds']['train']:g} s, validation {data['seconds']['val']:g} s, "
                 f"test {data['seconds']['test']:g} s"),
        ("knobs", ", ".join(f"{k['name']} [{k['min']:g}, {k['max']:g}]" for k in run["knobs"]) or "none"),
        ("training", f"{run['epochs']} epoch(s), best at epoch {run['best_epoch']}"
                     f"{' (early stop)' if run['stopped_early'] else ''}, {run['train_seconds']:.1f} s, "
                     f"seed {run['seed']}, warm-up {run['warmup']} samples excluded from the loss"),
        ("test ESR", f"{metrics.format_esr(test['esr'])} — {metrics.esr_verdict(test['esr'])}"),
        ("test ESR (pre-emphasised)", metrics.format_esr(test["esr_pre"])),
        ("test loss", metrics.format_esr(test["loss"])),
    ]
    if command:
        rows.append(("command", command))
    table = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in data.get("warnings", []))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>m7amp training report: {html.escape(run_dir.name)}</title>
<style>body{{font-family:sans-serif;max-width:860px;margin:2em auto;color:#222}}
th{{text-align:left;padding-right:1em;vertical-align:top}}td,th{{padding:2px 4px}}
img{{max-width:100%}}</style>
</head><body>
<h1>Training report: {html.escape(run_dir.name)}</h1>
<table>{table}</table>
<p>ESR = Σ(y−ŷ)²/Σy² on the test split (NAM bands: &lt;0.01 great, &lt;0.035 not bad,
&lt;0.1 may sound ok).</p>
{f"<h2>Data warnings</h2><ul>{warnings}</ul>" if warnings else ""}
{f"<h2>ESR per file</h2>{per_file}" if per_file else ""}
<h2>Loss curve</h2><img src="loss.png" alt="loss curve">
<h2>Worst test segment</h2>{worst}
<h2>Waveform (test clip, zoomed)</h2><img src="waveform.png" alt="target and model waveforms">
<h2>Spectra (test clip)</h2><img src="spectrum.png" alt="target and model spectra">
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"
