"""ONNX → TFLite, run by `slipway convert` for a target whose model is ONNX and whose format is tflite: onnx2tf's float32
or float16 file (--weights none|float32|float16), dynamic range (--weights int8, activations none: int8 weights, float
activations, nothing to calibrate) or full integer (--weights int8 --activations int8, static quantization calibrated
on the manifest's samples).

onnx2tf converts the ONNX graph to a TensorFlow SavedModel (NCHW inputs become NHWC, as onnx2tf writes every
convolutional model); TensorFlow's converter then quantizes that SavedModel: its weights only (dynamic range), or with
the calibration samples as its representative dataset (tflite_quantization.py, the settings the Keras path uses too). The samples are in the ONNX
model's layout (they are what the ONNX model takes); each is moved to the SavedModel input's layout — as is, or its
channels moved last — and a sample that fits neither is an error naming both shapes. onnx2tf's own -oiqt is not
used: it wants the samples in the TensorFlow layout before the conversion has said what that layout is, and
calibrates with images it downloads when it gets none.

  --source: a copy of the ONNX model (onnx2tf writes its simplified graph back over its input);
  --input NAME=d0,d1: the manifest's fixed input shapes (onnx2tf's overwrite_input_shape), a "?" for a dimension it
    leaves free (`[batch, 3, 48, 192]`: the numbers written into the copy, the rest left to onnx2tf);
  --value NAME=N: the manifest's scalar inputs (`sr: 16000`): the input becomes an initializer of that value, so
    onnxsim folds what depends on it (silero-vad's If on `sr`) before onnx2tf converts, and the artifact has no
    such input;
  --weights none|float32|float16, or int8 [--per-tensor] (dynamic range), or int8 --activations int8 [--io int8|uint8]
  [--per-tensor] --calibration FOLDER.
"""
import argparse
import os
import re
import shutil
import sys

import artifact_fidelity  # written beside this driver, as are the two below
from tflite_quantization import configure, convert as write_tflite, fail, progress


def onnx_inputs(path):
    """The ONNX model's graph inputs (initializers excluded), in order, as {name: numpy dtype}."""
    import numpy as np
    import onnx
    from onnx import helper
    model = onnx.load(path, load_external_data=False)
    constants = {i.name for i in model.graph.initializer}
    out = {}
    for i in model.graph.input:
        if i.name in constants:
            continue
        out[i.name] = np.dtype(helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type))
    return out


# The names TensorFlow accepts for an operation's scope (tensorflow/python/framework/ops.py: _VALID_SCOPE_NAME_REGEX).
VALID_SCOPE = re.compile(r"[^A-Za-z0-9_.\\/>-]")


