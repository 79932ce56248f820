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
    ops["operator_sets"] = [cj.with_constraints({**s, "operators": derived[s["id"]][0]}, derived[s["id"]][1])
                            if s["id"] in derived else s for s in ops["operator_sets"]]
    for sid, (_, _, _, source_id, _) in TABLES.items():
        revision, url = derived[sid][2]
        entry = src["sources"][source_id]
        entry["url"] = url
        entry["revision"] = revision
        entry["derived_by"] = "scripts/catalogue/derive_ort_eps.py"

    cj.write_or_check(ops, src, args.check, "the ONNX Runtime EP tables")
    if args.check:
        print(", ".join(TABLES) + ": up to date")
        return
    for sid, (o, c, (r, _), elsewhere) in derived.items():
        print(f"{sid}: {len(o)} operators, {len(c)} notes, {r}"
              + "".join(f"; left out {k} ({b} backend only)" for k, b in sorted(elsewhere.items())))


if __name__ == "__main__":
    main()
