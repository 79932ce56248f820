#!/usr/bin/env python3
"""Derives the TensorRT ONNX parser's operator set (`tensorrt-onnx`) from onnx-tensorrt's operator support matrix,
recording the revision it was read at.

    scripts/catalogue/derive_tensorrt.py [--onnx-tensorrt PATH] [--check]

--onnx-tensorrt: a checkout (or bare git directory) of github.com/onnx/onnx-tensorrt read at HEAD, or a folder of
  copies with a revisions.json (see source_tables.py); by default the committed copy in
  Tests/Fixtures/catalogue/onnx-tensorrt, which the tests re-derive from.

docs/operators.md, section "## Operator Support Matrix": each row is `| Operator | Supported | Supported Types |
Restrictions`, Supported `Y` or `N` (older releases: `Y [EXPERIMENTAL]`). The set is written as the operators
marked Y (`operators`): an operator the matrix does not list (Swish, new in opset 24, has no row and no importer)
is one the parser cannot import, as much as one marked N. The Restrictions of each operator marked Y become its
entry in `constraints` (shown in docs/rules.md). The constraints Slipway evaluates on each node are `CHECKS` below,
each resting on a phrase of an operator's Restrictions (or on the importer's source, cited): the derivation fails
when the matrix no longer states the phrase, so no check outlives its source. The sentence "TensorRT X supports
operators in the inclusive range of opset A to opset B" names the release in the set's source section. A row that
does not read as an operator and a Y or N is an error.

Rewrites only the set's `operators`, `constraints`, `checks` and source section in Schemas/targets/operators.json and
the source's `url`, `revision` and `derived_by` in Schemas/targets/sources.json; then run `make catalogue`. --check
writes nothing and exits 1 when they differ.
"""
import argparse
import os
import re

import catalogue_json as cj
import source_tables as st

SET, SOURCE = "tensorrt-onnx", "onnx-tensorrt-ops"
REPOSITORY, PATH = "onnx/onnx-tensorrt", "docs/operators.md"
DEFAULT = os.path.join(cj.ROOT, "Tests", "Fixtures", "catalogue", "onnx-tensorrt")
RANGE = re.compile(r"TensorRT ([0-9.]+) supports operators in the inclusive range of opset ([0-9]+) to opset ([0-9]+)")
SUPPORTED = re.compile(r"^(Y|N)( \[EXPERIMENTAL\])?$")
NAME = re.compile(r"^[A-Za-z0-9_]+$")
REDUCTIONS = ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
              "ReduceProd", "ReduceSum", "ReduceSumSquare"]
