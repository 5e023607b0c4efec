"""The bench firmware (firmware/app/bench) and ``m7amp bench engine``: builds for f32 and q15, runs PASS
in the simulator, is deterministic, gives the same output bits as the host build of the engine, and
reports sane rows. No timing assertions (DESIGN: performance is measured by the benchmark table, not by
tests)."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np
import pytest

from m7amp.bench import (
    ENGINES,
    JSON_KEYS,
    KINDS,
    RNN_PRESETS,
    bench_engine_row,
    breakdown,
    kind_of,
    parse_bench_line,
)
from m7amp.cli import main
from m7amp.errors import M7Error
from m7amp.firmware import build_bench
from m7amp.package import DEFAULT_PACKAGE
from m7amp.sim import Simulator
from tests._skips import requires_arm_gcc, requires_host_cc
from tests.engines._engine import REPO, build_engine

META = json.loads((DEFAULT_PACKAGE / "metadata.json").read_text())
BLOCK, BLOCKS = 32, 8  # short runs: the numbers are per sample, so 8 blocks are enough to check them
BENCH_SIGNAL = REPO / "firmware" / "app" / "bench" / "bench_signal.c"


@pytest.fixture(scope="module", params=["f32", "q15"])
def row(request: pytest.FixtureRequest) -> dict:
    return bench_engine_row(DEFAULT_PACKAGE, request.param, BLOCK, BLOCKS)


@requires_arm_gcc
def test_row_is_sane(row: dict) -> None:
    prec = row["precision"]
    assert row["engine"] == "cmsis" and row["preset"] == META["name"]
    assert "error" not in row
    assert row["macs_per_sample"] == META["macs_per_sample"] > 0
    assert 0 < row["cycles_min"] <= row["cycles_per_sample"] * BLOCK <= row["cycles_max"]
    assert row["cycles_per_mac"] == pytest.approx(row["cycles_per_sample"] / row["macs_per_sample"], rel=1e-2)
    assert row["load_48k"] == pytest.approx(row["cycles_per_sample"] / 4500, rel=1e-3)
    assert row["load_44k1"] < row["load_48k"]
    # The ELF holds the weights in flash and the state (+ the 16 KB stack) in RAM.
    assert row["flash_bytes"] > row["weights_bytes"] >= META["memory"][f"weight_bytes_{prec}"]
    assert row["state_bytes"] == META["memory"][f"state_bytes_{prec}"]  # a multiple of 8 for nano
    assert row["ram_bytes"] >= row["state_bytes"] + row["scratch_bytes"] + 16 * 1024
    assert row["engine_ram"] == "dtcm"
    assert row["checksum"].startswith("0x") and len(row["checksum"]) == 10
    # The breakdown splits the timed cycles: its parts add up to cycles/sample, none negative.
    parts = [row[f"cycles_{k}"] for k in (*KINDS, "other")]
    assert min(parts) >= 0
    assert sum(parts) == pytest.approx(row["cycles_per_sample"], abs=0.5)


@requires_arm_gcc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_two_runs_identical(precision: str) -> None:
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], precision, block=BLOCK, blocks=BLOCKS)
    first, second = (Simulator(elf).run(max_cycles=2_000_000_000) for _ in range(2))
    for result in (first, second):
        assert result.stop_reason == "exit" and result.status == 0, result.uart
        assert "M7AMP BENCH PASS" in result.uart
    assert first.uart == second.uart  # cycles and output checksum
    assert first.cycles == second.cycles
    fields = parse_bench_line(first.uart)
    assert fields["model"] == META["name"] and fields["precision"] == precision
    assert (fields["block"], fields["blocks"]) == (str(BLOCK), str(BLOCKS))
    assert fields["ram"] == "dtcm"  # nano's state and scratch fit in DTCM


def fnv1a(data: bytes) -> int:
    """FNV-1a 32-bit, as the bench firmware computes its checksum."""
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def host_bench_output(precision: str, out_dir: Path, package: Path = DEFAULT_PACKAGE,
                      name: str = META["name"], block: int = BLOCK, blocks: int = BLOCKS) -> np.ndarray:
    """The bench's run on the host: the same signal source (bench_signal.c) and engine sources built as a
    shared library, the same block size and number of blocks."""
    glue = f'#include "m7_engine.h"\nconst unsigned long glue_size = sizeof(m7_engine_{precision}_t);\n'
    sources = [f"{name}_{precision}.c", str(BENCH_SIGNAL)]
    lib = build_engine(package / "c", sources, glue, out_dir / f"bench_{precision}.so", precision)
    dtype = np.float32 if precision == "f32" else np.int16
    n = block * blocks
    signal = np.zeros(n, dtype)
    getattr(lib, f"bench_signal_{precision}")(ctypes.c_void_p(signal.ctypes.data), ctypes.c_uint32(n))
    api = {k: getattr(lib, f"m7_engine_{k}_{precision}") for k in ("state_bytes", "scratch_bytes", "init",
                                                                    "process")}
    model = ctypes.addressof(ctypes.c_char.in_dll(lib, f"{name}_{precision}"))
    state_bytes, scratch_bytes = api["state_bytes"](model), api["scratch_bytes"](model, block)
    state = np.zeros(state_bytes // 8 + 1, np.uint64)  # 8-byte aligned, as the firmware's
    scratch = np.zeros(scratch_bytes // 8 + 1, np.uint64)
    eng = ctypes.create_string_buffer(ctypes.c_ulong.in_dll(lib, "glue_size").value)
    buffers = (state.ctypes.data, state_bytes, scratch.ctypes.data, scratch_bytes)
    status = api["init"](eng, model, *buffers, block)
    assert status == 0
    out = np.zeros(n, dtype)
    for b in range(blocks):
        s = b * block
        assert api["process"](eng, signal[s:].ctypes.data, None, out[s:].ctypes.data, block) == 0
    return out


@requires_arm_gcc
@requires_host_cc
@pytest.mark.parametrize("precision", ["f32", "q15"])
def test_simulator_output_equals_host_output(precision: str, tmp_path: Path) -> None:
    """Issue 4, "done when": the engine inside the F767 ELF gives the same output bits in the simulator
    as the engine built for the host, on the same input (FNV-1a over every output sample)."""
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], precision, block=BLOCK, blocks=BLOCKS)
    target = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)["checksum"]
    out = host_bench_output(precision, tmp_path)
    assert np.any(out != 0) and np.all(np.isfinite(out))  # a real signal went through
    assert f"0x{fnv1a(out.tobytes()):08x}" == target


@requires_arm_gcc
@requires_host_cc
@pytest.mark.parametrize("block", [BLOCK, 7, 10])
def test_simulator_output_equals_host_output_feather_q15(block: int, tmp_path: Path) -> None:
    """Issue 13: the hand-scheduled 8- and 4-channel q15 kernels (asm on the M7, C on the host) give the same
    bits on the feather preset (exported on demand, as the bench does); an odd block takes the two-frame
    kernels' odd-frame paths; block 10 the planned 8-channel layers' other cases (ring positions other than 0,
    the d = 1 layer's copied run, the mixer's frames beyond a multiple of 4)."""
    from m7amp.preset_package import preset_package

    pkg = preset_package("feather", progress=lambda _: None)
    build_dir = None if block == BLOCK else tmp_path / "fw"  # keep build/bench/feather_q15 at the usual block
    elf = build_bench(pkg / "c", "feather", "q15", block=block, blocks=BLOCKS, build_dir=build_dir)
    target = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)["checksum"]
    out = host_bench_output("q15", tmp_path, pkg, "feather", block)
    assert np.any(out != 0)
    assert f"0x{fnv1a(out.tobytes()):08x}" == target


@requires_arm_gcc
@requires_host_cc
def test_simulator_output_equals_host_output_odd_block_q15(tmp_path: Path) -> None:
    """Issue 13: the fused 2- and 4-channel q15 layers (asm on the M7; C = 2 takes frames two at a time and
    its odd frames in C) give the host's bits with an odd block (odd conv runs, odd n), over more samples than
    nano's longest dilation reaches back (1 024)."""
    block, blocks = 37, 30
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], "q15", block=block, blocks=blocks)
    target = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)["checksum"]
    out = host_bench_output("q15", tmp_path, block=block, blocks=blocks)
    assert np.any(out != 0)
    assert f"0x{fnv1a(out.tobytes()):08x}" == target


