#!/usr/bin/env python3
"""Derives the catalogue's litert-xnnpack operator set from LiteRT's XNNPACK delegate, recording its revision.

    scripts/catalogue/derive_xnnpack.py --litert PATH --xnnpack PATH [--check]

--litert: a checkout (or bare git directory) of github.com/google-ai-edge/LiteRT. Read at HEAD:
  tflite/delegates/xnnpack/xnnpack_delegate.cc -> Subgraph::VisitNode's builtin cases (the operators the delegate
                                                  takes), and, per operator, the tensor types its Visit*Node function
                                                  checks on each input (CheckTensorFloatOrQUInt8Type...), written as
                                                  `tensor_types` checks; and the quantization parameters it
                                                  refuses, each citing the line it is read from: a per-tensor
                                                  helper's one scale, on an input or output
                                                  (`per_tensor_quantization`); per-channel scales only along a
                                                  filter's expected dimension (`quantized_dimension`, where the call
                                                  gives it as a literal); VisitBinaryNode's and VisitUnaryNode's
                                                  input-to-output scale bounds (`scale_ratio`); RESHAPE's and
                                                  CONCATENATION's inputs sharing the output's scale and zero point
                                                  (`same_quantization_as_output`); QUANTIZE's requantization only to
                                                  its own type (`same_quantized_output_type`); BATCH_MATMUL's zero
                                                  point (`zero_point_zero`). Every refusal of those forms in the file
                                                  must be matched, or the derivation fails.
  tflite/converter/schema/schema.fbs           -> the BuiltinOperator names the kTfLiteBuiltin* cases map to
--xnnpack: a checkout of github.com/google/XNNPACK. Read at HEAD:
  include/xnnpack.h                            -> XNN_MAX_TENSOR_DIMS, the most dimensions xnn_define_tensor_value
                                                  takes (src/tensor.c refuses more)

Ranks: each Visit function's CheckTensorShape (an exact rank, or a min and max, XNN_MAX_TENSOR_DIMS read as its
value) and each `if` on an input's or output's NumDimensions or dims->size whose block returns kTfLiteError are `rank`
checks (the node runs on the builtin kernels); SLICE's and STRIDED_SLICE's `num_dims > XNN_MAX_TENSOR_DIMS` only logs
and refuses nothing. The operators whose Visit function bounds neither input 0's rank nor output 0's are taken whatever
their rank: one `tensor_ranks` check with `refuses_model`, as Subgraph::Create then fails on a tensor above
XNN_MAX_TENSOR_DIMS and LiteRT refuses the model (a 7-D CONCATENATION, measured with ai-edge-litert 2.3.0).

An expected quantized dimension given by an option (BATCH_MATMUL's `params->adj_y ? NumDimensions(&b) - 2 :
NumDimensions(&b) - 1`) is two `quantized_dimension` checks counted from the end, each `when` the option is 1 or 0;
LEAKY_RELU's alpha, refused unless a normal non-zero float, is a `normal_attribute` check; its negative scale (the
positive scale times alpha, in [-127.99609375, 128] and not under 1/256 in magnitude) a `scale_ratio` with a
`factor_attribute` and a `magnitude_min`.

BATCH_MATMUL's "unsupported mixed types", which compares GetXNNPackDatatype's types (per-channel int8, qcint8, is not
per-tensor int8, qint8) unless dynamically quantized, is a `same_xnnpack_datatypes` check. Every other "unsupported
mixed types" refusal compares element types: each `a.type != b.type` of its condition is a `same_tensor_types` check
on those inputs or outputs, and the `&& !flag` that excuses some pairs (CONV_2D's and FULLY_CONNECTED's
`dynamically_quantized`, FULLY_CONNECTED's `supported_srq`) lists the element type pairs the flag's definition
holds for as the check's `values`, with the delegate's default options (dynamically quantized operators on).

Quantization checks left out: those GetXNNPackDatatype makes when the delegate defines its values, after partitioning
(a failure there fails the delegate, not one node); the per-channel parameters xnn_validate_channelwise_quantized_tensor
checks inside XNNPACK itself.

Left out of the set, by what the source says:
  an operator whose Visit function begins with `return kTfLiteError;` (EXPAND_DIMS at 7d88950e: its body is kept
  but never reached), CUSTOM (matched by custom name, like the GPU table), STABLEHLO_COMPOSITE (only the odml.scaled_dot_product_attention
  composite). The variable operators (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) are in while
  `Delegate::support_variable_ops()` ends in an unconditional `return true;` (the flag that once enabled them is
  deprecated), and left out if it ever depends on TFLITE_XNNPACK_DELEGATE_FLAG_VARIABLE_OPERATORS again.

Writes the litert-xnnpack set of Schemas/targets/operators.json and its source into Schemas/targets/sources.json;
then run `make catalogue`. --check writes nothing and exits 1 when the committed files differ from the derivation.
"""
import argparse
import re
import sys

import catalogue_json as cj
from cpp_text import block, strip_comments
from derive_tflite import SCHEMA, builtin_names

DELEGATE = "tflite/delegates/xnnpack/xnnpack_delegate.cc"
SOURCE_ID = "tflite-xnnpack-delegate"
XNNPACK_HEADER = "include/xnnpack.h"
XNNPACK_SOURCE_ID = "xnnpack-max-tensor-dims"
SET_ID = "litert-xnnpack"
# The TfLiteType names (kTfLiteFloat32...) as the catalogue spells element types.
TYPES = {"Float32": "float32", "Float16": "float16", "Int8": "int8", "UInt8": "uint8", "Int16": "int16",
         "Int32": "int32", "Int64": "int64", "Int4": "int4", "Int2": "int2", "UInt4": "uint4", "Bool": "bool"}


def function(text, name):
    m = re.search(r"static TfLiteStatus %s\(" % name, text)
    if m is None:
        sys.exit(f"{DELEGATE}: no function {name}")
    return block(text, m.start())


def visit_cases(text):
    """kTfLiteBuiltin case -> the Visit*Node function VisitNode returns for it."""
    sw = function(text, "VisitNode")
    sw = sw[sw.index("switch (registration->builtin_code)"):]
    cases, pending = {}, []
    for m in re.finditer(r"case kTfLiteBuiltin(\w+):|return (Visit\w+)\(|default:", sw):
        if m.group(1):
            pending.append(m.group(1))
        elif m.group(2):
            for c in pending:
                cases.setdefault(c, m.group(2))
            pending = []
        else:
            break
    return cases


