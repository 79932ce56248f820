#!/usr/bin/env python3
"""OpenVINO releases, measured from their wheels: which ONNX operators the ONNX frontend reads and the CPU plugin
compiles, probed with the onnx package's backend node test models (one model per operator and variant), written into
Schemas/targets (runtime `openvino`, operator set `openvino-cpu-onnx`, source `openvino-wheels`).

    scripts/catalogue/derive_openvino.py install 2023.3.0 2024.6.0 2025.4.1 2026.4.1   # wheels into the cache
    scripts/catalogue/derive_openvino.py refresh     # probe every cached release, write the tables
    scripts/catalogue/derive_openvino.py --check     # probe the newest cached release again, compare with the tables
    scripts/catalogue/derive_openvino.py fixture     # Tests/Fixtures/targets/gelu_opset20.onnx for the Swift test

The cache is $SLIPWAY_OPENVINO_CACHE (default $SLIPWAY_RUNTIME_CACHE/openvino, else the repository's
.cache/runtimes/openvino, where `make runtimes` installs the newest release for the tests): one directory per release, the wheel installed
there with its dependencies (numpy 1 for releases before 2024.3, built against it), so releases sit side by side.
Each release is probed in child processes (PYTHONPATH = its directory): a model is read with
`openvino.Core().read_model(path)` and compiled with `compile_model(model, "CPU")`; a model that crashes or hangs the
child fails, and the next child resumes after it. An operator (op_type and domain of the probe's single node) is
supported by a release when at least one of its probes reads and compiles, as the test wrote it or in its deployed
form (`deployed_form`: the inputs after the first made initializers from the test's data, trailing optional outputs
dropped); how many do is recorded too
(`measurements/<version>.json` in the cache, and `partial` in operators.json when only some do). `_expanded` probes
(the function body, not the operator) are left out.
"""
import json
import os
import pathlib
import select
import subprocess
import sys
import time

import catalogue_json as cj

HERE = pathlib.Path(__file__).resolve().parent
CACHE = pathlib.Path(os.environ.get("SLIPWAY_OPENVINO_CACHE") or pathlib.Path(
    os.environ.get("SLIPWAY_RUNTIME_CACHE") or HERE.parents[1] / ".cache" / "runtimes") / "openvino")
SET_ID = "openvino-cpu-onnx"
SOURCE_ID = "openvino-wheels"
PER_MODEL_SECONDS = 60


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def minor(v):
    return ".".join(v.split(".")[:2])


def node_dir():
    import onnx
    return pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"


def probes():
    """[(test name, path, op key, ai.onnx opset)], one per backend node test whose graph is a single node."""
    import onnx
    out = []
    for d in sorted(node_dir().iterdir()):
        path = d / "model.onnx"
        if d.name.endswith("_expanded") or not path.exists():
            continue
        m = onnx.load(str(path), load_external_data=False)
        if len(m.graph.node) != 1:
            continue
        n = m.graph.node[0]
        key = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}"
        opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), None)
        out.append((d.name, str(path), key, opset))
        const = deployed_form(d, m)
        if const is not None:
            out.append((d.name + "@const", const, key, opset))
    return out


def deployed_form(d, m):
    """The probe as an exported model has it: the inputs after the first (axes, shapes, scales) given as
    initializers from the test's own data, and trailing optional outputs (training statistics) dropped. None when
    nothing changes. The backend tests feed every input at run time, which the CPU plugin refuses for some operators
    (Unsqueeze with run-time axes has a dynamic rank) that it runs with constants."""
    import onnx
    from onnx import defs, numpy_helper
    n = m.graph.node[0]
    data = d / "test_data_set_0"
    inputs = [i.name for i in m.graph.input]
    consts = []
    for i, name in enumerate(inputs[1:], start=1):
        pb = data / f"input_{i}.pb"
        if not pb.exists():
            break
        t = onnx.TensorProto()
        t.ParseFromString(pb.read_bytes())
        t.name = name
        consts.append(t)
    keep = len(n.output)
    try:
        version = next(o.version for o in m.opset_import if o.domain == n.domain or (n.domain == "ai.onnx" and o.domain == ""))
        schema = defs.get_schema(n.op_type, version, n.domain)
        while keep > 1 and keep <= len(schema.outputs) and \
                schema.outputs[keep - 1].option == defs.OpSchema.FormalParameterOption.Optional:
            keep -= 1
    except Exception:
        pass
    if not consts and keep == len(n.output):
        return None
    names = {t.name for t in consts}
    g = m.graph
    g.initializer.extend(consts)
    kept = [i for i in g.input if i.name not in names]
    del g.input[:]
    g.input.extend(kept)
    dropped = set(n.output[keep:])
    outs = list(n.output[:keep])
    del n.output[:]
    n.output.extend(outs)
    gouts = [o for o in g.output if o.name not in dropped]
    del g.output[:]
    g.output.extend(gouts)
    out = CACHE / "probes" / d.name / "model.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))
    return str(out)