def prepare_copy(path, fixed, values):
    """Makes the model copy convertible where the exporter wrote what ONNX allows and onnx2tf passes on to TensorFlow
    unchanged:
      * the manifest's scalar inputs made initializers of their values (an input of one element: rank 0, or every
        dimension 1), which the graph then folds;
      * the manifest's fixed input shapes written in: onnx2tf's overwrite_input_shape replaces symbolic dimensions
        but not a dim_value of -1, which exporters such as Paddle's write for a dynamic one (TensorFlow then refuses
        "Dimension -1 must be >= 0"); an input's -1 the manifest does not fix becomes a named dimension (free, as
        the model means it), and a -1 in an output's or intermediate's declared shape is cleared (unknown);
      * node names TensorFlow takes as scope names made valid: onnx2tf names the TensorFlow operations after the ONNX
        nodes, and a character such as Paddle's "@" (Softmax@0) fails tf.nn.softmax ("is not a valid scope name");
      * a recurrence without a bias (nn.LSTM(bias=False)'s export: B an empty name, or no B) given a zero one: onnx2tf
        reads B unconditionally (LSTM.py, GRU.py, RNN.py: KeyError '')."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    changed = False
    for name, v in values.items():
        i = next((x for x in model.graph.input if x.name == name), None)
        if i is None:
            fail(f"model.inputs gives {name} the value {v}, but the model has no input {name}")
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in i.type.tensor_type.shape.dim]
        if any(d != 1 for d in dims):
            fail(f"model.inputs gives {name} the value {v}, but the input holds more than one element (shape {dims})")
        dtype = helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type)
        model.graph.initializer.append(numpy_helper.from_array(np.full(dims, v, dtype=dtype), name))
        model.graph.input.remove(i)
        changed = True
    for i in model.graph.input:
        shape = i.type.tensor_type.shape
        dims = fixed.get(i.name)
        if dims is None or len(shape.dim) != len(dims):
            dims = [None] * len(shape.dim)
        for k, (d, v) in enumerate(zip(shape.dim, dims)):
            if v is not None and (not d.HasField("dim_value") or d.dim_value != v):
                d.dim_value = v
                changed = True
            elif v is None and d.HasField("dim_value") and d.dim_value < 0:
                d.dim_param = f"{i.name}_{k}"  # a oneof: the -1 goes
                changed = True
    for i in list(model.graph.output) + list(model.graph.value_info):
        for d in i.type.tensor_type.shape.dim:
            if d.HasField("dim_value") and d.dim_value < 0:
                d.Clear()
                changed = True
    initializers = {t.name: t for t in model.graph.initializer}
    used = set(initializers) | {v for n in model.graph.node for v in list(n.input) + list(n.output)}
    for n in model.graph.node:
        gates = RECURRENT_GATES.get(n.op_type)
        if gates is None or (len(n.input) > 3 and n.input[3]):
            continue
        hidden = next((a.i for a in n.attribute if a.name == "hidden_size"), 0)
        directions = 2 if any(a.name == "direction" and a.s == b"bidirectional" for a in n.attribute) else 1
        if hidden <= 0 and len(n.input) > 2 and n.input[2] in initializers:
            hidden = initializers[n.input[2]].dims[-1]
        if hidden <= 0:
            continue
        name = base = f"{n.name or n.op_type}__zero_bias"
        k = 1
        while name in used:  # two unnamed recurrences would share it
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        model.graph.initializer.append(numpy_helper.from_array(np.zeros([directions, 2 * gates * hidden], np.float32), name))
        while len(n.input) < 4:
            n.input.append("")
        n.input[3] = name
        changed = True
    taken = {n.name for n in model.graph.node}
    for n in model.graph.node:
        if VALID_SCOPE.search(n.name):
            name = base = VALID_SCOPE.sub("_", n.name)
            k = 1
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            n.name = name
            changed = True
    if changed:
        onnx.save(model, path)


# The operators a condition on shapes is computed with (Coverage.shapeArithmetic in Slipway): what a static condition
# may pass through on its way from initializers, Constant nodes and Shape/Size.
SHAPE_ARITHMETIC = {"Gather", "Slice", "Squeeze", "Unsqueeze", "Concat", "Reshape", "Cast", "Identity", "Equal", "Less",
                    "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Add", "Sub", "Mul", "Div",
                    "ReduceProd"}


def inline_static_ifs(path, fixed):
    """Replaces each top-level If whose condition depends on constants and the shapes of values alone (the manifest's
    scalar inputs are constants by now) by the branch it takes, as onnxsim's folding would: onnxruntime 1.23's own
    constant folding crashes (SIGSEGV) on silero-vad once its `sr` is an initializer, and onnxsim folds through it.
    The conditions are evaluated by onnxruntime with its graph optimizations off, on zero inputs of the fixed
    shapes (their values cannot matter: only shapes reach a static condition)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import helper
    model = onnx.load(path)
    g = model.graph
    stored = {t.name for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output if o}

    def static(v, depth=0):
        if v in stored:
            return True
        n = producer.get(v)
        if n is None or depth > 64:
            return False
        if n.op_type == "Constant":
            return True
        if n.op_type in ("Shape", "Size"):
            return True
        return n.op_type in SHAPE_ARITHMETIC and all(static(i, depth + 1) for i in n.input if i)

    ifs = [n for n in g.node if n.op_type == "If" and n.input and static(n.input[0])]
    if not ifs:
        return 0
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    for n in ifs:
        probe.graph.output.append(helper.make_tensor_value_info(n.input[0], onnx.TensorProto.BOOL, None))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in session.get_inputs():
        given = fixed.get(i.name) or [None] * len(i.shape)
        shape = [g if g is not None else d if isinstance(d, int) and d > 0 else 1 for g, d in zip(given, i.shape)]
        feeds[i.name] = np.zeros(shape, dtype=helper.tensor_dtype_to_np_dtype(
            next(x for x in g.input if x.name == i.name).type.tensor_type.elem_type))
    conds = session.run(None, feeds)
    nodes = []
    for n in g.node:
        if n in ifs:
            taken = bool(np.asarray(conds[ifs.index(n)]).reshape(-1)[0])
            branch = next(a.g for a in n.attribute if a.name == ("then_branch" if taken else "else_branch"))
            nodes.extend(branch.node)
            g.initializer.extend(branch.initializer)
            for k, (out, b) in enumerate(zip(n.output, branch.output)):
                nodes.append(helper.make_node("Identity", [b.name], [out], name=f"{n.name}/taken/{k}"))
        else:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    onnx.save(model, path)
    return len(ifs)