def type_helpers(text):
    """CheckTensor*Type helper -> the element types it accepts (its `case kTfLiteX:` labels, and those of the
    helpers it returns into)."""
    bodies = {m.group(1): block(text, m.start()) for m in re.finditer(r"static TfLiteStatus (CheckTensor\w*Type)\(", text)}

    def types(h, seen=()):
        b = bodies[h]
        t = {x for x in re.findall(r"case kTfLite(\w+):", b) if x in TYPES}
        for sub in re.findall(r"return (CheckTensor\w*Type)\(", b):
            if sub not in seen and sub != h and sub != "CheckTensorType":
                t |= types(sub, seen + (h,))
        return t
    return {h: sorted(TYPES[t] for t in types(h)) for h in bodies if h != "CheckTensorType"}


def input_bindings(body, side="inputs"):
    """Tensor variable -> the node input (or, side="outputs", output) index it is read from
    (`tensors[node->inputs->data[K]]`, directly or via an id variable)."""
    ids = {m.group(1): int(m.group(2)) for m in re.finditer(r"(\w+)\s*=\s*node->%s->data\[(\d+)\]" % side, body)}
    out = {}
    for m in re.finditer(r"const TfLiteTensor&\s*(\w+)\s*=\s*tensors\[\s*(?:node->%s->data\[(\d+)\]|(\w+))\s*\]" % side, body):
        k = int(m.group(2)) if m.group(2) is not None else ids.get(m.group(3))
        if k is not None:
            out[m.group(1)] = k
    return out


CALL = re.compile(r"(CheckTensor\w*Type)\(\s*(?:delegate,\s*)?\w+,\s*(\w+),(?:\s*kTfLite(\w+),)?")


STATIC = re.compile(r"(if \(quasi_static_tensors\.count\([^)]*\) == 0\) \{\s*)?"
                    r"TF_LITE_ENSURE_STATUS\(CheckTensorStaticAllocation\(\s*\w+,\s*(\w+),")


def static_inputs(segment, bindings):
    """The node inputs a Visit function needs static (CheckTensorStaticAllocation), where that is unconditional:
    a weight that may come from an unpacked DEQUANTIZE (`quasi_static_tensors`) is left out, as Slipway counts
    only stored tensors as constant."""
    return sorted({bindings[m.group(2)] for m in STATIC.finditer(segment) if not m.group(1) and m.group(2) in bindings})


def input_checks(segment, bindings, helpers):
    """{input index: (helper, types)}: the first type check on each input the segment makes."""
    out = {}
    for m in CALL.finditer(segment):
        helper, var, literal = m.group(1), m.group(2), m.group(3)
        k = bindings.get(var)
        if k is None or k in out:
            continue
        if helper == "CheckTensorType":
            if literal not in TYPES:
                continue
            out[k] = (f"CheckTensorType(kTfLite{literal})", [TYPES[literal]])
        else:
            out[k] = (helper, helpers[helper])
    return out


MIXED = re.compile(r"if \(([^{};]*?)\)\s*\{\s*TF_LITE_MAYBE_KERNEL_LOG\([^;]*?unsupported mixed types", re.S)
COMPARISON = re.compile(r"\(?(\w+)\.type != (\w+)\.type\)?(?:\s*&&\s*!\s*\(?([\w\s|]+?)\)?)?")
FLAG = r"bool %s =\s*\((.*?)\);"
# A flag that holds only while the delegate's options leave dynamic quantization on, as they do by default (the
# flag TFLITE_XNNPACK_DELEGATE_FLAG_DISABLE_DYNAMICALLY_QUANTIZED_OPS is off unless a user sets it).
DEFAULT_ON = "!delegate.disable_dynamically_quantized_ops() &&"


def split_top(expr, op):
    """The operands of `op` (`||`, `&&`) outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(expr):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and expr.startswith(op, i):
            out.append(expr[start:i])
            start = i + len(op)
    return [x.strip() for x in out + [expr[start:]]]


def unparen(expr):
    """expr without the parentheses that enclose all of it."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, ch in enumerate(expr):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(expr) - 1:
                return expr  # "(a) && (b)": the first parenthesis closes early
        expr = expr[1:-1].strip()
    return expr


def flag_pairs(segment, flag):
    """{(tensor variable, tensor variable): [(type, type)]}: the element type pairs a flag such as
    `dynamically_quantized = (x.type == kTfLiteFloat32 && (w.type == kTfLiteInt4 || w.type == kTfLiteInt8))` holds
    for, with the delegate's default options."""
    m = re.search(FLAG % flag, segment, re.S)
    if m is None:
        sys.exit(f"{DELEGATE}: the flag {flag} a mixed-types refusal excuses is not defined where it is read")
    expr = re.sub(r"\s+", " ", m.group(1)).replace(DEFAULT_ON, "").strip()
    factors = split_top(unparen(expr), "&&")
    if len(factors) != 2:
        sys.exit(f"{DELEGATE}: the flag {flag} is not one tensor's types and another's: {expr}")
    sides = []
    for f in factors:
        alts = [re.fullmatch(r"(\w+)\.type == kTfLite(\w+)", unparen(a)) for a in split_top(unparen(f), "||")]
        if not all(alts) or len({a.group(1) for a in alts}) != 1:
            sys.exit(f"{DELEGATE}: the flag {flag} reads more than tensor types: {expr}")
        sides.append((alts[0].group(1), [TYPES[a.group(2)] for a in alts]))
    (x, xs), (y, ys) = sides
    return {(x, y): [(a, b) for a in xs for b in ys]}