CHILD = r"""
import json, sys
import openvino as ov
core = ov.Core()
print(json.dumps({"version": ov.get_version()}), flush=True)
for line in sys.stdin:
    name, path = json.loads(line)
    read = compiled = False
    error = ""
    try:
        m = core.read_model(path)
        read = True
        core.compile_model(m, "CPU")
        compiled = True
    except Exception as e:
        error = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
    print(json.dumps({"name": name, "read": read, "compiled": compiled, "error": error}), flush=True)
"""


def release_env(version):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(CACHE / version)
    env["OPENVINO_TELEMETRY"] = "0"
    return env


def probe_release(version, items, log=sys.stderr):
    """{test name: {"read", "compiled", "error"}} for `items` on OpenVINO `version`, and the version string it reports."""
    results, reported = {}, None
    todo = list(items)
    while todo:
        child = subprocess.Popen([sys.executable, "-c", CHILD], env=release_env(version), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                 cwd=str(CACHE))
        first = child.stdout.readline()
        if not first:
            raise SystemExit(f"openvino {version} does not import from {CACHE / version}")
        reported = json.loads(first)["version"]
        done_here = 0
        for name, path, _, _ in todo:
            child.stdin.write(json.dumps([name, path]) + "\n")
            child.stdin.flush()
            ready, _, _ = select.select([child.stdout], [], [], PER_MODEL_SECONDS)
            line = child.stdout.readline() if ready else ""
            if not line:  # crashed or hung: that probe fails, a new child takes the rest
                results[name] = {"read": False, "compiled": False, "error": "timed out" if not ready else "crashed"}
                done_here += 1
                child.kill()
                break
            results[name] = {k: v for k, v in json.loads(line).items() if k != "name"}
            done_here += 1
        else:
            child.stdin.close()
        child.kill()
        child.wait()
        todo = todo[done_here:]
        print(f"  openvino {version}: {len(results)}/{len(items)} probes", file=log)
    return results, reported


def summarize(version, reported, items, results):
    ops = {}
    max_opset = 0
    for name, _, key, opset in items:
        if name.endswith("@const"):
            continue
        r = dict(results[name])
        c = results.get(name + "@const")
        if c is not None and not r["compiled"] and c["compiled"]:  # runs in the deployed form
            r = dict(c, deployed_form=True)
        o = ops.setdefault(key, {"variants": 0, "read": 0, "compiled": 0, "probes": []})
        o["variants"] += 1
        o["read"] += r["read"]
        o["compiled"] += r["compiled"]
        o["probes"].append({"name": name, "opset": opset, **r})
        if r["read"] and opset:
            max_opset = max(max_opset, opset)
    return {"version": version, "reported": reported, "max_opset_read": max_opset, "operators": ops}


def measure(version, items=None):
    items = items or probes()
    t = time.time()
    results, reported = probe_release(version, items)
    m = summarize(version, reported, items, results)
    m["measured"] = time.strftime("%Y-%m-%d")
    m["seconds"] = round(time.time() - t)
    return m


def cached():
    return sorted((p.name for p in CACHE.iterdir() if p.is_dir() and (p / "openvino").is_dir()), key=vkey)


def install(versions):
    for v in versions:
        target = CACHE / v
        if not (target / "openvino").is_dir():
            extra = ["numpy<2"] if vkey(v) < (2024, 3) else []
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--only-binary=:all:", "--target", str(target),
                            f"openvino=={v}", *extra], check=True)


def supported(m):
    return sorted(k for k, o in m["operators"].items() if o["compiled"] > 0)


def tables(measurements):
    """The operator set and the runtime's version rows from the measurements (oldest first)."""
    newest = measurements[-1]
    union = sorted(set().union(*(supported(m) for m in measurements)))
    missing, partial = {}, {}
    for m in measurements:
        have = set(supported(m))
        lack = [op for op in union if op not in have]
        if lack:
            missing[minor(m["version"])] = lack
        part = {k: f"{o['compiled']}/{o['variants']}" for k, o in sorted(m["operators"].items()) if 0 < o["compiled"] < o["variants"]}
        if part:
            partial[minor(m["version"])] = part
    probed = len(newest["operators"])
    op_set = {
        "id": SET_ID,
        "title": "OpenVINO CPU plugin (ONNX frontend)",
        "model_format": "onnx",
        "source": {"id": SOURCE_ID, "section": "operators whose onnx backend node test models read and compile on CPU"},
        "tensor_types": ["float32", "float16", "int8", "uint8", "int32", "int64", "bool"],
        "operators": union,
        "missing_in": missing,
        "partial": partial,
        "measured": (f"{probed} operators probed with the backend node test models of onnx "
                     f"{__import__('onnx').__version__} on x86-64, {newest['measured']}; an operator is in the table "
                     "when one of its models reads (Core.read_model) and compiles (compile_model 'CPU'), as written or with the inputs "
                     "after the first made initializers and trailing optional outputs dropped; partial: "
                     "compiled/probed models per operator"),
    }
    # The highest opset a probe uses is onnx's, not the release's ceiling: recorded in the section, not as max_opset.
    rows = [{"version": minor(m["version"]),
             "source": {"id": SOURCE_ID, "section": f"openvino {m['version']} ({len(supported(m))} operators; reads "
                                                    f"probes up to opset {m['max_opset_read']})"}}
            for m in reversed(measurements)]
    return op_set, rows


