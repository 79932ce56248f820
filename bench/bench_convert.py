#!/usr/bin/env python3
"""Native int8 conversion against onnxruntime's quantize_dynamic on the same files in the same run (issue 7,
Performance: >= 10x faster, peak RSS <= 1.5x the model size).

    .venv/bin/python bench/bench_convert.py            # builds `slipway` in release mode first

Options: --opset N (default 17; 12 makes the per-channel conversion upgrade the graph to 13), --sizes MB[,MB...] (default 50,500), --skip-ort, --large GB (also convert a model of GB gigabytes
kept in a sparse external data file: the external-data output path, int8 and float16). The models (bench/out/convert_<MB>mb.onnx, cached,
not committed) are stacks of MatMul + Add + Relu with random float32 weights [d, d] made with onnx.helper.
Each tool runs in its own child process; its wall-clock time and peak RSS (ru_maxrss of the child, which
counts the model's mapped pages it touched) are measured the same way:

- slipway: `slipway convert MODEL --output OUT --weights int8 --force` (per-channel int8, QDQ)
- ort: quantize_dynamic(MODEL, OUT, weight_type=QInt8, per_channel=True) in a fresh python
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SLIPWAY = ROOT / ".build" / "release" / "slipway"


def generate(mb, opset=17):
    """A chain of MatMul/Add/Relu layers whose weights total about `mb` MB. Below opset 13 each layer also
    passes through Unsqueeze/Squeeze (axes attributes) and the output through Softmax(axis=1), so that the
    per-channel conversion has to upgrade the graph (docs/opset-upgrade.md)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = OUT / (f"convert_{mb}mb.onnx" if opset == 17 else f"convert_{mb}mb_opset{opset}.onnx")
    if path.exists():
        return path
    d = 1024 if mb <= 100 else 2048
    layers = max(1, round(mb * 1e6 / (d * d * 4)))
    rng = np.random.default_rng(mb)
    inits, nodes = [], []
    x = "x"
    for i in range(layers):
        w = (rng.standard_normal((d, d), dtype=np.float32) / np.sqrt(d)).astype(np.float32)
        b = (rng.standard_normal(d, dtype=np.float32) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [
            helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]),
            helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
            helper.make_node("Relu", [f"a{i}"], [f"r{i}"]),
        ]
        x = f"r{i}"
        if opset < 13:
            nodes += [helper.make_node("Unsqueeze", [x], [f"u{i}"], axes=[0]),
                      helper.make_node("Squeeze", [f"u{i}"], [f"s{i}"], axes=[0])]
            x = f"s{i}"
    if opset < 13:
        nodes.append(helper.make_node("Softmax", [x], ["y"], axis=1))
        x = "y"
    graph = helper.make_graph(
        nodes, f"bench{mb}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, d])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset >= 15 else 7
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return path


def measure(cmd):
    """Wall-clock seconds, CPU seconds (user + system) and peak RSS (bytes) of one child process.

    GNU time runs the command when it is installed: a child forked from this Python would report this
    process's own peak as its floor (Linux carries ru_maxrss across fork and exec)."""
    rss_file = OUT / "rss.txt"
    timed = ["/usr/bin/time", "-f", "%U %S %M", "-o", str(rss_file)] if os.path.exists("/usr/bin/time") else []
    t0 = time.perf_counter()
    p = subprocess.Popen(timed + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{cmd[0]} failed ({code}): {err[:800]}")
    if timed:
        user, system, kib = rss_file.read_text().split()[-3:]
        cpu, kib = float(user) + float(system), int(kib)
    else:
        cpu, kib = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
    return elapsed, cpu, kib * 1024


def generate_large(gb):
    """A model of about `gb` GB whose tensors live in an external data file made sparse (zeros, no disk
    blocks): the converter's > 2 GiB path without writing gigabytes of random numbers."""
    import onnx
    from onnx import TensorProto, helper

    d = 8192
    layers = max(1, round(gb * 1e9 / (d * d * 4)))
    folder = OUT / f"large_{gb}gb"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "model.onnx.data"
    with open(data, "wb") as f:
        f.truncate(layers * d * d * 4)
    inits, nodes, x = [], [], "x"
    for i in range(layers):
        t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[d, d], data_location=TensorProto.EXTERNAL)
        for k, v in (("location", data.name), ("offset", str(i * d * d * 4)), ("length", str(d * d * 4))):
            t.external_data.add(key=k, value=v)
        inits.append(t)
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]))
        x = f"m{i}"
    graph = helper.make_graph(nodes, "large", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, d])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, d])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    return folder / "model.onnx", layers * d * d * 4