def same_types(segment, bindings, outputs):
    """[(inputs, outputs, exempt type pairs)]: the node inputs (and outputs) that must share one element type, one
    entry per `a.type != b.type` comparison of a `mixed types` refusal, with the type pairs its `&& !flag` excuses
    (a dynamically quantized float input with int8 weights)."""
    out = []
    for m in MIXED.finditer(segment):
        cond = re.sub(r"\s+", " ", m.group(1)).strip()
        if DATATYPES.match(m.group(0)):
            continue  # GetXNNPackDatatype's types: datatype_checks
        for term in split_top(unparen(cond), "||"):
            c = COMPARISON.fullmatch(unparen(term))
            if c is None or any(v not in bindings and v not in outputs for v in c.group(1, 2)):
                sys.exit(f"{DELEGATE}: a mixed-types refusal the patterns do not read: {term}")
            a, b = c.group(1, 2)
            exempt = []
            for flag in split_top(c.group(3), "||") if c.group(3) else []:
                for (x, y), pairs in flag_pairs(segment, flag).items():
                    exempt += pairs if (x, y) == (a, b) else [(q, p) for p, q in pairs] if (y, x) == (a, b) else []
            ins = sorted({bindings[v] for v in (a, b) if v in bindings})
            outs = sorted({outputs[v] for v in (a, b) if v in outputs})
            out.append((tuple(ins), tuple(outs), tuple(f"{p},{q}" for p, q in sorted(set(exempt)) if p != q)))
    return out


def per_operator_types(text, fn, ops, helpers):
    """builtin -> {input: (helper, types)} for the builtins `ops` that VisitNode sends to `fn`. Unary and binary
    Visit functions switch on the operator: each group of `case BuiltinOperator_X:` labels has its own checks."""
    body = function(text, fn)
    bindings = input_bindings(body)
    m = re.search(r"switch \(op_type\)", body)
    if m is None:
        checks = input_checks(body, bindings, helpers)
        if 0 not in checks and re.search(r"for \(int i = 0; i < num_inputs; \+\+i\)\s*\{\s*const TfLiteTensor& \w+ = tensors\[node->inputs->data\[i\]\]", body):
            # Every input is read in a loop, and typed through the output's check (TFLite gives them its type).
            out0 = input_checks(body, {**bindings, "output_tensor": 0}, helpers).get(0)
            if out0:
                checks = {**checks, 0: (out0[0] + " on the output (every input has its type)", out0[1])}
        constant = static_inputs(body, bindings)
        if constant:
            checks = dict(checks, static=constant)
        same = same_types(body, bindings, input_bindings(body, "outputs"))
        if same:
            checks = dict(checks, same=same)
        return {op: checks for op in ops}
    sw = block(body, m.start())
    out, pending = {}, []
    parts = re.split(r"(case BuiltinOperator_\w+:)", sw)
    for part in parts:
        c = re.fullmatch(r"case BuiltinOperator_(\w+):", part)
        if c:
            pending.append(c.group(1))
            continue
        if pending and part.strip():
            checks = input_checks(part, bindings, helpers)
            same = same_types(part, bindings, input_bindings(body, "outputs"))
            if same:
                checks = dict(checks, same=same)
            for op in pending:
                out[op] = checks
            pending = []
    missing = [op for op in ops if op not in out]
    if missing:
        sys.exit(f"{DELEGATE}: {fn} has no type checks for {', '.join(missing)}")
    return {op: out[op] for op in ops}


def line_of(text, pos):
    """The 1-based line of `pos` in `text`: a quantization check cites the line it rests on."""
    return text.count("\n", 0, pos) + 1


def case_blocks(body):
    """[(type labels, block text, offset in body)]: a helper's `switch (tensor.type)` split at its case labels, a run
    of labels sharing the block that follows them."""
    out, labels = [], []
    parts = list(re.finditer(r"case kTfLite(\w+):", body))
    for i, m in enumerate(parts):
        labels.append(m.group(1))
        end = parts[i + 1].start() if i + 1 < len(parts) else len(body)
        chunk = body[m.end():end]
        if chunk.strip():
            out.append((labels, chunk, m.end()))
            labels = []
    return out


def per_tensor_helpers(text):
    """CheckTensor*Type helper -> ({types it takes only per tensor}, line): the quantized types whose case refuses
    `scale->size != 1` (one scale for the whole tensor), followed into the helpers it returns into."""
    starts = {m.group(1): m.start() for m in re.finditer(r"static TfLiteStatus (CheckTensor\w*Type)\(", text)}

    def walk(h, seen=()):
        start = starts[h]
        body = block(text, start)
        at = text.index("{", start)
        types, line = set(), None
        for labels, chunk, off in case_blocks(body):
            m = re.search(r"scale->size != 1", chunk)
            if m:
                types |= {TYPES[x] for x in labels if x in TYPES}
                line = line or line_of(text, at + off + m.start())
        for sub in re.findall(r"return (CheckTensor\w*Type)\(", body):
            if sub in starts and sub not in seen and sub != h:
                t, l = walk(sub, seen + (h,))
                types |= t
                line = line or l
        return types, line
    return {h: walk(h) for h in starts}


DIMENSION = re.compile(r"(CheckTensor\w*Type)\(\s*(?:delegate,\s*)?\w+,\s*(\w+),\s*/\*expected_quantized_dimension=\*/(\d+),")


# BATCH_MATMUL's: `/*expected_quantized_dimension=*/params->adj_y ? NumDimensions(&input_b) - 2 : NumDimensions(&input_b) - 1`.
OPTION_DIMENSION = re.compile(r"(CheckTensor\w*Type)\(\s*(?:delegate,\s*)?\w+,\s*(\w+),\s*/\*expected_quantized_dimension=\*/"
                              r"params->(\w+)\s*\?\s*NumDimensions\(&\2\) - (\d+)\s*:\s*NumDimensions\(&\2\) - (\d+),")


def dimension_checks(text, segment, offset, bindings):
    """[(input, dimension, when, line)]: a helper called with a literal expected_quantized_dimension takes per-channel
    scales only along that dimension (when None); one called with an option's choice between two dimensions counted
    from the end, along the one the option picks (when: (option, "1" or "0"), a negative dimension)."""
    out, seen = [], set()
    for m in DIMENSION.finditer(segment):
        k = bindings.get(m.group(2))
        if k is not None and k not in seen:
            seen.add(k)
            out.append((k, int(m.group(3)), None, line_of(text, offset + m.start())))
    for m in OPTION_DIMENSION.finditer(segment):
        k = bindings.get(m.group(2))
        if k is not None and k not in seen:
            seen.add(k)
            line = line_of(text, offset + m.start())
            out.append((k, -int(m.group(4)), (m.group(3), "1"), line))
            out.append((k, -int(m.group(5)), (m.group(3), "0"), line))
    return out


