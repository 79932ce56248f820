#!/usr/bin/env python3
"""Derives the operator lists of ONNX Runtime's Core ML (NeuralNetwork, ML Program), NNAPI and QNN execution providers
from the tables their projects keep beside their code, recording the revision each was read at.

    scripts/catalogue/derive_ort_eps.py [--onnxruntime PATH] [--onnxruntime-qnn PATH] [--check]

--onnxruntime: github.com/microsoft/onnxruntime; --onnxruntime-qnn: github.com/onnxruntime/onnxruntime-qnn (where the
  QNN EP lives since it became a plugin EP). Each PATH is a checkout (or bare git directory) read at HEAD, or a folder
  of copies of the same files at the same paths with a revisions.json (see source_tables.py). Without one, the
  committed copies in Tests/Fixtures/catalogue/onnxruntime and Tests/Fixtures/catalogue/onnxruntime-qnn are read
  (the tests re-derive from them).

  onnxruntime tools/ci_build/github/apple/coreml_supported_ops.md            -> ort-coreml-neuralnetwork
  onnxruntime tools/ci_build/github/apple/coreml_supported_mlprogram_ops.md  -> ort-coreml-mlprogram
  onnxruntime tools/ci_build/github/android/nnapi_supported_ops.md           -> ort-nnapi
  onnxruntime-qnn docs/execution_providers/QNN-ExecutionProvider.md,
      section "## Supported ONNX operators"                                   -> ort-qnn

  onnxruntime docs/OperatorKernels.md, section "## Operators implemented by CUDAExecutionProvider"
                                                                              -> ort-cuda

OperatorKernels.md is generated from the kernels each execution provider registers (tools/python/gen_opkernel_doc.py):
under `|**Operator Domain:** *<domain>*||||` rows, each operator's row and the `|||…|` rows after it give the opset
versions of its kernels (`13+`, `[6, 12]`, `10`); they become the set's `operators` and `opsets` (contiguous ranges
merged), and the element types its rows name, the set's `tensor_types`. Each input's type constraint (the Parameters
cell's `*in* X:**T**`, where every form of the row agrees) and the types each row gives it, joined over the rows,
become `tensor_types` checks where they are not every type the set takes (CUDA's Where takes no bool data: such a
node runs on the CPU provider).

Each table row `|<domain>:<Operator>|<note>|` is an operator the EP takes; the default domain's are written by
name, others as `<domain>:<Operator>` (com.microsoft:QLinearAdd, ai.onnx.ml:ArrayFeatureExtractor). The tables'
spellings are mapped to the ONNX operator names case-insensitively (the ML Program table writes `Argmax`; the
NeuralNetwork one `ai.onnx.ReduceSum`, QNN's once `com.microsoft.MatMulNBits`). A row that reads as no operator is an
error. QNN's table covers the EP's CPU, GPU and HTP backends and the set describes HTP: a row whose note says
"CPU backend only" or "GPU backend only" is left out of it. Each non-empty note becomes the operator's entry in the set's `constraints` (shown in docs/rules.md); the
constraints Slipway evaluates are the hand-written `checks` of each set, each with its own citation: kept as they are.

Rewrites only those sets' `operators` and `constraints` in Schemas/targets/operators.json and their sources' `url`,
`revision` and `derived_by` in Schemas/targets/sources.json; then run `make catalogue`. --check writes nothing and
exits 1 when they differ.
"""
import argparse
import os
import re

import catalogue_json as cj
import source_tables as st

FIXTURES = os.path.join(cj.ROOT, "Tests", "Fixtures", "catalogue")
REPOSITORIES = {"onnxruntime": "microsoft/onnxruntime", "onnxruntime-qnn": "onnxruntime/onnxruntime-qnn"}
# set id: (repository key, path, heading of the table's section or None for a file that is the table, source id,
#          the backend the set describes where the table covers several)
TABLES = {
    "ort-coreml-neuralnetwork": ("onnxruntime", "tools/ci_build/github/apple/coreml_supported_ops.md", None,
                                 "ort-coreml-nn-ops", None),
    "ort-coreml-mlprogram": ("onnxruntime", "tools/ci_build/github/apple/coreml_supported_mlprogram_ops.md", None,
                             "ort-coreml-mlprogram-ops", None),
    "ort-nnapi": ("onnxruntime", "tools/ci_build/github/android/nnapi_supported_ops.md", None, "ort-nnapi-ops", None),
    "ort-qnn": ("onnxruntime-qnn", "docs/execution_providers/QNN-ExecutionProvider.md", "## Supported ONNX operators",
                "ort-qnn-doc", "HTP"),
}
# set id: (repository key, path, heading, source id, whose kernels) of a kernel registration table
# (OperatorKernels.md).
KERNEL_TABLES = {
    "ort-cuda": ("onnxruntime", "docs/OperatorKernels.md", "## Operators implemented by CUDAExecutionProvider",
                 "ort-cuda-kernels", "ONNX Runtime's CUDA kernels"),
}
DOMAIN_ROW = re.compile(r"^\*\*Operator Domain:\*\* \*([\w.]+)\*$")
VERSIONS = re.compile(r"^(?:(\d+)\+|\[(\d+),\s*(\d+)\]|(\d+))$")
# OperatorKernels.md's tensor(<type>) spellings → the catalogue's element types.
ELEMENT_TYPES = {"float": "float32", "double": "float64", "float16": "float16", "bfloat16": "bfloat16", "int8": "int8",
                 "uint8": "uint8", "int16": "int16", "uint16": "uint16", "int32": "int32", "uint32": "uint32",
                 "int64": "int64", "uint64": "uint64", "bool": "bool", "int4": "int4", "uint4": "uint4",
                 "float8e4m3fn": "float8e4m3fn", "float8e5m2": "float8e5m2"}


