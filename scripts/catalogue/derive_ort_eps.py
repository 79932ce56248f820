#!/usr/bin/env python3
"""Derives the operator lists of ONNX Runtime's Core ML (NeuralNetwork, ML Program) and NNAPI execution providers
from the tables onnxruntime keeps beside its code, recording the revision each was read at.

    scripts/catalogue/derive_ort_eps.py --onnxruntime PATH [--check]
    scripts/catalogue/derive_ort_eps.py --tables Tests/Fixtures/catalogue/onnxruntime [--check]

--onnxruntime: a checkout (or bare git directory) of github.com/microsoft/onnxruntime, read at HEAD.
--tables: a folder holding the same files at the same paths, with revisions.json naming the commit each was read
  at (the committed copies in Tests/Fixtures/catalogue/onnxruntime, which the tests re-derive from).

  tools/ci_build/github/apple/coreml_supported_ops.md            -> ort-coreml-neuralnetwork
  tools/ci_build/github/apple/coreml_supported_mlprogram_ops.md  -> ort-coreml-mlprogram
  tools/ci_build/github/android/nnapi_supported_ops.md           -> ort-nnapi

Each table row `|<domain>:<Operator>|<note>|` is an operator the EP takes; the default domain's are written by
name, others as `<domain>:<Operator>` (com.microsoft:QLinearAdd). The tables' spellings are mapped to the ONNX
operator names case-insensitively (the ML Program table writes `Argmax`; the NeuralNetwork one `ai.onnx.ReduceSum`).
The notes' constraints are the hand-written `checks` of each set, each with its own citation: kept as they are.

Rewrites only those sets' `operators` in Schemas/targets/operators.json and their sources' revisions in
Schemas/targets/sources.json; then run `make catalogue`. --check writes nothing and exits 1 when they differ.
"""
import argparse
import json
import os
import re
import sys

import catalogue_json as cj

TABLES = {
    "ort-coreml-neuralnetwork": ("tools/ci_build/github/apple/coreml_supported_ops.md", "ort-coreml-nn-ops"),
    "ort-coreml-mlprogram": ("tools/ci_build/github/apple/coreml_supported_mlprogram_ops.md", "ort-coreml-mlprogram-ops"),
    "ort-nnapi": ("tools/ci_build/github/android/nnapi_supported_ops.md", "ort-nnapi-ops"),
}
ROW = re.compile(r"^\|\s*(ai\.onnx|com\.microsoft)[:.]([A-Za-z0-9_]+)\s*\|")


class Tables:
    """The committed copies: files at their repository paths, each with the commit it was read at."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "revisions.json"), encoding="utf-8") as f:
            self.revisions = json.load(f)["files"]

    def read(self, name):
        with open(os.path.join(self.path, name), encoding="utf-8") as f:
            return f.read()

    def revision(self, name):
        return self.revisions[name]


class Repository:
    """A checkout read at HEAD: every file at the one revision."""

    def __init__(self, path):
        self.checkout = cj.Checkout(path)

    def read(self, name):
        return self.checkout.read(name)

    def revision(self, name):
        return self.checkout.revision


def onnx_names():
    """ONNX operator names by their lower-case spelling, per domain, from the installed onnx package."""
    import onnx.defs
    names = {}
    for s in onnx.defs.get_all_schemas_with_history():
        names.setdefault(s.domain or "ai.onnx", {})[s.name.lower()] = s.name
    return names


def operators(text, names):
    """The table's operators, as the catalogue writes them, sorted."""
    out = set()
    for line in text.splitlines():
        m = ROW.match(line.strip())
        if not m:
            continue
        domain, op = m.group(1), m.group(2)
        canonical = names.get(domain, {}).get(op.lower(), op)
        out.add(canonical if domain == "ai.onnx" else f"{domain}:{canonical}")
    return sorted(out)


def derive(source, names):
    """{set id: (operators, revision)}."""
    return {sid: (operators(source.read(path), names), source.revision(path)) for sid, (path, _) in TABLES.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--onnxruntime", help="a checkout of microsoft/onnxruntime")
    where.add_argument("--tables", help="a folder of the tables with revisions.json")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed tables differ")
    args = ap.parse_args()
    source = Repository(args.onnxruntime) if args.onnxruntime else Tables(args.tables)
    derived = derive(source, onnx_names())

    ops = cj.load("operators.json")
    src = cj.load("sources.json")
    for s in ops["operator_sets"]:
        if s["id"] in derived:
            s["operators"] = derived[s["id"]][0]
    for sid, (path, source_id) in TABLES.items():
        revision = derived[sid][1]
        entry = src["sources"][source_id]
        entry["url"] = f"https://github.com/microsoft/onnxruntime/blob/{revision}/{path}"
        entry["revision"] = f"microsoft/onnxruntime@{revision}"
        entry["derived_by"] = "scripts/catalogue/derive_ort_eps.py"

    outputs = [("operators.json", cj._fmt(ops, 0) + "\n"),
               ("sources.json", json.dumps(src, indent=2, ensure_ascii=False) + "\n")]
    if args.check:
        stale = []
        for name, text in outputs:
            with open(os.path.join(cj.TARGETS, name), encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        if stale:
            sys.exit(f"{', '.join(stale)} differ from the derivation of the ONNX Runtime EP tables: run without --check")
        print("ort-coreml-neuralnetwork, ort-coreml-mlprogram, ort-nnapi: up to date")
        return
    for name, text in outputs:
        with open(os.path.join(cj.TARGETS, name), "w", encoding="utf-8") as f:
            f.write(text)
    print("; ".join(f"{sid}: {len(o)} operators at {r[:12]}" for sid, (o, r) in derived.items()))


if __name__ == "__main__":
    main()
