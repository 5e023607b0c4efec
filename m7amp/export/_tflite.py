"""TFLite variants of a model package: whole-clip f32/int8/16x8 and block-streaming f32/int8.

Whole-clip models (``convert_whole``) take one fixed-length clip ``(1, x_len, 1+K)`` and return
``(1, x_len, 1)``; they are the Keras graph frozen as it is (with Keras 3.15 a causal dilated
``Conv1D`` becomes PAD + CONV_2D with native dilation; an LSTM/GRU becomes a WHILE loop).

Quantised variants are full-integer post-training quantisation calibrated on ``rep_x`` (segments of the
training split): "int8" has int8 weights (per-channel for convolutions and dense layers), int8
activations and **int8 input and output**; "16x8" has int8 weights, int16 activations and **int16 input
and output**. The input/output scale and zero point live in the model's tensors (``tflite_io``);
``run_tflite_whole`` / ``run_tflite_streaming`` quantise the float input and dequantise the output with
them, so ESRs measured through these functions include the I/O quantisation a TFLM application pays.

Streaming models (``convert_streaming``) take one block ``(1, block_size, 1+K)`` and return
``(1, block_size, 1)``; the model's memory lives in resource variables (VAR_HANDLE, READ_VARIABLE,
ASSIGN_VARIABLE, initialised to zero in a CALL_ONCE subgraph), so consecutive invokes continue the signal:

- every causal ``Conv1D`` with kernel ``k > 1`` and dilation ``d`` keeps its last ``(k-1)*d`` input frames
  in a variable ``[1, 1, (k-1)*d, C]``, concatenates the block after them and runs ``tf.nn.conv2d`` with
  ``dilations=[1, 1, d, 1]`` and VALID padding on the ``[1, 1, frames, C]`` view: dilation stays native in
  CONV_2D (no SPACE_TO_BATCH_ND);
- LSTM / GRU keep ``h`` (and ``c``) in variables ``[1, H]``; the input projection of the whole block is one
  FULLY_CONNECTED, the time loop is unrolled over the block (UNPACK, FULLY_CONNECTED, SPLIT, gates, PACK);
- everything else (1×1 convolutions, dense, adds, channel slices, the gated activations, head scale) is
  pointwise in time and is the Keras layer itself called on the block.

The streaming graph is the Keras functional graph executed on the block with those time-mixing layers
swapped for stateful twins (also inside the custom ``NamLayer`` / ``GatedLayer``, whose ``call`` runs with
its ``conv`` sublayer replaced), so it follows the trained model exactly. The "int8" streaming model is
fully integer including its state: the variables are int8 with the scale of the activations they hold
(the converter's variable quantisation). Where that cannot be satisfied (a dilated conv reading a
TANH/LOGISTIC output, whose int8 scale is fixed: CONCATENATION needs one scale for ``[state, block]``;
the m7amp WaveNets read residual sums and never hit this) the conversion falls back to float32 state
variables with a QUANTIZE after each read and a DEQUANTIZE before each write; ``tflite_state_dtypes``
tells which one a flatbuffer has. Both give the same outputs (the float state only ever holds
dequantised int8 values).

TensorFlow is imported inside the functions (command-line modules import this package at start-up).
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

WHOLE_KINDS = ("f32", "int8", "16x8")
STREAM_KINDS = ("f32", "int8")

# Calibration budget: enough windows to see the dynamic range of the training segments, few enough that
# the converter's calibration interpreter (slow, no XNNPACK) stays at a few seconds for small models.
_MAX_CAL_WINDOWS = 32
_MAX_CAL_BLOCKS = 512
_TYPES = {0: "float32", 9: "int8", 7: "int16"}  # TFLite schema TensorType codes


def _tf() -> Any:
    import tensorflow as tf

    return tf


# ---------------------------------------------------------------------------------------------- whole clip


def convert_whole(model: Any, x_len: int, kind: str, rep_x: np.ndarray | None) -> bytes:
    """The Keras ``model`` as a TFLite flatbuffer with input ``(1, x_len, 1+K)`` (see module doc).

    ``kind`` is "f32", "int8" or "16x8"; the quantised kinds need ``rep_x`` ``(n, T, 1+K)`` float32.
    """
    tf = _tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    if kind not in whole_kinds(model):
        raise ValueError(f"kind {kind!r} is not available for {model.name} (available: {whole_kinds(model)})")
    channels = int(model.inputs[0].shape[-1])
    spec = tf.TensorSpec((1, int(x_len), channels), tf.float32, name="x")
    fn = tf.function(_Graph(model, None, model.name), input_signature=[spec])
    # Frozen to constants: a Keras 3 model passed as the trackable object would keep its weights as
    # uninitialised resource variables.
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if kind != "f32":
        _quantise(converter, kind, lambda: _windows(_rep(rep_x, channels), int(x_len)))
    return bytes(converter.convert())


def whole_kinds(model: Any) -> tuple[str, ...]:
    """The whole-clip kinds ``convert_whole`` can make for ``model``: all of ``WHOLE_KINDS`` for
    WaveNets, only "f32" for RNNs (TF 2.21's calibrator crashes with a segmentation fault on the WHILE
    loop of a Keras LSTM/GRU, so it is never called; the streaming "int8" model is the quantised RNN)."""
    import keras

    rnn = any(isinstance(op, keras.layers.LSTM | keras.layers.GRU) for op in model.operations)
    return ("f32",) if rnn else WHOLE_KINDS


def run_tflite_whole(tflite_bytes: bytes, x: np.ndarray) -> np.ndarray:
    """Run a whole-clip model on ``x`` ``(T, 1+K)`` with ``T <= x_len``; returns ``(T,)`` float32.

    A shorter clip is zero-padded at the end (the model is causal, so the first ``T`` outputs are exact).
    """
    x = _check_x(x)
    interp = _interpreter(tflite_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    x_len, channels = int(inp["shape"][1]), int(inp["shape"][2])
    if x.shape[1] != channels:
        raise ValueError(f"x has {x.shape[1]} channels, the model takes {channels}")
    if x.shape[0] > x_len:
        raise ValueError(f"x has {x.shape[0]} samples, the model was converted for at most {x_len}")
    padded = np.zeros((1, x_len, channels), np.float32)
    padded[0, : x.shape[0]] = x
    interp.set_tensor(inp["index"], _to_tensor(padded, inp))
    interp.invoke()
    return _from_tensor(interp.get_tensor(out["index"]), out).reshape(-1)[: x.shape[0]]


# ----------------------------------------------------------------------------------------------- streaming


def convert_streaming(
    model_cfg: Any, model: Any, block_size: int, kind: str, rep_x: np.ndarray | None
) -> bytes:
    """A block-streaming TFLite model of ``model`` (see module doc); ``kind`` is "f32" or "int8".

    ``model_cfg`` (the ``ModelConfig``) is only used for its name in error messages: the streaming graph
    is derived from the Keras graph itself. ``rep_x`` ``(n, T, 1+K)`` calibrates "int8": each segment is
    fed as consecutive blocks so that the state path sees realistic values.
    """
    tf = _tf()
    if kind not in STREAM_KINDS:
        raise ValueError(f"kind must be one of {STREAM_KINDS}, not {kind!r}")
    if block_size < 1:
        raise ValueError("block_size must be >= 1")
    channels = int(model.inputs[0].shape[-1])
    module = _stream_module(model, int(block_size), channels, getattr(model_cfg, "name", model.name))
    with tempfile.TemporaryDirectory(prefix="m7amp_stream_") as tmp:
        # The SavedModel route is the one that turns tf.Variables into VAR_HANDLE/READ_VARIABLE/
        # ASSIGN_VARIABLE with a CALL_ONCE initialiser.
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.step})

        def convert(int8_state: bool) -> bytes:
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
            converter.experimental_enable_resource_variables = True
            if kind != "f32":
                _quantise(converter, kind, lambda: _blocks(_rep(rep_x, channels), int(block_size)))
                converter._experimental_variable_quantization = int8_state
            return bytes(converter.convert())

        if kind == "f32":
            return convert(False)
        _rep(rep_x, channels)  # a bad rep_x is the caller's error, not a reason to fall back
        try:
            return convert(True)
        except Exception:  # ConverterError: CONCATENATION cannot take the state's scale (see module doc)
            return convert(False)


def run_tflite_streaming(tflite_bytes: bytes, x: np.ndarray, block_size: int) -> np.ndarray:
    """Run a streaming model block by block over ``x`` ``(T, 1+K)`` from zero state; returns ``(T,)``.

    One interpreter is invoked once per block, so the state variables carry over between blocks. A tail
    shorter than ``block_size`` is zero-padded (causal: its outputs are exact) and the output cropped.
    """
    x = _check_x(x)
    interp = _interpreter(tflite_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    if int(inp["shape"][1]) != block_size or int(inp["shape"][2]) != x.shape[1]:
        raise ValueError(
            f"model input {tuple(inp['shape'])} does not take blocks of ({block_size}, {x.shape[1]})"
        )
    n = x.shape[0]
    n_blocks = -(-n // block_size)
    padded = np.zeros((n_blocks * block_size, x.shape[1]), np.float32)
    padded[:n] = x
    y = np.empty(n_blocks * block_size, np.float32)
    for b in range(n_blocks):
        sl = slice(b * block_size, (b + 1) * block_size)
        interp.set_tensor(inp["index"], _to_tensor(padded[None, sl], inp))
        interp.invoke()
        y[sl] = _from_tensor(interp.get_tensor(out["index"]), out).reshape(-1)
    return y[:n]


class _StreamConv:
    """Stateful twin of a causal Keras ``Conv1D`` (kernel ``k``, dilation ``d``) for one block."""

    def __init__(self, layer: Any, block_size: int):
        tf = _tf()
        k, d = int(layer.kernel_size[0]), int(layer.dilation_rate[0])
        kernel = np.asarray(layer.kernel.numpy(), np.float32)  # (k, in, out)
        self.c_in, self.c_out, self.block = kernel.shape[1], kernel.shape[2], block_size
        self.dilation, self.history = d, (k - 1) * d
        self.kernel = kernel[None]  # (1, k, in, out): an H=1 CONV_2D filter
        self.bias = np.asarray(layer.bias.numpy(), np.float32) if layer.use_bias else None
        self.activation = layer.activation
        self.state = tf.Variable(tf.zeros((1, 1, self.history, self.c_in)), trainable=False, name=layer.name)

    def __call__(self, x: Any) -> Any:
        tf = _tf()
        frames = tf.concat([self.state.read_value(), tf.reshape(x, (1, 1, self.block, self.c_in))], axis=2)
        self.state.assign(frames[:, :, -self.history :, :])
        y = tf.nn.conv2d(frames, self.kernel, strides=1, padding="VALID", dilations=[1, 1, self.dilation, 1])
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias)
        return self.activation(tf.reshape(y, (1, self.block, self.c_out)))


class _StreamRNN:
    """Stateful twin of a Keras ``LSTM`` or ``GRU`` (``return_sequences=True``), unrolled over one block."""

    def __init__(self, layer: Any, block_size: int):
        tf = _tf()
        cell = layer.cell
        self.lstm = type(layer).__name__ == "LSTM"
        self.units, self.block = int(cell.units), block_size
        self.kernel = np.asarray(cell.kernel.numpy(), np.float32)
        self.rec = np.asarray(cell.recurrent_kernel.numpy(), np.float32)
        bias = np.asarray(cell.bias.numpy(), np.float32) if cell.use_bias else None
        self.reset_after = (not self.lstm) and bool(cell.reset_after)
        if bias is None:
            self.bias_in = self.bias_rec = None
        elif self.reset_after:  # GRU reset_after keeps separate input and recurrent biases (2, 3H)
            self.bias_in, self.bias_rec = bias[0], bias[1]
        else:
            self.bias_in, self.bias_rec = bias, None
        self.act, self.rec_act = cell.activation, cell.recurrent_activation
        self.h = tf.Variable(tf.zeros((1, self.units)), trainable=False, name=f"{layer.name}_h")
        self.c = (
            tf.Variable(tf.zeros((1, self.units)), trainable=False, name=f"{layer.name}_c")
            if self.lstm
            else None
        )

    def __call__(self, x: Any, **_: Any) -> Any:
        tf = _tf()
        xp = tf.matmul(tf.reshape(x, (self.block, -1)), self.kernel)  # the whole block's input projection
        if self.bias_in is not None:
            xp = xp + self.bias_in
        h = self.h.read_value()
        c = self.c.read_value() if self.lstm else None
        outs = []
        for xt in tf.unstack(xp, axis=0):
            xt = tf.reshape(xt, (1, -1))
            if self.lstm:
                z = xt + tf.matmul(h, self.rec)
                i, f, g, o = tf.split(z, 4, axis=1)
                c = self.rec_act(f) * c + self.rec_act(i) * self.act(g)
                h = self.rec_act(o) * self.act(c)
            else:
                h = self._gru_step(xt, h)
            outs.append(h)
        self.h.assign(h)
        if self.lstm:
            self.c.assign(c)
        return tf.reshape(tf.stack(outs, axis=1), (1, self.block, self.units))

    def _gru_step(self, xt: Any, h: Any) -> Any:
        tf = _tf()
        xz, xr, xh = tf.split(xt, 3, axis=1)
        u = self.units
        if self.reset_after:
            rec = tf.matmul(h, self.rec)
            if self.bias_rec is not None:
                rec = rec + self.bias_rec
            rz, rr, rh = tf.split(rec, 3, axis=1)
            z, r = self.rec_act(xz + rz), self.rec_act(xr + rr)
            hh = self.act(xh + r * rh)
        else:
            rzr = tf.matmul(h, self.rec[:, : 2 * u])
            z, r = self.rec_act(xz + rzr[:, :u]), self.rec_act(xr + rzr[:, u:])
            hh = self.act(xh + tf.matmul(r * h, self.rec[:, 2 * u :]))
        return z * h + (1.0 - z) * hh


class _Proxy:
    """A custom layer seen through its ``call`` with time-mixing sublayers swapped for twins."""

    def __init__(self, layer: Any, twins: dict[str, Any]):
        self._layer, self._twins = layer, twins

    def __getattr__(self, name: str) -> Any:
        twins = self.__dict__["_twins"]
        return twins[name] if name in twins else getattr(self.__dict__["_layer"], name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return type(self._layer).call(self, *args, **kwargs)


def _time_mixing(layer: Any) -> str | None:
    """Whether ``layer`` mixes time steps: "conv", "rnn", or None (pointwise in time).

    Raises ``ValueError`` for time-mixing layers that have no streaming form."""
    import keras

    if isinstance(layer, keras.layers.Conv1D):
        if layer.strides[0] != 1 or layer.groups != 1:
            raise ValueError(f"layer {layer.name}: strided or grouped Conv1D cannot stream")
        if layer.kernel_size[0] == 1:
            return None
        if layer.padding != "causal":
            raise ValueError(f"layer {layer.name}: only causal Conv1D can stream (padding={layer.padding!r})")
        return "conv"
    if isinstance(layer, keras.layers.LSTM | keras.layers.GRU):
        if not layer.return_sequences or layer.go_backwards or layer.stateful:
            raise ValueError(f"layer {layer.name}: only forward return_sequences RNNs can stream")
        return "rnn"
    return None


class _Graph:
    """Runs a Keras functional model's graph on TF tensors for conversion (called inside a tf.function).

    With ``block_size`` the time-mixing layers run as stateful twins (the streaming model); without,
    the graph is the model's own. Either way ``Add`` layers run as ``tf.add``: Keras 3 turns an add of
    two ``(1, T, 1)`` tensors into an NCHW ``BiasAdd`` that the TFLite converter rejects (the RNNs'
    input skip), and the Keras weights enter the trace as constants.
    """

    def __init__(self, model: Any, block_size: int | None, name: str):
        self.model = model
        self.weights = [(w, w.numpy()) for w in model.weights]
        self.twins: dict[int, Any] = {}
        for op in model.operations if block_size else []:
            twin = _twin(op, block_size, name)
            if twin is not None:
                self.twins[id(op)] = twin

    def variables(self) -> list[Any]:
        leaves = []
        for twin in self.twins.values():
            leaves += list(twin.__dict__["_twins"].values()) if isinstance(twin, _Proxy) else [twin]
        return [
            v
            for t in leaves
            for v in (getattr(t, "state", None), getattr(t, "h", None), getattr(t, "c", None))
            if v is not None
        ]

    def _operation(self, op: Any) -> Any:
        import keras

        if id(op) in self.twins:
            return self.twins[id(op)]
        if isinstance(op, keras.layers.Add):
            return _plain_add
        return op

    def __call__(self, x: Any) -> Any:
        import keras

        tf = _tf()
        # A tracked Keras model would become resource variables too (uninitialised by the converter);
        # as constants only the twins' state stays variable.
        frozen = [(w, tf.constant(value)) for w, value in self.weights]
        with keras.StatelessScope(state_mapping=frozen):
            return self.model._run_through_graph([x], operation_fn=self._operation)


def _plain_add(inputs: list[Any], **_: Any) -> Any:
    tf = _tf()
    out = inputs[0]
    for other in inputs[1:]:
        out = tf.add(out, other)
    return out


def _stream_module(model: Any, block_size: int, channels: int, name: str) -> Any:
    """A ``tf.Module`` with the state variables and a ``step`` of fixed signature, ready for SavedModel."""
    tf = _tf()
    graph = _Graph(model, block_size, name)
    module = tf.Module(name="m7amp_stream")
    module.state = graph.variables()  # tracked, so SavedModel keeps them as resource variables
    spec = tf.TensorSpec((1, block_size, channels), tf.float32, name="x")
    module.step = tf.function(graph, input_signature=[spec])
    return module


def _twin(op: Any, block_size: int, name: str) -> Any:
    kind = _time_mixing(op)
    if kind == "conv":
        return _StreamConv(op, block_size)
    if kind == "rnn":
        return _StreamRNN(op, block_size)
    # A custom layer holding time-mixing sublayers as attributes: run its own call with them swapped.
    subs: dict[str, Any] = {}
    for attr, value in list(vars(op).items()):
        if attr.startswith("_") or not _is_layer(value):
            continue
        sub_kind = _time_mixing(value)
        if sub_kind == "conv":
            subs[attr] = _StreamConv(value, block_size)
        elif sub_kind == "rnn":
            subs[attr] = _StreamRNN(value, block_size)
    if subs:
        return _Proxy(op, subs)
    if _has_time_mixing(op):
        raise ValueError(f"model {name!r}: layer {op.name} ({type(op).__name__}) has no streaming form")
    return None


def _is_layer(value: Any) -> bool:
    import keras

    return isinstance(value, keras.layers.Layer)


def _has_time_mixing(layer: Any) -> bool:
    subs = [v for k, v in vars(layer).items() if not k.startswith("_") and _is_layer(v)]
    subs += list(getattr(layer, "layers", None) or [])
    return any(_time_mixing(s) or _has_time_mixing(s) for s in subs)


# ------------------------------------------------------------------------------------------ quantisation


def _quantise(converter: Any, kind: str, windows: Callable[[], Iterator[np.ndarray]]) -> None:
    """Full-integer post-training quantisation: int8 weights; int8 ("int8") or int16 ("16x8") activations
    and I/O; per-channel weight scales (the converter default) for CONV_2D and FULLY_CONNECTED."""
    tf = _tf()
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([w] for w in windows())
    if kind == "int8":
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io = tf.int8
    else:
        ops16 = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [ops16]
        io = tf.int16
    converter.inference_input_type = io
    converter.inference_output_type = io


def _rep(rep_x: np.ndarray | None, channels: int) -> np.ndarray:
    if rep_x is None:
        raise ValueError("quantised TFLite needs representative data (rep_x)")
    rep = np.asarray(rep_x, np.float32)
    if rep.ndim != 3 or rep.shape[2] != channels or rep.shape[0] * rep.shape[1] == 0:
        raise ValueError(f"rep_x must be (n, T, {channels}), not {rep.shape}")
    return rep


def _windows(rep: np.ndarray, x_len: int) -> Iterator[np.ndarray]:
    """Calibration inputs for a whole-clip model: the segments joined end to end and cut into ``x_len``
    windows (the last one zero-padded), at most ``_MAX_CAL_WINDOWS`` of them."""
    flat = rep.reshape(-1, rep.shape[2])
    for i, start in enumerate(range(0, flat.shape[0], x_len)):
        if i == _MAX_CAL_WINDOWS:
            return
        w = np.zeros((1, x_len, rep.shape[2]), np.float32)
        chunk = flat[start : start + x_len]
        w[0, : chunk.shape[0]] = chunk
        yield w


def _blocks(rep: np.ndarray, block_size: int) -> Iterator[np.ndarray]:
    """Calibration inputs for a streaming model: each segment as consecutive blocks, in order (the
    calibrator keeps the variables between invokes), spread over the segments within the budget."""
    per_seg = max(1, min(rep.shape[1] // block_size, _MAX_CAL_BLOCKS // rep.shape[0]))
    for seg in rep:
        for b in range(per_seg):
            block = seg[b * block_size : (b + 1) * block_size]
            if block.shape[0] < block_size:
                block = np.pad(block, ((0, block_size - block.shape[0]), (0, 0)))
            yield block[None]


# ------------------------------------------------------------------------------------------ I/O and ops


def _interpreter(tflite_bytes: bytes) -> Any:
    """A TFLite interpreter with the reference kernels: TFLM's kernels are ports of them (CMSIS-NN's int8
    kernels match them bit for bit), the default XNNPACK delegate rounds differently (int8 nano: ESR
    0.02227 vs 0.02241)."""
    tf = _tf()
    ref = tf.lite.experimental.OpResolverType.BUILTIN_REF
    with warnings.catch_warnings():  # "tf.lite.Interpreter is deprecated": still the one in TF 2.21
        warnings.simplefilter("ignore", UserWarning)
        return tf.lite.Interpreter(model_content=bytes(tflite_bytes), experimental_op_resolver_type=ref)


def _check_x(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be (T, 1+K) with T >= 1, not {x.shape}")
    return x


def _to_tensor(x: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """Float input → the tensor's type (quantise with its scale/zero point, round half away, saturate)."""
    dtype = detail["dtype"]
    if dtype == np.float32:
        return x.astype(np.float32)
    scale, zero = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)


