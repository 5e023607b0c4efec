"""The hand-written engine's q15 path (firmware/engines/cmsis), built for the host: on the committed
default package it reproduces the numpy reference engine's q15 output bit for bit (the reference runs
the very descriptor the C engine runs, read back through ctypes), stays within the issue's ESR bound of
Keras, gives the same bits for any block split, and its init/reset/sizing behave as m7_engine.h says."""

from __future__ import annotations

import ctypes
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from m7amp.export._reference import Q15Engine, QOp
from m7amp.metrics import esr
from tests._skips import requires_arm_gcc, requires_host_cc
from tests.engines import _engine
from tests.export import _cmodel

DEFAULT = _engine.REPO / "training" / "default"
ESR_MAX = 1e-3  # issue #4: q15 engine vs Keras
Q15_SOURCES = sorted((_engine.ENGINE_DIR / "src").glob("*_q15.c"))
GUARD = np.int16(-12345)
N_GUARD = 32  # int16 guard words after every buffer
BUFS = {1: "input", 2: "audio", 3: "knobs", 4: "x", 5: "head", 6: "skip", 7: "h", 8: "out"}
KINDS = {1: "conv1x1", 2: "nam_layer", 3: "gated_layer", 4: "lstm", 5: "gru", 6: "output"}
pytestmark = requires_host_cc

_GLUE = """#include "m7_engine.h"
#include "{sym}.h"
const unsigned long glue_engine_size = sizeof(m7_engine_q15_t);
const unsigned long glue_state_bytes = M7_ENGINE_STATE_BYTES_Q15({macro});
const unsigned long glue_scratch_bytes = M7_ENGINE_SCRATCH_BYTES_Q15({macro}, 64u);
"""


class Lib:
    """Engine sources plus one package's C model sources in one shared library, q15 API typed."""

    def __init__(self, c_dir: Path, sources: list[str], symbol: str, out_dir: Path,
                 defines: tuple[str, ...] = ()):
        glue = _GLUE.format(sym=symbol, macro=symbol.upper())
        self.lib = _engine.build_engine(c_dir, sources, glue, out_dir / "engine_q15.so", "q15", defines)
        self.symbol = symbol

    def glue(self, name: str) -> int:
        return ctypes.c_ulong.in_dll(self.lib, f"glue_{name}").value

    def model(self, symbol: str | None = None) -> int:
        return ctypes.addressof(ctypes.c_char.in_dll(self.lib, symbol or self.symbol))

    def reference(self) -> Q15Engine:
        """The numpy reference engine on the descriptor compiled into this library."""
        m = _cmodel.Model.in_dll(self.lib, self.symbol)
        qops = []
        for i in range(m.n_ops):
            op = m.ops_q15[i]
            g = op.g
            kind = KINDS[g.kind]
            spec = SimpleNamespace(kind=kind, src=BUFS.get(g.src), dst=BUFS.get(g.dst), cond=BUFS.get(g.cond),
                                   in_ch=g.in_ch, out_ch=g.out_ch, dilation=g.dilation,
                                   state_frames=(g.kernel - 1) * g.dilation, skip_offset=g.skip_offset,
                                   input_skip=bool(g.input_skip), scale=0.0, weights={},
                                   gated=g.act == 2)  # M7_ACT_GATED: gated layers, NAM layers with gating
            cp = g.out_ch * (2 if spec.gated else 1)
            q, frac = {}, {"in": op.in_frac, "out": op.out_frac, "acc": op.acc_frac}

            def arr(name, n, shape, key, fname, q=q, frac=frac, op=op):
                a = _cmodel.read_array(getattr(op, name), n)
                if a is not None:
                    q[key], frac[key] = a.astype(np.int64).reshape(shape), getattr(op, fname)

            if kind == "conv1x1":
                arr("w", g.out_ch * g.in_ch, (g.out_ch, g.in_ch), "w", "w_frac")
                arr("b", g.out_ch, (g.out_ch,), "b", "b_frac")
            elif kind in ("nam_layer", "gated_layer"):
                arr("w", cp * g.kernel * g.in_ch, (cp, g.kernel, g.in_ch), "conv_w", "w_frac")
                arr("b", cp, (cp,), "conv_b", "b_frac")
                arr("mix_w", cp * g.cond_ch, (cp, g.cond_ch), "mix_w", "mix_w_frac")
                arr("res_w", g.out_ch * g.out_ch, (g.out_ch, g.out_ch), "res_w", "res_w_frac")
                arr("res_b", g.out_ch, (g.out_ch,), "res_b", "res_b_frac")
                frac["res_acc"] = op.res_acc_frac
            elif kind == "lstm":
                gh = 4 * g.out_ch
                arr("w", gh * g.in_ch, (gh, g.in_ch), "w_in", "w_frac")
                arr("b", gh, (gh,), "b", "b_frac")
                arr("w_h", gh * g.out_ch, (gh, g.out_ch), "w_h", "w_h_frac")
            elif kind == "gru":
                gh = 3 * g.out_ch
                arr("w", gh * g.in_ch, (gh, g.in_ch), "w_in", "w_frac")
                arr("b", gh, (gh,), "b_in", "b_frac")
                arr("w_h", gh * g.out_ch, (gh, g.out_ch), "w_h", "w_h_frac")
                arr("b_h", gh, (gh,), "b_h", "b_h_frac")
            else:
                q["scale"], frac["scale"] = np.array([op.scale], np.int64), op.scale_frac
            qops.append(QOp(spec, q, frac))  # type: ignore[arg-type]
        return Q15Engine(qops)


