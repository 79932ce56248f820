#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets that have no fixture files of their own:
Tests/Fixtures/fuzz/framing/seed-* (LSP sessions as an editor writes them, Content-Length framed) and
Tests/Fixtures/fuzz/manifest/seed-* (manifests that reach anchors, suppressions, fixes and every section),
Tests/Fixtures/fuzz/monitor/seed-* (a Prometheus scrape and a JSON Lines inference log),
Tests/Fixtures/fuzz/pytorch/oom-one-tensor-named-by-long-paths (a hostile pickle, see below).
Model targets take their other seeds from the model fixtures (scripts/fuzz.sh). Rerun after changing this file."""
import io
import json
import pathlib
import struct
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/Fixtures/fuzz"
URI = "file:///fuzz/project/fuzz.slipway.yaml"
KWS = (ROOT / "examples/kws-mcu/kws.slipway.yaml").read_text()


def frame(message):
    body = json.dumps(message, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(i, method, params):
    return frame({"jsonrpc": "2.0", "id": i, "method": method, "params": params})


def notify(method, params):
    return frame({"jsonrpc": "2.0", "method": method, "params": params})


def at(line, character):
    return {"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}


def session(text, extra):
    caps = {"general": {"positionEncodings": ["utf-16"]},
            "textDocument": {"hover": {"contentFormat": ["markdown"]}, "codeAction": {"codeActionLiteralSupport": {}}}}
    out = request(1, "initialize", {"capabilities": caps, "workspaceFolders": [{"uri": "file:///fuzz/project", "name": "p"}]})
    out += notify("initialized", {})
    out += notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": text}})
    return out + extra + request(99, "shutdown", None) + notify("exit", None)


def write(target, name, data):
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


features = b"".join([
    request(2, "textDocument/hover", at(7, 10)),
    request(3, "textDocument/completion", at(14, 4)),
    request(4, "textDocument/codeAction", {"textDocument": {"uri": URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}, "context": {"diagnostics": []}}),
    request(5, "textDocument/documentSymbol", {"textDocument": {"uri": URI}}),
    request(6, "textDocument/foldingRange", {"textDocument": {"uri": URI}}),
    request(7, "textDocument/selectionRange", {"textDocument": {"uri": URI}, "positions": [{"line": 8, "character": 3}]}),
    request(8, "textDocument/documentLink", {"textDocument": {"uri": URI}}),
    request(9, "textDocument/codeLens", {"textDocument": {"uri": URI}}),
    request(10, "textDocument/inlayHint", {"textDocument": {"uri": URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}}),
    request(11, "textDocument/diagnostic", {"textDocument": {"uri": URI}}),
    request(12, "workspace/executeCommand", {"command": "slipway.estimate", "arguments": [URI]}),
    request(13, "workspace/executeCommand", {"command": "slipway.checkWorkspace", "arguments": []}),
])
write("framing", "seed-features", session(KWS, features))
edits = b"".join(
    notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": v},
                                      "contentChanges": [{"range": {"start": {"line": 3, "character": 6}, "end": {"line": 3, "character": 6}}, "text": "x"}]})
    for v in range(2, 8))
edits += request(20, "textDocument/hover", at(3, 8)) + notify("$/cancelRequest", {"id": 20})
edits += notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 9}, "contentChanges": [{"text": "slipway: 1\nname: [\n"}]})
edits += notify("workspace/didChangeConfiguration", {"settings": {"slipway": {"estimate": False}}})
edits += notify("textDocument/didClose", {"textDocument": {"uri": URI}})
write("framing", "seed-edits", session(KWS, edits))
bad = b"Content-Length: 5\r\nContent-Type: x\r\n\r\n{}{}{" + b"Content-Length: -1\r\n\r\n" + b"no header\r\n\r\n"
bad += frame([1, 2]) + frame({"jsonrpc": "2.0", "id": "s", "method": "textDocument/hover", "params": 3})
bad += frame({"jsonrpc": "2.0", "id": 1, "result": [{"estimate": True}]}) + b"Content-Length: 99999999999999999999\r\n\r\n"
write("framing", "seed-malformed", bad)

write("manifest", "seed-kws", KWS)
write("manifest", "seed-everything", """# slipway: disable-file=SW2001
slipway: 1
name: &n fuzz-everything
description: *n
model:
  path: models/model.onnx
  format: onnx
  inputs:
    input: [1, 3, 32, 32]