def write(measurements):
    op_set, rows = tables(measurements)
    ops = cj.load("operators.json")
    sets = [s for s in ops["operator_sets"] if s["id"] != SET_ID]
    ops["operator_sets"] = sets + [op_set]
    cj.dump("operators.json", ops)

    rts = cj.load("runtimes.json")
    entry = next((r for r in rts["runtimes"] if r["name"] == "openvino"), None)
    if entry is None:
        entry = {"name": "openvino"}
        rts["runtimes"].append(entry)
    entry.update({
        "title": "OpenVINO (CPU plugin)",
        "model_formats": ["onnx"],
        "operators": SET_ID,
        "versions_source": {"id": SOURCE_ID, "section": "release history"},
        "versions": rows,
        "delegates": entry.get("delegates", []),
        "processor": "cpu",
    })
    cj.dump("runtimes.json", rts, plain=True)

    src = cj.load("sources.json")
    src["sources"][SOURCE_ID] = {
        "title": ("openvino wheels from PyPI, measured by scripts/catalogue/derive_openvino.py (onnx backend node test "
                  f"models read and compiled on CPU; {', '.join(m['version'] for m in measurements)}; "
                  f"measured {measurements[-1]['measured']})"),
        "url": "https://pypi.org/project/openvino/#history",
        "read": measurements[-1]["measured"],
    }
    cj.dump("sources.json", src, plain=True)


def load_measurement(v):
    p = CACHE / "measurements" / f"{v}.json"
    return json.loads(p.read_text()) if p.exists() else None


def refresh(force=False):
    items = probes()
    out = []
    (CACHE / "measurements").mkdir(parents=True, exist_ok=True)
    for v in cached():
        m = None if force else load_measurement(v)
        if m is None:
            m = measure(v, items)
            (CACHE / "measurements" / f"{v}.json").write_text(json.dumps(m, indent=1))
        print(f"openvino {v}: {len(supported(m))} of {len(m['operators'])} operators compile, "
              f"highest opset read {m['max_opset_read']}")
        out.append(m)
    write(out)


def check():
    """0 when the newest cached release measures as the tables record it."""
    v = cached()[-1]
    m = measure(v)
    ops = next(s for s in cj.load("operators.json")["operator_sets"] if s["id"] == SET_ID)
    lack = set(ops.get("missing_in", {}).get(minor(v), []))
    recorded = sorted(op for op in ops["operators"] if op not in lack)
    got = supported(m)
    if recorded != got:
        print(f"openvino {v}: measured and recorded differ: only measured {sorted(set(got) - set(recorded))}, "
              f"only recorded {sorted(set(recorded) - set(got))}", file=sys.stderr)
        return 1
    print(f"openvino {v}: {len(got)} operators, as recorded")
    return 0


def fixture():
    """Tests/Fixtures/targets/gelu_opset20.onnx: MatMul then Gelu (opset 20), which OpenVINO 2023.3 does not
    convert and 2024.6 and later run (the Swift test of the openvino.ops diagnostic)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.linspace(-1, 1, 16 * 8, dtype=np.float32).reshape(16, 8), "w")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"), helper.make_node("Gelu", ["h"], ["y"], name="gelu")],
        "gelu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)], ir_version=9, producer_name="slipway")
    onnx.checker.check_model(m)
    out = pathlib.Path(cj.ROOT) / "Tests" / "Fixtures" / "targets" / "gelu_opset20.onnx"
    onnx.save(m, str(out))
    print(f"wrote {out}")


def main():
    args = sys.argv[1:]
    if args[:1] == ["fixture"]:
        fixture()
    elif args[:1] == ["install"]:
        install(args[1:])
    elif args[:1] == ["refresh"]:
        refresh(force="--force" in args)
    elif args[:1] in (["--check"], ["check"]):
        sys.exit(check())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