# An end at or past this is "to the end of the axis" whatever its size: exporters write INT64_MAX (torch.onnx for
# `x[:, :129, :]`) or INT32_MAX.
OPEN_END = 2**31 - 1


def drop_whole_axis_slices(path):
    """Replaces each top-level Slice that keeps every element by an Identity: starts 0, steps 1 and ends open
    (`x[:, :129, :]` as torch.onnx writes it, one Slice per axis), or, where ONNX's shape inference knows both, an
    output of the input's shape at steps of 1 (jax2tf's `x[..., 0:1]` of a one-wide axis). onnx2tf maps such a
    Slice's axes to the channels-last tensor wrongly: silero-vad's Slices, merged by onnx2tf's simplifier into one
    over three axes, made its STFT magnitude [1, 0, 258] and failed its LSTM ("Dimension 0 in both shapes must be
    equal"); magika's kept 1 channel of its convolution's 512 and changed every score. Slipway's lowering counts
    these as nothing (Coverage.slicesNothing)."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    g = model.graph
    try:
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True).graph
    except Exception:  # shapes the inference cannot take: the open-ended rule alone
        inferred = g
    shapes = {}
    for v in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
        dims = v.type.tensor_type.shape.dim
        if v.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[v.name] = [d.dim_value for d in dims]
    values = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)

    def const(name):
        v = values.get(name)
        return None if v is None or v.dtype.kind not in "iu" else [int(x) for x in v.reshape(-1)]

    dropped = 0
    nodes = []
    for n in g.node:
        if n.op_type == "Slice" and len(n.input) >= 3 and len(n.output) == 1:
            starts, ends = const(n.input[1]), const(n.input[2])
            given = len(n.input) > 4 and bool(n.input[4])
            steps = const(n.input[4]) if given else None
            # Steps given at run time may reverse an axis of the same length: not dropped (as slicesNothing).
            unit = not given or steps is not None and all(s == 1 for s in steps)
            kept = n.input[0] in shapes and shapes.get(n.input[0]) == shapes.get(n.output[0])
            if unit and (kept or starts is not None and ends is not None and len(starts) == len(ends)
                         and all(s == 0 for s in starts) and all(e >= OPEN_END for e in ends)):
                nodes.append(helper.make_node("Identity", [n.input[0]], list(n.output), name=n.name))
                dropped += 1
                continue
        nodes.append(n)
    if dropped:
        del g.node[:]
        g.node.extend(nodes)
        onnx.save(model, path)
    return dropped


# The gates of each recurrent operator: its bias B is [directions, 2 × gates × hidden] (Wb then Rb).
RECURRENT_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}

# The inputs of a recurrent node that keep their layout: its sequence X (time-major [steps, batch, features]: a graph
# input read directly, as a batch_first=False export reads it, moved channels-last failed every such conversion) and
# its initial states (ONNX LSTM: initial_h, initial_c; GRU, RNN: initial_h).
LAYOUT_KEPT_INPUTS = {"LSTM": (0, 5, 6), "GRU": (0, 5), "RNN": (0, 5)}
# The inputs of a matrix product: an LSTM cell decomposed (torch.export's aten.lstm_cell as Gemms) reads its state
# through one of these.
MATRIX_INPUTS = {"Gemm": (0, 1), "MatMul": (0, 1)}
# What a state passes through from a graph input to its recurrent node without changing layout.
STATE_PLUMBING = {"Gather", "Slice", "Split", "Squeeze", "Unsqueeze", "Identity", "Expand", "Cast"}


def state_inputs(path):
    """The graph inputs a recurrent node reads as its sequence or initial state, or a matrix product as an operand
    (directly, or sliced out of one input), and no convolution reads: onnx2tf moves a 3-D input's second axis last as
    it does a channels-first tensor, which makes a time-major sequence [steps, batch, features] into [steps, features,
    batch] (TensorFlow's Split or Reshape then fails), a state [directions, batch, hidden] into [directions, hidden,
    batch] and fails the Keras layer ("initial_state ... not compatible with cell.state_size"), or, where torch.export
    wrote the LSTM cell as Gemms (silero-vad's op18 `ifless` export), the Gemm ("Dimensions must be equal, but are 1
    and 128"); these keep their shape (onnx2tf's keep_shape_absolutely_input_names)."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    inputs = {i.name for i in model.graph.input}
    producer = {o: n for n in model.graph.node for o in n.output if o}
    out = []

    def source(v, depth=0):
        # A state sliced out of one input first (silero-vad: `state` [2, 1, 128] → Gather → h and c) is that input's.
        if v in inputs:
            return v
        n = producer.get(v)
        if n is None or depth > 8 or n.op_type not in STATE_PLUMBING or not n.input:
            return None
        return source(n.input[0], depth + 1)
    # An input that reaches a convolution is channels-first data, which onnx2tf is right to move.
    convolved = {s for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose") and n.input
                 for s in [source(n.input[0])] if s}
    for n in model.graph.node:
        for k in LAYOUT_KEPT_INPUTS.get(n.op_type, ()) + MATRIX_INPUTS.get(n.op_type, ()):
            s = source(n.input[k]) if k < len(n.input) and n.input[k] else None
            if s and s not in out and s not in convolved:
                out.append(s)
    return out


# The operators that read a tensor's channels and space as onnx2tf holds them channels-last: an input that reaches
# one of them is image-like data, which onnx2tf is right to move.
SPATIAL = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "DeformConv", "AveragePool", "MaxPool", "LpPool",
           "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxUnpool", "Resize", "Upsample", "BatchNormalization",
           "InstanceNormalization", "LRN", "DepthToSpace", "SpaceToDepth", "GridSample", "RoiAlign", "MaxRoiPool"}


