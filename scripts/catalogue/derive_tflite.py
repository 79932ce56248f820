#!/usr/bin/env python3
"""Derives the catalogue's TFLite tables from their primary sources, recording each source's revision.

    scripts/catalogue/derive_tflite.py --litert PATH --tflm PATH

--litert: a checkout (or bare git directory) of github.com/google-ai-edge/LiteRT, the home of the TFLite runtime since
TensorFlow moved it out. Read at HEAD:
  tflite/converter/tools/versioning/runtime_version.cc  -> tflite_op_versions (every builtin x version -> minimum runtime)
  tflite/delegates/gpu/common/model_builder.cc          -> the litert-gpu operator set: NewOperationParser's builtin
                                                           cases, and each parser's CheckMaxSupportedOpVersion
  tflite/converter/schema/schema.fbs                    -> the BuiltinOperator names the kTfLiteBuiltin* cases map to
  tflite/converter/ir/tfl_ops.td                        -> the tflite-converter set: each TFL op definition's rank
                                                           traits (TFL_OperandHasRank, -AtMost, -AtLeast, -Range and
                                                           their Pred forms outside an Or<[...]>, and a runtime
                                                           predicate's "input must have rank at most N"): the ranks
                                                           for which TensorFlow's converter writes that builtin
                                                           (PAD: up to 5; a 6-D pad becomes a Select TF op,
                                                           FlexPad). Read at the commit that added it (LiteRT's
                                                           import of TensorFlow's converter), not HEAD: the
                                                           converter that runs is the pinned TensorFlow's.
--tflm: a checkout of github.com/tensorflow/tflite-micro. Read at HEAD:
  tensorflow/lite/micro/micro_mutable_op_resolver.h     -> the tflite-micro set: every AddBuiltin(BuiltinOperator_X, ...)
  tensorflow/lite/micro/kernels/elementwise.cc          -> the set's `tensor_types` checks: each Register_X's prepare
                                                           template names the Is*SupportedType predicate its input
                                                           must pass (LOG, SIN, COS, SQRT, SQUARE: float32 only)
  tensorflow/lite/micro/kernels/*.cc, *.h               -> more `tensor_types` checks: for each builtin the resolver
                                                           registers, the element types its Prepare and Eval refuse
                                                           for an input or an output by a top-level statement (a
                                                           switch on the tensor's type whose default returns
                                                           kTfLiteError, an if-else chain whose last else fails,
                                                           TF_LITE_ENSURE_TYPES_EQ, TF_LITE_ENSURE of `t->type ==`
                                                           alternatives); GATHER's positions: int32 only. And
                                                           `rank` checks: the ranks a top-level TF_LITE_ENSURE,
                                                           TF_LITE_ENSURE_MSG or TF_LITE_ENSURE_EQ on NumDimensions
                                                           (or dims->size) of an input or output allows, its bound a
                                                           number or a constant (TRANSPOSE: up to 5, STRIDED_SLICE:
                                                           up to 4, RESIZE_*: 4)
  tensorflow/lite/kernels/internal/runtime_shape.h      -> RuntimeShape::kMaxSmallSize, a bound some kernels name
  tensorflow/lite/kernels/internal/reference/pad.h      -> PadKernelMaxDimensionCount(), PAD's bound

Writes Schemas/targets/operators.json, the litert runtime's versions (every major.minor the runtime_version table
names, so a model needing LiteRT 2.23 has a release to point at) into runtimes.json, and the revisions into
Schemas/targets/sources.json; then run `make catalogue`.
"""
import argparse
import re
import sys

import catalogue_json as cj
from cpp_text import closing, closing_brace, strip_comments

RUNTIME_VERSION = "tflite/converter/tools/versioning/runtime_version.cc"
MODEL_BUILDER = "tflite/delegates/gpu/common/model_builder.cc"
SCHEMA = "tflite/converter/schema/schema.fbs"
TFL_OPS = "tflite/converter/ir/tfl_ops.td"
RESOLVER = "tensorflow/lite/micro/micro_mutable_op_resolver.h"
ELEMENTWISE = "tensorflow/lite/micro/kernels/elementwise.cc"
KERNELS = "tensorflow/lite/micro/kernels"
# Headers outside the kernels folder whose constants kernels name as rank bounds.
BOUND_HEADERS = {"RuntimeShape::kMaxSmallSize": ("tensorflow/lite/kernels/internal/runtime_shape.h",
                                                 r"\bkMaxSmallSize\s*=\s*(\d+)\s*;"),
                 "reference_ops::PadKernelMaxDimensionCount()": ("tensorflow/lite/kernels/internal/reference/pad.h",
                                                                 r"PadKernelMaxDimensionCount\(\)\s*\{\s*return\s+(\d+)\s*;")}
# TfLiteType names as the catalogue spells element types.
TYPES = {"Float32": "float32", "Float16": "float16", "Float64": "float64", "Int4": "int4", "Int8": "int8", "UInt8": "uint8",
         "Int16": "int16", "UInt16": "uint16", "Int32": "int32", "UInt32": "uint32", "Int64": "int64", "UInt64": "uint64",
         "Bool": "bool", "String": "string", "Complex64": "complex64"}


def builtin_names(schema_text):
    body = re.search(r"enum BuiltinOperator\s*:\s*\w+\s*\{(.*?)\}", schema_text, re.S).group(1)
    body = re.sub(r"//[^\n]*", "", body)
    return [m.group(1) for m in re.finditer(r"\b([A-Z][A-Z0-9_]*)\s*=\s*-?\d+", body)]