@requires_arm_gcc
@requires_host_cc
@pytest.mark.parametrize("block", [10, 20, 64])
def test_simulator_output_equals_host_output_nano_q15_even_blocks(block: int, tmp_path: Path) -> None:
    """Issue 13: nano's planned q15 layers with d < n and s >= n run as conv runs over the ring itself (no lin
    copy), with ring positions other than 0 and runs cut where either tap's slot wraps (block 10: d = 8, block
    20: d = 16, block 64: d = 32); the layers with s < n take lin; same bits as the host build."""
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], "q15", block=block, blocks=40,
                      build_dir=tmp_path / "fw")
    target = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)["checksum"]
    out = host_bench_output("q15", tmp_path, block=block, blocks=40)
    assert np.any(out != 0)
    assert f"0x{fnv1a(out.tobytes()):08x}" == target


@requires_arm_gcc
@requires_host_cc
def test_simulator_output_equals_host_output_odd_block_f32(tmp_path: Path) -> None:
    """Issue 13: nano's f32 asm passes (the 4-channel conv and residual four frames at a time, the
    2-channel conv four then two frames at a time, the LDRD ring copies) and their C remainders give the
    host's bits with an odd block (conv runs of every length mod 4, n mod 4 = 1), over more samples than
    nano's longest dilation reaches back (1 024)."""
    block, blocks = 37, 30
    elf = build_bench(DEFAULT_PACKAGE / "c", META["name"], "f32", block=block, blocks=blocks,
                      build_dir=tmp_path / "fw")
    target = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)["checksum"]
    out = host_bench_output("f32", tmp_path, block=block, blocks=blocks)
    assert np.any(out != 0) and np.all(np.isfinite(out))
    assert f"0x{fnv1a(out.tobytes()):08x}" == target


