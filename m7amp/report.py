"""``m7amp report``: one self-contained HTML page for a played run (PNG plots embedded, no network).

Sections: the figures (ESR vs reference model and vs the amp, cycles per sample, CPU load, deadline
misses, latency); players for the input (DI), the amp (target), the reference model and the firmware
output with their levels (16-bit WAVs written beside the page, in ``<page>_audio/``); their waveforms on
the loudest 20 ms; the long-term average spectra of amp, model and firmware and the spectrogram
difference firmware − amp; the ESR over time in windows with the worst window marked (and playable);
cycles per block (per-block line with min/avg/max, and a histogram binned to the actual spread); CPU
load over time; flash and RAM use; the UART log; a link to the Robot Framework log when there is one.
The input is a run folder written by :meth:`m7amp.record.RunRecord.save` (``m7amp demo`` and
``m7amp run --record`` write one). The CLI is m7amp/commands/report.py.
"""

from __future__ import annotations

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


def _compared(rec: RunRecord) -> tuple[np.ndarray, str]:
    """What the firmware output is judged against: the amp when known, else the reference model."""
    if rec.target is not None:
        return rec.target, "amp"
    if rec.reference is not None:
        return rec.reference, "reference model"
    raise M7Error("the run has neither a target nor a reference signal: nothing to compare against")


def _db(power: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(power, 1e-20))


def plot_spectra(rec: RunRecord) -> str:
    """Long-term average spectra (Welch) of the amp, the reference model and the firmware output."""
    from scipy.signal import welch

    sr = rec.result.sample_rate
    fig = _figure()
    ax = fig.add_subplot()
    curves = [("amp (target)", rec.target, "tab:orange", 2.2),
              ("model (reference)", rec.reference, "tab:green", 1.4),
              ("firmware", rec.result.output, "tab:red", 0.9)]
    top = -np.inf
    for label, signal, colour, width in curves:
        if signal is None:
            continue
        f, pxx = welch(np.asarray(signal, np.float64), fs=sr, nperseg=min(4096, len(signal)))
        level = _db(pxx[1:] * sr / 2)  # power spectral density × sr/2: a full-scale sine reads about 0 dB
        ax.semilogx(f[1:], level, label=label, color=colour, lw=width)
        top = max(top, float(level.max()))
    ax.set_xlim(20, sr / 2)
    ax.set_ylim(top - LTAS_RANGE_DB, top + 5)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("level (dB)")
    ax.set_title("long-term average spectrum")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


SPECTRO_RANGE_DB = 20.0  # colour scale of the spectrogram difference: ±20 dB
SPECTRO_FLOOR_DB = 60.0  # cells this far below the loudest in both signals are shown as 0 dB (inaudible)
LTAS_RANGE_DB = 100.0  # the long-term spectra are drawn down to 100 dB below their peak