def runtime_versions(text):
    table = {}
    for op, ver, rt in re.findall(r'\{\{BuiltinOperator_(\w+),\s*(\d+)\},\s*"([0-9.]*)"\}', text):
        if rt:  # an empty string means "no runtime known" in the source
            table.setdefault(op, {})[ver] = rt
    return {op: dict(sorted(v.items(), key=lambda kv: int(kv[0]))) for op, v in sorted(table.items())}


def gpu_parsers(text, names):
    """builtin -> (parser class, max version or None), from NewOperationParser and the parser classes."""
    key = {n.replace("_", "").lower(): n for n in names}
    fn = re.search(r"std::unique_ptr<TFLiteOperationParser> NewOperationParser\((.*?)\n}\n", text, re.S).group(1)
    fn = fn.split("case kTfLiteBuiltinCustom", 1)[0]  # custom operators are matched by name, not builtin
    cases = {}
    pending = []
    for m in re.finditer(r"case kTfLiteBuiltin(\w+):|std::make_unique<(\w+)>\(([^;]*)\)", fn):
        if m.group(1):
            pending.append(m.group(1))
        else:
            for camel in pending:
                name = key.get(camel.lower())
                if name is None:
                    sys.exit(f"model_builder.cc: kTfLiteBuiltin{camel} matches no BuiltinOperator in schema.fbs")
                if m.group(2) != "UnsupportedOperationParser":
                    cases[name] = (m.group(2), m.group(3))
            pending = []
    bodies = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^class (\w+) : public TFLiteOperationParser", text, re.M)]
    for i, (pos, cls) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        bodies[cls] = text[pos:end]
    out = {}
    for name, (cls, arg) in sorted(cases.items()):
        body = bodies.get(cls, "")
        maxv = None
        m = re.search(r"CheckMaxSupportedOpVersion\(registration,\s*(\d+)\)", body)
        if m:
            maxv = int(m.group(1))
        else:
            # ElementwiseOperationParser: `operation_type_ == OperationType::MUL ? 3 : 2`
            m = re.search(r"operation_type_ == OperationType::(\w+) \? (\d+) : (\d+)", body)
            if m:
                maxv = int(m.group(2)) if f"OperationType::{m.group(1)}" == arg.strip() else int(m.group(3))
        out[name] = (cls, maxv)
    return out


def rank_words(lo, hi):
    """A rank bound's id part and its words: (4, 4) -> ("4", "4"), (None, 5) -> ("max5", "up to 5"), (1, None) ->
    ("min1", "at least 1"), (3, 4) -> ("3-4", "3 to 4")."""
    if lo == hi:
        return f"{lo}", f"{lo}"
    if lo is not None and hi is not None:
        return f"{lo}-{hi}", f"{lo} to {hi}"
    return (f"max{hi}", f"up to {hi}") if lo is None else (f"min{lo}", f"at least {lo}")


def narrowed(was, lo, hi):
    """The rank bounds (lowest, highest) of `was` (None: none yet) and (lo, hi) together; None where unbounded."""
    was = was or (None, None)
    return (max((x for x in (was[0], lo) if x is not None), default=None),
            min((x for x in (was[1], hi) if x is not None), default=None))


def without_or(text):
    """`text` with every Or<[...]> removed: a rank bound under an alternative is no refusal of every op."""
    while True:
        m = re.search(r"\bOr<\[", text)
        if not m:
            return text
        end = text.index(">", closing(text, m.end() - 1, "[]"))
        text = text[:m.start()] + text[end + 1:]


DATA_OPERANDS = ("input", "x", "lhs")


def converter_rank_checks(text, names):
    """The tflite-converter set's `rank` checks: for each `def TFL_XOp : TFL_Op<"x", [traits]>` whose mnemonic
    upper-cased is a builtin, the ranks its traits bound for its data operand — operand 0 where its arguments name it
    $input, $x or $lhs (TRANSPOSE_CONV's operand 0 is $output_shape: an ONNX node's input 0 is not it) —, where no
    Or<[...]> holds the bound. An ONNX node lowered to the builtin is judged by it (Coverage.converterRankBound)."""
    bounds = {}  # (builtin, operand, squeezed) -> [lowest, highest]
    for m in re.finditer(r'^def\s+TFL_\w+\s*:\s*TFL_Op<"(\w+)",\s*\[', text, re.M):
        builtin = m.group(1).upper()
        if builtin not in names:
            continue
        end = closing(text, m.end() - 1, "[]")
        traits = without_or(strip_comments(text[m.end():end]))
        arguments = re.search(r"let\s+arguments\s*=\s*\(\s*ins\b[^$]*\$(\w+)", text[end:])
        if not arguments or arguments.group(1) not in DATA_OPERANDS:
            continue
        for t in re.finditer(r"TFL_OperandHasRank(AtMost|AtLeast|Range)?(?:Pred)?<\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(\d+)\s*)?>", traits):
            kind, operand, a, b = t.group(1), int(t.group(2)), int(t.group(3)), t.group(4)
            if operand != 0:
                continue
            lo, hi = {None: (a, a), "AtMost": (None, a), "AtLeast": (a, None), "Range": (a, int(b) if b else None)}[kind]
            bounds[(builtin, operand, False)] = narrowed(bounds.get((builtin, operand, False)), lo, hi)
        # TRANSPOSE's bound is on its "effective rank", the dimensions other than 1 (GetSqueezedShape).
        for t in re.finditer(r"TFL_TransposeOperandHasEffectiveRankAtMost<\s*0\s*,\s*(\d+)\s*>", traits):
            bounds[(builtin, 0, True)] = narrowed(bounds.get((builtin, 0, True)), None, int(t.group(1)))
        # A bound a C++ predicate checks, stated in its trait's message: STRIDED_SLICE's "input (with new_axis) must
        # have rank at most 5" (VerifyStridedSliceOpInputRankConstraints: the input's rank plus its new axes), so an
        # input of a higher rank is refused whatever the masks.
        for t in re.finditer(r'TFL_RuntimePredOpTrait<\s*"input(?: \([^)"]*\))? must have rank at most (\d+)"', traits):
            bounds[(builtin, 0, False)] = narrowed(bounds.get((builtin, 0, False)), None, int(t.group(1)))
    groups = {}
    for (builtin, operand, squeezed), (lo, hi) in bounds.items():
        groups.setdefault((operand, squeezed, lo, hi), []).append(builtin)
    checks = []
    for (operand, squeezed, lo, hi), ops in sorted(groups.items(), key=lambda kv: str(kv[0])):
        span, said = rank_words(lo, hi)
        c = {"id": f"tflite-converter.{'effective-' if squeezed else ''}rank-input{operand}-{span}", "operators": sorted(ops),
             "kind": "rank", "input": operand}
        c.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
        if squeezed:
            c.update({"squeezed": True, "text": f"TensorFlow's converter writes the builtin for input {operand} of {said} "
                      "dimensions other than 1 only", "source": {"id": "tfl-ops", "section":
                      "each TFL op definition's TFL_TransposeOperandHasEffectiveRankAtMost trait"}})
        else:
            c.update({"text": f"TensorFlow's converter writes the builtin for input {operand} of rank {said} only",
                      "source": {"id": "tfl-ops", "section": "each TFL op definition's TFL_OperandHasRank* traits"}})
        checks.append(c)
    if not checks:
        sys.exit(f"{TFL_OPS}: no rank trait read")
    return checks