def constant(expr):
    """A C float expression of literals (`1.0f / 1024.0f`, `256.0f`) as a number."""
    terms = [float(t.strip().rstrip("f")) for t in expr.split("/")]
    value = terms[0]
    for t in terms[1:]:
        value /= t
    return value


SCALES = re.compile(r"case BuiltinOperator_(\w+): \{\s*const float scale_min = ([^;]+);\s*const float scale_max = ([^;]+);"
                    r"(.*?)break;", re.S)
RATIO = re.compile(r"(CheckTensorsInputOutputScale|CheckTensorsInputProductOutputScale)\(\s*\w+,\s*((?:\w+,\s*)+?)output_tensor,")


def scale_ratios(text, fn):
    """builtin -> [(inputs, low, high, line)]: the input-to-output scale bounds a Visit function's op-specific switch
    checks (CheckTensorsInputOutputScale: input scale / output scale; ...ProductOutputScale: the inputs' product)."""
    m = re.search(r"static TfLiteStatus %s\(" % fn, text)
    body = block(text, m.start())
    at = text.index("{", m.start())
    bindings = input_bindings(body)
    out = {}
    for c in SCALES.finditer(body):
        low, high = constant(c.group(2)), constant(c.group(3))
        for r in RATIO.finditer(c.group(4)):
            names = [v.strip() for v in r.group(2).split(",") if v.strip()]
            inputs = [bindings[v] for v in names]
            out.setdefault(c.group(1), []).append(
                (inputs, low, high, line_of(text, at + c.start(4) + r.start())))
    return out


# LEAKY_RELU: `if (!std::isnormal(leaky_relu_params->alpha) || leaky_relu_params->alpha == 0.0f)` refuses the node.
NORMAL_OPTION = re.compile(r"if \(!std::isnormal\((\w+)->(\w+)\) \|\|\s*\1->\2 == 0\.0f\)")
# LEAKY_RELU's negative scale: `negative_scale = positive_scale * leaky_relu_params->alpha`, then its bounds.
FACTOR_RATIO = re.compile(r"const float (\w+) =\s*positive_scale \* \w+->(\w+);\s*if \(\1 < ([^|]+?) \|\|\s*\1 > ([^|]+?) \|\|\s*"
                          r"std::fabs\(\1\) < ([^)]+)\)")
UNARY_RATIO = re.compile(r"const float (\w+) = input_scale / output_scale;\s*if \(\1 < ([^|]+?) \|\|\s*\1 (>=?) ([^)]+)\)")
# QUANTIZE of a quantized input: only to the same quantized type (a requantization), never int8 <-> uint8.
REQUANTIZE = re.compile(r"case xnn_datatype_qint8:\s*case xnn_datatype_quint8:\s*if \(input_datatype == output_datatype\)")
# "Mismatching quantization zero point across the input and the output": an 8-bit output type whose node needs one
# input (RESHAPE's `input_tensor`) or every input (CONCATENATION's loop) with the output's scale and zero point.
SAME_PARAMS = re.compile(r"if \(((?:\s*output_tensor\.type == kTfLite\w+\s*(?:\|\|)?)+)\) \{[^{}]*?"
                         r"(?:for \(int i = 0; i < num_inputs; i\+\+\) \{\s*if \(tensors\[node->inputs->data\[(i)\]\]|"
                         r"if \((\w+))\.params\.zero_point != [^{]*\{[^}]*Mismatching quantization zero point", re.S)
# BATCH_MATMUL: `if ((input_a_datatype != input_b_datatype) && !dynamically_quantized)` on GetXNNPackDatatype's types (a
# per-channel int8 is qcint8, a per-tensor one qint8), unless `dynamically_quantized = (input_a.type == kTfLiteFloat32 &&
# input_b.type == kTfLiteInt8)`.
DATATYPES = re.compile(r"if \(\((\w+)_datatype != (\w+)_datatype\) && !(\w+)\)")
ZERO = re.compile(r"if \(input_b\.type == kTfLiteInt8 && !dynamically_quantized\).*?non-zero zero point %d of \"\s*\"input (\d+)", re.S)


def zero_points(text, fn):
    """[(input, line)]: the inputs a statically quantized node needs with zero point 0 (VisitBatchMatMulNode's
    "non-zero zero point ... of input 1": its int8 right-hand side, unless the left-hand side is float32 and the
    node is dynamically quantized)."""
    m = re.search(r"static TfLiteStatus %s\(" % fn, text)
    body = block(text, m.start())
    at = text.index("{", m.start())
    return [(int(z.group(1)), line_of(text, at + z.start())) for z in ZERO.finditer(body)]


def datatype_checks(text, fn):
    """[(inputs, exempt type pairs, line)]: inputs whose XNNPACK datatypes must be equal (GetXNNPackDatatype's, so
    per-channel and per-tensor int8 differ), except for the element type pairs of the flag the refusal excuses."""
    m = re.search(r"static TfLiteStatus %s\(" % fn, text)
    body = block(text, m.start())
    at = text.index("{", m.start())
    bindings = input_bindings(body)
    out = []
    for d in DATATYPES.finditer(body):
        flag = re.search(r"const bool %s =\s*\((\w+)\.type == kTfLite(\w+) && (\w+)\.type == kTfLite(\w+)\);" % d.group(3), body)
        if flag is None or d.group(1) not in bindings or d.group(2) not in bindings:
            sys.exit(f"{DELEGATE}: {fn}: a datatype comparison the patterns do not read")
        pair = {flag.group(1): TYPES[flag.group(2)], flag.group(3): TYPES[flag.group(4)]}
        inputs = (bindings[d.group(1)], bindings[d.group(2)])
        exempt = (f"{pair[d.group(1)]},{pair[d.group(2)]}",)
        out.append((inputs, exempt, line_of(text, at + d.start())))
    return out


