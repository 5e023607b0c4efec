"""Generated C model sources: they compile warning-free (host and Cortex-M7), and the descriptor read back
through ctypes holds exactly the Keras weights (f32) or them within half an LSB (q15)."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from tests._skips import requires_arm_gcc, requires_host_cc
from tests.export import _cmodel
from tests.export.conftest import TINY

_FIELD_TO_WEIGHT = {
    "conv1x1": {"w": "w", "b": "b"},
    "nam_layer": {"w": "conv_w", "b": "conv_b", "mix_w": "mix_w", "res_w": "res_w", "res_b": "res_b"},
    "gated_layer": {"w": "conv_w", "b": "conv_b", "mix_w": "mix_w", "res_w": "res_w", "res_b": "res_b"},
    "lstm": {"w": "w_in", "b": "b", "w_h": "w_h"},
    "gru": {"w": "w_in", "b": "b_in", "w_h": "w_h", "b_h": "b_h"},
    "output": {},
}
_KIND = {"conv1x1": 1, "nam_layer": 2, "gated_layer": 3, "lstm": 4, "gru": 5, "output": 6}


def _keras_ops(run_dir, family):
    import keras

    from m7amp.models import describe

    model = keras.models.load_model(run_dir / "model.keras")
    return describe(model, TINY[family][0])


def _sources(pkg, meta):
    c = meta["c"]
    return [c["f32"]["source"].removeprefix("c/"), c["q15"]["source"].removeprefix("c/")]


@requires_host_cc
@pytest.mark.parametrize("family", list(TINY))
def test_c_descriptor_holds_the_keras_weights(family, run_dirs, c_packages, tmp_path) -> None:
    pkg, meta = c_packages[family]
    lib = _cmodel.build_shared(pkg / "c", _sources(pkg, meta), tmp_path / "model.so")
    ops = _keras_ops(run_dirs[family], family)
    f32 = _cmodel.Model.in_dll(lib, meta["c"]["f32"]["symbol"])
    q15 = _cmodel.Model.in_dll(lib, meta["c"]["q15"]["symbol"])
    for model in (f32, q15):
        assert model.format_version == 1
        assert model.n_ops == len(ops)
        assert model.n_inputs == meta["n_inputs"]
        assert model.macs_per_sample == meta["macs_per_sample"]
        assert model.receptive_field == meta["receptive_field"]
        assert model.state_len == sum(op.state_values for op in ops)
    assert f32.precision == 1 and not f32.ops_q15
    assert q15.precision == 2 and not q15.ops_f32
    checked = 0
    for i, op in enumerate(ops):
        cf, cq = f32.ops_f32[i], q15.ops_q15[i]
        for g in (cf.g, cq.g):
            assert (g.kind, g.in_ch, g.out_ch, g.kernel, g.dilation) == (
                _KIND[op.kind], op.in_ch, op.out_ch, op.kernel, op.dilation)
            assert g.state_len == op.state_values
        for field in _cmodel._PTRS:
            wname = _FIELD_TO_WEIGHT[op.kind].get(field)
            if wname is None or wname not in op.weights:
                assert not getattr(cf, field) and not getattr(cq, field), (op.name, field)
                continue
            w = op.weights[wname].ravel()
            got_f = _cmodel.read_array(getattr(cf, field), w.size)
            np.testing.assert_array_equal(got_f, w, err_msg=f"{op.name}.{field} (f32)")
            frac = getattr(cq, f"{field}_frac")
            got_q = _cmodel.read_array(getattr(cq, field), w.size).astype(np.float64) * 2.0**-frac
            lsb = 2.0**-frac
            assert np.abs(got_q - w).max() <= lsb / 2 + 1e-12, f"{op.name}.{field} (q15)"
            checked += w.size
        if op.kind == "output":
            assert cf.scale == np.float32(op.scale)
            assert abs(cq.scale * 2.0**-cq.scale_frac - op.scale) <= 2.0**-cq.scale_frac / 2
    assert checked == meta["parameters"]


@requires_host_cc
def test_generated_headers_size_buffers_at_compile_time(c_packages, tmp_path) -> None:
    pkg, meta = c_packages["nam"]
    sym = meta["c"]["f32"]["symbol"]
    prog = tmp_path / "sizes.c"
    macro = sym.upper()
    prog.write_text(
        f'#include "{sym}.h"\n#include <stdio.h>\n'
        f"static float state[{macro}_STATE_LEN];\nstatic float x[{macro}_X_LEN];\n"
        f"static float head[{macro}_HEAD_LEN];\nstatic float scratch[{macro}_SCRATCH_LEN];\n"
        f'int main(void) {{ printf("%u %u %u %u\\n", (unsigned)(sizeof state / sizeof *state),'
        f" (unsigned)(sizeof x / sizeof *x), (unsigned)(sizeof head / sizeof *head),"
        f" (unsigned)(sizeof scratch / sizeof *scratch)); return 0; }}\n"
    )
    exe = tmp_path / "sizes"
    cmd = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(pkg / "c"), str(prog),
           str(pkg / meta["c"]["f32"]["source"]), "-o", str(exe)]
    subprocess.run(cmd, check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    cfg = TINY["nam"][0]
    pairs = zip(cfg.channels, cfg.dilations, strict=True)
    state = sum(c * (cfg.kernel_size - 1) * sum(ds) for c, ds in pairs)
    assert [int(v) for v in out] == [state, max(cfg.channels), max(cfg.channels), 2 * max(cfg.channels)]
    assert meta["memory"]["state_bytes_f32"] == 4 * state
    assert meta["memory"]["state_bytes_q15"] == 2 * state


@requires_arm_gcc
@pytest.mark.parametrize("family", list(TINY))
def test_generated_c_compiles_for_cortex_m7(family, c_packages, tmp_path) -> None:
    pkg, meta = c_packages[family]
    for src in _sources(pkg, meta):
        cmd = ["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16", "-mfloat-abi=hard",
               "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Os", "-c", "-I", str(pkg / "c"),
               str(pkg / "c" / src), "-o", str(tmp_path / "m.o")]
        subprocess.run(cmd, check=True)
        size = subprocess.run(["arm-none-eabi-size", "-A", str(tmp_path / "m.o")], capture_output=True,
                              text=True, check=True).stdout
        # weights and descriptors are const (flash): nothing in .data or .bss
        sections = {line.split()[0]: int(line.split()[1]) for line in size.splitlines()[2:] if line.strip()
                    and line.split()[0].startswith(".")}
        assert sections.get(".data", 0) == 0 and sections.get(".bss", 0) == 0, sections


@requires_host_cc
def test_ctypes_mirror_matches_the_header_sizes(tmp_path) -> None:
    # Guards the mirror: a field added to m7_model.h without updating tests/export/_cmodel.py fails here.
    from m7amp.export._csrc import HEADER_PATH

    prog = tmp_path / "s.c"
    prog.write_text('#include "m7_model.h"\n#include <stdio.h>\nint main(void){printf("%zu %zu %zu %zu\\n",'
                    "sizeof(m7_op_geom_t),sizeof(m7_op_f32_t),sizeof(m7_op_q15_t),sizeof(m7_model_t));}\n")
    subprocess.run(["cc", "-std=c11", "-I", str(HEADER_PATH.parent), str(prog), "-o", str(tmp_path / "s")],
                   check=True)
    out = subprocess.run([str(tmp_path / "s")], capture_output=True, text=True, check=True).stdout.split()
    expected = [ctypes.sizeof(t) for t in (_cmodel.Geom, _cmodel.OpF32, _cmodel.OpQ15, _cmodel.Model)]
    assert [int(v) for v in out] == expected


_PACKED_CHECK = r"""
#include "{sym}.h"
#include <stdio.h>
/* each q15 NAM/gated layer's arrays lie contiguous as b | mix_w | w | res_b | res_w (those it has); only
 * layers of even width are counted (with an odd one the struct may pad before res_b; the fused kernels
 * take C = 2 and 4 only) */