IMPORTERS = "onnx-tensorrt-importers"
# Each check with the Restrictions phrase (per operator) it rests on; None: the matrix states nothing and the check
# cites the importer instead.
CHECKS = [
    ({"AveragePool": "2D or 3D Pooling only", "MaxPool": "2D or 3D pooling only"},
     # The matrix says 2-D or 3-D, but the importer unsqueezes a rank-3 input (1-D pooling) to 2-D and squeezes the
     # result back: a 1-D pool imports; only rank 6 and over (4-D pooling) does not.
     {"id": "tensorrt.pool", "operators": ["AveragePool", "MaxPool"], "kind": "rank", "input": 0, "min": 3, "max": 5,
      "text": "1-D, 2-D or 3-D pooling only",
      "source": {"id": "onnx-tensorrt-pooling",
                 "section": "a rank-3 input (1-D pooling) is unsqueezed to 2-D and the result squeezed back (since "
                            "commit 9fe9d50, 'TRT4: Support 1D Conv, ConvTranspose, Avg/MaxPool'); otherwise "
                            "kernel_shape has 2 or 3 dimensions"}}),
    (None,
     {"id": "tensorrt.lp-pool", "operators": ["LpPool"], "kind": "rank", "input": 0, "min": 4, "max": 5,
      "text": "2D or 3D pooling only",
      "source": {"id": IMPORTERS,
                 "section": "LpPool: kernel_shape's spatial dimensions go to addPoolingNd as they are, with no 1-D "
                            "to 2-D expansion (the matrix states only its dilations)"}}),
    ({op: "`axes` must be an initializer" for op in REDUCTIONS},
     {"id": "tensorrt.axes-constant", "operators": REDUCTIONS, "kind": "constant_inputs", "inputs": [1],
      "text": "axes must be an initializer"}),
    ({"CumSum": "`axis` must be a build-time constant"},
     {"id": "tensorrt.cumsum-axis", "operators": ["CumSum"], "kind": "constant_inputs", "inputs": [1],
      "text": "axis must be a build-time constant"}),
    ({"GridSample": "Input must be 4D input."},
     {"id": "tensorrt.grid-sample", "operators": ["GridSample"], "kind": "rank", "input": 0, "min": 4, "max": 4,
      "text": "input must be 4D"}),
    ({"Resize": "Supported resize modes: `nearest`, `linear`."},
     {"id": "tensorrt.resize-mode", "operators": ["Resize"], "kind": "attribute_values", "attribute": "mode",
      "values": ["nearest", "linear"], "default": "nearest", "text": "supported resize modes: nearest, linear"}),
    ({"ScatterND": "`reduction` other than `none` is not supported"},
     {"id": "tensorrt.scatter-nd", "operators": ["ScatterND"], "kind": "attribute_values", "attribute": "reduction",
      "values": ["none"], "default": "none", "text": "reduction other than none is not supported"}),
    ({"OneHot": "`depth` must be a build-time constant"},
     {"id": "tensorrt.onehot-depth", "operators": ["OneHot"], "kind": "constant_inputs", "inputs": [1],
      "text": "depth must be a build-time constant"}),
    # Static when the engine is built: a constant, or any value of a file whose input dimensions are all fixed;
    # otherwise said as undecided (the free dimensions' reach is not tracked).
    ({"EyeLike": "`input` must have static dimensions"},
     {"id": "tensorrt.eyelike-static", "operators": ["EyeLike"], "kind": "static_dimensions", "input": 0,
      "text": "input must have static dimensions"}),
    ({"Hardmax": "`axis` dimension of input must be a build-time constant"},
     {"id": "tensorrt.hardmax-static", "operators": ["Hardmax"], "kind": "static_dimensions", "input": 0,
      "attribute": "axis", "default": "-1", "text": "axis dimension of input must be a build-time constant"}),
    ({"Loop": "Scan output length cannot be dynamic"},
     {"id": "tensorrt.loop-scan-length", "operators": ["Loop"], "kind": "loop_scan_length",
      "text": "scan output length cannot be dynamic"}),
    ({"Loop": "The shape of Loop carried dependencies must be the same across all loop iterations"},
     {"id": "tensorrt.loop-carried-shapes", "operators": ["Loop"], "kind": "loop_carried_shapes",
      "text": "the shape of Loop carried dependencies must be the same across all loop iterations"}),
    ({"QuantizeLinear": "`y_zero_point` must be 0", "DequantizeLinear": "`x_zero_point` must be zero"},
     # The importer refuses a constant zero point with a value other than zero ("TensorRT only supports symmetric
     # quantization"); one computed at run time it takes as a tensor.
     {"id": "tensorrt.qdq-zero-point", "operators": ["DequantizeLinear", "QuantizeLinear"], "kind": "zero_values",
      "inputs": [2], "text": "zero point must be 0"}),
    ({"Dropout": "`is_training` must be an initializer"},
     {"id": "tensorrt.dropout-constant", "operators": ["Dropout"], "kind": "constant_inputs", "inputs": [2],
      "text": "training_mode must be an initializer"}),
    ({"Dropout": "evaluate to False"},
     {"id": "tensorrt.dropout-inference", "operators": ["Dropout"], "kind": "zero_values", "inputs": [2],
      "text": "training_mode must be false"}),
    ({"LSTM": "`layout` attribute must be 0"},
     {"id": "tensorrt.lstm-layout", "operators": ["LSTM"], "kind": "attribute_values", "attribute": "layout",
      "values": ["0"], "default": "0", "text": "layout must be 0 (sequence first)"}),
    ({"LSTM": "`input_forget` attribute must be 0"},
     {"id": "tensorrt.lstm-input-forget", "operators": ["LSTM"], "kind": "attribute_values",
      "attribute": "input_forget", "values": ["0"], "default": "0", "text": "input_forget must be 0"}),
    ({"Resize": "Antialiasing is not supported."},
     {"id": "tensorrt.resize-antialias", "operators": ["Resize"], "kind": "attribute_values", "attribute": "antialias",
      "values": ["0"], "default": "0", "text": "antialiasing is not supported"}),
    ({op: "`dilations` must be empty or all ones" for op in ["AveragePool", "LpPool", "MaxPool"]},
     {"id": "tensorrt.pool-dilations", "operators": ["AveragePool", "LpPool", "MaxPool"], "kind": "attribute_values",
      "attribute": "dilations", "values": ["1"], "text": "dilations must be empty or all ones"}),
    ({"MaxPool": "`Indices` output tensor unsupported"},
     {"id": "tensorrt.maxpool-indices", "operators": ["MaxPool"], "kind": "absent", "outputs": [1],
      "text": "Indices output tensor unsupported"}),
    ({"TopK": "`sorted` must be 1"},
     {"id": "tensorrt.topk-sorted", "operators": ["TopK"], "kind": "attribute_values", "attribute": "sorted",
      "values": ["1"], "default": "1", "text": "sorted must be 1"}),
    ({"TopK": "`K` input must be less than 3840"},
     # A K computed at run time the importer passes to the TopK layer as a tensor: only a constant K is known here.
     {"id": "tensorrt.topk-k", "operators": ["TopK"], "kind": "value_range", "inputs": [1], "max": 3839,
      "text": "K input must be less than 3840"}),
    ({"Squeeze": "`axes` must be resolvable to a constant", "Unsqueeze": "`axes` must be resolvable to a constant"},
     # The importer reads the axes input as weights (an initializer or a Constant's value): "Squeeze axes input must
     # be an initializer!"; before opset 13 they are an attribute, and the check has no input to look at.
     {"id": "tensorrt.squeeze-axes", "operators": ["Squeeze", "Unsqueeze"], "kind": "constant_inputs", "inputs": [1],
      "text": "axes must be resolvable to a constant"}),
    ({"STFT": "`frame_step` and `window` must be an initializer"},
     {"id": "tensorrt.stft-constants", "operators": ["STFT"], "kind": "constant_inputs", "inputs": [1, 2],
      "text": "frame_step and window must be an initializer"}),
    ({"LayerNormalization": "Only the first output `Y` is supported"},
     {"id": "tensorrt.layer-norm-outputs", "operators": ["LayerNormalization"], "kind": "absent", "outputs": [1, 2],
      "text": "only the first output Y is supported"}),
    ({"Constant": "`sparse_value`, `value_string`, and `value_strings` attributes are unsupported"},
     {"id": "tensorrt.constant-attributes", "operators": ["Constant"], "kind": "absent",
      "attributes": ["sparse_value", "value_string", "value_strings"],
      "text": "sparse_value, value_string and value_strings attributes are unsupported"}),
    ({"Attention": "`Q`, `K`, `V` and `attn_mask ` must be 4D"},
     {"id": "tensorrt.attention-q", "operators": ["Attention"], "kind": "rank", "input": 0, "min": 4, "max": 4,
      "text": "Q, K, V and attn_mask must be 4D"}),
    ({"Attention": "`Q`, `K`, `V` and `attn_mask ` must be 4D"},
     {"id": "tensorrt.attention-k", "operators": ["Attention"], "kind": "rank", "input": 1, "min": 4, "max": 4,
      "text": "Q, K, V and attn_mask must be 4D"}),
    ({"Attention": "`Q`, `K`, `V` and `attn_mask ` must be 4D"},
     {"id": "tensorrt.attention-v", "operators": ["Attention"], "kind": "rank", "input": 2, "min": 4, "max": 4,
      "text": "Q, K, V and attn_mask must be 4D"}),
    ({"Attention": "`Q`, `K`, `V` and `attn_mask ` must be 4D"},
     {"id": "tensorrt.attention-mask", "operators": ["Attention"], "kind": "rank", "input": 3, "min": 4, "max": 4,
      "text": "Q, K, V and attn_mask must be 4D"}),
    ({"Attention": "`past_key`, `past_value` and `nonpad_kv_seqlen` inputs are unsupported. `present_key`, "
                   "`present_value` and `qk_matmul_output` outputs are unsupported. `qk_matmul_output_mode` and "
                   "`softcap` attributes are unsupported."},
     {"id": "tensorrt.attention-parts", "operators": ["Attention"], "kind": "absent", "inputs": [4, 5, 6],
      "outputs": [1, 2, 3], "attributes": ["qk_matmul_output_mode", "softcap"],
      "text": "past_key, past_value and nonpad_kv_seqlen inputs, present_key, present_value and qk_matmul_output "
              "outputs, qk_matmul_output_mode and softcap attributes are unsupported"}),
    ({"TensorScatter": "`past_cache` and `update` must be 4D"},
     {"id": "tensorrt.tensor-scatter-cache", "operators": ["TensorScatter"], "kind": "rank", "input": 0, "min": 4,
      "max": 4, "text": "past_cache and update must be 4D"}),
    ({"TensorScatter": "`past_cache` and `update` must be 4D"},
     {"id": "tensorrt.tensor-scatter-update", "operators": ["TensorScatter"], "kind": "rank", "input": 1, "min": 4,
      "max": 4, "text": "past_cache and update must be 4D"}),
    ({"TensorScatter": "`axis` must be -2"},
     {"id": "tensorrt.tensor-scatter-axis", "operators": ["TensorScatter"], "kind": "attribute_values",
      "attribute": "axis", "values": ["-2"], "default": "-2", "text": "axis must be -2"}),
    ({"DeformConv": "`input` must have 1D or 2D spatial dimensions"},
     {"id": "tensorrt.deform-conv-rank", "operators": ["DeformConv"], "kind": "rank", "input": 0, "min": 3, "max": 4,
      "text": "input must have 1D or 2D spatial dimensions"}),
    ({"DeformConv": "`pads` for the beginning and end along each spatial axis must be the same"},
     {"id": "tensorrt.deform-conv-pads", "operators": ["DeformConv"], "kind": "equal_halves", "attribute": "pads",
      "text": "pads for the beginning and end along each spatial axis must be the same"}),
    ({"GRU": "For bidirectional GRUs, activation functions must be the same for both the forward and reverse pass",
      "LSTM": "For bidirectional LSTMs, activation functions must be the same for both the forward and reverse pass",
      "RNN": "For bidirectional RNNs, activation functions must be the same for both the forward and reverse pass"},
     # `activations` lists the forward direction's functions, then the reverse's.
     {"id": "tensorrt.bidirectional-activations", "operators": ["GRU", "LSTM", "RNN"], "kind": "equal_halves",
      "attribute": "activations", "when": {"attribute": "direction", "value": "bidirectional"},
      "text": "for bidirectional recurrences, activation functions must be the same for both the forward and "
              "reverse pass"}),
    ({"Resize": "When `scales` is a tensor input, `axes` must be an iota vector of length rank(input)."},
     {"id": "tensorrt.resize-axes", "operators": ["Resize"], "kind": "iota_attribute", "attribute": "axes",
      "input": 0, "inputs": [2], "text": "when scales is a tensor input, axes must be an iota vector of length rank(input)"}),
    ({"If": "Output tensors of the two conditional branches must have the same rank and must have different names"},
     {"id": "tensorrt.if-branch-outputs", "operators": ["If"], "kind": "branch_outputs",
      "values": ["same_rank", "distinct_names"],
      "text": "output tensors of the two conditional branches must have the same rank and must have different names"}),
    ({"RotaryEmbedding": "`position_ids` must be INT64"},
     {"id": "tensorrt.rotary-position-ids", "operators": ["RotaryEmbedding"], "kind": "tensor_types", "input": 3,
      "values": ["int64"], "text": "position_ids must be INT64"}),
]
# Checks whose values are the list a Restrictions sentence gives (the backquoted names after its lead, to the
# sentence's end): the values follow the matrix, and the derivation fails when the sentence is gone.
LISTED = [
    ("Resize", "Supported resize transformation modes:",
     {"id": "tensorrt.resize-coordinate-transformation", "operators": ["Resize"], "kind": "attribute_values",
      "attribute": "coordinate_transformation_mode", "default": "half_pixel",
      "text": "supported resize transformation modes: {}"}),
    ("Resize", "Supported nearest modes:",
     {"id": "tensorrt.resize-nearest-mode", "operators": ["Resize"], "kind": "attribute_values",
      "attribute": "nearest_mode", "default": "round_prefer_floor", "text": "supported nearest modes: {}"}),
    ("Resize", "Supported aspect ratio policy:",
     {"id": "tensorrt.resize-aspect-ratio", "operators": ["Resize"], "kind": "attribute_values",
      "attribute": "keep_aspect_ratio_policy", "default": "stretch", "text": "supported aspect ratio policy: {}"}),
]
QUANTIZED = re.compile(r"> Note: ([A-Z0-9, and]+?) are treated as `Quantized Types` in TensorRT")


