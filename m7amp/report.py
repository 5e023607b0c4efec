"""``m7amp report``: one self-contained HTML page for a played run (PNG plots embedded, no network).

Sections: the figures (ESR vs reference model and vs the amp, cycles per sample, CPU load, deadline
misses, latency); input, amp, model and firmware waveforms overlaid on a zoomed 20 ms segment; the
spectrogram of the firmware's error; the histogram of cycles per block against the block's budget; CPU
load over time; flash and RAM use; the UART log; a link to the Robot Framework log when there is one.
The input is a run folder written by :meth:`m7amp.record.RunRecord.save` (``m7amp demo`` writes one).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from m7amp import metrics
from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ
from m7amp.record import RunRecord, load_record

ZOOM_SECONDS = 0.02
DEFAULT_ROBOT_LOG = Path("results") / "robot" / "log.html"

HELP = "write one HTML page (plots embedded) for a played run: waveforms, error, cycles, CPU load, memory"


def _figure(width: float = 8.0, height: float = 3.4) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> str:
    """The figure as a base64 PNG for an ``<img src="data:...">``."""
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def loudest_window(x: np.ndarray, n: int) -> int:
    """Start of the ``n``-sample window of ``x`` with the most energy."""
    if len(x) <= n:
        return 0
    energy = np.convolve(np.asarray(x, np.float64) ** 2, np.ones(n), mode="valid")
    return int(np.argmax(energy))


def plot_waveforms(rec: RunRecord) -> str:
    sr = rec.result.sample_rate
    n = min(len(rec.input), int(ZOOM_SECONDS * sr))
    start = loudest_window(rec.input, n)
    t = 1000.0 * (start + np.arange(n)) / sr
    fig = _figure()
    ax = fig.add_subplot()
    curves = [("input (DI)", rec.input, 0.8), ("amp (target)", rec.target, 1.4),
              ("model (reference)", rec.reference, 1.4), ("firmware", rec.result.output, 0.9)]
    for label, signal, width in curves:
        if signal is not None:
            ax.plot(t, signal[start : start + n], label=label, lw=width)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude")
    ax.set_title(f"waveforms, loudest {ZOOM_SECONDS * 1000:.0f} ms of the input")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return _png(fig)


def plot_error_spectrogram(rec: RunRecord) -> tuple[str, str]:
    """Spectrogram of firmware − reference (or − amp without a reference); returns (png, what)."""
    from scipy.signal import spectrogram

    ref, what = (rec.reference, "reference model") if rec.reference is not None else (rec.target, "amp")
    if ref is None:
        raise M7Error("the run has neither a reference nor a target signal: no error to plot")
    sr = rec.result.sample_rate
    err = np.asarray(rec.result.output, np.float64) - np.asarray(ref, np.float64)
    f, t, sxx = spectrogram(err, fs=sr, nperseg=min(1024, len(err)))
    db = 10 * np.log10(np.maximum(sxx, 1e-30))
    peak = float(db.max())
    fig = _figure()
    ax = fig.add_subplot()
    # 100 dB of range below the loudest error; a bit-exact stretch shows at the floor colour
    mesh = ax.pcolormesh(t, f / 1000, np.maximum(db, peak - 100), shading="auto", vmin=peak - 100, vmax=peak,
                         cmap="magma")
    fig.colorbar(mesh, ax=ax, label="dB (power)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (kHz)")
    ax.set_title(f"spectrogram of the error: firmware − {what}")
    return _png(fig), what


def error_caption(rec: RunRecord) -> str:
    """How many output samples differ from the reference, and by how much at most."""
    if rec.reference is None:
        return ""
    err = np.abs(np.asarray(rec.result.output, np.float64) - np.asarray(rec.reference, np.float64))
    differ = int(np.count_nonzero(err))
    text = f"{differ:,} of {len(err):,} samples differ from the reference model; largest |error| "
    text += f"{err.max():.3g}"
    bits = rec.result.io_bits
    if bits:
        text += f" ({err.max() * (1 << (bits - 1)):.0f} LSB of {bits}-bit samples)"
    return text + "."


def plot_cycles_histogram(rec: RunRecord) -> str:
    r = rec.result
    budget = r.block_size * CORE_HZ / r.sample_rate
    fig = _figure()
    ax = fig.add_subplot()
    ax.hist(np.asarray(r.block_cycles), bins=50, color="tab:blue")
    ax.axvline(budget, color="tab:red", ls="--", label=f"budget {budget:,.0f} cycles/block")
    ax.set_xlabel(f"DWT cycles per block ({r.block_size} samples)")
    ax.set_ylabel("blocks")
    ax.set_title("cycles per block")
    ax.legend(fontsize=8)
    return _png(fig)


def plot_cpu_load(rec: RunRecord) -> str:
    r = rec.result
    budget = r.block_size * CORE_HZ / r.sample_rate
    load = 100.0 * np.asarray(r.block_cycles, np.float64) / budget
    t = np.arange(len(load)) * r.block_size / r.sample_rate
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(t, load, lw=0.8, label="per block")
    ax.axhline(100.0, color="tab:red", ls="--", label="100 % (deadline)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("CPU load (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("CPU load over time")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def memory_rows(memory: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(region, used bytes, size bytes) per memory, from ``m7amp.memory.memory_report(elf).as_dict()``."""
    return [(name.upper(), int(r["used"]), int(r["size"])) for name, r in memory.get("regions", {}).items()]