def plot_spectrogram_difference(rec: RunRecord) -> tuple[str, str]:
    """Spectrogram of the firmware output minus that of the amp (dB), per time-frequency cell."""
    from scipy.signal import spectrogram

    ref, what = _compared(rec)
    sr = rec.result.sample_rate
    n = min(len(ref), len(rec.result.output))
    seg = min(2048, n)
    kw = {"fs": sr, "nperseg": seg, "noverlap": seg * 3 // 4}
    f, t, s_out = spectrogram(np.asarray(rec.result.output[:n], np.float64), **kw)
    _, _, s_ref = spectrogram(np.asarray(ref[:n], np.float64), **kw)
    out_db, ref_db = _db(s_out), _db(s_ref)
    floor = max(out_db.max(), ref_db.max()) - SPECTRO_FLOOR_DB
    diff = np.maximum(out_db, floor) - np.maximum(ref_db, floor)
    fig = _figure()
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(t, f / 1000, diff, shading="auto", cmap="RdBu_r", vmin=-SPECTRO_RANGE_DB,
                         vmax=SPECTRO_RANGE_DB)
    fig.colorbar(mesh, ax=ax, label=f"firmware − {what} (dB)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (kHz)")
    ax.set_title(f"spectrogram difference: firmware − {what} (red: firmware louder)")
    return _png(fig), what


ESR_WINDOW_SECONDS = 0.1
QUIET_WINDOW_DB = 30.0  # windows this far below the signal's mean power are not ranked (ESR of near-silence)


def esr_windows(reference: np.ndarray, output: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """ESR of ``output`` vs ``reference`` per ``n``-sample window, and which windows are loud enough to
    rank (mean power within QUIET_WINDOW_DB of the whole signal's)."""
    m = min(len(reference), len(output)) // n
    y = np.asarray(reference[:m * n], np.float64).reshape(m, n)
    e = y - np.asarray(output[:m * n], np.float64).reshape(m, n)
    energy = np.sum(y * y, axis=1)
    ranked = energy > np.mean(energy) * 10 ** (-QUIET_WINDOW_DB / 10)
    return np.sum(e * e, axis=1) / np.maximum(energy, 1e-30), ranked


def plot_esr_over_time(rec: RunRecord) -> tuple[str, int, int, float, str]:
    """ESR per window vs the amp (and vs the reference model); returns (png, worst start, window,
    worst ESR, compared-against)."""
    ref, what = _compared(rec)
    sr = rec.result.sample_rate
    n = max(1, min(int(ESR_WINDOW_SECONDS * sr), len(rec.result.output), len(ref)))
    esr_t, ranked = esr_windows(ref, rec.result.output, n)
    worst = int(np.argmax(np.where(ranked, esr_t, -np.inf)))
    t = (np.arange(len(esr_t)) + 0.5) * n / sr
    fig = _figure()
    ax = fig.add_subplot()
    ax.semilogy(t, np.maximum(esr_t, 1e-12), "o-", ms=3, lw=1, color="tab:red", label=f"firmware vs {what}")
    if what == "amp" and rec.reference is not None:
        esr_r, _ = esr_windows(rec.reference, rec.result.output, n)
        ax.semilogy(t, np.maximum(esr_r, 1e-12), "o-", ms=2, lw=0.8, color="tab:green",
                    label="firmware vs reference model")
    ax.axvspan(worst * n / sr, (worst + 1) * n / sr, color="tab:red", alpha=0.15,
               label=f"worst window ({t[worst]:.2f} s, ESR {esr_t[worst]:.3g})")
    if not ranked.all():
        ax.plot(t[~ranked], np.maximum(esr_t[~ranked], 1e-12), "x", color="0.5", label="too quiet to rank")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("ESR")
    ax.set_title(f"ESR over time ({1000 * n / sr:.0f} ms windows)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig), worst * n, n, float(esr_t[worst]), what


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


def cycle_bins(lo: int, hi: int, most: int = 40) -> np.ndarray:
    """Histogram edges over [lo, hi] only (not the budget): whole-cycle bins, at most ``most`` of them,
    centred on whole cycles, so that equal blocks make one visible bar."""
    width = max(1, int(np.ceil((hi - lo + 1) / most)))
    return np.arange(lo, hi + width + 1, width) - 0.5


def plot_cycles(rec: RunRecord) -> tuple[str, str]:
    """Cycles per block: per block in order with min/avg/max lines, and a histogram whose bins follow the
    actual spread (whole cycles; a single bar when every block costs the same). Returns (png, caption)."""
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    r = rec.result
    cycles = np.asarray(r.block_cycles, np.int64)
    budget = r.block_size * CORE_HZ / r.sample_rate
    lo, hi, avg = int(cycles.min()), int(cycles.max()), float(cycles.mean())
    fig = _figure(height=3.2)
    line, hist = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    whole = StrMethodFormatter("{x:,.0f}")
    line.plot(np.arange(len(cycles)), cycles, ".", ms=2, alpha=0.5, color="tab:blue")
    for value, label, style, colour in ((hi, "max", "--", "tab:red"), (avg, "avg", "-", "0.2"),
                                        (lo, "min", ":", "tab:green")):
        line.axhline(value, color=colour, ls=style, lw=1, label=f"{label} {value:,.0f}")
    pad = max(1.0, 0.15 * (hi - lo))
    line.set_ylim(lo - pad, hi + 2.5 * pad)  # room for the legend above the blocks
    line.yaxis.set_major_formatter(whole)
    line.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    line.set_xlabel("block")
    line.set_ylabel("DWT cycles")
    line.set_title(f"per block ({r.block_size} samples each)")
    line.legend(fontsize=7, ncol=3, loc="upper center")
    edges = cycle_bins(lo, hi)
    width = int(edges[1] - edges[0])
    hist.hist(cycles, bins=edges, color="tab:blue")
    hist.set_xlim(lo - pad, hi + pad)
    hist.xaxis.set_major_formatter(whole)
    hist.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    hist.tick_params(axis="x", labelsize=7)
    hist.set_xlabel(f"cycles ({width:,}-cycle bins)")
    hist.set_ylabel("blocks")
    hist.set_title("distribution")
    caption = (f"{len(cycles):,} blocks: min {lo:,} / avg {avg:,.0f} / max {hi:,} cycles "
               f"(spread {hi - lo:,}); "
               f"budget {budget:,.0f} cycles per block (block × {CORE_HZ / 1e6:.0f} MHz / "
               f"{r.sample_rate:,} Hz): the worst block uses {100 * hi / budget:.1f} % of it.")
    return _png(fig), caption


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


def level_dbfs(x: np.ndarray) -> tuple[float, float]:
    """Peak and RMS level of ``x`` in dBFS (full scale 1.0; -inf for digital silence)."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore"):
        return float(20 * np.log10(np.max(np.abs(x)))), float(10 * np.log10(np.mean(x * x)))


def _signals(rec: RunRecord) -> list[tuple[str, str, np.ndarray]]:
    """(file stem, label, samples) of each signal the run has, in listening order."""
    named = [("input", "input (DI)", rec.input), ("target", "amp (target)", rec.target),
             ("reference", "model (reference)", rec.reference),
             ("firmware", "firmware output", rec.result.output)]
    return [(stem, label, x) for stem, label, x in named if x is not None]


def _audio_tag(href: str) -> str:
    return f'<audio controls preload="metadata" src="{html.escape(href)}"></audio>'


def write_players(rec: RunRecord, out: Path) -> str:
    """Write each signal as a 16-bit WAV into ``<out stem>_audio/`` (linked relatively) and return the
    table of players with each signal's level."""
    from m7amp.audio import write_wav

    folder = out.parent / f"{out.stem}_audio"
    folder.mkdir(parents=True, exist_ok=True)
    sr = rec.result.sample_rate
    rows = []
    for stem, label, x in _signals(rec):
        href = f"{folder.name}/{stem}.wav"
        write_wav(out.parent / href, x, sr, subtype="PCM_16")
        peak, rms = level_dbfs(x)
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{_audio_tag(href)}</td>"
                    f"<td>peak {peak:.1f} dBFS</td><td>RMS {rms:.1f} dBFS</td></tr>")
    return '<table class="players">\n' + "\n".join(rows) + "\n</table>"


def worst_players(rec: RunRecord, out: Path, start: int, n: int, what: str) -> str:
    """Players for one second (at least the window) of the compared signal and the firmware output
    centred on the worst window."""
    from m7amp.audio import write_wav

    sr = rec.result.sample_rate
    ref, _ = _compared(rec)
    span = min(max(n, sr), len(rec.result.output))
    a = max(0, min(start + n // 2 - span // 2, len(rec.result.output) - span))
    folder = out.parent / f"{out.stem}_audio"
    cells = []
    for stem, label, x in (("worst_compared", what, ref), ("worst_firmware", "firmware", rec.result.output)):
        href = f"{folder.name}/{stem}.wav"
        write_wav(out.parent / href, x[a:a + span], sr, subtype="PCM_16")
        cells.append(f"<tr><th>{html.escape(label)}, {a / sr:.2f}–{(a + span) / sr:.2f} s</th>"
                     f"<td>{_audio_tag(href)}</td></tr>")
    return '<table class="players">\n' + "\n".join(cells) + "\n</table>"


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
        ("cycles per block (min / avg / max)",
         f"{_fmt(f['block_cycles_min'], ',')} / {_fmt(f['block_cycles_avg'], ',.0f')} / "
         f"{_fmt(f['block_cycles_max'], ',')}"
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
th{font-weight:600}img{max-width:100%}audio{height:32px;width:320px}pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:20em}"""


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
    out.parent.mkdir(parents=True, exist_ok=True)
    sections: list[tuple[str, str]] = []
    progress("report: audio players")
    sections.append(("Listen", write_players(rec, out)))
    progress("report: waveforms")
    sections.append(("Waveforms", _img(plot_waveforms(rec), "waveforms")))
    if rec.reference is not None or rec.target is not None:
        progress("report: spectra and ESR over time")
        png, what = plot_spectrogram_difference(rec)
        caption = f"<p>{html.escape(error_caption(rec))}</p>" if rec.reference is not None else ""
        sections.append(("Spectra", _img(plot_spectra(rec), "spectra") + _img(png, "spectrogram difference")
                         + caption))
        png, start, n, worst, what = plot_esr_over_time(rec)
        sr = rec.result.sample_rate
        text = (f"Worst window: {start / sr:.2f}–{(start + n) / sr:.2f} s, ESR {worst:.3g} vs the {what} "
                f"(windows more than {QUIET_WINDOW_DB:.0f} dB below the mean power are not ranked). "
                "Listen to it:")
        sections.append(("ESR over time", _img(png, "ESR over time") + f"<p>{html.escape(text)}</p>"
                         + worst_players(rec, out, start, n, what)))
    if len(rec.result.block_cycles):
        progress("report: cycles per block and CPU load")
        png, caption = plot_cycles(rec)
        sections.append(("Cycles per block",
                         _img(png, "cycles per block") + f"<p>{html.escape(caption)}</p>"))
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
            f'<link rel="icon" href="data:,"><style>{_CSS}</style></head><body>\n'
            f"<h1>{html.escape(rec.title)}</h1>\n"
            f"{_figures_table(rec)}\n{body}\n</body></html>\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    progress(f"report: {out}")
    return out


def _img(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'