def quantization_checks(text, by_fn, helpers_pt):
    """builtin -> [(kind, input(s), parameters, line, section)] for the quantization parameters the Visit functions
    refuse."""
    out = {}
    for fn, ops in by_fn.items():
        m = re.search(r"static TfLiteStatus %s\(" % fn, text)
        body = block(text, m.start())
        at = text.index("{", m.start())
        bindings = input_bindings(body)
        sw = re.search(r"switch \(op_type\)", body)
        segments = [(ops, body, at)]
        if sw is not None:
            swb = block(body, sw.start())
            swat = at + body.index(swb)
            segments, pending, pos = [], [], 0
            for part in re.split(r"(case BuiltinOperator_\w+:)", swb):
                c = re.fullmatch(r"case BuiltinOperator_(\w+):", part)
                if c:
                    pending.append(c.group(1))
                elif pending and part.strip():
                    segments.append(([o for o in pending if o in ops], part, swat + pos))
                    pending = []
                pos += len(part)
        outputs = input_bindings(body, "outputs")
        for seg_ops, seg, off in segments:
            # The first type check on each input, and on each output (an activation quantized per channel is
            # refused by the node that writes it as well as by those that read it).
            for kind, binds in (("per_tensor", bindings), ("per_tensor_output", outputs)):
                for k, (helper, _) in input_checks(seg, binds, {h: [] for h in helpers_pt}).items():
                    base = helper.split("(")[0]
                    if base in helpers_pt and helpers_pt[base][0]:
                        types, line = helpers_pt[base]
                        for op in seg_ops:
                            out.setdefault(op, []).append((kind, k, tuple(sorted(types)), line, base))
            for k, dim, when, line in dimension_checks(text, seg, off, bindings):
                for op in seg_ops:
                    out.setdefault(op, []).append(("dimension", k, (dim, when), line, fn))
            # A unary operator's own bound on input scale / output scale (QUANTIZE, LEAKY_RELU's positive scale).
            for r in UNARY_RATIO.finditer(seg):
                bounds = (constant(r.group(2)), constant(r.group(4)), r.group(3) == ">", None, None)
                for op in seg_ops:
                    out.setdefault(op, []).append(("ratio", (0,), bounds, line_of(text, off + r.start(2)), fn))
            # That scale times an option (LEAKY_RELU's negative scale: times alpha), bounded both ways and in magnitude.
            for r in FACTOR_RATIO.finditer(seg):
                bounds = (constant(r.group(3)), constant(r.group(4)), True, r.group(2), constant(r.group(5)))
                for op in seg_ops:
                    out.setdefault(op, []).append(("ratio", (0,), bounds, line_of(text, off + r.start(3)), fn))
            for r in NORMAL_OPTION.finditer(seg):
                for op in seg_ops:
                    out.setdefault(op, []).append(("normal", r.group(2), None, line_of(text, off + r.start()), fn))
            r = REQUANTIZE.search(seg)
            if r:
                for op in seg_ops:
                    out.setdefault(op, []).append(("same_output", 0, None, line_of(text, off + r.start()), fn))
        for op, ratios in scale_ratios(text, fn).items():
            if op in ops:
                for inputs, low, high, line in ratios:
                    out.setdefault(op, []).append(("ratio", tuple(inputs), (low, high, False, None, None), line, fn))
        for s in SAME_PARAMS.finditer(body):
            types = tuple(sorted(TYPES[x] for x in re.findall(r"kTfLite(\w+)", s.group(1)) if x in TYPES))
            inputs = () if s.group(2) else (bindings[s.group(3)],)
            for op in ops:
                out.setdefault(op, []).append(("same_params", inputs, types, line_of(text, at + s.start()), fn))
        for k, line in zero_points(text, fn):
            for op in ops:
                out.setdefault(op, []).append(("zero", k, None, line, fn))
        for inputs, exempt, line in datatype_checks(text, fn):
            for op in ops:
                out.setdefault(op, []).append(("datatypes", inputs, exempt, line, fn))
    # Never silently partial: every refusal of these forms in the file is one the patterns read.
    rows = [r for rs in out.values() for r in rs]
    lines = lambda kind: {r[3] for r in rows if r[0] == kind}
    expected = {
        "ratio": len(re.findall(r"(?<!static TfLiteStatus )CheckTensorsInput(?:Product)?OutputScale\(", text))
                 + len(re.findall(r"const float \w+ = input_scale / output_scale;\s*if \(\w+ < [\d.]", text))
                 + len(re.findall(r"const float \w+ =\s*positive_scale \* ", text)),
        "normal": len(re.findall(r"if \(!std::isnormal\(\w+->\w+\)", text)),
        "datatypes": len(re.findall(r"_datatype != \w+_datatype", text)),
        "dimension": len(re.findall(r"/\*expected_quantized_dimension=\*/", text)),
        "same_params": len(re.findall(r"Mismatching quantization zero point", text)),
        "zero": len(re.findall(r"non-zero zero point %d of", text)),
        "same_output": len(re.findall(r"if \(input_datatype == output_datatype\)", text)),
    }
    for kind, n in expected.items():
        if len(lines(kind)) != n:
            sys.exit(f"{DELEGATE}: {n} {kind} refusals in the file, {len(lines(kind))} read; the patterns need updating")
    return out


# The bound of a rank check: a number, or XNNPACK's XNN_MAX_TENSOR_DIMS (read from its xnnpack.h).
BOUND = r"(\d+|XNN_MAX_TENSOR_DIMS)"
SHAPE_CALL = re.compile(r"CheckTensorShape\(\s*\w+,\s*(\w+),\s*([^;]*?)\)\s*\)\s*;", re.S)
# `if (NumDimensions(&t) < 2) { … return kTfLiteError; }`, directly or through a local `const int n = …;`.
RANK_IF = re.compile(r"if \((\w+(?:\(&?\w+\))?(?:\.dims->size)?) (<|>|!=) %s\) \{" % BOUND)
RANK_VAR = re.compile(r"const int (\w+) = (?:NumDimensions\(&(\w+)\)|(\w+)\.dims->size);")


