"""``m7amp fit`` (m7amp/commands/fit.py) and ``m7amp train --preset auto``: the choice logic on injected
measurements, the option checks, one real small fit in the simulator with its cache, and the resolution
of ``--preset auto`` without training."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

import m7amp.commands.fit as fit_mod
from m7amp.cli import main
from m7amp.commands.fit import (
    AUDIO_BLOCK,
    Measurement,
    check_options,
    choose,
    default_blocks,
    fit,
    format_table,
)
from m7amp.errors import M7Error
from m7amp.playback import CORE_HZ
from tests._skips import REPO, requires_arm_gcc

SR = 48_000
BUDGET = CORE_HZ / SR  # 4500 cycles per sample


def m(preset: str, precision: str, macs: int, worst: float | None, params: int = 0,
      error: str | None = None) -> Measurement:
    return Measurement(preset, precision, macs, params or macs, None if worst is None else worst * 0.9,
                       worst, None if error else 40_000, None if error else 30_000, error)


def test_load_is_the_worst_block_over_the_budget() -> None:
    assert m("a", "f32", 10, 0.8 * BUDGET).load(SR) == pytest.approx(0.8)
    assert m("a", "f32", 10, 0.8 * BUDGET).load(44_100) == pytest.approx(0.8 * 44_100 / SR)
    assert m("a", "f32", 10, None, error="flash").load(SR) is None


def test_choose_largest_that_fits() -> None:
    ms = [m("small", "f32", 100, 0.3 * BUDGET), m("mid", "q15", 500, 0.79 * BUDGET),
          m("mid", "f32", 500, 0.95 * BUDGET), m("big", "f32", 2000, 1.5 * BUDGET),
          m("huge", "f32", 9000, None, error="does not fit in flash")]
    best = choose(ms, SR, 0.8)
    assert (best.preset, best.precision) == ("mid", "q15")  # mid f32 is over the headroom, big too
    assert choose(ms, SR, 1.0).preset == "mid" and choose(ms, SR, 1.0).precision == "f32"
    assert choose(ms, SR, 1.6).preset == "big"
    assert choose(ms, SR, 0.2) is None
    # at exactly the headroom it fits
    assert choose([m("edge", "f32", 10, 0.8 * BUDGET)], SR, 0.8) is not None
    # a lower sample rate gives a bigger budget: big fits at 0.8 headroom with 24 kHz
    assert choose(ms, 24_000, 0.8).preset == "big"


def test_choose_tie_breaks() -> None:
    # same MACs: more parameters wins; same model in both precisions: f32 wins over a lighter q15
    ms = [m("a", "f32", 400, 1000, params=50), m("b", "f32", 400, 1000, params=60)]
    assert choose(ms, SR, 0.8).preset == "b"
    both = [m("c", "q15", 400, 900), m("c", "f32", 400, 2000)]
    assert choose(both, SR, 0.8).precision == "f32"
    same = [m("d", "f32", 400, 2000), m("e", "f32", 400, 1500)]  # equal size: the lower load
    assert choose(same, SR, 0.8).preset == "e"


def test_table_says_fits_and_why_not() -> None:
    ms = [m("mid", "q15", 500, 0.5 * BUDGET), m("big", "f32", 2000, 1.5 * BUDGET),
          m("huge", "f32", 9000, None, error="model huge (f32) does not fit in FLASH")]
    lines = format_table(ms, SR, 0.8).splitlines()
    assert lines[0].split()[-1] == "fits"
    assert lines[1].startswith("mid ") and lines[1].endswith("yes") and "50.0%" in lines[1]
    assert lines[2].startswith("big ") and lines[2].endswith("no") and "150.0%" in lines[2]
    assert lines[3].startswith("huge ") and lines[3].endswith("no: model huge (f32) does not fit in FLASH")


@pytest.mark.parametrize(("rate", "block", "headroom", "match"), [
    (0, 32, 80, "--sample-rate must be positive"), (SR, 12, 80, "--block must be a multiple of 8"),
    (SR, 2048, 80, "--block must be"), (SR, 32, 0, "--headroom must be in"), (SR, 32, 120, "--headroom")])
def test_bad_options(rate: int, block: int, headroom: float, match: str) -> None:
    with pytest.raises(M7Error, match=match):
        check_options(rate, block, headroom)
    assert check_options(SR, 32, 80) == pytest.approx(0.8)


def test_unknown_candidate_is_one_line() -> None:
    with pytest.raises(M7Error, match=r"unknown candidate 'huge'"):
        fit_mod.measure(["nano", "huge"], ["f32"], 32, cache_file=None)


def test_audio_block_is_the_audio_apps_default() -> None:
    main_c = (REPO / "firmware" / "app" / "audio" / "main.c").read_text()
    cmake = (REPO / "firmware" / "CMakeLists.txt").read_text()
    assert re.search(r"#define M7AMP_AUDIO_BLOCK (\d+)u", main_c).group(1) == str(AUDIO_BLOCK)
    assert re.search(r"set\(M7AMP_AUDIO_BLOCK (\d+) CACHE", cmake).group(1) == str(AUDIO_BLOCK)


def test_default_blocks_cover_every_ring() -> None:
    assert default_blocks(32) * 32 >= 2048 and default_blocks(1024) == 8 and default_blocks(8) == 256


@requires_arm_gcc
def test_real_small_fit_and_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """nano (the committed package, no export) in both precisions, 8 blocks: measured in the simulator,
    then read back from the cache without building or simulating."""
    cache = tmp_path / "fit-cache.json"
    out: list[str] = []
    progress: list[str] = []
    best = fit(["nano"], ["f32", "q15"], SR, 32, 100.0, blocks=8, progress=progress.append, out=out.append,
               cache_file=cache)
    out = "\n".join(out).splitlines()
    rows = {line.split()[1]: line for line in out if line.startswith("nano ")}
    assert set(rows) == {"f32", "q15"}
    assert sum("build and run" in p for p in progress) == 2
    for line in rows.values():  # cycles, worst, load, flash and RAM are measured numbers
        fields = line.split()
        assert float(fields[4]) > 0 and float(fields[5]) >= float(fields[4])
        assert int(fields[7]) > 0 and int(fields[8]) > 16 * 1024
    if best is not None:
        assert best.preset == "nano" and out[-2].startswith("largest that fits: nano")
    else:
        assert out[-2].startswith("largest that fits: none")
    first = out[1:]

    def no_bench(*_: object, **__: object) -> dict:
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(fit_mod, "bench_engine_row", no_bench)
    again: list[str] = []
    progress.clear()
    fit(["nano"], ["f32", "q15"], SR, 32, 100.0, blocks=8, progress=progress.append, out=again.append,
        cache_file=cache)
    assert "\n".join(again).splitlines()[1:] == first and all(p.endswith(": cached") for p in progress)


@requires_arm_gcc
def test_same_elf_is_not_simulated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the input digests gone, the ELF is rebuilt (identical) and its figures come from its digest."""
    import json

    import m7amp.sim

    cache = tmp_path / "fit-cache.json"
    first = fit_mod.measure(["nano"], ["f32"], 32, 8, lambda _: None, cache)
    data = json.loads(cache.read_text())
    assert any(k.startswith("elf:") for k in data) and any(k.startswith("in:") for k in data)
    cache.write_text(json.dumps({k: v for k, v in data.items() if k.startswith("elf:")}))

    class NoSim:
        def __init__(self, *_: object) -> None:
            raise AssertionError("the ELF digest should have answered")

    monkeypatch.setattr(m7amp.sim, "Simulator", NoSim)
    assert fit_mod.measure(["nano"], ["f32"], 32, 8, lambda _: None, cache) == first


