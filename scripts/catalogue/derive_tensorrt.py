#!/usr/bin/env python3
"""Derives the TensorRT ONNX parser's operator set (`tensorrt-onnx`) from onnx-tensorrt's operator support matrix,
recording the revision it was read at.

    scripts/catalogue/derive_tensorrt.py [--onnx-tensorrt PATH] [--check]

--onnx-tensorrt: a checkout (or bare git directory) of github.com/onnx/onnx-tensorrt read at HEAD, or a folder of
  copies with a revisions.json (see source_tables.py); by default the committed copy in
  Tests/Fixtures/catalogue/onnx-tensorrt, which the tests re-derive from.

docs/operators.md, section "## Operator Support Matrix": each row is `| Operator | Supported | Supported Types |
Restrictions`, Supported `Y` or `N` (older releases: `Y [EXPERIMENTAL]`). The set is written as every ai.onnx
operator except those marked N (`excluded_operators`); the Restrictions of each operator marked Y become its entry
in `constraints` (shown in docs/rules.md). The constraints Slipway evaluates are the set's hand-written `checks`,
kept as they are. The sentence "TensorRT X supports operators in the inclusive range of opset A to opset B" names
the release in the set's source section. A row that does not read as an operator and a Y or N is an error.

Rewrites only the set's `excluded_operators`, `constraints` and source section in Schemas/targets/operators.json and
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


def matrix(text):
    """(excluded operators, {operator marked Y: its restrictions}, source section) from the file's text."""
    r = RANGE.search(text)
    if not r:
        raise st.TableError(f"{PATH}: no 'TensorRT X supports operators in the inclusive range of opset A to opset B'")
    excluded, restrictions = set(), {}
    for cells in st.rows(st.section(text, "## Operator Support Matrix")):
        supported = SUPPORTED.match(cells[1]) if len(cells) >= 2 else None
        if not (supported and NAME.match(cells[0])) or len(cells) > 4:
            raise st.TableError(f"a row that is not | Operator | Y or N | types | restrictions: {'|'.join(cells)!r}")
        if supported.group(1) == "N":
            excluded.add(cells[0])
        elif len(cells) == 4 and st.note(cells[3]):
            restrictions[cells[0]] = st.note(cells[3])
    section = (f"Operator Support Matrix (TensorRT {r.group(1)}, opset {r.group(2)} to {r.group(3)}): "
               "the operators marked N")
    return sorted(excluded), {k: restrictions[k] for k in sorted(restrictions)}, section


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx-tensorrt", default=DEFAULT,
                    help="a checkout of onnx/onnx-tensorrt, or a folder of copies with revisions.json")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed table differs")
    args = ap.parse_args()
    source = st.open_source(args.onnx_tensorrt, REPOSITORY)
    excluded, restrictions, section = matrix(source.read(PATH))
    revision, url = st.cite(source, PATH)

    ops = cj.load("operators.json")
    src = cj.load("sources.json")
    sets = ops["operator_sets"]
    i = next(i for i, s in enumerate(sets) if s["id"] == SET)
    sets[i] = cj.with_constraints({**sets[i], "source": {**sets[i]["source"], "section": section},
                                   "excluded_operators": excluded}, restrictions)
    entry = src["sources"][SOURCE]
    entry["url"] = url
    entry["revision"] = revision
    entry["derived_by"] = "scripts/catalogue/derive_tensorrt.py"

    cj.write_or_check(ops, src, args.check, "onnx-tensorrt's table")
    if args.check:
        print(f"{SET}: up to date")
        return
    print(f"{SET}: {len(excluded)} operators marked N, {len(restrictions)} restrictions, {section}, {revision}")


if __name__ == "__main__":
    main()