def matrix(text):
    """(operators marked Y, operators marked N, {operator marked Y: its restrictions}, source section, {operator
    marked Y: its Supported Types}) from the file's text."""
    r = RANGE.search(text)
    if not r:
        raise st.TableError(f"{PATH}: no 'TensorRT X supports operators in the inclusive range of opset A to opset B'")
    supported_ops, excluded, restrictions, types = set(), set(), {}, {}
    for cells in st.rows(st.section(text, "## Operator Support Matrix")):
        supported = SUPPORTED.match(cells[1]) if len(cells) >= 2 else None
        if not (supported and NAME.match(cells[0])) or len(cells) > 4:
            raise st.TableError(f"a row that is not | Operator | Y or N | types | restrictions: {'|'.join(cells)!r}")
        if supported.group(1) == "N":
            excluded.add(cells[0])
            continue
        supported_ops.add(cells[0])
        if len(cells) >= 3 and cells[2].strip():
            types[cells[0]] = [t.strip() for t in cells[2].split(",") if t.strip()]
        if len(cells) == 4 and st.note(cells[3]):
            restrictions[cells[0]] = st.note(cells[3])
    section = (f"Operator Support Matrix (TensorRT {r.group(1)}, opset {r.group(2)} to {r.group(3)}): "
               "the operators marked Y")
    return (sorted(supported_ops), sorted(excluded), {k: restrictions[k] for k in sorted(restrictions)}, section,
            {k: types[k] for k in sorted(types)})