# ---- m7amp train --preset auto ----
def _fake_measure(picks: list[Measurement]):
    def measure(presets, precisions, block, blocks=None, progress=print, cache_file=None, remeasure=False):
        assert block == AUDIO_BLOCK
        return picks
    return measure


def test_train_preset_auto_trains_the_pick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import m7amp.training._run as run_mod
    from m7amp.models import load_config

    picks = [m("nano", "f32", 878, 0.5 * BUDGET), m("gru24", "q15", 1900, 0.7 * BUDGET),
             m("lite", "f32", 5000, 2.0 * BUDGET)]
    monkeypatch.setattr(fit_mod, "measure", _fake_measure(picks))
    seen: dict = {}

    def fake_training(data_spec, model_config, train_config, out, **kwargs):
        seen.update(model=model_config, data=data_spec)

    monkeypatch.setattr(run_mod, "run_training", fake_training)
    assert main(["train", "--synthetic", "--preset", "auto", "--out", str(tmp_path / "run")]) == 0
    assert seen["model"] == load_config("gru24")
    err = capsys.readouterr().err
    assert "largest that fits: gru24 q15" in err and "--preset auto -> gru24" in err


def test_train_preset_auto_nothing_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import m7amp.training._run as run_mod

    monkeypatch.setattr(fit_mod, "measure", _fake_measure([m("lite", "f32", 5000, 2.0 * BUDGET)]))
    monkeypatch.setattr(run_mod, "run_training", lambda *a, **k: pytest.fail("must not train"))
    assert main(["train", "--synthetic", "--preset", "auto", "--out", str(tmp_path / "run")]) == 2
    assert "--preset auto: no candidate runs in real time at 48000 Hz" in capsys.readouterr().err


def test_fit_cli_exit_status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(fit_mod, "measure", _fake_measure([m("nano", "f32", 878, 0.5 * BUDGET)]))
    assert main(["fit", "--candidates", "nano", "--precision", "f32"]) == 0
    assert "largest that fits: nano f32" in capsys.readouterr().out
    assert main(["fit", "--candidates", "nano", "--headroom", "40"]) == 1
    assert main(["fit", "--block", "30"]) == 2
    assert "m7amp fit: error: --block must be a multiple of 8" in capsys.readouterr().err


def test_parser_mentions_auto() -> None:
    from m7amp.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert "auto" in sub.choices["train"].format_help() and "fit" in sub.choices
