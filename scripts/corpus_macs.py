#!/usr/bin/env python3
"""MACs of each ONNX model of the corpus as slipway estimates them (`estimate MANIFEST --json`, an onnxruntime
target, the entry's input shapes) and as onnx-tool's profiler counts them, as a Markdown table. A measurement
(issue 11), not a test: the two count different things for some operators.

    SLIPWAY_BIN=.build/debug/slipway .venv/bin/python scripts/corpus_macs.py
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

import fetch_corpus

ROOT = pathlib.Path(__file__).resolve().parents[1]
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "debug" / "slipway"))


def slipway_macs(entry, path):
    with tempfile.TemporaryDirectory() as tmp:
        link = pathlib.Path(tmp) / "model.onnx"
        link.symlink_to(path)
        doc = {"slipway": 1, "name": entry["id"], "model": {"path": "model.onnx", "inputs": entry["inputs"]},
               "targets": {"server": {"runtime": "onnxruntime", "device": "x86-64-avx2", "format": "onnx"}}}
        m = pathlib.Path(tmp) / "m.slipway.yaml"
        m.write_text(json.dumps(doc))
        r = subprocess.run([SLIPWAY, "estimate", str(m), "--json"], capture_output=True, timeout=600)
        if r.returncode < 0:
            return f"signal {-r.returncode}", None
        try:
            got = json.loads(r.stdout)
        except json.JSONDecodeError:
            return f"exit {r.returncode}", None
        return got["targets"][0]["macs"], got.get("unresolved_nodes")


def onnx_tool_macs(entry, path):
    import onnx
    import onnx_tool
    model = onnx.load(str(path), load_external_data=False)
    types = {i.name: onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type) for i in model.graph.input}
    feeds = {k: np.zeros(v, types[k]) for k, v in entry["inputs"].items()}
    try:
        m = onnx_tool.Model(str(path), {"verbose": False, "constant_folding": False})
        g = m.graph
        g.shape_infer(feeds)
        g.profile()
        return int(g.macs[0]) if isinstance(g.macs, (list, tuple)) else int(g.macs)
    except Exception as e:  # onnx-tool has no shape inference for some operators
        return f"fails: {type(e).__name__}: {str(e)[:60]}"


def main():
    corpus = json.loads(fetch_corpus.CORPUS.read_text())
    print("| model | slipway MACs | onnx-tool MACs | slipway / onnx-tool | unresolved nodes |")
    print("|---|---:|---:|---:|---|")
    for entry in corpus["models"]:
        if entry["format"] != "onnx":
            continue
        path = fetch_corpus.model_path(entry)
        ours, unresolved = slipway_macs(entry, path)
        theirs = onnx_tool_macs(entry, path)
        ratio = f"{ours / theirs:.3f}" if isinstance(ours, int) and isinstance(theirs, int) and theirs else "–"
        n = len(unresolved) if isinstance(unresolved, list) else unresolved
        print(f"| {entry['id']} | {ours:,} | {theirs:,} | {ratio} | {n} |" if isinstance(ours, int) and isinstance(theirs, int)
              else f"| {entry['id']} | {ours} | {theirs} | {ratio} | {n} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