def large(gb):
    import onnx

    model, size = generate_large(gb)
    print(f"large: {size / 1e9:.2f} GB of external float32 weights (sparse file)")
    for args in (["--weights", "int8"], ["--float16"]):
        out = model.parent / ("out" + "".join(a.strip("-") for a in args)) / "m.onnx"
        out.parent.mkdir(exist_ok=True)
        t, cpu, rss = measure([str(SLIPWAY), "convert", str(model), "--output", str(out), "--force", *args])
        m = onnx.load(str(out), load_external_data=False)
        locations = {e.value for i in m.graph.initializer for e in i.external_data if e.key == "location"}
        data = out.parent / "m.onnx.data"
        print(f"  {' '.join(args):>14}: {t:.1f} s (cpu {cpu:.1f} s), peak RSS {rss / 1e6:.0f} MB "
              f"({rss / size:.2f}x), model {out.stat().st_size / 1e6:.2f} MB + data {data.stat().st_size / 1e9:.2f} GB, "
              f"locations {sorted(locations)}")


ORT_SCRIPT = """
import sys
from onnxruntime.quantization import QuantType, quantize_dynamic
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QInt8, per_channel=True)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,500")
    ap.add_argument("--skip-ort", action="store_true")
    ap.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--opset", type=int, default=17,
                    help="the models' opset; below 13 convert also upgrades the graph (Squeeze/Unsqueeze/Softmax)")
    ap.add_argument("--slipway", default=str(SLIPWAY), help="the binary (default: a release build made first)")
    ap.add_argument("--large", type=float, default=0, help="also convert a GB-sized external-data model (e.g. 2.2)")
    args = ap.parse_args()
    if args.generate:
        generate(args.generate, args.opset)
        return
    if args.slipway == str(SLIPWAY):
        subprocess.run(["swift", "build", "-c", "release", "--product", "slipway"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"bench_convert (opset {args.opset}): slipway convert --weights int8 (per-channel QDQ) vs quantize_dynamic (QInt8, per_channel)")
    print(f"{'model':>10} {'slipway s':>10} {'ort s':>8} {'speedup':>8} {'cpu speedup':>12} "
          f"{'slipway RSS/model':>18} {'ort RSS/model':>14}")
    for mb in [int(s) for s in args.sizes.split(",") if s]:
        # In a child, so that this process stays small (its peak would otherwise show in the children's).
        subprocess.run([sys.executable, __file__, "--generate", str(mb), "--opset", str(args.opset)], check=True)
        model = generate(mb, args.opset)
        size = model.stat().st_size
        out = OUT / f"{model.stem}.int8.onnx"
        s_time, s_cpu, s_rss = measure([args.slipway, "convert", str(model), "--output", str(out), "--weights",
                                        "int8", "--force"])
        if args.skip_ort:
            o_time = o_cpu = o_rss = float("nan")
        else:
            ref = OUT / f"{model.stem}.ort.onnx"
            o_time, o_cpu, o_rss = measure([sys.executable, "-c", ORT_SCRIPT, str(model), str(ref)])
        print(f"{size / 1e6:>8.0f}MB {s_time:>10.2f} {o_time:>8.2f} {o_time / s_time:>7.1f}x {o_cpu / s_cpu:>11.1f}x "
              f"{s_rss / size:>17.2f}x {o_rss / size:>13.2f}x"
              f"   (cpu s slipway {s_cpu:.2f}, ort {o_cpu:.2f}; peak RSS slipway {s_rss / 1e6:.0f} MB, ort {o_rss / 1e6:.0f} MB)")
    if args.large:
        large(args.large)
    print("goals: speedup >= 10x, slipway peak RSS <= 1.5x the model size (speedup: wall clock; cpu speedup: user+system)")


if __name__ == "__main__":
    main()