def unspatial_inputs(path):
    """The graph inputs of rank 4 or more from which no spatial operator (SPATIAL) is reachable: onnx2tf moves such an
    input's second axis last as it does an image's, and the graph that reads it is not rewritten to match. A BERT
    export's additive attention mask [batch, 1, 1, keys] became [batch, 1, keys, 1] and broadcast over the queries
    instead of the keys, a constant per row that the softmax cancels: maskseq-transformer's file ignored its mask
    (9.4 dB against the ONNX model with the last 24 of 64 positions masked, 88 dB against the model given no mask).
    These keep their shape (onnx2tf's keep_shape_absolutely_input_names). A sequence of rank 3 is left to onnx2tf,
    which rewrites the transposes that read it (the batch-first recurrent exports and fixtures, converted right)."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    graph = model.graph
    constants = {i.name for i in graph.initializer}
    readers = {}
    for n in graph.node:
        for v in n.input:
            if v:
                readers.setdefault(v, []).append(n)
    out = []
    for i in graph.input:
        if i.name in constants or len(i.type.tensor_type.shape.dim) < 4:
            continue
        seen, todo, spatial = set(), [i.name], False
        while todo and not spatial:
            v = todo.pop()
            for n in readers.get(v, []):
                if n.op_type in SPATIAL:
                    spatial = True
                    break
                for o in n.output:
                    if o and o not in seen:
                        seen.add(o)
                        todo.append(o)
        if not spatial:
            out.append(i.name)
    return out


# The file onnx2tf's download_test_image_data reads from the working directory before it downloads one.
CHECK_SAMPLES = "calibration_image_sample_data_20x128x128x3_float32.npy"


def write_check_samples(folder, names):
    """Up to 20 calibration samples of a one-input image model, channels last, as onnx2tf's check data; else (a
    float conversion, several inputs) 20 seeded uniform images: the check compares onnx2tf's outputs with the ONNX
    model's on them, and they shape nothing that is written."""
    import numpy as np
    images = []
    if folder and len(names) == 1:
        from calibration_samples import samples as by_name
        for sample in by_name(folder, names):
            x = np.asarray(next(iter(sample.values())), dtype=np.float32)
            if x.ndim == 4 and x.shape[1] == 3 and x.shape[-1] != 3:
                x = np.moveaxis(x, 1, -1)
            if x.ndim != 4 or x.shape[-1] != 3:
                images = []
                break
            images.append(x)
            if sum(i.shape[0] for i in images) >= 20:
                break
    data = np.concatenate(images)[:20] if images else np.random.default_rng(0).random((20, 128, 128, 3), dtype=np.float32)
    np.save(CHECK_SAMPLES, data)