int main(void) {{
    int packed = 0, layers = 0;
    for (unsigned k = 0; k < {sym}.n_ops; k++) {{
        const m7_op_q15_t *op = &{sym}.ops_q15[k];
        if ((op->g.kind != M7_OP_NAM_LAYER && op->g.kind != M7_OP_GATED_LAYER) || op->g.out_ch % 2u) continue;
        const unsigned c = op->g.out_ch * (op->g.act == M7_ACT_GATED ? 2u : 1u);
        const char *p = (const char *)op->b + 4u * c;
        int ok = op->mix_w ? (const char *)op->mix_w == p : 1;
        p += op->mix_w ? 2u * c * op->g.cond_ch : 0u;
        ok = ok && (const char *)op->w == p;
        p += 2u * c * op->g.in_ch * op->g.kernel;
        if (op->res_b) {{
            ok = ok && (const char *)op->res_b == p && (const char *)op->res_w == p + 4u * op->g.out_ch;
        }}
        layers++;
        packed += ok;
    }}
    printf("%d %d\n", layers, packed);
    return 0;
}}
"""


@requires_host_cc
@pytest.mark.parametrize("family", ["nam", "default"])
def test_q15_layer_weights_are_one_contiguous_block(family, c_packages, tmp_path) -> None:
    """The fused small-layer kernels read a layer's weights from op->b (m7_wavenet_q15.c): the exporter lays
    them out so (one struct per layer); else the driver falls back to copying them on every call."""
    from m7amp.export._csrc import HEADER_PATH

    if family == "default":
        cdir, sym = HEADER_PATH.parents[4] / "training" / "default" / "c", "nano_q15"
    else:
        pkg, meta = c_packages[family]
        cdir, sym = pkg / "c", meta["c"]["q15"]["symbol"]
    prog = tmp_path / "packed.c"
    prog.write_text(_PACKED_CHECK.format(sym=sym))
    exe = tmp_path / "packed"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", str(cdir), "-I",
                    str(HEADER_PATH.parent), str(prog), str(cdir / f"{sym}.c"), "-o", str(exe)], check=True)
    layers, packed = (int(v) for v in subprocess.run([str(exe)], capture_output=True, text=True,
                                                     check=True).stdout.split())
    assert layers > 0 and packed == layers