@requires_arm_gcc
@requires_host_cc
def test_standard_q15_runs_from_dtcm(tmp_path: Path) -> None:
    """Issue 13: standard q15's rings (96 KB) and scratch fit the apps' DTCM budget (m7_app_sizes.h), and
    the 12- and 16-channel q15 kernels give the host's bits there."""
    from m7amp.preset_package import preset_package

    pkg = preset_package("standard", progress=lambda _: None)
    elf = build_bench(pkg / "c", "standard", "q15", block=BLOCK, blocks=BLOCKS)
    fields = parse_bench_line(Simulator(elf).run(max_cycles=2_000_000_000).uart)
    assert fields["ram"] == "dtcm"
    out = host_bench_output("q15", tmp_path, pkg, "standard")
    assert np.any(out != 0)
    assert f"0x{fnv1a(out.tobytes()):08x}" == fields["checksum"]


def test_fnv1a_reference() -> None:
    # Published FNV-1a 32-bit test vectors.
    assert fnv1a(b"") == 0x811C9DC5
    assert fnv1a(b"a") == 0xE40C292C
    assert fnv1a(b"foobar") == 0xBF9CF968


def test_parse_rejects_failure() -> None:
    with pytest.raises(M7Error, match="did not pass"):
        parse_bench_line("M7AMP BENCH FAIL init -5\r\n")
    assert parse_bench_line("x\r\nM7AMP BENCH model=a cycles_total=7\r\nM7AMP BENCH PASS\r\n") == {
        "model": "a", "cycles_total": "7"}


def test_kind_of_function_names() -> None:
    assert kind_of("m7_conv_dilated_f32") == "conv"
    assert kind_of("m7_1x1_q15") == "1x1"
    assert kind_of("m7_conv1x1_f32") == "1x1"  # 1x1 work even inside a conv-named word
    assert kind_of("m7_act_tanh_f32") == "act"
    assert kind_of("m7_activation_q15") == "act"
    assert kind_of("m7_mix_cond_f32") == "mix"
    assert kind_of("m7_mixer_q15") == "mix"
    assert kind_of("m7_exact_sum") == "other"  # "act" must start a word
    assert kind_of("m7_wavenet_layer_f32") == "other"
    assert kind_of("memcpy") == "other"
    assert kind_of("expm1") == kind_of("tanhf") == "act"  # libm: only the activations call it
    assert kind_of("__aeabi_dadd") == "other"