def resolver_builtins(text):
    return sorted(set(re.findall(r"AddBuiltin\(\s*BuiltinOperator_(\w+)", text)))


def elementwise_checks(text):
    """The tflite-micro set's `tensor_types` checks: for each Register_X() of elementwise.cc, the element types of
    the Is*SupportedType predicate its prepare function is instantiated with (`return type == kTfLiteA || ...;`)."""
    predicates = {}
    for m in re.finditer(r"bool (Is\w+SupportedType)\(const TfLiteType type\)\s*\{\s*return ([^;]*);", text):
        kinds = re.findall(r"type == kTfLite(\w+)", m.group(2))
        if not kinds or re.sub(r"type == kTfLite\w+|\|\||\s", "", m.group(2)):
            sys.exit(f"{ELEMENTWISE}: {m.group(1)} is not a list of `type == kTfLite...`")
        predicates[m.group(1)] = [TYPES[k] for k in kinds]
    groups = {}
    for m in re.finditer(r"TFLMRegistration Register_(\w+)\(\)\s*\{(.*?)\n\}", text, re.S):
        used = re.findall(r"<(Is\w+SupportedType)\b", m.group(2))
        if len(used) != 1 or used[0] not in predicates:
            sys.exit(f"{ELEMENTWISE}: Register_{m.group(1)} names no known type predicate")
        groups.setdefault(tuple(predicates[used[0]]), []).append(m.group(1))
    if not groups:
        sys.exit(f"{ELEMENTWISE}: no Register_X() read")
    return [{
        "id": "tflm.input0-" + "-".join(types), "operators": sorted(ops), "kind": "tensor_types", "input": 0,
        "values": list(types), "text": f"LiteRT for Microcontrollers takes input 0 as {', '.join(types)} only",
        "source": {"id": "tflm-elementwise", "section": "Register_X(): the Is*SupportedType of its prepare"},
    } for types, ops in sorted(groups.items(), key=lambda g: sorted(g[1]))]



def function_bodies(text):
    """name -> body (between its braces) of every function defined in `text`."""
    out = {}
    for m in re.finditer(r"\n[\w:<>,\s\*&]*?\b(\w+)\s*\(([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*)\)\s*(?:const\s*)?\{", text):
        if m.group(1) in ("if", "for", "while", "switch"):
            continue
        start = m.end() - 1
        out.setdefault(m.group(1), text[start + 1:closing_brace(text, start)])
    return out


def top_level(body):
    """`body` with every nested block's contents blanked: what runs whenever the function runs."""
    out, depth = [], 0
    for ch in body:
        if ch == "}":
            depth -= 1
        out.append(ch if depth == 0 or ch in "{}" else " ")
        if ch == "{":
            depth += 1
    return "".join(out)