optimize:
  quantize: {weights: int4, granularity: "per-block:32", symmetric: false, skip: ["*bias*"]}
  prune: {sparsity: 0.5, scope: global, skip: ["conv*"]}
targets:
  mcu:  # slipway: disable=SW5101
    runtime: tflite-micro
    device: stm32h7
    format: tflite
    optimize:
      quantize: {weights: int8, activations: int8, calibration: data/calib/, calibration_method: minmax}
      prune: {sparsity: 0.5, pattern: "2:4"}
    budget: {size_mb: 0.01, memory_mb: 0.01, latency_ms: 0.1}
  gpu:
    runtime: litert@2.16
    device: arm64-v8a
    delegate: gpu
    format: tflite
    minimum_os: android12
    optimize:
      quantize: {weights: float16}
  server: {runtime: onnxruntime@1.20, device: x86-64-avx2, delegate: cpu, format: onnx, optimize: {quantize: {reduce_range: yes}}}
  tf: {runtime: tflite@2.16, format: tflite, device: no}
test:
  samples: data/test/
  tolerance: {top1: 0.97, cosine: 0.99}
deploy:
  to: dist/{target}/{name}-{version}.{ext}
  version: 1.10
monitor:
  latency_p95_ms: 15
---
slipway: 1
model: {path: models/model.tflite}
targets: {t: {runtime: tflite-micro, device: esp32-s3}}
""")
# monitor: a scrape in the text exposition format and a JSON Lines inference log, each read both ways.
(OUT / "monitor").mkdir(parents=True, exist_ok=True)
(OUT / "monitor/seed-scrape").write_text("""# HELP slipway_inference_duration_seconds Inference latency.
# TYPE slipway_inference_duration_seconds histogram
slipway_inference_duration_seconds_bucket{model="fuzz",target="t",le="0.005"} 90
slipway_inference_duration_seconds_bucket{model="fuzz",target="t",le="0.01"} 95
slipway_inference_duration_seconds_bucket{model="fuzz",target="t",le="+Inf"} 100
slipway_inference_requests_total{model="fuzz",target="t"} 100 1764720000000
slipway_inference_errors_total{model="fuzz",target="t"} 3
slipway_output_drift{model="fuzz",target="t",output="a\\"b\\n"} NaN
""")
(OUT / "monitor/seed-log").write_text("".join(
    json.dumps({"target": "t", "ts": 1000 + i / 4, "latency_ms": 2 + i % 7, "error": i % 9 == 0,
                "outputs": {"a": [i % 5, -i / 3], "b": i * 0.25}}) + "\n" for i in range(12)))


# pytorch: a state dict that names one memoized tensor 18,000 times under a 240 KB key path (a 4 KB key,
# memoized, reused at 60 levels of nested dicts): 4.4 GB of names from 45 KB before the walk bounded them
# (PyTorchReader.maxNameBytes).
def pickle_text(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def long_paths_state_dict(key_bytes=4096, levels=60, references=18_000):
    p = b"\x80\x02" + b"}" + pickle_text("k" * key_bytes) + b"q\x01"  # dict 0, its key memoized as 1
    p += (b"}" + b"h\x01") * (levels - 1)  # dict, key: a dict under each key
    # [T, T, …]: T = _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 1), 0, (1,), (1,), False, {})
    p += b"]" + b"(" + b"ctorch._utils\n_rebuild_tensor_v2\n" + b"((" + pickle_text("storage")
    p += b"ctorch\nFloatStorage\n" + pickle_text("0") + pickle_text("cpu") + b"K\x01tQ"
    p += b"K\x00" + b"K\x01\x85" + b"K\x01\x85" + b"\x89" + b"}" + b"tR" + b"q\x00"
    p += b"h\x00" * (references - 1) + b"e"  # APPENDS
    p += b"s" * levels + b"."  # SETITEM down to dict 0, STOP
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in [("archive/data.pkl", p), ("archive/byteorder", b"little"), ("archive/data/0", bytes(4)),
                           ("archive/version", b"3\n")]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


(OUT / "pytorch").mkdir(parents=True, exist_ok=True)
(OUT / "pytorch/oom-one-tensor-named-by-long-paths").write_bytes(long_paths_state_dict())
print("wrote the framing, manifest, monitor and pytorch seeds under", OUT)