def rank_bounds(body, max_dims):
    """[(side, index, min, max)]: the ranks a Visit function refuses a node for, on each input or output
    it binds: a CheckTensorShape (an exact rank, or a min and max), and an `if` on a tensor's NumDimensions or
    dims->size whose block returns kTfLiteError (SLICE's and STRIDED_SLICE's `num_dims > XNN_MAX_TENSOR_DIMS` only
    logs, so it refuses nothing)."""
    text = strip_comments(body)
    sides = {**{v: ("input", k) for v, k in input_bindings(text).items()},
             **{v: ("output", k) for v, k in input_bindings(text, "outputs").items()}}
    number = lambda x: max_dims if x == "XNN_MAX_TENSOR_DIMS" else int(x)
    out = []
    for m in SHAPE_CALL.finditer(text):
        args = [a.strip() for a in m.group(2).split(",")]
        if len(args) == 4 and re.fullmatch(BOUND, args[0]):
            lo = hi = number(args[0])
        elif len(args) == 5 and re.fullmatch(BOUND, args[0]) and re.fullmatch(BOUND, args[1]):
            lo, hi = number(args[0]), number(args[1])
        else:
            sys.exit(f"{DELEGATE}: a CheckTensorShape whose bounds are not read: {m.group(0)[:120]}")
        if m.group(1) not in sides:
            sys.exit(f"{DELEGATE}: a CheckTensorShape on {m.group(1)}, bound to no input or output")
        out.append((*sides[m.group(1)], lo, hi))
    local = {m.group(1): m.group(2) or m.group(3) for m in RANK_VAR.finditer(text)}
    for m in RANK_IF.finditer(text):
        what, op, bound = m.group(1), m.group(2), number(m.group(3))
        t = re.fullmatch(r"NumDimensions\(&(\w+)\)|(\w+)\.dims->size", what)
        tensor = (t.group(1) or t.group(2)) if t else local.get(what)
        if tensor not in sides or "return kTfLiteError;" not in block(text, m.end() - 1):
            continue
        lo, hi = {"<": (bound, None), ">": (None, bound), "!=": (bound, bound)}[op]
        out.append((*sides[tensor], lo, hi))
    # Every tensor has rank 0 or more: a lower bound of 0 bounds nothing.
    return [(side, k, lo if lo else None, hi) for side, k, lo, hi in out]


def rank_checks(text, by_fn, max_dims):
    """The `rank` checks (a node the delegate leaves to the builtin kernels) and the operators a node of which,
    taken, fails the delegate's preparation above `max_dims`: those whose Visit function bounds neither input 0 nor
    output 0 (a BinaryNode's output has its inputs' rank; CONCATENATION, SPLIT, SOFTMAX, SLICE … bound nothing)."""
    groups, claimed = {}, []
    for fn, ops in sorted(by_fn.items()):
        body = function(text, fn)
        bounds = rank_bounds(body, max_dims)
        for side, k, lo, hi in bounds:
            groups.setdefault((side, k, lo, hi), set()).update(ops)
        if not any(hi is not None and hi <= max_dims and k == 0 for _, k, _, hi in bounds):
            claimed += ops
    out = []
    for (side, k, lo, hi), ops in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], g[0][2] or 0, g[0][3] or 0)):
        bound, rng = (f"of rank {lo}", f"{lo}") if lo == hi else (f"of rank {lo} to {hi}", f"{lo}-{hi}") \
            if lo is not None and hi is not None else (f"of rank at least {lo}", f"min-{lo}") if lo is not None \
            else (f"of rank at most {hi}", f"max-{hi}")
        out.append({"id": f"xnnpack.{side}{k}-rank-{rng}", "operators": sorted(ops), "kind": "rank",
                    **({"outputs": [k]} if side == "output" else {"input": k}),
                    **({"min": lo} if lo is not None else {}), **({"max": hi} if hi is not None else {}),
                    "text": f"XNNPACK takes {side} {k} {bound} only",
                    "source": {"id": SOURCE_ID, "section": "Subgraph::Visit*Node: CheckTensorShape, and NumDimensions "
                                                           "refusals that return kTfLiteError"}})
    return out, sorted(claimed)


def defined_ranks_check(claimed, max_dims):
    """The check whose failure refuses the model: Subgraph::Create defines each tensor of a node the delegate took
    with xnn_define_tensor_value, which refuses more than XNN_MAX_TENSOR_DIMS dimensions, and the delegate's kernel
    then fails to prepare (measured: a 7-D CONCATENATION, "failed to delegate CONCATENATION node #6 … Node number 9
    (TfLiteXNNPackDelegate) failed to prepare")."""
    return {"id": f"xnnpack.defined-ranks-{max_dims}", "operators": claimed, "kind": "tensor_ranks", "max": max_dims,
            "refuses_model": True,
            "text": f"XNNPACK takes the node whatever its rank and defines each of its tensors, which XNNPACK refuses "
                    f"above {max_dims} dimensions (XNN_MAX_TENSOR_DIMS): the delegate fails to prepare and LiteRT "
                    "refuses the model",
            "source": {"id": XNNPACK_SOURCE_ID, "section": "XNN_MAX_TENSOR_DIMS; the Visit*Node functions of these "
                                                           "operators bound neither input 0's rank nor output 0's"}}


def derive(text, names):
    key = {n.replace("_", "").lower(): n for n in names}
    cases = visit_cases(text)
    # Variable operators: once behind TFLITE_XNNPACK_DELEGATE_FLAG_VARIABLE_OPERATORS; now the option is deprecated
    # and support_variable_ops() ends in an unconditional `return true;`.
    m = re.search(r"bool support_variable_ops\(\) const", text)
    variables = m is not None and block(text, m.start())[:-1].rstrip().endswith("return true;")
    helpers = type_helpers(text)
    skipped = {}
    by_fn = {}
    for camel, fn in cases.items():
        name = key.get(camel.lower())
        if camel == "Custom":
            skipped["CUSTOM"] = "matched by custom name"
            continue
        if name is None:
            sys.exit(f"{DELEGATE}: kTfLiteBuiltin{camel} matches no BuiltinOperator in schema.fbs")
        body = function(text, fn)
        if name == "STABLEHLO_COMPOSITE":
            skipped[name] = "only the odml.scaled_dot_product_attention composite"
            continue
        if re.match(r"\{\s*return kTfLiteError;", strip_comments(body)):
            skipped[name] = "its Visit function refuses every node: its first statement returns kTfLiteError"
            continue
        if re.search(r"if \(!delegate\.support_variable_ops\(\)\)", body) and not variables:
            skipped[name] = "only with XNNPACK_FLAG_VARIABLE_OPERATORS"
            continue
        by_fn.setdefault(fn, []).append(name)
    types = {}
    for fn, ops in by_fn.items():
        types.update(per_operator_types(text, fn, ops, helpers))
    # PrepareOpsToDelegate unpacks static weights before VisitNode sees them: a DEQUANTIZE or DENSIFY of a
    # constant (float16 or int8 weights; sparse weights) is taken with its consumers, whatever VisitNode checks.
    start = text.index("TfLiteIntArray* Delegate::PrepareOpsToDelegate(")
    prepare = block(text, start)
    for m in re.finditer(r"registration->builtin_code == kTfLiteBuiltin(\w+)", prepare):
        name = key.get(m.group(1).lower())
        if name is None:
            sys.exit(f"{DELEGATE}: kTfLiteBuiltin{m.group(1)} matches no BuiltinOperator in schema.fbs")
        unpack = block(prepare, m.start())
        accepted = sorted({TYPES[x] for x in re.findall(r"input_tensor\.type == kTfLite(\w+)", unpack) if x in TYPES})
        per_input = dict(types.get(name, {}))
        if 0 in per_input:  # the static case widens what VisitNode accepts on input 0
            helper, visit = per_input[0]
            per_input[0] = (helper + " or a static " + "/".join(accepted) + " weight", sorted(set(visit) | set(accepted)))
        types[name] = per_input
    quant = quantization_checks(text, by_fn, per_tensor_helpers(text))
    return types, skipped, quant, by_fn


