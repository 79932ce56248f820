#!/usr/bin/env python3
"""Writes Schemas/conversion/opset_changes.json: for every ai.onnx operator, the opset versions at which its
definition changed in a way that can alter what an existing node means, derived from the installed onnx
package's schemas (onnx.defs.get_all_schemas_with_history(), the same data as onnx/docs/Changelog.md).

Each version of an operator is compared with the previous one:
- "types": only type constraints differ (new element types); an old node means the same.
- "extends": only additions an old node does not use: new optional attributes, optional trailing inputs or
  outputs, a required attribute or input made optional, renamed inputs. An old node means the same.
- "changed": the operator deprecated (removed), an attribute removed or its default changed, an input added that an old node lacks, inputs
  reordered or outputs removed. An old node is read differently: the upgrade must rewrite it or refuse.
SEMANTIC lists the changes of meaning that the signature does not show (from the Changelog's text).

The converter (Sources/Conversion/OpsetUpgrade) consults this table: a "changed" entry it has no rewrite for
is refused, naming the operator. Run: .venv/bin/python scripts/derive_opset_changes.py, then
scripts/embed_conversion_rules.py.
"""
import json
import os
from collections import defaultdict

import onnx
import onnx.defs

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Schemas", "conversion", "opset_changes.json")

# Same signature, different meaning (onnx/docs/Changelog.md).
SEMANTIC = {
    ("GroupNormalization", 21): "scale and bias are per channel, not per group",
    ("Split", 18): "a Split without the split input must carry num_outputs",
}


def attribute_sig(a):
    default = a.default_value.SerializeToString() if a.default_value is not None else b""
    return (int(a.type), default)


def classify(old, new):
    reasons = []
    oa, na = old.attributes, new.attributes
    for name in sorted(set(oa) - set(na)):
        reasons.append(f"attribute {name} removed")
    for name in sorted(set(oa) & set(na)):
        if attribute_sig(oa[name]) != attribute_sig(na[name]):
            reasons.append(f"attribute {name} changed its type or default")
        elif not oa[name].required and na[name].required:
            reasons.append(f"attribute {name} became required")
    for name in sorted(set(na) - set(oa)):
        if na[name].required:
            reasons.append(f"attribute {name} added as required")
    oi, ni = list(old.inputs), list(new.inputs)
    for k, i in enumerate(ni):
        if k < len(oi):
            if int(i.option) == 0 and int(oi[k].option) != 0:
                reasons.append(f"input {k} became required")
            if int(oi[k].option) == 2 and int(i.option) != 2 or int(i.option) == 2 and int(oi[k].option) != 2:
                reasons.append(f"input {k} changed between single and variadic")
        elif int(i.option) == 0:
            reasons.append(f"input {i.name} added as required")
    if len(ni) < len(oi):
        reasons.append("inputs removed")
    oo, no = list(old.outputs), list(new.outputs)
    if len(no) < len(oo):
        reasons.append("outputs removed")
    if new.deprecated and not old.deprecated:
        reasons.append("deprecated: the operator no longer exists at this version")
    if (old.name, new.since_version) in SEMANTIC:
        reasons.append(SEMANTIC[(old.name, new.since_version)])
    if reasons:
        return "changed", reasons
    same = (set(oa) == set(na) and [(i.name, int(i.option)) for i in oi] == [(i.name, int(i.option)) for i in ni]
            and [(o.name, int(o.option)) for o in oo] == [(o.name, int(o.option)) for o in no])
    return ("types" if same else "extends"), []


def main():
    history = defaultdict(list)
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain == "":
            history[s.name].append(s)
    operators = {}
    for name in sorted(history):
        versions = sorted(history[name], key=lambda s: s.since_version)
        entries = []
        for old, new in zip(versions, versions[1:]):
            kind, reasons = classify(old, new)
            entry = {"version": new.since_version, "kind": kind}
            if reasons:
                entry["reasons"] = reasons
            entries.append(entry)
        operators[name] = {"since": versions[0].since_version, "changes": entries}
    doc = {
        "source": f"onnx {onnx.__version__}: onnx.defs.get_all_schemas_with_history() (onnx/docs/Changelog.md), "
                  "derived by scripts/derive_opset_changes.py",
        "operators": operators,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    changed = sum(1 for o in operators.values() for c in o["changes"] if c["kind"] == "changed")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(operators)} operators, {changed} changes of meaning")


if __name__ == "__main__":
    main()
