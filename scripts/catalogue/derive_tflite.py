#!/usr/bin/env python3
"""Derives the catalogue's TFLite tables from their primary sources, recording each source's revision.

    scripts/catalogue/derive_tflite.py --litert PATH --tflm PATH

--litert: a checkout (or bare git directory) of github.com/google-ai-edge/LiteRT, the home of the TFLite runtime since
TensorFlow moved it out. Read at HEAD:
  tflite/converter/tools/versioning/runtime_version.cc  -> tflite_op_versions (every builtin x version -> minimum runtime)
  tflite/delegates/gpu/common/model_builder.cc          -> the litert-gpu operator set: NewOperationParser's builtin
                                                           cases, and each parser's CheckMaxSupportedOpVersion
  tflite/converter/schema/schema.fbs                    -> the BuiltinOperator names the kTfLiteBuiltin* cases map to
--tflm: a checkout of github.com/tensorflow/tflite-micro. Read at HEAD:
  tensorflow/lite/micro/micro_mutable_op_resolver.h     -> the tflite-micro set: every AddBuiltin(BuiltinOperator_X, ...)
  tensorflow/lite/micro/kernels/elementwise.cc          -> the set's `tensor_types` checks: each Register_X's prepare
                                                           template names the Is*SupportedType predicate its input
                                                           must pass (LOG, SIN, COS, SQRT, SQUARE: float32 only)

Writes Schemas/targets/operators.json, the litert runtime's versions (every major.minor the runtime_version table
names, so a model needing LiteRT 2.23 has a release to point at) into runtimes.json, and the revisions into
Schemas/targets/sources.json; then run `make catalogue`.
"""
import argparse
import re
import sys

import catalogue_json as cj

RUNTIME_VERSION = "tflite/converter/tools/versioning/runtime_version.cc"
MODEL_BUILDER = "tflite/delegates/gpu/common/model_builder.cc"
SCHEMA = "tflite/converter/schema/schema.fbs"
RESOLVER = "tensorflow/lite/micro/micro_mutable_op_resolver.h"
ELEMENTWISE = "tensorflow/lite/micro/kernels/elementwise.cc"
# TfLiteType names as the catalogue spells element types.
TYPES = {"Float32": "float32", "Float16": "float16", "Int8": "int8", "UInt8": "uint8", "Int16": "int16", "Int32": "int32",
         "Int64": "int64", "Bool": "bool"}


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litert", required=True)
    ap.add_argument("--tflm", required=True)
    args = ap.parse_args()
    litert, tflm = cj.Checkout(args.litert), cj.Checkout(args.tflm)
    names = builtin_names(litert.read(SCHEMA))
    versions = runtime_versions(litert.read(RUNTIME_VERSION))
    gpu = gpu_parsers(litert.read(MODEL_BUILDER), names)
    micro = resolver_builtins(tflm.read(RESOLVER))
    micro_checks = elementwise_checks(tflm.read(ELEMENTWISE))
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
    record("tflm-resolver",
           "LiteRT for Microcontrollers: MicroMutableOpResolver (tensorflow/lite/micro/micro_mutable_op_resolver.h)",
           "tensorflow/tflite-micro", tflm, RESOLVER)
    record("tflm-elementwise",
           "LiteRT for Microcontrollers: elementwise kernels' input types (tensorflow/lite/micro/kernels/elementwise.cc)",
           "tensorflow/tflite-micro", tflm, ELEMENTWISE)
    cj.dump("sources.json", src, plain=True)
    print(f"tflite_op_versions: {len(versions)} builtins, {sum(len(v) for v in versions.values())} versions; "
          f"litert-gpu: {len(gpu)} builtins ({sum(1 for _, v in gpu.values() if v)} with a max version); "
          f"tflite-micro: {len(micro)} builtins")


if __name__ == "__main__":
    main()