# The matrix's type names as Slipway's element types (TensorRT's FP8 is E4M3).
TYPE_NAMES = {"INT8": "int8", "FP8": "float8e4m3fn", "INT4": "int4", "FP4": "float4e2m1", "FP32": "float32",
              "FP16": "float16", "BF16": "bfloat16", "INT32": "int32", "INT64": "int64", "BOOL": "bool", "UINT8": "uint8"}


def type_checks(types):
    """DequantizeLinear's Supported Types as checks on its quantized input and its zero point (which has the input's
    type): a uint8 Q/DQ pair (onnxruntime quantize_static's default activations) is refused by the parser."""
    have = types.get("DequantizeLinear")
    if not have:
        raise st.TableError("DequantizeLinear has no Supported Types in the matrix")
    unknown = [t for t in have if t not in TYPE_NAMES]
    if unknown:
        raise st.TableError(f"DequantizeLinear's Supported Types {unknown} have no Slipway element type")
    values = [TYPE_NAMES[t] for t in have]
    text = "quantized type must be " + ", ".join(have)
    return [{"id": "tensorrt.dequantize-types", "operators": ["DequantizeLinear"], "kind": "tensor_types", "input": 0,
             "values": values, "text": text},
            {"id": "tensorrt.dequantize-zero-point-types", "operators": ["DequantizeLinear"], "kind": "tensor_types",
             "input": 2, "values": values, "text": text}]