PARAMETER = re.compile(r"\*(in|out)\*\s+(\w+):\*\*(\w+|tensor\(\w+\))\*\*")
CONSTRAINT = re.compile(r"\*\*(\w+)\*\*\s*=\s*((?:tensor\(\w+\)(?:,\s*)?)+)")


def input_constraints(parameters):
    """The type constraint (`T`) or fixed type (`tensor(int64)`) of each input, by index, from a row's Parameters cell;
    where its forms (`<br><br>or<br><br>`) disagree on an index, that index and the ones after it are left out."""
    forms = [[m.group(3) for m in PARAMETER.finditer(f) if m.group(1) == "in"] for f in parameters.split("<br><br>or<br><br>")]
    out = []
    for k in range(min(len(f) for f in forms)):
        if len({f[k] for f in forms}) != 1:
            break
        out.append(forms[0][k])
    return out


def kernel_table(text, heading):
    """({operator: [[since, until or None], ...]} with contiguous ranges merged, [element types], {operator: [the
    element types of input k over all its kernels, None where not read]}) of one execution provider's section of
    OperatorKernels.md."""
    ranges, types, domain, op = {}, set(), None, None
    params, allowed = {}, {}  # operator -> input constraints; operator -> {constraint: element types}
    for cells in st.rows(st.section(text, heading)):
        if not any(cells):  # the `| |` rows between domains
            continue
        m = DOMAIN_ROW.match(cells[0])
        if m:
            domain, op = m.group(1), None
            continue
        if len(cells) != 4 or domain is None:
            raise st.TableError(f"a row that is not |<op>|<parameters>|<opsets>|<types>| under a domain: {'|'.join(cells)!r}")
        if cells[0]:
            op = cells[0] if domain == "ai.onnx" else f"{domain}:{cells[0]}"
            params[op] = input_constraints(cells[1])
        elif op is None:
            raise st.TableError(f"a continuation row before any operator: {'|'.join(cells)!r}")
        v = VERSIONS.match(cells[2])
        if not v:
            raise st.TableError(f"{op}: opsets {cells[2]!r} are not N+, [A, B] or N")
        since = int(v.group(1) or v.group(2) or v.group(4))
        until = None if v.group(1) else int(v.group(3) or v.group(4))
        ranges.setdefault(op, []).append([since, until])
        for t in re.findall(r"tensor\((\w+)\)", cells[3]):
            if t in ELEMENT_TYPES:
                types.add(ELEMENT_TYPES[t])
        for m in CONSTRAINT.finditer(cells[3]):
            allowed.setdefault(op, {}).setdefault(m.group(1), set()).update(re.findall(r"tensor\((\w+)\)", m.group(2)))
    merged = {}
    for op, rs in ranges.items():
        out = []
        for since, until in sorted(rs, key=lambda r: r[0]):
            last = out[-1] if out else None
            if last and (last[1] is None or since <= last[1] + 1):  # overlaps or continues the range before
                last[1] = None if last[1] is None or until is None else max(last[1], until)
            else:
                out.append([since, until])
        merged[op] = out
    inputs = {}
    for op, constraints in params.items():
        per = []
        for c in constraints:
            fixed = re.fullmatch(r"tensor\((\w+)\)", c)
            kinds = {fixed.group(1)} if fixed else allowed.get(op, {}).get(c)
            # A type the catalogue does not spell (float4e2m1) is left out of the list, never read as another.
            per.append(sorted(ELEMENT_TYPES[t] for t in kinds if t in ELEMENT_TYPES) if kinds else None)
        inputs[op] = per
    return merged, sorted(types), inputs


def type_checks(sid, source_id, whose, inputs, element_types):
    """The set's `tensor_types` checks: for each operator's input k, the element types its kernels take (over every
    opset they cover), where that is not every type the set takes; operators with the same list share a check."""
    groups = {}
    for op, per in inputs.items():
        for k, kinds in enumerate(per):
            if kinds and set(element_types) - set(kinds):
                groups.setdefault((k, tuple(kinds)), []).append(op)
    return [{"id": f"{sid}.input{k}-" + "-".join(kinds), "operators": sorted(ops), "kind": "tensor_types", "input": k,
             "values": list(kinds), "text": f"{whose} take input {k} as {', '.join(kinds)} only",
             "source": {"id": source_id, "section": "Types Supported: the type constraint of each input, over every "
                        "opset row"}}
            for (k, kinds), ops in sorted(groups.items())]