def engine_memory_line(memory: dict[str, Any]) -> str:
    """The engine's share of the memory, as one sentence (empty without an exported model); parts the
    app does not name by the memory report's convention (no region found) are left out."""
    if not memory.get("model"):
        return ""
    parts = [f"{what} {memory[f'{what}_bytes']:,} B in {memory[f'{what}_region']}"
             for what in ("weights", "state", "scratch") if memory.get(f"{what}_region")]
    return f"model {memory['model']}: " + ", ".join(parts)


def plot_memory(rows: list[tuple[str, int, int]]) -> str:
    fig = _figure(height=1.0 + 0.6 * len(rows))
    ax = fig.add_subplot()
    names = [name for name, _, _ in rows]
    used = [100.0 * u / size for _, u, size in rows]
    ax.barh(names, [100.0] * len(rows), color="0.9")
    ax.barh(names, used, color="tab:green")
    for i, (_, u, size) in enumerate(rows):
        ax.text(1, i, f"{u / 1024:,.1f} KiB of {size / 1024:,.0f} KiB ({100.0 * u / size:.1f} %)",
                va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% used")
    ax.invert_yaxis()  # regions top to bottom in address order
    ax.set_title("memory use per region of the F767")
    return _png(fig)


def _fmt(value: object, spec: str = "") -> str:
    return "–" if value is None else format(value, spec)


def _figures_table(rec: RunRecord) -> str:
    f = rec.figures()
    esr_ref, esr_amp = f["esr_vs_reference"], f["esr_vs_target"]
    rows = [
        ("target", rec.result.target), ("firmware", rec.elf or "–"), ("model package", rec.package or "–"),
        ("precision", rec.precision or "–"),
        ("samples", f"{f['samples']:,} ({f['seconds']:.2f} s at {f['sample_rate']:,} Hz)"),
        ("ESR vs reference model", "–" if esr_ref is None else metrics.format_esr(esr_ref)),
        ("ESR vs amp", "–" if esr_amp is None
         else f"{metrics.format_esr(esr_amp)} ({metrics.esr_verdict(esr_amp)})"),
        ("cycles per sample", _fmt(f["cycles_per_sample"], ",.1f")),
        ("cycles per block (min / max)",
         f"{_fmt(f['block_cycles_min'], ',')} / {_fmt(f['block_cycles_max'], ',')}"
         f" of {f['block_budget_cycles']:,.0f} ({f['blocks']:,} blocks of {f['block_size']})"),
        ("CPU load (mean / peak block)",
         f"{_fmt(None if f['cpu_load'] is None else 100 * f['cpu_load'], '.1f')} % / "
         f"{_fmt(None if f['peak_load'] is None else 100 * f['peak_load'], '.1f')} %"),
        ("deadline misses", str(f["deadline_misses"])),
        ("latency (samples)", str(f["latency_samples"])),
    ]
    if rec.memory:
        rows.append(("flash / RAM", f"{rec.memory['flash_bytes']:,} B / {rec.memory['ram_bytes']:,} B"))
    body = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="figures">\n{body}\n</table>'


_CSS = """body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}
table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0;vertical-align:top}
th{font-weight:600}img{max-width:100%}pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:20em}"""


def write_report(
    run: str | Path | RunRecord, out: str | Path, *, robot_log: str | Path | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Write the HTML report of ``run`` (a RunRecord, a run folder or its run.json) to ``out``.

    ``robot_log`` links a Robot Framework log; by default ``results/robot/log.html`` is linked when it
    exists. Returns the path written.
    """
    rec = run if isinstance(run, RunRecord) else load_record(run)
    out = Path(out)
    if len(rec.result.output) == 0:
        raise M7Error("the run has no output samples: nothing to report")
    sections: list[tuple[str, str]] = []
    progress("report: waveforms")
    sections.append(("Waveforms", _img(plot_waveforms(rec), "waveforms")))
    if rec.reference is not None or rec.target is not None:
        progress("report: error spectrogram")
        png, what = plot_error_spectrogram(rec)
        caption = f"<p>{html.escape(error_caption(rec))}</p>" if rec.reference is not None else ""
        sections.append((f"Error spectrogram (firmware − {what})", _img(png, "error spectrogram") + caption))
    if len(rec.result.block_cycles):
        progress("report: cycles per block and CPU load")
        sections.append(("Cycles per block", _img(plot_cycles_histogram(rec), "cycles histogram")))
        sections.append(("CPU load over time", _img(plot_cpu_load(rec), "CPU load")))
    rows = memory_rows(rec.memory)
    if rows:
        engine = engine_memory_line(rec.memory)
        sections.append(("Flash and RAM", _img(plot_memory(rows), "memory")
                         + (f"<p>{html.escape(engine)}</p>" if engine else "")))
    if rec.result.uart:
        sections.append(("UART log (USART3)", f"<pre>{html.escape(rec.result.uart)}</pre>"))
    log = Path(robot_log) if robot_log is not None else DEFAULT_ROBOT_LOG
    if log.is_file():
        href = Path(os.path.relpath(log.resolve(), out.resolve().parent)).as_posix()
        sections.append(("Robot Framework", f'<p><a href="{html.escape(href)}">Robot log</a></p>'))
    body = "\n".join(f"<h2>{html.escape(title)}</h2>\n{content}" for title, content in sections)
    page = (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(rec.title)}</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>{html.escape(rec.title)}</h1>\n"
            f"{_figures_table(rec)}\n{body}\n</body></html>\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    progress(f"report: {out}")
    return out


def _img(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


# ---- CLI: m7amp report ----


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, metavar="RUN_JSON_OR_DIR",
                        help="a run folder (run.json + signals.npz, as `m7amp demo` writes) or its run.json")
    parser.add_argument("--out", type=Path, default=None,
                        help="HTML file to write (default: report.html in the run folder)")
    parser.add_argument("--robot-log", type=Path, default=None,
                        help=f"Robot Framework log.html to link (default: {DEFAULT_ROBOT_LOG} if present)")


def run(args: argparse.Namespace) -> int:
    folder = args.run if args.run.is_dir() else args.run.parent
    write_report(args.run, args.out or folder / "report.html", robot_log=args.robot_log)
    return 0