def checks_for(types):
    """One `tensor_types` check per (input, helper), naming every operator it applies to, in a stable order."""
    groups, same, static = {}, {}, {}
    for op, per_input in sorted(types.items()):
        for k, v in per_input.items():
            if k == "same":
                for entry in v:
                    same.setdefault(entry, []).append(op)
            if k == "static":
                static.setdefault(tuple(v), []).append(op)
        for k, (helper, accepted) in sorted((k, v) for k, v in per_input.items() if k not in ("same", "static")):
            groups.setdefault((k, helper, tuple(accepted)), []).append(op)
    out = []
    for (k, helper, accepted), ops in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1])):
        slug = re.sub(r"^CheckTensor|Type$|\(kTfLite|\)", "", helper.split(" ")[0]).lower() or "type"
        out.append({
            "id": f"xnnpack.input{k}-{slug}", "operators": ops, "kind": "tensor_types", "input": k,
            "values": list(accepted),
            "text": f"XNNPACK takes input {k} as {', '.join(accepted)} only"
                    + (" (8-bit quantized per tensor)" if "int8" in accepted and "Int8" in helper and "QC" not in helper else ""),
            "source": {"id": SOURCE_ID, "section": f"Subgraph::Visit*Node: {helper} on input {k}"},
        })
    for (inputs, outputs, exempt), ops in sorted(same.items()):
        slug = "-".join(map(str, inputs)) + "".join(f"-out{k}" for k in outputs)
        named = [f"input {k}" for k in inputs] + [f"output {k}" for k in outputs]
        out.append({
            # Exemptions differ by operator: the first one names the check.
            "id": f"xnnpack.same-types-{slug}" + (f"-{ops[0].lower()}" if exempt else ""),
            "operators": ops, "kind": "same_tensor_types", "inputs": list(inputs),
            **({"outputs": list(outputs)} if outputs else {}), **({"values": list(exempt)} if exempt else {}),
            "text": f"XNNPACK takes {' and '.join(named)} only of one element type (no mixed types"
                    + (f" but {', '.join(p.replace(',', ' with ') for p in exempt)}" if exempt else "") + ")",
            "source": {"id": SOURCE_ID, "section": "Subgraph::Visit*Node: \"unsupported mixed types\""},
        })
    for inputs, ops in sorted(static.items()):
        out.append({
            "id": "xnnpack.static-" + "-".join(map(str, inputs)), "operators": ops, "kind": "constant_inputs",
            "inputs": list(inputs),
            "text": f"XNNPACK needs input{'s' if len(inputs) > 1 else ''} {' and '.join(map(str, inputs))} static (stored in the model)",
            "source": {"id": SOURCE_ID, "section": "Subgraph::Visit*Node: CheckTensorStaticAllocation"},
        })
    return out


def fraction(x):
    """A power of two as the source writes it (1/1024, 256)."""
    return f"1/{round(1 / x)}" if 0 < x < 1 else f"{x:.12g}"