def listed(restrictions, op, lead):
    """The backquoted names of the sentence of `op`'s restrictions that starts with `lead`."""
    text = restrictions.get(op, "")
    at = text.find(lead)
    if at < 0:
        raise st.TableError(f"{op}'s restrictions no longer say {lead!r}: {text or '(none)'!r}")
    sentence = re.split(r"\.(?:\s|$)", text[at + len(lead):], maxsplit=1)[0]
    names = re.findall(r"`([^`]+)`", sentence)
    if not names:
        raise st.TableError(f"{op}: {lead!r} lists no backquoted names")
    return names


def quantize_checks(text, types):
    """QuantizeLinear's Supported Types (its float input) and the quantized types its zero point may have, which
    set its output type: the matrix's note naming TensorRT's Quantized Types (the importer refuses a UINT8 zero
    point, "TensorRT doesn't allow UINT8 quantization")."""
    m = QUANTIZED.search(text)
    if not m:
        raise st.TableError(f"{PATH}: no note 'X, Y and Z are treated as `Quantized Types` in TensorRT'")
    quantized = [t for t in re.split(r",\s*|\s+and\s+", m.group(1)) if t]
    have = types.get("QuantizeLinear")
    if not have:
        raise st.TableError("QuantizeLinear has no Supported Types in the matrix")
    unknown = [t for t in have + quantized if t not in TYPE_NAMES]
    if unknown:
        raise st.TableError(f"QuantizeLinear's types {unknown} have no Slipway element type")
    note = "the notes on data types above the matrix: " + m.group(0).removeprefix("> Note: ")
    return [{"id": "tensorrt.quantize-input-types", "operators": ["QuantizeLinear"], "kind": "tensor_types",
             "input": 0, "values": [TYPE_NAMES[t] for t in have], "text": "input type must be " + ", ".join(have)},
            {"id": "tensorrt.quantize-zero-point-types", "operators": ["QuantizeLinear"], "kind": "tensor_types",
             "input": 2, "values": [TYPE_NAMES[t] for t in quantized],
             "text": "quantized type must be " + ", ".join(quantized),
             "source": {"id": SOURCE, "section": note}}]