def refusals(body, tensors):
    """(tensor, accepted types) for each element-type refusal at the top level of a kernel function, where `tensors`
    maps a variable to its tensor, ("input", k) or ("output", k): a `switch (t->type)` whose default returns
    kTfLiteError; TF_LITE_ENSURE_TYPES_EQ(context, t->type, kTfLiteX); TF_LITE_ENSURE(context, t->type == kTfLiteA ||
    ...); an `if (t->type == A || ...) {…} else if (t->type == B) {…} else {… kTfLiteError …}` chain — each where no
    earlier top-level `if` tests the same tensor's type (it may take those types elsewhere, and return)."""
    flat = top_level(body)
    found = []

    def guarded(var, at):
        return re.search(rf"\bif\s*\([^{{;]*\b{var}->type", flat[:at]) is not None
    for m in re.finditer(r"\bswitch\s*\((\w+)->type\)\s*\{", flat):
        if m.group(1) not in tensors or guarded(m.group(1), m.start()):
            continue
        start = m.end() - 1
        block = body[start:closing_brace(body, start) + 1]
        inner = top_level(block[1:-1])
        labels = re.findall(r"\bcase\s+kTfLite(\w+)\s*:", inner)
        default = re.search(r"\bdefault\s*:", inner)
        if labels and default and "kTfLiteError" in block[1 + default.end():]:
            found.append((tensors[m.group(1)], labels))
    for m in re.finditer(r"TF_LITE_ENSURE_TYPES_EQ\(\s*context,\s*(\w+)->type,\s*kTfLite(\w+)\s*\)", flat):
        if m.group(1) in tensors and not guarded(m.group(1), m.start()):
            found.append((tensors[m.group(1)], [m.group(2)]))
    alternatives = r"((?:\w+->type\s*==\s*kTfLite\w+\s*(?:\|\|\s*)?)+)"
    for m in re.finditer(r"TF_LITE_ENSURE\(\s*context,\s*" + alternatives + r"\)", flat):
        tested = re.findall(r"(\w+)->type\s*==\s*kTfLite(\w+)", m.group(1))
        if len({t for t, _ in tested}) == 1 and tested[0][0] in tensors and not guarded(tested[0][0], m.start()):
            found.append((tensors[tested[0][0]], [k for _, k in tested]))
    # if / else if / else chains on one tensor's type, the last `else` failing.
    for m in re.finditer(r"(?<!else )\bif\s*\(\s*" + alternatives + r"\)\s*\{", flat):
        var = re.match(r"(\w+)->type", m.group(1)).group(1)
        if var not in tensors or guarded(var, m.start()):
            continue
        kinds, at = [], m.start()
        while True:
            cond = re.match(r"(?:else\s+)?if\s*\(\s*" + alternatives + r"\)\s*\{", flat[at:])
            if not cond:
                break
            tested = re.findall(r"(\w+)->type\s*==\s*kTfLite(\w+)", cond.group(1))
            if {t for t, _ in tested} != {var}:
                kinds = None
                break
            kinds += [k for _, k in tested]
            close = closing_brace(body, at + cond.end() - 1)
            nxt = re.match(r"\s*else\s+", flat[close + 1:])
            if not nxt:
                kinds = None  # no final else: the other types pass
                break
            at = close + 1 + nxt.end()
            if flat[at:].startswith("{"):
                final = body[at:closing_brace(body, at) + 1]
                if "kTfLiteError" not in final:
                    kinds = None
                break
            if not flat[at:].startswith("if"):
                kinds = None
                break
        if kinds:
            found.append((tensors[var], kinds))
    return found