def test_breakdown_sums_to_the_timed_cycles() -> None:
    profile = [("m7_conv_f32", 6400, 0, 0.0), ("m7_act_tanh_f32", 3200, 0, 0.0), ("main", 999_999, 0, 0.0),
               ("m7_mix_f32", 640, 0, 0.0)]
    got = breakdown(profile, cycles_per_sample=200.0, samples=64)
    assert got == {"cycles_1x1": 0.0, "cycles_conv": 100.0, "cycles_act": 50.0, "cycles_mix": 10.0,
                   "cycles_other": 40.0}


@requires_arm_gcc
def test_cli_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", "--precision", "q15", "--block", str(BLOCK), "--blocks", str(BLOCKS),
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    assert list(rows[0])[: len(JSON_KEYS)] == list(JSON_KEYS)
    assert rows[0]["engine"] == "cmsis" and rows[0]["preset"] == "nano" and rows[0]["precision"] == "q15"
    assert rows[0]["cycles_per_sample"] > 0 and rows[0]["flash_bytes"] > 0 and rows[0]["ram_bytes"] > 0
    assert {f"cycles_{k}" for k in (*KINDS, "other")} <= set(rows[0])


@requires_arm_gcc
def test_cli_table_with_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", "--precision", "f32", "--block", str(BLOCK), "--blocks", str(BLOCKS),
                 "--breakdown"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[1].split()
    assert header[:3] == ["engine", "preset", "prec"]
    assert header[-5:] == ["1x1", "conv", "act", "mix", "other"]
    cells = out[2].split()
    assert cells[:4] == ["cmsis", "nano", "f32", str(META["macs_per_sample"])]
    assert len(cells) == len(header)


@pytest.mark.parametrize(("args", "message"), [
    (["--preset", "nosuch"], "unknown preset 'nosuch'"),
    (["--precision", "f16"], "--precision: unknown 'f16'"),
    (["--engine", "other"], "--engine: unknown 'other' (available: cmsis, tflm)"),
    (["--preset", " , "], "--preset: give at least one value"),
    (["--blocks", "0"], "--block and --blocks must be at least 1"),
])
def test_cli_user_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "engine", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1  # one clear line


def test_tflm_engine_needs_a_tree(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("M7AMP_TFLM_DIR", raising=False)
    assert main(["bench", "engine", "--engine", "tflm,cmsis"]) == 2
    err = capsys.readouterr().err
    assert "the tflm engine needs a TFLM tree: give --tflm-dir or set M7AMP_TFLM_DIR" in err
    assert len(err.strip().splitlines()) == 1


def test_engines_registry() -> None:
    assert list(ENGINES) == ["cmsis", "tflm"]


@pytest.mark.parametrize(("argv", "want"), [
    (["--rnn"], list(RNN_PRESETS)),
    (["--preset", "nano,gru16", "--rnn"], ["nano", "gru16", *(p for p in RNN_PRESETS if p != "gru16")]),
    ([], ["nano"]),
])
def test_rnn_option_adds_the_rnn_rows(argv: list[str], want: list[str], monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import m7amp.bench
    import m7amp.preset_package

    asked: list[str] = []
    monkeypatch.setattr(m7amp.preset_package, "preset_package", lambda p, _progress, **_: Path(p))
    def row(pkg: Path, precision: str, *_: object) -> dict:
        asked.append(str(pkg))
        return {"preset": str(pkg), "precision": precision}

    monkeypatch.setattr(m7amp.bench, "bench_engine_row", row)
    assert main(["bench", "engine", "--precision", "f32", "--json", *argv]) == 0
    assert asked == want == [r["preset"] for r in json.loads(capsys.readouterr().out)]
    assert len(RNN_PRESETS) == 10 and {"lstm8", "lstm32", "gru8", "gru32"} <= set(RNN_PRESETS)