def quantization_rows(quant):
    """The quantization checks, one per (kind, input(s), parameters, source line), naming every operator it binds."""
    groups = {}
    for op, rows in sorted(quant.items()):
        for row in rows:
            groups.setdefault(row, []).append(op)
    out = []
    for (kind, k, param, line, where), ops in sorted(groups.items(), key=lambda g: (g[0][0], str(g[0][1]), g[0][3])):
        # One row per source line: the id names the helper or Visit function (and, for a scale bound, the
        # operator), as one input can be checked in several places.
        tag = re.sub(r"^CheckTensor|^Visit|Type$|Node$", "", where).lower()
        src = {"id": SOURCE_ID, "section": f"xnnpack_delegate.cc:{line} ({where})"}
        if kind == "per_tensor":
            out.append({"id": f"xnnpack.input{k}-per-tensor.{tag}", "operators": ops,
                        "kind": "per_tensor_quantization", "input": k, "values": list(param),
                        "text": f"XNNPACK takes a quantized {'/'.join(param)} input {k} only with one scale "
                                "(quantized per tensor)", "source": src})
        elif kind == "per_tensor_output":
            out.append({"id": f"xnnpack.output{k}-per-tensor.{tag}", "operators": ops,
                        "kind": "per_tensor_quantization", "outputs": [k], "values": list(param),
                        "text": f"XNNPACK takes a quantized {'/'.join(param)} output {k} only with one scale "
                                "(quantized per tensor)", "source": src})
        elif kind == "dimension":
            dim, when = param
            if when is None:
                out.append({"id": f"xnnpack.input{k}-channel-dimension-{dim}.{tag}", "operators": ops,
                            "kind": "quantized_dimension", "input": k, "dimension": dim,
                            "text": f"XNNPACK takes input {k} quantized per channel only along dimension {dim}",
                            "source": src})
            else:
                option, value = when
                which = "last" if dim == -1 else f"{-dim}{'nd' if dim == -2 else 'th'} from last"
                out.append({"id": f"xnnpack.input{k}-channel-dimension-{option}-{value}.{tag}", "operators": ops,
                            "kind": "quantized_dimension", "input": k, "dimension": dim,
                            "when": {"attribute": option, "value": value, **({"default": "0"} if value == "0" else {})},
                            "text": f"XNNPACK takes input {k} quantized per channel only along its {which} dimension "
                                    f"when {option} is {'true' if value == '1' else 'false'}", "source": src})
        elif kind == "datatypes":
            a, b = k
            out.append({"id": f"xnnpack.same-datatypes-{a}-{b}.{tag}", "operators": ops, "kind": "same_xnnpack_datatypes",
                        "inputs": list(k), "values": list(param),
                        "text": f"XNNPACK takes inputs {a} and {b} only of one XNNPACK type (int8 per channel is not int8 "
                                f"per tensor), unless they are {' or '.join(p.replace(',', ' and ') for p in param)}",
                        "source": src})
        elif kind == "normal":
            out.append({"id": f"xnnpack.normal-{k}." + "-".join(o.lower() for o in ops), "operators": ops,
                        "kind": "normal_attribute", "attribute": k, "default": "0",
                        "text": f"XNNPACK takes the node only with a normal, non-zero {k} (not 0, subnormal, "
                                "infinite or NaN)", "source": src})
        elif kind == "ratio":
            low, high, inclusive, factor, magnitude = param
            name = " × ".join(f"input {i}" for i in k) + (f" × {factor}" if factor else "")
            out.append({"id": "xnnpack.scale-ratio-" + "-".join(map(str, k)) + (f"-{factor}" if factor else "") + "."
                              + "-".join(o.lower() for o in ops),
                        "operators": ops, "kind": "scale_ratio", "inputs": list(k), "scale_min": low, "scale_max": high,
                        **({"scale_max_inclusive": True} if inclusive else {}),
                        **({"factor_attribute": factor, "magnitude_min": magnitude} if factor else {}),
                        "text": f"XNNPACK takes a quantized node only when the scale of {name} / the output's is in "
                                f"[{fraction(low)}, {fraction(high)}{']' if inclusive else ')'}"
                                + (f", at least {fraction(magnitude)} in magnitude" if factor else ""), "source": src})
        elif kind == "same_params":
            which = f"input{'s' if len(k) != 1 else ''} {', '.join(map(str, k))}" if k else "every input"
            out.append({"id": "xnnpack.same-quantization-as-output." + "-".join(o.lower() for o in ops), "operators": ops,
                        "kind": "same_quantization_as_output", "inputs": list(k), "values": list(param),
                        "text": f"XNNPACK takes a node whose output is {' or '.join(param)} only when {which} "
                                f"{'share' if len(k) > 1 else 'shares'} its scale and zero point", "source": src})
        elif kind == "same_output":
            out.append({"id": f"xnnpack.input{k}-quantized-output-type", "operators": ops,
                        "kind": "same_quantized_output_type", "input": k, "values": ["int8", "uint8"],
                        "text": f"XNNPACK takes a quantized input {k} only to an output of the same type "
                                "(a requantization, not int8 to uint8)", "source": src})
        else:
            out.append({"id": f"xnnpack.input{k}-zero-point", "operators": ops, "kind": "zero_point_zero", "input": k,
                        "text": f"XNNPACK takes a statically quantized int8 input {k} only with zero point 0",
                        "source": src})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litert", required=True)
    ap.add_argument("--xnnpack", required=True, help="a checkout of github.com/google/XNNPACK (XNN_MAX_TENSOR_DIMS)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed tables differ")
    args = ap.parse_args()
    litert = cj.Checkout(args.litert)
    names = builtin_names(litert.read(SCHEMA))
    text = litert.read(DELEGATE)
    types, skipped, quant, by_fn = derive(text, names)
    xnnpack = cj.Checkout(args.xnnpack)
    m = re.search(r"#define XNN_MAX_TENSOR_DIMS (\d+)", xnnpack.read(XNNPACK_HEADER))
    if m is None:
        sys.exit(f"{XNNPACK_HEADER}: no XNN_MAX_TENSOR_DIMS")
    max_dims = int(m.group(1))
    ranks, claimed = rank_checks(text, by_fn, max_dims)

    ops = cj.load("operators.json")
    new_set = {
        "id": SET_ID,
        "title": "LiteRT XNNPACK delegate",
        "source": {"id": SOURCE_ID, "section": "Subgraph::VisitNode: the kTfLiteBuiltin cases; PrepareOpsToDelegate: "
                                               "static DEQUANTIZE and DENSIFY unpacked with their consumers"},
        "tensor_types": ["float32", "float16", "int8", "uint8"],
        "operators": sorted(types),
        "checks": [defined_ranks_check(claimed, max_dims)] + ranks + checks_for(types) + quantization_rows(quant),
    }
    sets = ops["operator_sets"]
    at = next((i for i, s in enumerate(sets) if s["id"] == SET_ID), None)
    if at is None:
        gpu = next(i for i, s in enumerate(sets) if s["id"] == "litert-gpu")
        sets.insert(gpu + 1, new_set)
    else:
        sets[at] = new_set

    src = cj.load("sources.json")
    src["sources"][SOURCE_ID] = {
        "title": "LiteRT XNNPACK delegate: Subgraph::VisitNode and the Visit*Node checks "
                 "(tflite/delegates/xnnpack/xnnpack_delegate.cc)",
        "url": f"https://github.com/google-ai-edge/LiteRT/blob/{litert.revision}/{DELEGATE}",
        "revision": f"google-ai-edge/LiteRT@{litert.revision} ({litert.date})",
        "derived_by": "scripts/catalogue/derive_xnnpack.py"}

    src["sources"][XNNPACK_SOURCE_ID] = {
        "title": "XNNPACK: XNN_MAX_TENSOR_DIMS (include/xnnpack.h), which xnn_define_tensor_value refuses to exceed "
                 "(src/tensor.c)",
        "url": f"https://github.com/google/XNNPACK/blob/{xnnpack.revision}/{XNNPACK_HEADER}",
        "revision": f"google/XNNPACK@{xnnpack.revision} ({xnnpack.date})",
        "derived_by": "scripts/catalogue/derive_xnnpack.py"}

    cj.write_or_check(ops, src, args.check, f"{SET_ID} at LiteRT {litert.revision[:12]}")
    if args.check:
        print(f"{SET_ID}: up to date at LiteRT {litert.revision[:12]}")
        return
    print(f"{SET_ID}: {len(types)} builtins, {len(new_set['checks'])} checks; left out: "
          + "; ".join(f"{op} ({why})" for op, why in sorted(skipped.items())))


if __name__ == "__main__":
    main()