def to_layout(a, shape, name):
    """The sample in the SavedModel input's layout: as is, or channels moved last as onnx2tf writes NC… inputs."""
    import numpy as np
    want = [None if d is None else int(d) for d in shape]

    def fits(s):
        return len(s) == len(want) and all(w is None or w == g for w, g in zip(want, s))
    if fits(list(a.shape)):
        return a
    if a.ndim >= 3:
        moved = np.moveaxis(a, 1, -1)
        if fits(list(moved.shape)):
            return moved
    fail(f"a calibration sample of input {name} has the shape {list(a.shape)}, which fits neither the ONNX input nor "
         f"the converted model's input {['?' if w is None else w for w in want]} (channels last)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--weights", default="int8")
    p.add_argument("--activations", default="int8")
    p.add_argument("--calibration")
    p.add_argument("--io", default="float32")
    p.add_argument("--per-tensor", action="store_true")
    p.add_argument("--input", action="append", default=[], help="NAME=d0,d1,... (the manifest's fixed input shapes)")
    p.add_argument("--value", action="append", default=[], help="NAME=N (the manifest's scalar inputs, made constants)")
    a = p.parse_args()
    # onnx2tf runs in the work folder (below): every path given relative to where slipway ran is made absolute.
    a.source, a.output, a.summary = (os.path.abspath(x) for x in (a.source, a.output, a.summary))
    a.calibration = os.path.abspath(a.calibration) if a.calibration else None
    full_integer = a.weights == "int8" and a.activations == "int8"
    dynamic_range = a.weights == "int8" and a.activations in ("none", "float32")
    if not (full_integer or dynamic_range) and not (a.weights in ("none", "float32", "float16")
                                                    and a.activations in ("none", "float32")):
        fail(f"onnx2tf writes float32 or float16 TFLite, and TensorFlow's converter int8 weights with float activations "
             f"(dynamic range) or full integer (activations int8), not weights {a.weights}, activations {a.activations}")

    progress("converting with onnx2tf")
    import onnx2tf
    work = os.path.dirname(a.output)
    folder = os.path.join(work, "saved_model")
    fixed = {n: [None if x == "?" else int(x) for x in d.split(",") if x] for n, _, d in (s.partition("=") for s in a.input)}
    values = {n: int(v) for n, _, v in (s.partition("=") for s in a.value)}
    # The source as it came, for the check of what was written: onnx2tf writes its simplified graph over a.source,
    # and the copy's own rewrites below are checked with the conversion (beside it: external data files resolve).
    reference = os.path.join(work, "reference.onnx")
    shutil.copyfile(a.source, reference)
    prepare_copy(a.source, fixed, values)
    # An inlined branch may hold Ifs of its own (silero-vad's decoder squeezes behind one): until none is left.
    for _ in range(16):
        if not inline_static_ifs(a.source, fixed):
            break
    drop_whole_axis_slices(a.source)
    names = onnx_inputs(a.source)  # after the scalar inputs became initializers
    # onnx2tf's check of its outputs reads sample images from the working directory, downloading them from GitHub
    # when absent (for a model whose inputs are fixed 3-channel images): the work folder, with the calibration
    # samples there instead, so a conversion reads no network and writes nothing where slipway was started.
    os.chdir(work)
    write_check_samples(a.calibration, names)
    # onnx2tf simplifies the graph by running the `onnxsim` command (a subprocess, found on PATH) and goes on without
    # it, with a warning, when it is missing: with the interpreter's venv not activated, an initial LSTM state
    # expanded to the batch size (torch.onnx.export's form) then reached onnx2tf unfolded and failed in its Expand.
    # The scripts installed beside this interpreter come first.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    try:
        # Calibrated (full-integer) models have their recurrences unrolled: onnx2tf otherwise lowers LSTM/GRU/RNN to
        # a WHILE that carries values through unchanged, and TensorFlow's calibrator dereferences such a loop
        # output's null buffer and crashes (MinMax::Update, signal 11; silero-vad, akiki-vad).
        onnx2tf.convert(input_onnx_file_path=a.source, output_folder_path=folder, non_verbose=True,
                        overwrite_input_shape=[f"{n}:{','.join(map(str, d))}" for n, d in fixed.items() if None not in d] or None,
                        keep_shape_absolutely_input_names=sorted(set(state_inputs(a.source)) | set(unspatial_inputs(a.source))) or None,
                        enable_rnn_unroll=full_integer)
    except SystemExit as e:  # onnx2tf exits on what it cannot convert, having logged why
        fail(f"onnx2tf could not convert the model (exit {e.code}); its log says why")
    except Exception as e:  # an operator onnx2tf has no conversion for
        fail(f"onnx2tf could not convert the model: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}")

    def finish(summary):
        # What was written, run against the source before slipway keeps it (artifact_fidelity.py): a float file
        # that computes something else is refused, naming the outputs; a quantized one's figures are reported.
        progress("checking the file against the ONNX model")
        fidelity = artifact_fidelity.compare(reference, a.output, summary["mode"], fixed, values,
                                             calibration=a.calibration, names=names)
        error = artifact_fidelity.recorded(summary, a.summary, "onnx2tf " + onnx2tf.__version__, fidelity, "the ONNX model")
        if error:
            fail(error)

    import tensorflow as tf
    if not (full_integer or dynamic_range):
        # onnx2tf's own float files: <input name>_float32.tflite and _float16.tflite beside the SavedModel.
        variant = "_float16.tflite" if a.weights == "float16" else "_float32.tflite"
        made = sorted(f for f in os.listdir(folder) if f.endswith(variant))
        if not made:
            fail(f"onnx2tf wrote no *{variant} in its output folder ({', '.join(sorted(os.listdir(folder)))})")
        shutil.copyfile(os.path.join(folder, made[0]), a.output)
        finish({"onnx2tf": onnx2tf.__version__, "tensorflow": tf.__version__, "mode": a.weights if a.weights != "none" else "float32",
                "converter": "onnx2tf.convert"})
        return
    if dynamic_range:
        # int8 weights, float activations: no representative dataset, the shared settings as the Keras path sets them.
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        mode = configure(tf, converter, a.weights, a.activations, per_tensor=a.per_tensor)
        write_tflite(converter, a.output)
        finish({"onnx2tf": onnx2tf.__version__, "tensorflow": tf.__version__, "mode": mode,
                "converter": "onnx2tf.convert, then tf.lite.TFLiteConverter.from_saved_model"})
        return
    signature = tf.saved_model.load(folder).signatures["serving_default"]
    specs = signature.structured_input_signature[1]
    # onnx2tf keeps the ONNX input names; a one-input model maps whatever it is called.
    order = []
    for n in names:
        if n in specs:
            order.append((n, n, specs[n]))
        elif len(names) == 1 and len(specs) == 1:
            order.append((n, *next(iter(specs.items()))))
        else:
            fail(f"the converted model has the inputs {sorted(specs)}, not the ONNX input {n}")

    def samples():
        # By the signature's input names: a list would be taken in the order of the TFLite model's input tensors,
        # which need not be the ONNX order (silero-vad's state then reached the audio input's MIRROR_PAD).
        from calibration_samples import samples as by_name
        for sample in by_name(a.calibration, names):
            yield {key: to_layout(sample[n], spec.shape.as_list(), n).astype(spec.dtype.as_numpy_dtype, copy=False)
                   for n, key, spec in order}

    converter = tf.lite.TFLiteConverter.from_saved_model(folder)
    mode = configure(tf, converter, a.weights, a.activations, io=a.io, per_tensor=a.per_tensor,
                     samples=samples if a.calibration else None)
    write_tflite(converter, a.output)
    finish({"onnx2tf": onnx2tf.__version__, "tensorflow": tf.__version__, "mode": mode,
            "inputs": {n: spec.shape.as_list() for n, _, spec in order},
            "converter": "onnx2tf.convert, then tf.lite.TFLiteConverter.from_saved_model"})


if __name__ == "__main__":
    main()