def _from_tensor(y: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y.astype(np.float32)
    scale, zero = detail["quantization"]
    return ((y.astype(np.float32) - zero) * scale).astype(np.float32)


def _read(tflite_bytes: bytes) -> Any:
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))


def _op_names() -> dict[int, str]:
    from tensorflow.lite.python import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def _operators(tflite_bytes: bytes) -> Iterator[tuple[str, Any]]:
    """(op name, OperatorT) of every operator in every subgraph."""
    model, names = _read(tflite_bytes), _op_names()
    for sub in model.subgraphs:
        for op in sub.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            # Builtin codes above 127 live in builtinCode; deprecatedBuiltinCode caps at 127.
            yield names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "CUSTOM"), op


def tflite_ops(tflite_bytes: bytes) -> list[str]:
    """The distinct builtin operators of a flatbuffer (all subgraphs), sorted: the ops a TFLM
    ``MicroMutableOpResolver`` must register."""
    return sorted({name for name, _ in _operators(tflite_bytes)})


def tflite_conv2d_dilations(tflite_bytes: bytes) -> list[int]:
    """The width dilation factor of every CONV_2D, in graph order (>1 means native dilation)."""
    return [
        int(op.builtinOptions.dilationWFactor) for name, op in _operators(tflite_bytes) if name == "CONV_2D"
    ]


def tflite_state_dtypes(tflite_bytes: bytes) -> list[str]:
    """The type of the value written by every ASSIGN_VARIABLE (the streaming state), in graph order."""
    model = _read(tflite_bytes)
    out = []
    for sub in model.subgraphs:
        for op in sub.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            if _op_names().get(max(code.builtinCode, code.deprecatedBuiltinCode)) == "ASSIGN_VARIABLE":
                out.append(_TYPES.get(sub.tensors[op.inputs[1]].type, "other"))
    return out


def tflite_io(tflite_bytes: bytes) -> dict[str, Any]:
    """Input and output tensor type, shape and (scale, zero point) — metadata-friendly."""
    model = _read(tflite_bytes)
    sub = model.subgraphs[0]

    def desc(index: int) -> dict[str, Any]:
        t = sub.tensors[index]
        q = t.quantization
        scale = float(q.scale[0]) if q is not None and q.scale is not None and len(q.scale) else None
        zero = int(q.zeroPoint[0]) if scale is not None else None
        return {
            "dtype": _TYPES.get(t.type, "other"),
            "shape": [int(s) for s in t.shape],
            "scale": scale,
            "zero_point": zero,
        }

    return {"input": desc(sub.inputs[0]), "output": desc(sub.outputs[0])}
