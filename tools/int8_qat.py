"""Quantisation-aware fine-tuning (QAT) for the int8 TFLite variant, measured (issue 14; docs/tflite.md).

An experiment, not part of the export: on training/default it did not lower the int8 loss on the
held-out golden clip (docs/tflite.md "Quantisation-aware training"), so ``m7amp export`` keeps plain
post-training quantisation. Run it on a package trained on the built-in data or on a training run:

    PYTHONPATH=$PWD .venv/bin/python tools/int8_qat.py training/default --synthetic --epochs 6
    M7AMP_SHARED_DATA=../shared/data PYTHONPATH=$PWD .venv/bin/python tools/int8_qat.py RUN_DIR --epochs 6

``qat_finetune`` fine-tunes a copy of a trained WaveNet with the int8 rounding of the TFLite model in
its forward pass, then the copy goes through the ordinary post-training conversion
(``convert_whole`` / ``convert_streaming`` with the same representative data): the deployed file is
still a plain int8 ``.tflite``, only its weights were trained to live with the grid.

Fake quantisation sits where the TFLite converter puts an int8 tensor in the whole-clip graph:

- every convolution's weights, per output channel, symmetric (scale ``max|w| / 127``);
- the model input, every convolution output (bias included), the ``conv + mixer`` sums, residual sums,
  head sums and the head scale: ``fake_quant_with_min_max_vars`` with the min/max the converter's
  calibrator would record on ``rep_x`` (the float model, re-measured before every epoch);
- ``tanh`` outputs on TFLite's fixed int8 grid (scale 1/128, zero point 0), ``sigmoid`` outputs on
  1/256 (zero point -128).

Gradients pass straight through the rounding (zero outside the range). Channel slices keep their
input's grid (TFLite's STRIDED_SLICE does), so they are not quantised again. Only WaveNets (``NamLayer``,
``GatedLayer``) are supported: the RNNs have no whole-clip int8 variant to train for.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from m7amp.errors import M7Error

TANH_RANGE = (-1.0, 127 / 128)  # TFLite int8 TANH output: scale 1/128, zero point 0
SIGMOID_RANGE = (0.0, 255 / 256)  # TFLite int8 LOGISTIC output: scale 1/256, zero point -128


class _FakeQuant:
    """The fake-quantised forward pass of a Keras WaveNet (see module doc).

    ``observe`` mode runs the float model and records each quantisation point's min/max (eagerly);
    ``quant`` mode rounds every point to its recorded range (inside a ``tf.function``)."""

    def __init__(self, model: Any):
        import keras

        bad = [op.name for op in model.operations if isinstance(op, keras.layers.LSTM | keras.layers.GRU)]
        if bad:
            raise M7Error(f"--int8-qat supports WaveNet models only ({model.name} has {', '.join(bad)})")
        self.model = model
        self.observing = True
        self.seen: dict[str, list[float]] = {}
        self.ranges: dict[str, tuple[Any, Any]] = {}
        self.unions: dict[str, str] = {}  # point -> point whose range it must cover too

    # ------------------------------------------------------------------------------------- the points

    def point(self, key: str, t: Any, fixed: tuple[float, float] | None = None, record: bool = True) -> Any:
        """``t`` rounded to the grid of point ``key`` (recorded in observe mode unless not ``record``)."""
        tf = _tf()
        if fixed is not None:
            return t if self.observing else tf.quantization.fake_quant_with_min_max_args(
                t, min=fixed[0], max=fixed[1], num_bits=8)
        if self.observing:
            if not record:
                return t
            lo, hi = float(tf.reduce_min(t)), float(tf.reduce_max(t))
            old = self.seen.get(key, [0.0, 0.0])  # the converter's ranges always include 0
            self.seen[key] = [min(old[0], lo), max(old[1], hi)]
            return t
        lo_v, hi_v = self.ranges[key]
        return tf.quantization.fake_quant_with_min_max_vars(t, lo_v, hi_v, num_bits=8)

    def set_ranges(self) -> None:
        """Copy the observed ranges into the variables the compiled step reads (created once)."""
        tf = _tf()
        for key, other in self.unions.items():
            if key in self.seen and other in self.seen:
                (lo, hi), (lo2, hi2) = self.seen[key], self.seen[other]
                self.seen[key] = [min(lo, lo2), max(hi, hi2)]
        for key, (lo, hi) in self.seen.items():
            if hi - lo < 1e-8:
                hi = lo + 1e-8
            if key in self.ranges:
                self.ranges[key][0].assign(lo)
                self.ranges[key][1].assign(hi)
            else:
                self.ranges[key] = (tf.Variable(lo, trainable=False), tf.Variable(hi, trainable=False))
        self.seen = {}

    def conv(self, layer: Any, x: Any, key: str, record: bool = True) -> Any:
        """A causal Conv1D with per-channel fake-quantised weights and a fake-quantised output."""
        tf = _tf()
        w = layer.kernel.value if hasattr(layer.kernel, "value") else layer.kernel  # (k, in, out)
        if not self.observing:
            m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w), axis=[0, 1]), 1e-12))
            w = tf.quantization.fake_quant_with_min_max_vars_per_channel(w, -m, m, narrow_range=True)
        # A sum of shifted matmuls: TF's CPU kernels have no gradient for a dilated conv's input.
        k, d = int(layer.kernel_size[0]), int(layer.dilation_rate[0])
        t = tf.shape(x)[1]
        xp = tf.pad(x, [[0, 0], [(k - 1) * d, 0], [0, 0]])
        y = tf.add_n([tf.einsum("btc,cd->btd", xp[:, j * d : j * d + t], w[j]) for j in range(k)])
        if layer.use_bias:
            y = y + layer.bias
        return self.point(key, y, record=record)

    def layer(self, op: Any, inputs: list[Any]) -> Any:
        """``NamLayer`` / ``GatedLayer``: ``a = conv(x) + mixer(cond)``, gated or tanh, 1x1, residual."""
        tf = _tf()
        x, n = inputs[0], op.name
        mixer = getattr(op, "input_mixer", None) or getattr(op, "cond_mixer", None)
        if mixer is None:
            a = self.conv(op.conv, x, f"{n}/conv")
        else:  # the converter's grid for the dilated conv's output covers the sum it feeds too
            self.unions[f"{n}/conv"] = f"{n}/a"
            mixed = self.conv(mixer, inputs[1], f"{n}/mixer")
            a = self.point(f"{n}/a", self.conv(op.conv, x, f"{n}/conv") + mixed)
        c = op.channels
        if getattr(op, "gated", True):  # GatedLayer always, NamLayer when gated
            t = self.point(f"{n}/tanh", tf.tanh(a[..., :c]), TANH_RANGE)
            z = self.point(f"{n}/z", t * self.point(f"{n}/sigmoid", tf.sigmoid(a[..., c:]), SIGMOID_RANGE))
        else:
            z = self.point(f"{n}/tanh", tf.tanh(a), TANH_RANGE)
        if op.layer_1x1 is None:
            return z
        r = self.conv(op.layer_1x1, z, f"{n}/1x1")
        return [self.point(f"{n}/res", x + r), z]

    def _operation(self, op: Any) -> Callable[..., Any]:
        import keras

        from m7amp.models._layers import Channels, GatedLayer, NamLayer

        if isinstance(op, NamLayer | GatedLayer):
            return lambda inputs, **_: self.layer(op, inputs)
        if isinstance(op, keras.layers.Conv1D):
            return lambda x, **_: self.conv(op, x, op.name)
        if isinstance(op, Channels):
            return op  # same grid as its input (TFLite STRIDED_SLICE)

        def generic(*args: Any, **kwargs: Any) -> Any:
            out = op(*args, **kwargs)
            return self.point(op.name, out)

        return generic

    def __call__(self, x: Any) -> Any:
        x = self.point("input", x)
        return self.model._run_through_graph([x], operation_fn=self._operation)

    def observe(self, rep: np.ndarray, x_len: int) -> None:
        """Record every point's float min/max on the converter's calibration windows of ``rep``."""
        from m7amp.export._tflite import _windows

        tf = _tf()
        self.observing, self.seen = True, {}
        for w in _windows(rep, x_len):
            self(tf.constant(w))
        self.set_ranges()
        self.observing = False


def _tf() -> Any:
    import tensorflow as tf

    return tf


def qat_finetune(
    model: Any,
    x_train: np.ndarray,
    rep_x: np.ndarray,
    x_len: int,
    epochs: int,
    warmup: int,
    learning_rate: float = 1e-4,
    batch_size: int = 16,
    seed: int = 0,
    batch_esr: bool = False,
    progress: Callable[[str], None] = lambda s: print(s, flush=True),
) -> Any:
    """A copy of ``model`` fine-tuned ``epochs`` epochs with int8 fake quantisation (see module doc).

    The loss is self-distillation: the ESR of the fake-quantised copy against the float ``model`` on
    ``x_train`` ``(n, T, 1+K)``, the first ``warmup`` outputs of each segment excluded; against the
    float model, so the copy learns to reproduce it on the int8 grid rather than drift towards the
    targets. ``batch_esr``: one ESR over the batch (loud segments weigh most, as in training); else the
    mean of per-segment ESRs (quiet passages count as much; energies floored at 1 % of the median
    segment's). ``rep_x`` is the representative data the int8 conversion will calibrate on and ``x_len``
    the whole-clip length it converts for (the calibration windows); the ranges are re-measured on the
    float copy before every epoch, as the converter will measure them at the end.
    """
    import keras

    tf = _tf()
    if epochs < 1:
        raise M7Error(f"--int8-qat: epochs must be >= 1, got {epochs}")
    qmodel = keras.models.clone_model(model)
    qmodel.set_weights(model.get_weights())
    fq = _FakeQuant(qmodel)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    optimizer.build(qmodel.trainable_variables)
    variables = qmodel.trainable_variables
    channels = x_train.shape[-1]
    signature = [tf.TensorSpec([None, None, channels], tf.float32),
                 tf.TensorSpec([None, None, 1], tf.float32)]
    y_train = model.predict(x_train, batch_size=batch_size, verbose=0).astype(np.float32)
    # Near-silent segments would dominate a per-segment ESR: their energy is floored at -20 dB below
    # the median segment's.
    energy = np.sum(np.square(y_train[:, warmup:]), axis=(1, 2))
    floor = tf.constant(0.01 * float(np.median(energy)) + 1e-10, tf.float32)

    @tf.function(input_signature=signature)
    def step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            y_hat = fq(x)[:, warmup:]
            err = tf.reduce_sum(tf.square(y[:, warmup:] - y_hat), axis=[1, 2])
            energy = tf.reduce_sum(tf.square(y[:, warmup:]), axis=[1, 2])
            loss = (tf.reduce_sum(err) / tf.reduce_sum(energy) if batch_esr
                    else tf.reduce_mean(err / tf.maximum(energy, floor)))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss

    n = len(x_train)
    batch = min(batch_size, n)
    for epoch in range(1, epochs + 1):
        fq.observe(rep_x, x_len)
        order = np.random.default_rng([seed, epoch]).permutation(n)
        losses = [float(step(x_train[idx], y_train[idx]))
                  for idx in (np.sort(order[s * batch : (s + 1) * batch]) for s in range(n // batch))]
        if not np.isfinite(losses).all():
            raise M7Error(f"--int8-qat diverged in epoch {epoch}: lower the learning rate")
        progress(f"int8 QAT epoch {epoch}/{epochs}  ESR vs float {np.mean(losses):.4g}")
    return qmodel


def fake_quant_predict(model: Any, x: np.ndarray, rep_x: np.ndarray, x_len: int) -> np.ndarray:
    """``model``'s fake-quantised output on ``x`` ``(T, 1+K)`` with ranges from ``rep_x``: what the int8
    TFLite model of it should give (a check of the simulation)."""
    tf = _tf()
    fq = _FakeQuant(model)
    fq.observe(rep_x, x_len)
    return np.asarray(fq(tf.constant(np.asarray(x, np.float32)[None])))[0, :, 0]


def _source(path: Path, synthetic: bool) -> tuple[Any, np.ndarray, np.ndarray, Any, dict[str, Any]]:
    """(model, golden input, golden target, dataset, model config dict) of a package or a run folder."""
    import keras

    import m7amp.models  # noqa: F401  (registers the custom layers)
    from m7amp.data import load_dataset, load_manifest
    from m7amp.training._run import dataset_from_spec

    model = keras.models.load_model(path / "model.keras", compile=False)
    if (path / "metadata.json").is_file():
        if not synthetic:
            raise M7Error(f"{path} is a package: give --synthetic (it was trained on the built-in data)")
        meta = json.loads((path / "metadata.json").read_text())
        syn = meta["training"]["data"]["synthetic"]
        ds = dataset_from_spec({"synthetic": {"seconds": syn["seconds"], "knob_values": syn["knob_values"],
                                              "seed": syn["seed"], "sample_rate": meta["sample_rate"]}})
        return model, np.load(path / "golden" / "input.npy"), np.load(path / "golden" / "target.npy"), ds, \
            meta["config"]
    if not (path / "run.json").is_file():
        raise M7Error(f"{path} is neither a package (metadata.json) nor a training run (run.json)")
    run = json.loads((path / "run.json").read_text())
    with np.load(path / "data.npz") as npz:  # the golden second as export_package cuts it
        n = min(npz["test_x"].shape[1], int(run["sample_rate"]))
        n -= n % 32
        gx, gy = npz["test_x"][0, :n], npz["test_y"][0, :n, 0]
    return model, gx, gy, load_dataset(load_manifest(path / "data.toml")), run["model"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path, help="model package (with --synthetic) or training run folder")
    ap.add_argument("--synthetic", action="store_true", help="the package was trained on the built-in data")
    ap.add_argument("--epochs", type=int, default=6, help="QAT epochs over the training segments (6)")
    ap.add_argument("--lr", type=float, default=3e-5, help="Adam learning rate (3e-5)")
    ap.add_argument("--loss", choices=("batch", "segment"), default="batch",
                    help="ESR vs the float model over each batch (loud passages weigh most) or per segment")
    args = ap.parse_args()
    if args.epochs < 1 or args.lr <= 0:
        print("error: --epochs must be >= 1 and --lr > 0", file=sys.stderr)
        return 2

    from m7amp.data import make_segments
    from m7amp.export import _tflite
    from m7amp.metrics import esr
    from m7amp.models import config_from_dict
    from m7amp.training._config import TrainConfig
    from m7amp.training._train import representative_data, segment_length, warmup_samples

    try:
        model, gx, target, ds, cfg_dict = _source(args.source, args.synthetic)
    except M7Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cfg, tc = config_from_dict(cfg_dict), TrainConfig()
    rep = representative_data(ds)
    warmup = warmup_samples(cfg, tc)
    x_train, _ = make_segments(ds, "train", warmup, segment_length(cfg, tc))
    keras_out = model.predict(gx[None], verbose=0)[0, :, 0]
    f32 = esr(target, keras_out)
    rows: list[tuple[str, float, float]] = []

    def add(name: str, y: np.ndarray) -> None:
        rows.append((name, esr(keras_out, y), esr(target, y) - f32))
        print(f"  {name}: loss vs f32 {rows[-1][2]:+.4f}", flush=True)

    def rounded_input(b: bytes) -> np.ndarray:
        io = _tflite.tflite_io(b)["input"]
        s, z = io["scale"], io["zero_point"]
        return ((np.clip(np.round(gx / s) + z, -128, 127) - z) * s).astype(np.float32)

    ptq = _tflite.convert_whole(model, len(gx), "int8", rep)
    add("int8 post-training (as export makes it)", _tflite.run_tflite_whole(ptq, gx))
    add("  its fake-quant simulation", fake_quant_predict(model, gx, rep, len(gx)))
    add("f32 model, only the input rounded to the int8 grid",
        model.predict(rounded_input(ptq)[None], verbose=0)[0, :, 0])
    t0 = time.monotonic()
    qmodel = qat_finetune(model, x_train, rep, len(gx), args.epochs, warmup, args.lr, tc.batch_size,
                          batch_esr=args.loss == "batch")
    qat_s = time.monotonic() - t0
    qat = _tflite.convert_whole(qmodel, len(gx), "int8", rep)
    add(f"int8 after QAT ({args.epochs} epochs, lr {args.lr:g}, {args.loss} ESR; {qat_s:.0f} s)",
        _tflite.run_tflite_whole(qat, gx))
    add("  its fake-quant simulation", fake_quant_predict(qmodel, gx, rep, len(gx)))
    add("  the QAT model in float", qmodel.predict(gx[None], verbose=0)[0, :, 0])
    add("  the QAT model in float, only the input rounded",
        qmodel.predict(rounded_input(qat)[None], verbose=0)[0, :, 0])

    print(f"{args.source}: golden {len(gx)} samples, |x| peak {np.abs(gx[:, 0]).max():.3f} "
          f"rms {gx[:, 0].std():.4f}; f32 ESR vs target {f32:.4f}; {len(x_train)} training segments")
    print(f"| {'variant':74s} | ESR vs Keras | loss vs f32 (ESR vs target) |")
    print(f"|{'-' * 76}|-------------|-----------------------------|")
    for name, e_k, loss in rows:
        print(f"| {name:74s} | {e_k:11.4g} | {loss:+27.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
