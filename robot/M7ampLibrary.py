"""Robot Framework keywords for m7amp: a thin layer over ``m7amp.targets`` (docs/targets.md).

One library instance per suite holds the target, the firmware it runs and the last played result.
Keywords read as sentences; the checks compare with the model package's reference output (the Keras
model) and the F767's real-time budget. A target that cannot run here skips the suite with its reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from robot.api import Failure, SkipExecution, logger
from robot.api.deco import keyword, library

from m7amp._quiet import quiet_native_logs
from m7amp.metrics import esr, format_esr
from m7amp.package import ENGINE_ESR_BOUND, Package, load_package
from m7amp.playback import PlayResult
from m7amp.targets import Target, TargetUnavailableError, build_firmware, get_target


@library(scope="SUITE", auto_keywords=False)
class M7ampLibrary:
    def __init__(self) -> None:
        self._target: Target | None = None
        self._package: Package | None = None
        self._precision = "f32"
        self._input: np.ndarray | None = None
        self._result: PlayResult | None = None
        self._ref: np.ndarray | None = None

    # ---- setup and teardown

    @keyword
    def use_target(self, name: str = "sim", **options: str) -> None:
        """Open target ``name`` (sim, renode, board) with constructor ``options``; skips if it cannot run."""
        try:
            self._target = get_target(name, **options)
        except TargetUnavailableError as exc:
            raise SkipExecution(str(exc)) from None

    @keyword
    def use_model_package(self, path: str | None = None, precision: str = "f32") -> None:
        """Pick the model package (default: the committed default) and the engine precision."""
        if precision not in ENGINE_ESR_BOUND:
            raise ValueError(f"precision must be one of {', '.join(ENGINE_ESR_BOUND)}, got {precision!r}")
        self._package = load_package(path or None)
        self._precision = precision

    @keyword
    def model_name(self) -> str:
        """The package's model name as the firmware prints it (``model=<name>``)."""
        return self._pkg().name

    @keyword
    def build_firmware_for_target(self) -> str:
        """Build the app the target runs (audio or hostlink) for the package; returns the ELF path."""
        return str(build_firmware(self._need_target().app, self._pkg().path, precision=self._precision))

    @keyword
    def load_firmware(self, elf: str) -> None:
        """Load ``elf`` on the target and start it from reset."""
        self._need_target().load(Path(elf))

    @keyword
    def close_target(self) -> None:
        if self._target is not None:
            self._target.close()
            self._target = None

    # ---- stimulus

    @keyword
    def write_builtin_guitar_wav(self, path: str, seconds: float = 1.0, seed: int = 7) -> str:
        """Write ``seconds`` of the built-in synthetic DI guitar at the model's rate to ``path``."""
        import soundfile as sf

        from m7amp.data import synth_guitar

        rate = self._pkg().sample_rate
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, synth_guitar(float(seconds), sample_rate=rate, seed=int(seed)), rate, subtype="FLOAT")
        return path

    @keyword
    def play_wav(self, path: str, seconds: float | None = None) -> None:
        """Play a WAV (any rate, mono or stereo: resampled to the model's rate, channels averaged) through
        the firmware; ``seconds`` keeps only the start of it."""
        from m7amp.data import load_audio, resample

        x, rate = load_audio(path)
        if seconds is not None:
            x = x[: int(float(seconds) * rate)]
        model_rate = self._pkg().sample_rate
        self._input = resample(x, rate, model_rate)
        self._result = self._need_target().play(self._input, model_rate)
        self._ref = None

    # ---- checks

    @keyword
    def esr_should_be_below(self, bound: float | None = None) -> None:
        """ESR of the firmware output vs the reference model < ``bound`` (default: the engine's bound for
        the precision: 1e-7 f32, 1e-3 q15)."""
        limit = float(bound) if bound is not None else ENGINE_ESR_BOUND[self._precision]
        value = self._esr_vs_reference()
        logger.info(f"ESR vs reference model: {format_esr(value)} (bound {limit:g})")
        if not value < limit:
            raise Failure(f"ESR vs reference model {format_esr(value)} is not below {limit:g}")

    @keyword
    def cycles_per_sample_should_be_below(self, limit: float) -> None:
        result = self._last()
        logger.info(f"{result.cycles_per_sample:,.1f} cycles/sample, CPU load {100 * result.cpu_load:.1f} %, "
                    f"peak block {100 * result.peak_load:.1f} %")
        if not result.cycles_per_sample < float(limit):
            raise Failure(f"{result.cycles_per_sample:,.1f} cycles/sample is not below {float(limit):,.0f} "
                          f"(CPU load {100 * result.cpu_load:.1f} %)")

    @keyword
    def no_deadline_misses(self) -> None:
        misses = self._last().deadline_misses
        if misses:
            raise Failure(f"{misses} deadline miss(es)")

    @keyword
    def uart_should_contain(self, text: str) -> None:
        log = self._need_target().uart_log()
        if text not in log:
            raise Failure(f"UART log does not contain {text!r}; it was:\n{log}")

    # ---- results

    @keyword
    def get_uart_log(self) -> str:
        return self._need_target().uart_log() if self._target is not None else ""

    @keyword
    def write_run_report(self, out: str) -> str:
        """Save the last run (run.json + signals.npz beside ``out``) and its HTML report to ``out``."""
        from m7amp.record import RunRecord
        from m7amp.report import write_report

        assert self._input is not None
        rec = RunRecord(input=self._input, result=self._last(), reference=self._reference(),
                        package=str(self._pkg().path), precision=self._precision, title="m7amp Robot run")
        rec.save(Path(out).parent)
        return str(write_report(rec, out, progress=lambda _: None))

    # ---- helpers

    def _need_target(self) -> Target:
        if self._target is None:
            raise RuntimeError("no target: call `Use Target` first")
        return self._target

    def _pkg(self) -> Package:
        if self._package is None:
            self._package = load_package()
        return self._package

    def _last(self) -> PlayResult:
        if self._result is None:
            raise RuntimeError("nothing played yet: call `Play Wav` first")
        return self._result

    def _reference(self) -> np.ndarray:
        """The reference model's output for the last input (computed once per played WAV)."""
        if self._ref is None:
            assert self._input is not None
            with quiet_native_logs():  # TensorFlow loads here: its absl/CUDA lines say nothing on a CPU
                self._ref = self._pkg().reference_output(self._input, self._last().io_bits)
        return self._ref

    def _esr_vs_reference(self) -> float:
        return esr(self._reference(), self._last().output)