def guarded(n: int) -> np.ndarray:
    """``n`` int16 values then guard words; 8-byte aligned (numpy allocations are 16-aligned)."""
    buf = np.zeros(n + N_GUARD, np.int16)
    buf[n:] = GUARD
    assert buf.ctypes.data % 8 == 0
    return buf


def intact(buf: np.ndarray, n: int) -> bool:
    return bool(np.all(buf[n:] == GUARD))


class Engine:
    """One q15 engine instance with guarded state and scratch."""

    def __init__(self, el: Lib, max_block: int, model: int | None = None, state_bytes: int | None = None,
                 scratch_bytes: int | None = None):
        self.el, self.lib = el, el.lib
        self.model = model or el.model()
        self.struct = ctypes.create_string_buffer(el.glue("engine_size"))
        if state_bytes is None:
            state_bytes = el.lib.m7_engine_state_bytes_q15(self.model)
        self.state_bytes = state_bytes
        if scratch_bytes is None:
            scratch_bytes = el.lib.m7_engine_scratch_bytes_q15(self.model, max_block)
        self.scratch_bytes = scratch_bytes
        self.state = guarded((self.state_bytes + 1) // 2)
        self.scratch = guarded((self.scratch_bytes + 1) // 2)
        self.status = self.lib.m7_engine_init_q15(self.struct, self.model, self.state.ctypes.data,
                                                  self.state_bytes, self.scratch.ctypes.data,
                                                  self.scratch_bytes, max_block)

    def guards_intact(self) -> bool:
        return intact(self.state, (self.state_bytes + 1) // 2) and intact(self.scratch,
                                                                          (self.scratch_bytes + 1) // 2)

    def run(self, xq: np.ndarray, block: int) -> np.ndarray:
        """Q15 input ``(T, 1+K)`` from the current state in blocks of ``block``; int16 output."""
        audio = np.ascontiguousarray(xq[:, 0], np.int16)
        knobs = np.ascontiguousarray(xq[:, 1:], np.int16) if xq.shape[1] > 1 else None
        out = guarded(len(audio))
        for s in range(0, len(audio), block):
            k = None if knobs is None else knobs[s : s + block].ctypes.data
            st = self.lib.m7_engine_process_q15(self.struct, audio[s:].ctypes.data, k, out[s:].ctypes.data,
                                                min(block, len(audio) - s))
            assert st == 0, st
        assert intact(out, len(audio)), "output guard words overwritten"
        return out[: len(audio)].copy()


@pytest.fixture(scope="module")
def nano(tmp_path_factory) -> tuple[Lib, dict, np.ndarray, np.ndarray]:
    meta = json.loads((DEFAULT / "metadata.json").read_text())
    sources = [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")]
    el = Lib(DEFAULT / "c", sources, meta["c"]["q15"]["symbol"], tmp_path_factory.mktemp("nano_q15"))
    x = np.load(DEFAULT / meta["golden"]["input"]).astype(np.float32)
    y = np.load(DEFAULT / meta["golden"]["output"]).astype(np.float32)
    return el, meta, x, y


@pytest.fixture(scope="module")
def xq(nano) -> np.ndarray:
    return Q15Engine.quantize_input(nano[2]).astype(np.int16)


@pytest.fixture(scope="module")
def nano_out(nano, xq) -> np.ndarray:
    eng = Engine(nano[0], max_block=64)
    assert eng.status == 0
    return eng.run(xq, 64)


def test_q15_engine_is_bit_exact_with_the_reference_and_close_to_keras(nano, xq, nano_out) -> None:
    el, meta, _, y = nano
    ref = el.reference()
    ref.reset()
    want = ref.process(xq.astype(np.int64))
    diff = int(np.abs(want - nano_out.astype(np.int64)).max())
    value = esr(y, nano_out / 32768.0)
    print(f"\nnano q15 engine: max |C - reference| = {diff} LSB, ESR vs Keras {value:.3e} "
          f"(reference in metadata: {meta['variants']['c_q15']['esr_vs_keras']:.3e})")
    assert diff == 0
    assert value <= ESR_MAX
    assert value == pytest.approx(meta["variants"]["c_q15"]["esr_vs_keras"], rel=1e-6)


@pytest.mark.parametrize(("block", "max_block"), [(1, 64), (32, 64), (37, 64), (1000, 64), (37, 1), (50, 7)])
def test_any_block_split_gives_the_same_bits(nano, xq, nano_out, block, max_block) -> None:
    eng = Engine(nano[0], max_block=max_block)
    assert eng.status == 0
    np.testing.assert_array_equal(eng.run(xq, block), nano_out)
    assert eng.guards_intact()


def test_specialised_kernels_equal_the_generic_loops_bit_for_bit(nano, xq, nano_out, tmp_path) -> None:
    """Issue 13: the fused/constant-size kernels (conv3, act_res, 1x1_small, compact X) against the
    general kernels alone (-DM7E_GENERIC_KERNELS), on nano (4 and 2 channels) and an odd block split."""
    meta = nano[1]
    sources = [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")]
    generic = Lib(DEFAULT / "c", sources, meta["c"]["q15"]["symbol"], tmp_path,
                  defines=("M7E_GENERIC_KERNELS",))
    eng = Engine(generic, max_block=64)
    assert eng.status == 0
    np.testing.assert_array_equal(eng.run(xq, 64), nano_out)
    np.testing.assert_array_equal(Engine(generic, max_block=64).run(xq, 37), nano_out)
    assert eng.guards_intact()


def test_reset_forgets_the_past(nano, xq, nano_out) -> None:
    eng = Engine(nano[0], max_block=32)
    eng.run(xq[::-1].copy(), 32)
    assert np.any(eng.state[: eng.state_bytes // 2] != 0)
    assert eng.lib.m7_engine_reset_q15(eng.struct) == 0
    assert not np.any(eng.state[: eng.state_bytes // 2])
    np.testing.assert_array_equal(eng.run(xq, 32), nano_out)
    assert eng.guards_intact()


def test_compile_time_sizes_match_the_queries_and_the_package(nano) -> None:
    el, meta, _, _ = nano
    assert el.glue("state_bytes") == el.lib.m7_engine_state_bytes_q15(el.model()) == meta["memory"][
        "state_bytes_q15"]
    assert el.glue("scratch_bytes") == el.lib.m7_engine_scratch_bytes_q15(el.model(), 64)


def test_init_rejects_bad_buffers_and_models_with_documented_codes(nano, xq) -> None:
    el, _, _, _ = nano
    s = _engine.STATUS
    state = el.lib.m7_engine_state_bytes_q15(el.model())
    scratch = el.lib.m7_engine_scratch_bytes_q15(el.model(), 16)
    assert Engine(el, 16, state_bytes=state - 2).status == s["M7_ERR_STATE_SIZE"]
    assert Engine(el, 16, scratch_bytes=scratch - 2).status == s["M7_ERR_SCRATCH_SIZE"]
    assert Engine(el, 0).status == s["M7_ERR_ARG"]
    f32 = el.model(el.symbol.replace("_q15", "_f32"))
    assert Engine(el, 16, model=f32).status == s["M7_ERR_PRECISION"]
    bad = Engine(el, 16, state_bytes=state - 2)
    out = guarded(4)
    assert el.lib.m7_engine_process_q15(bad.struct, xq[:4, 0].copy().ctypes.data, None, out.ctypes.data,
                                        4) == s["M7_ERR_NOT_INIT"]
    assert el.lib.m7_engine_reset_q15(bad.struct) == s["M7_ERR_NOT_INIT"]
    assert not np.any(out[:4]) and intact(out, 4)  # nothing written
    eng = Engine(el, 16)
    raw = guarded(state // 2 + 8)
    st = el.lib.m7_engine_init_q15(eng.struct, el.model(), raw.ctypes.data + 2, state,
                                   eng.scratch.ctypes.data, scratch, 16)
    assert st == s["M7_ERR_ALIGN"]
    st = el.lib.m7_engine_init_q15(eng.struct, el.model(), raw.ctypes.data, state,
                                   eng.scratch.ctypes.data + 2, scratch, 16)
    assert st == s["M7_ERR_ALIGN"]  # scratch holds int32 accumulators: 4-byte alignment
    st = el.lib.m7_engine_init_q15(eng.struct, None, raw.ctypes.data, state, eng.scratch.ctypes.data,
                                   scratch, 16)
    assert st == s["M7_ERR_NULL"]


# ---------------------------------------------------------------------------- freshly exported tiny models


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    from m7amp.export import export_package
    from tests.export.conftest import make_run_dir

    base = tmp_path_factory.mktemp("tiny_q15")
    out = {}
    for family in ("nam", "gated", "gru", "lstm"):
        run = make_run_dir(base / "runs" / family, family)
        meta = export_package(run, base / family, block_size=16, tflite=False, progress=lambda _: None)
        out[family] = (base / family, meta)
    return out


def _tiny_lib(tiny, family: str, tmp_path: Path) -> tuple[Lib, dict, Path]:
    pkg, meta = tiny[family]
    el = Lib(pkg / "c", [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")],
             meta["c"]["q15"]["symbol"], tmp_path)
    return el, meta, pkg


@pytest.mark.parametrize("family", ["nam", "gated", "gru", "lstm"])
def test_q15_engine_is_bit_exact_on_tiny_models(family, tiny, tmp_path) -> None:
    el, meta, pkg = _tiny_lib(tiny, family, tmp_path)
    x = np.load(pkg / meta["golden"]["input"]).astype(np.float32)
    y = np.load(pkg / meta["golden"]["output"]).astype(np.float32)
    xq = Q15Engine.quantize_input(x).astype(np.int16)
    eng = Engine(el, max_block=16)
    assert eng.status == 0
    out = eng.run(xq, 16)  # per-sample knobs where the model has one (gated)
    ref = el.reference()
    ref.reset()
    np.testing.assert_array_equal(out, ref.process(xq.astype(np.int64)))
    value = esr(y, out / 32768.0)
    print(f"\ntiny {family} q15 engine ESR vs Keras: {value:.3e}")
    assert value <= ESR_MAX
    if family in ("gru", "lstm"):  # the model adds the dry input: check the network's own part too
        dry = xq[:, 0] / 32768.0
        net = esr(y - dry, out / 32768.0 - dry)
        print(f"tiny {family} q15 network part (y - audio) ESR vs Keras: {net:.3e}")
        assert net <= ESR_MAX
    assert eng.lib.m7_engine_reset_q15(eng.struct) == 0
    np.testing.assert_array_equal(eng.run(xq, 5), out)
    assert eng.guards_intact()
    if meta["n_inputs"] == 1:
        return
    # held knobs: a constant knob given per frame equals set_knobs + knobs = NULL
    xc = xq.copy()
    xc[:, 1] = 8192
    assert eng.lib.m7_engine_reset_q15(eng.struct) == 0
    want = eng.run(xc, 16)
    assert eng.lib.m7_engine_reset_q15(eng.struct) == 0
    assert el.lib.m7_engine_set_knobs_q15(eng.struct, np.array([8192], np.int16).ctypes.data) == 0
    np.testing.assert_array_equal(eng.run(xc[:, :1].copy(), 16), want)


def test_q15_lstm_state_holds_int32_c_and_int16_h(tiny, tmp_path) -> None:
    el, meta, _ = _tiny_lib(tiny, "lstm", tmp_path)
    hd = 6  # tiny_lstm: c[6] int32 then h[6] int16
    assert el.lib.m7_engine_state_bytes_q15(el.model()) == el.glue("state_bytes") == meta["memory"][
        "state_bytes_q15"] == 6 * hd


@requires_arm_gcc
def test_q15_sources_compile_for_cortex_m7(tmp_path) -> None:
    assert Q15_SOURCES
    for src in Q15_SOURCES:
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16",
               *_engine.CFLAGS, "-c", "-I", str(_engine.ENGINE_DIR / "include"), str(src),
               "-o", str(tmp_path / "e.o")]
        subprocess.run(cmd, check=True)


def test_q15_engine_is_bit_exact_on_feather(tmp_path) -> None:
    """Issue 13: the 8- and 4-channel kernels (conv3, fused act+residual, mixer) on the feather preset
    (freshly initialised, exported on demand like the bench's) against the numpy reference, 4096 samples
    of its golden input in blocks of 32, and the generic kernels on the same input."""
    from m7amp.preset_package import preset_package

    pkg = preset_package("feather", progress=lambda _: None)
    meta = json.loads((pkg / "metadata.json").read_text())
    sources = [meta["c"][p]["source"].removeprefix("c/") for p in ("f32", "q15")]
    x = np.load(pkg / meta["golden"]["input"]).astype(np.float32)[:4096]
    fq = Q15Engine.quantize_input(x).astype(np.int16)
    el = Lib(pkg / "c", sources, meta["c"]["q15"]["symbol"], tmp_path)
    eng = Engine(el, max_block=32)
    assert eng.status == 0
    out = eng.run(fq, 32)
    ref = el.reference()
    ref.reset()
    np.testing.assert_array_equal(out, ref.process(fq.astype(np.int64)))
    assert np.any(out != 0) and eng.guards_intact()
    (tmp_path / "generic").mkdir()
    generic = Lib(pkg / "c", sources, meta["c"]["q15"]["symbol"], tmp_path / "generic",
                  defines=("M7E_GENERIC_KERNELS",))
    np.testing.assert_array_equal(Engine(generic, max_block=32).run(fq, 37), out)