def blank_strings(text):
    """`text` with the contents of its string literals blanked (a message's commas and parentheses are not code)."""
    return re.sub(r'"(?:\\.|[^"\\])*"', lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', text)


def arguments(text, start):
    """The arguments of the call whose `(` is at `start`, split at its own commas."""
    inner = text[start + 1:closing(text, start, "()")]
    out, depth, begin = [], 0, 0
    for i, ch in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(inner[begin:i].strip())
            begin = i + 1
    out.append(inner[begin:].strip())
    return out


def tensor_variables(body, consts):
    """A kernel function's tensor variables: name -> ("input" | "output", index), from its AllocateTemp*Tensor and
    GetEval* calls, the index a number or a constant of `consts`."""
    tensors = {}
    for b in re.finditer(r"(\w+)\s*=\s*(?:micro_context->AllocateTemp(Input|Output)Tensor|(?:tflite::)?micro::"
                         r"GetEval(Input|Output))\(\s*(?:context,\s*)?node,\s*(\w+)\s*\)", body):
        index = int(b.group(4)) if b.group(4).isdigit() else consts.get(b.group(4))
        if index is not None:
            tensors[b.group(1)] = ((b.group(2) or b.group(3)).lower(), index)
    return tensors


def reached(body, flat, at):
    """Whether the top-level statement at `at` runs on every call that has not failed before it: no earlier top-level
    `if` or `switch` leaves the function but by failing (a `return` of anything but kTfLiteError)."""
    for m in re.finditer(r"\b(?:if|switch)\s*\(", flat[:at]):
        close = closing(body, m.end() - 1, "()")
        rest = body[close + 1:]
        lead = len(rest) - len(rest.lstrip())
        if rest.lstrip().startswith("{"):
            start = close + 1 + lead
            statement = body[start:closing_brace(body, start) + 1]
        else:
            statement = rest[:rest.find(";") + 1]
        if re.search(r"\breturn\b(?!\s+kTfLiteError\b)", statement):
            return False
    return True


def contexts(texts):
    """The kernels' context structs (`TransposeContext op_context(context, node);`): struct name -> {member: tensor
    ("input" | "output", constant name or index)} of the members its constructor allocates, and {member: member}
    for an `int dims = NumDimensions(input)` it keeps."""
    out = {}
    for text in texts.values():
        for m in re.finditer(r"\bstruct\s+(\w+)\s*\{", text):
            name = m.group(1)
            ctor = re.search(rf"\b{name}\s*\(\s*TfLiteContext\s*\*\s*context\s*,\s*TfLiteNode\s*\*\s*node\s*\)\s*\{{",
                             text[m.end():])
            if not ctor:
                continue
            at = m.end() + ctor.end() - 1
            body = text[at:closing_brace(text, at)]
            members = {b.group(1): ((b.group(2)).lower(), b.group(3)) for b in re.finditer(
                r"(\w+)\s*=\s*micro_context->AllocateTemp(Input|Output)Tensor\(\s*node,\s*(\w+)\s*\)", body)}
            ranks = {b.group(1): b.group(2) for b in re.finditer(r"(\w+)\s*=\s*NumDimensions\(\s*(\w+)\s*\)\s*;", body)
                     if b.group(2) in members}
            if members:
                out.setdefault(name, (members, ranks))
    return out


def rank_refusals(body, tensors, ranked, bound):
    """(tensor, lowest, highest) for each rank refusal at the top level of a kernel function, reached on every call:
    TF_LITE_ENSURE(context, R op N), TF_LITE_ENSURE_MSG(context, R op N, ...) and TF_LITE_ENSURE_EQ(context, R, N), where
    R is NumDimensions(t), t->dims->size or a name holding one (`ranked`: name -> tensor variable), and N a bound
    `bound` resolves; an `if (R op N)` whose block returns kTfLiteError and nothing else; and, inside a loop over the
    node's inputs from 0, what its body refuses, as a refusal of input 0. A bound it cannot resolve, or a condition of
    several terms, is not read."""
    body = blank_strings(body)
    flat = top_level(body)
    found = []

    def tensor(expr):
        expr = expr.strip()
        while expr.startswith("(") and closing(expr, 0, "()") == len(expr) - 1:
            expr = expr[1:-1].strip()
        m = re.fullmatch(r"NumDimensions\(\s*([\w.]+)\s*\)|([\w.]+)->dims->size|([\w.]+)", expr)
        if not m:
            return None
        var = m.group(1) or m.group(2) or ranked.get(m.group(3))
        return tensors.get(var)
    flipped = {"<=": ">=", ">=": "<=", "<": ">", ">": "<", "==": "==", "!=": "!="}

    def comparison(cond):
        """(left, op, right) of a condition of one comparison, else None."""
        if "&&" in cond or "||" in cond:
            return None
        c = re.fullmatch(r"(.+?)\s*(<=|>=|==|!=|<|>)\s*(.+)", cond, re.S)
        return (c.group(1), c.group(2), c.group(3)) if c else None

    def add(left, op, right):
        """The ranks `R op N` (either way round) requires, when one side is a tensor's rank and the other a bound."""
        t, n = tensor(left), bound(right)
        if t is None or n is None:
            t, n, op = tensor(right), bound(left), flipped[op]
        if t is not None and n is not None and op != "!=":
            found.append((t, *{"<=": (None, n), "<": (None, n - 1), ">=": (n, None), ">": (n + 1, None), "==": (n, n)}[op]))
    for m in re.finditer(r"\bTF_LITE_ENSURE(_MSG|_EQ)?\s*\(", flat):
        if not reached(body, flat, m.start()):
            continue
        args = arguments(body, m.end() - 1)
        if m.group(1) == "_EQ":
            if len(args) != 3:
                continue
            left, op, right = args[1], "==", args[2]
        else:
            if len(args) < 2:
                continue
            cond = args[1]
            while cond.startswith("(") and closing(cond, 0, "()") == len(cond) - 1:
                cond = cond[1:-1].strip()
            c = comparison(cond)
            if not c:
                continue
            left, op, right = c
        add(left, op, right)
    # `if (R op N) { … return kTfLiteError; }` (CONCATENATION's "does not currently support num dimensions > %d"):
    # the ranks the condition leaves are the ones taken. A block that returns anything else is not a refusal.
    for m in re.finditer(r"\bif\s*\(", flat):
        if not reached(body, flat, m.start()):
            continue
        close = closing(body, m.end() - 1, "()")
        rest = body[close + 1:]
        c = comparison(body[m.end():close].strip())
        if not c or not rest.lstrip().startswith("{"):
            continue
        start = close + 1 + len(rest) - len(rest.lstrip())
        block = body[start:closing_brace(body, start) + 1]
        if not re.search(r"\breturn\s+kTfLiteError\s*;", block) or re.search(r"\breturn\b(?!\s+kTfLiteError\b)", block):
            continue
        left, op, right = c
        # What the refused condition leaves: its negation.
        add(left, {">": "<=", ">=": "<", "<": ">=", "<=": ">", "!=": "==", "==": "!="}[op], right)
    # A loop over the node's inputs from 0 (`for (int i = 0; i < num_inputs; ++i) { … AllocateTempInputTensor(node,
    # i) … }`): what its body refuses, it refuses for every input, input 0 among them.
    for m in re.finditer(r"\bfor\s*\(\s*int\s+(\w+)\s*=\s*0\s*;", flat):
        if not reached(body, flat, m.start()):
            continue
        close = closing(body, m.start() + m.group(0).index("("), "()")
        rest = body[close + 1:]
        if not rest.lstrip().startswith("{"):
            continue
        start = close + 1 + len(rest) - len(rest.lstrip())
        inner = body[start + 1:closing_brace(body, start)]
        each = {v: ("input", 0) for v in re.findall(
            r"(\w+)\s*=\s*micro_context->AllocateTempInputTensor\(\s*node,\s*%s\s*\)" % m.group(1), inner)}
        if not each:
            continue
        local = {a.group(1): a.group(2) for a in re.finditer(
            r"\b(?:const\s+)?int\s+(\w+)\s*=\s*NumDimensions\(\s*([\w.]+)\s*\)\s*;", top_level(inner))}
        found += rank_refusals(inner, {**tensors, **each}, {**ranked, **local}, bound)
    return found


def constant_refusals(body, tensors, ranked, bound):
    """(("input", k),) for each input a top-level TF_LITE_ENSURE or TF_LITE_ENSURE_MSG(context, IsConstantTensor(t), ...)
    of a kernel function requires constant, reached on every call (TRANSPOSE's perm: "Non-constant >perm< tensor is
    not supported")."""
    body = blank_strings(body)
    flat = top_level(body)
    found = []
    for m in re.finditer(r"\bTF_LITE_ENSURE(?:_MSG)?\s*\(", flat):
        if not reached(body, flat, m.start()):
            continue
        args = arguments(body, m.end() - 1)
        c = re.fullmatch(r"IsConstantTensor\(\s*([\w.]+)\s*\)", args[1]) if len(args) >= 2 else None
        if c and tensors.get(c.group(1), ("",))[0] == "input":
            found.append((tensors[c.group(1)],))
    return found


def kernel_checks(tflm, resolver_text):
    """The tflite-micro set's `tensor_types` checks read from its reference kernels: for each builtin, the element
    types its Prepare and Eval (as Register_X() names them) refuse for an input or an output, where the refusal runs
    whenever the function does (a top-level statement, not one under a condition)."""
    registered = {}
    # AddX(const TFLMRegistration& registration = Register_X()) { return AddBuiltin(BuiltinOperator_X, registration,
    # …); } and AddX() { return AddBuiltin(BuiltinOperator_X, Register_X(), …); }
    for m in re.finditer(r"Register_(\w+)\(\)\)\s*\{\s*return AddBuiltin\(\s*BuiltinOperator_(\w+)", resolver_text):
        registered.setdefault(m.group(1), set()).add(m.group(2))
    for m in re.finditer(r"AddBuiltin\(\s*BuiltinOperator_(\w+),\s*(?:tflite::)?Register_(\w+)\(\)", resolver_text):
        registered.setdefault(m.group(2), set()).add(m.group(1))
    texts = {name: strip_comments(tflm.read(f"{KERNELS}/{name}")) for name in tflm.list(KERNELS)
             if name.endswith((".cc", ".h")) and not name.endswith("_test.cc")}
    # A registration that returns another (Register_L2_NORMALIZATION() { return Register_L2NORM_REF(); }) registers
    # that one's kernel.
    for text in texts.values():
        for m in re.finditer(r"TFLMRegistration\s+Register_(\w+)\(\)\s*\{\s*return\s+(?:tflite::)?Register_(\w+)\(\)\s*;\s*\}", text):
            if m.group(1) in registered:
                registered.setdefault(m.group(2), set()).update(registered[m.group(1)])
    # Tensor indices by constant name (`constexpr int kInputTensor = 0;`, `const int kConvInputTensor = 0;`): a
    # file's own first, else the one value every file agrees on.
    every = {}
    for text in texts.values():
        for k, v in re.findall(r"\b(?:constexpr|const)\s+(?:int|size_t)\s+(k\w+)\s*=\s*(\d+)\s*;", text):
            every.setdefault(k, set()).add(int(v))
    shared_consts = {k: next(iter(v)) for k, v in every.items() if len(v) == 1}
    structs = contexts(texts)
    headers = {name: int(re.search(pattern, tflm.read(path)).group(1)) for name, (path, pattern) in BOUND_HEADERS.items()}
    bodies, defined = {}, {}
    for fname, text in texts.items():
        for name, body in function_bodies(text).items():
            bodies.setdefault(name, []).append(body)
            defined.setdefault(name, []).append((body, fname))

    def constants(text):
        """A file's constants (its own first, else the shared ones), and the rank bound an expression names there."""
        consts = {**shared_consts, **{k: int(v) for k, v in re.findall(r"\b(?:constexpr|const)\s+(?:int|size_t)\s+(k\w+)\s*=\s*(\d+)\s*;", text)}}
        named = dict(re.findall(r"\b(?:constexpr|const)\s+(?:int|size_t)\s+(k\w+)\s*=\s*([^;]+?)\s*;", text))

        def bound(expr, seen=()):
            expr = expr.strip()
            if expr.isdigit():
                return int(expr)
            if expr in headers:
                return headers[expr]
            if expr in consts:
                return consts[expr]
            return bound(named[expr], seen + (expr,)) if expr in named and expr not in seen else None
        return consts, bound

    def scan(fn, own, own_file, read, seen=()):
        """What `read` (rank_refusals, constant_refusals) finds in function `fn` and in the helpers it calls with
        (context, node) at its top level, where that call is reached on every call (CalculateOpData from a Prepare)."""
        candidates = [(own[fn], own_file)] if fn in own else defined.get(fn, [])
        if len(candidates) != 1 or fn in seen:
            return []
        body, fname = candidates[0]
        consts, bound = constants(texts[fname])
        tensors, ranked = tensor_variables(body, consts), {}
        for c in re.finditer(r"\b(\w+)\s+(\w+)\(\s*context\s*,\s*node\s*\)\s*;", body):
            members, kept = structs.get(c.group(1), ({}, {}))
            for member, (kind, k) in members.items():
                index = int(k) if k.isdigit() else consts.get(k)
                if index is not None:
                    tensors[f"{c.group(2)}.{member}"] = (kind, index)
            ranked.update({f"{c.group(2)}.{member}": f"{c.group(2)}.{of}" for member, of in kept.items()})
        blanked = blank_strings(body)
        flat = top_level(blanked)
        for a in re.finditer(r"\b(?:const\s+)?int\s+(\w+)\s*=\s*NumDimensions\(\s*([\w.]+)\s*\)\s*;", flat):
            ranked[a.group(1)] = a.group(2)
        found = read(body, tensors, ranked, bound)
        own_defs = function_bodies(texts[fname])
        for h in re.finditer(r"\b(\w+)\(\s*context\s*,\s*node\s*[,)]", flat):
            if h.group(1) not in ("NumInputs", "NumOutputs") and reached(blanked, flat, h.start()):
                found += scan(h.group(1), own_defs, fname, read, seen + (fn,))
        return found

    accepted = {}  # (builtin, ("input" | "output", index)) -> set of types
    ranks = {}  # (builtin, ("input" | "output", index)) -> (lowest, highest) rank, None where unbounded
    constant = {}  # builtin -> the input indices its kernel takes only as constant tensors
    for name, text in sorted(texts.items()):
        consts, _ = constants(text)
        own = function_bodies(text)
        for m in re.finditer(r"TFLMRegistration Register_(\w+)\(\)\s*\{(.*?)\n\}", text, re.S):
            call = re.search(r"RegisterOp\(([^;]*)\)\s*;", m.group(2))
            if not call or m.group(1) not in registered:
                continue
            functions = [a.strip().split("::")[-1].split("<")[0] for a in call.group(1).split(",")][1:3]
            for fn in functions:
                candidates = [own[fn]] if fn in own else bodies.get(fn, [])
                if len(candidates) != 1:
                    continue  # a name defined in several files: which one runs is not read here
                body = candidates[0]
                tensors = tensor_variables(body, consts)
                for tensor, lo, hi in scan(fn, own, name, rank_refusals):
                    for op in registered[m.group(1)]:
                        ranks[(op, tensor)] = narrowed(ranks.get((op, tensor)), lo, hi)
                for (_, index), in scan(fn, own, name, constant_refusals):
                    for op in registered[m.group(1)]:
                        constant.setdefault(op, set()).add(index)
                for tensor, kinds in refusals(body, tensors):
                    unknown = [k for k in kinds if k not in TYPES]
                    if unknown:
                        sys.exit(f"{KERNELS}/{name}: {fn} names element types the catalogue does not spell: {unknown}")
                    for op in registered[m.group(1)]:
                        key = (op, tensor)
                        types = {TYPES[k] for k in kinds}
                        accepted[key] = accepted[key] & types if key in accepted else types
    if not accepted:
        sys.exit(f"{KERNELS}: no kernel's element-type refusal read")
    groups = {}
    for (op, tensor), types in accepted.items():
        groups.setdefault((tensor, tuple(sorted(types))), []).append(op)
    section = ("each Register_X()'s Prepare and Eval: the element types a top-level switch, if-else chain, "
               "TF_LITE_ENSURE or TF_LITE_ENSURE_TYPES_EQ accepts")

    def check(tensor, types, ops):
        kind, index = tensor
        c = {"id": f"tflm.kernel-{kind}{index}-" + "-".join(types), "operators": sorted(ops), "kind": "tensor_types"}
        # An output's check names it in `outputs`; `input` stays 0, unread.
        c.update({"input": index} if kind == "input" else {"input": 0, "outputs": [index]})
        what = f"{kind} {index}" if kind == "input" else f"its output {index}"
        c.update({"values": list(types),
                  "text": f"LiteRT for Microcontrollers' kernel makes {what} of {', '.join(types)} only" if kind == "output"
                  else f"LiteRT for Microcontrollers' kernel takes {what} as {', '.join(types)} only",
                  "source": {"id": "tflm-kernels", "section": section}})
        return c
    rank_groups = {}
    for (op, tensor), bounds in ranks.items():
        rank_groups.setdefault((tensor, bounds), []).append(op)

    def rank_check(tensor, lo, hi, ops):
        kind, index = tensor
        span, said = rank_words(lo, hi)
        c = {"id": f"tflm.kernel-rank-{kind}{index}-{span}", "operators": sorted(ops), "kind": "rank"}
        c.update({"input": index} if kind == "input" else {"input": 0, "outputs": [index]})
        c.update({k: v for k, v in (("min", lo), ("max", hi)) if v is not None})
        what = f"input {index}" if kind == "input" else f"output {index}"
        c.update({"text": f"LiteRT for Microcontrollers' kernel takes {what} of rank {said} only",
                  "source": {"id": "tflm-kernels", "section": "each Register_X()'s Prepare and Eval: the ranks a top-level "
                             "TF_LITE_ENSURE, TF_LITE_ENSURE_MSG or TF_LITE_ENSURE_EQ on NumDimensions allows, or an if "
                             "on it that returns kTfLiteError does not refuse (in a loop over the inputs, for every input)"}})
        return c
    constant_groups = {}
    for op, indices in constant.items():
        constant_groups.setdefault(tuple(sorted(indices)), []).append(op)

    def constant_check(indices, ops):
        said = (f"input {indices[0]} only as a constant tensor" if len(indices) == 1 else
                f"inputs {', '.join(map(str, indices[:-1]))} and {indices[-1]} only as constant tensors")
        # The indices are the builtin's own (SPLIT's axis is its input 0, an ONNX Split's input 0 its data): the
        # check binds a TFLite file's operators, not an ONNX node lowered to them (`lowered: false`).
        return {"id": "tflm.kernel-constant-inputs-" + "-".join(map(str, indices)), "operators": sorted(ops),
                "kind": "constant_inputs", "input": 0, "inputs": list(indices), "lowered": False,
                "text": f"LiteRT for Microcontrollers' kernel takes {said} (no dynamic memory to size its output at "
                        "run time)",
                "source": {"id": "tflm-kernels", "section": "each Register_X()'s Prepare and Eval: the inputs a top-level "
                           "TF_LITE_ENSURE or TF_LITE_ENSURE_MSG requires IsConstantTensor of"}}
    return ([check(tensor, types, ops) for (tensor, types), ops in sorted(groups.items())]
            + [rank_check(tensor, lo, hi, ops) for (tensor, (lo, hi)), ops in sorted(rank_groups.items(), key=lambda kv: str(kv[0]))]
            + [constant_check(indices, ops) for indices, ops in sorted(constant_groups.items())])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litert", required=True)
    ap.add_argument("--tflm", required=True)
    args = ap.parse_args()
    litert, tflm = cj.Checkout(args.litert), cj.Checkout(args.tflm)
    # The converter onnx2tf runs is the pinned TensorFlow's (requirements-convert.txt: 2.19.0), not LiteRT's: LiteRT
    # took its copy of the converter from TensorFlow (the commit that adds tfl_ops.td, 2025-08-13) and relaxed it
    # since (SLICE and STRIDED_SLICE to 6-D, TRANSPOSE to 8-D), which TensorFlow 2.19 does not do (it writes
    # FlexSlice for a 6-D slice; Tests/integration/test_onnx_tflite.py proves the bounds against it). TensorFlow's
    # own repository is out of reach here, so that first revision is read.
    converter_source = litert.at(litert.first_revision(TFL_OPS))
    names = builtin_names(litert.read(SCHEMA))
    versions = runtime_versions(litert.read(RUNTIME_VERSION))
    gpu = gpu_parsers(litert.read(MODEL_BUILDER), names)
    converter = converter_rank_checks(converter_source.read(TFL_OPS), names)
    resolver = tflm.read(RESOLVER)
    micro = resolver_builtins(resolver)
    micro_checks = elementwise_checks(tflm.read(ELEMENTWISE)) + kernel_checks(tflm, resolver)
    for table, ops in (("runtime_version.cc", versions), ("model_builder.cc", gpu), ("micro_mutable_op_resolver.h", micro)):
        unknown = [o for o in ops if o not in names]
        if unknown:
            sys.exit(f"{table}: {', '.join(unknown)} not in schema.fbs's BuiltinOperator")

    ops = cj.load("operators.json")
    ops["tflite_op_versions"]["operators"] = versions
    sets = {s["id"]: s for s in ops["operator_sets"]}
    g = sets["litert-gpu"]
    g["operators"] = sorted(gpu)
    g["max_versions"]["versions"] = {op: v for op, (_, v) in sorted(gpu.items()) if v is not None}
    sets["tflite-micro"]["operators"] = micro
    sets["tflite-micro"]["checks"] = micro_checks
    if "tflite-converter" not in sets:
        ops["operator_sets"].append({"id": "tflite-converter", "title": "TensorFlow's TFLite converter's op definitions",
                                     "source": {"id": "tfl-ops", "section": "TFL_Op definitions"}, "tensor_types": []})
        sets["tflite-converter"] = ops["operator_sets"][-1]
    sets["tflite-converter"]["operators"] = sorted({o for c in converter for o in c["operators"]})
    sets["tflite-converter"]["checks"] = converter
    cj.dump("operators.json", ops)

    rts = cj.load("runtimes.json")
    lite = next(r for r in rts["runtimes"] if r["name"] == "litert")
    known = {v["version"]: v for v in lite["versions"]}
    for rt in {".".join(v.split(".")[:2]) for per in versions.values() for v in per.values()}:
        known.setdefault(rt, {"version": rt})
    lite["versions"] = sorted(known.values(), key=lambda v: tuple(int(x) for x in v["version"].split(".")), reverse=True)
    cj.dump("runtimes.json", rts, plain=True)

    src = cj.load("sources.json")
    def record(sid, title, repo, co, path):
        src["sources"][sid] = {"title": title, "url": f"https://github.com/{repo}/blob/{co.revision}/{path}",
                    "revision": f"{repo}@{co.revision} ({co.date})", "derived_by": "scripts/catalogue/derive_tflite.py"}
    record("tflite-runtime-version",
           "LiteRT op versions by runtime (tflite/converter/tools/versioning/runtime_version.cc, FindMinimumRuntimeVersionForOp)",
           "google-ai-edge/LiteRT", litert, RUNTIME_VERSION)
    record("tflite-gpu-model-builder",
           "LiteRT GPU delegate operation parsers (tflite/delegates/gpu/common/model_builder.cc)",
           "google-ai-edge/LiteRT", litert, MODEL_BUILDER)
    record("tfl-ops", "TensorFlow's TFLite converter: the TFL dialect's op definitions (tflite/converter/ir/tfl_ops.td, "
           "as LiteRT imported them from TensorFlow)", "google-ai-edge/LiteRT", converter_source, TFL_OPS)
    record("tflm-resolver",
           "LiteRT for Microcontrollers: MicroMutableOpResolver (tensorflow/lite/micro/micro_mutable_op_resolver.h)",
           "tensorflow/tflite-micro", tflm, RESOLVER)
    record("tflm-kernels",
           "LiteRT for Microcontrollers: reference kernels' input and output types (tensorflow/lite/micro/kernels/*.cc)",
           "tensorflow/tflite-micro", tflm, KERNELS)
    record("tflm-elementwise",
           "LiteRT for Microcontrollers: elementwise kernels' input types (tensorflow/lite/micro/kernels/elementwise.cc)",
           "tensorflow/tflite-micro", tflm, ELEMENTWISE)
    cj.dump("sources.json", src, plain=True)
    print(f"tflite_op_versions: {len(versions)} builtins, {sum(len(v) for v in versions.values())} versions; "
          f"litert-gpu: {len(gpu)} builtins ({sum(1 for _, v in gpu.values() if v)} with a max version); "
          f"tflite-micro: {len(micro)} builtins")


if __name__ == "__main__":
    main()