def checks(restrictions, types, text):
    """CHECKS as the set writes them, LISTED with the values the matrix lists, and the type checks; a TableError when
    the matrix no longer states the phrase or the types one rests on."""
    out = []
    for phrases, check in CHECKS:
        for op, phrase in (phrases or {}).items():
            if phrase not in restrictions.get(op, ""):
                raise st.TableError(f"{check['id']}: {op}'s restrictions no longer say {phrase!r}: "
                                    f"{restrictions.get(op, '(none)')!r}")
        out.append(check)
    for op, lead, check in LISTED:
        values = listed(restrictions, op, lead)
        head = {k: v for k, v in check.items() if k not in ("default", "text")}
        out.append({**head, "values": values, "default": check["default"],
                    "text": check["text"].format(", ".join(values))})
    return out + type_checks(types) + quantize_checks(text, types)


SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-Z`])")


def unchecked(restrictions, checks):
    """Operator → the sentences of its restrictions that no check rests on, for the operators some check names (one
    no check names is said to be unchecked whole): a check covers a sentence, not always the whole restriction."""
    covering = {}
    for phrases, check in CHECKS:
        for op, phrase in (phrases or {}).items():
            covering.setdefault(op, []).append(phrase)
    for op, lead, _ in LISTED:
        covering.setdefault(op, []).append(lead)
    named = {op for c in checks for op in c["operators"]}
    out = {}
    for op in sorted(named & set(restrictions)):
        # A sentence is covered when it holds a phrase a check rests on, or lies inside one (a phrase of sentences).
        left = [s for s in SENTENCE.split(restrictions[op])
                if not any(p in s or s.rstrip(".") in p for p in covering.get(op, []))]
        if left:
            out[op] = " ".join(left)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx-tensorrt", default=DEFAULT,
                    help="a checkout of onnx/onnx-tensorrt, or a folder of copies with revisions.json")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed table differs")
    args = ap.parse_args()
    source = st.open_source(args.onnx_tensorrt, REPOSITORY)
    text = source.read(PATH)
    supported, excluded, restrictions, section, types = matrix(text)
    revision, url = st.cite(source, PATH)

    ops = cj.load("operators.json")
    src = cj.load("sources.json")
    sets = ops["operator_sets"]
    i = next(i for i, s in enumerate(sets) if s["id"] == SET)
    derived = checks(restrictions, types, text)
    base = {k: v for k, v in sets[i].items() if k != "unchecked"}
    sets[i] = cj.with_constraints({**base, "source": {**sets[i]["source"], "section": section},
                                   "operators": supported}, restrictions)
    # The parts no check covers right after the restrictions they come from, then the checks.
    rest = {k: v for k, v in sets[i].items() if k != "checks"}
    sets[i] = {}
    for k, v in rest.items():
        sets[i][k] = v
        if k == "constraints" and unchecked(restrictions, derived):
            sets[i]["unchecked"] = unchecked(restrictions, derived)
    sets[i]["checks"] = derived
    entry = src["sources"][SOURCE]
    entry["url"] = url
    entry["revision"] = revision
    entry["derived_by"] = "scripts/catalogue/derive_tensorrt.py"

    cj.write_or_check(ops, src, args.check, "onnx-tensorrt's table")
    if args.check:
        print(f"{SET}: up to date")
        return
    print(f"{SET}: {len(supported)} operators marked Y ({len(excluded)} N), {len(restrictions)} restrictions, "
          f"{len(CHECKS) + len(LISTED) + 4} checks, {section}, {revision}")


if __name__ == "__main__":
    main()