# QNN's table covers its CPU, GPU and HTP backends; a note "<backend> backend only" puts a row on that backend alone.
BACKEND_ONLY = re.compile(r"\b(CPU|GPU|HTP) backend only\b")
# ai.onnx.ml before ai.onnx, so that `ai.onnx.ml:X` is not read as ai.onnx's `ml`.
OPERATOR = re.compile(r"^(ai\.onnx\.ml|ai\.onnx|com\.microsoft)[:.]([A-Za-z0-9_]+)$")


def onnx_names():
    """ONNX operator names by their lower-case spelling, per domain, from the installed onnx package."""
    import onnx.defs
    names = {}
    for s in onnx.defs.get_all_schemas_with_history():
        names.setdefault(s.domain or "ai.onnx", {})[s.name.lower()] = s.name
    return names


def table(text, heading, names):
    """{operator as the catalogue writes it: note} for each row of the table (under `heading`, if given)."""
    lines = st.section(text, heading) if heading else text.splitlines()
    out = {}
    for cells in st.rows(lines):
        m = OPERATOR.match(cells[0]) if len(cells) == 2 else None
        if not m:
            raise st.TableError(f"a row that is not |<domain>:<Operator>|<note>|: {'|'.join(cells)!r}")
        domain, op = m.group(1), m.group(2)
        canonical = names.get(domain, {}).get(op.lower(), op)
        out[canonical if domain == "ai.onnx" else f"{domain}:{canonical}"] = st.note(cells[1])
    return out


def other_backend(note, backend):
    """The backend a note restricts its row to, when that is not `backend` (None: the row holds for `backend`)."""
    m = BACKEND_ONLY.search(note) if backend else None
    return m.group(1) if m and m.group(1) != backend else None


def derive(sources, names):
    """{set id: (operators, constraints, (revision, url), {operator left out: the backend it is only on})}."""
    out = {}
    for sid, (repo, path, heading, _, backend) in TABLES.items():
        rows = table(sources[repo].read(path), heading, names)
        elsewhere = {k: other_backend(v, backend) for k, v in rows.items() if other_backend(v, backend)}
        ops = sorted(k for k in rows if k not in elsewhere)
        out[sid] = (ops, {k: rows[k] for k in ops if rows[k]}, st.cite(sources[repo], path), elsewhere)
    for sid, (repo, path, heading, source_id, whose) in KERNEL_TABLES.items():
        opsets, types, inputs = kernel_table(sources[repo].read(path), heading)
        out[sid] = (sorted(opsets), {}, st.cite(sources[repo], path), {}, opsets, types,
                    type_checks(sid, source_id, whose, inputs, types))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for key in REPOSITORIES:
        ap.add_argument(f"--{key}", default=os.path.join(FIXTURES, key),
                        help=f"a checkout of {REPOSITORIES[key]}, or a folder of copies with revisions.json")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed tables differ")
    args = ap.parse_args()
    sources = {key: st.open_source(getattr(args, key.replace("-", "_")), repo) for key, repo in REPOSITORIES.items()}
    derived = derive(sources, onnx_names())

    ops = cj.load("operators.json")
    src = cj.load("sources.json")
    def rewritten(s):
        d = derived[s["id"]]
        if len(d) > 4:  # a kernel table: its operators, their opsets, the element types and each input's
            return {**s, "tensor_types": d[5], "operators": d[0], "opsets": d[4], "checks": d[6]}
        return cj.with_constraints({**s, "operators": d[0]}, d[1])
    ops["operator_sets"] = [rewritten(s) if s["id"] in derived else s for s in ops["operator_sets"]]
    for sid, source_id in [(k, v[3]) for k, v in TABLES.items()] + [(k, v[3]) for k, v in KERNEL_TABLES.items()]:
        revision, url = derived[sid][2]
        entry = src["sources"][source_id]
        entry["url"] = url
        entry["revision"] = revision
        entry["derived_by"] = "scripts/catalogue/derive_ort_eps.py"

    cj.write_or_check(ops, src, args.check, "the ONNX Runtime EP tables")
    if args.check:
        print(", ".join(list(TABLES) + list(KERNEL_TABLES)) + ": up to date")
        return
    for sid, (o, c, (r, _), elsewhere, *rest) in derived.items():
        print(f"{sid}: {len(o)} operators, {len(c)} notes, {r}"
              + "".join(f"; left out {k} ({b} backend only)" for k, b in sorted(elsewhere.items()))
              + (f"; {sum(1 for v in rest[0].values() if v[-1][1] is not None)} registered up to a closed opset" if rest else ""))


if __name__ == "__main__":
    main()
