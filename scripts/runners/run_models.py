"""Runs models on samples for `slipway test`, in the target's real runtime; Slipway compares the outputs.

Usage: python run_models.py JOB.json — JOB names the models (path, runtime), the samples and an output
folder. Every model runs on every sample (after `warmup` untimed runs on the first); each output is saved as
<out>/<model>/<sample>_<output>.npy, and RESULT.json (beside the outputs) records the runtimes' versions, each
model's inputs, outputs, provider and per-sample latency, each sample's arrays, and the runner's peak RSS.
A sample that does not fit a model is recorded, not fatal; a model that cannot load is recorded with the
runtime's own message. Exit 0 when RESULT.json was written.
"""
import json
import os
import resource
import sys
import time
import traceback

import numpy as np


def load_sample(path):
    """{name or None: array} for .npy (one unnamed array) and .npz (arrays by input name); raw .bin is read
    by the caller's declared dtype."""
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    if path.endswith(".npy"):
        return {None: np.load(path, allow_pickle=False)}
    raise ValueError(f"{path}: not a .npy or .npz sample")


class ONNXModel:
    def __init__(self, path, spec):
        import onnxruntime as ort
        self.version = "onnxruntime " + ort.__version__
        wanted = {"cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
                  "coreml": "CoreMLExecutionProvider", "nnapi": "NnapiExecutionProvider",
                  "openvino": "OpenVINOExecutionProvider", "directml": "DmlExecutionProvider"}.get(spec.get("delegate") or "")
        available = ort.get_available_providers()
        providers = ([wanted] if wanted in available else []) + ["CPUExecutionProvider"]
        self.note = None if not wanted or wanted in available else f"{wanted} is not available here; ran on CPUExecutionProvider"
        so = ort.SessionOptions()
        so.log_severity_level = 3
        self.session = ort.InferenceSession(path, so, providers=providers)
        self.provider = self.session.get_providers()[0]
        self.inputs = [{"name": i.name, "shape": [d if isinstance(d, int) else -1 for d in i.shape],
                        "dtype": {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(int64)": "int64",
                                  "tensor(int32)": "int32", "tensor(int8)": "int8", "tensor(uint8)": "uint8",
                                  "tensor(bool)": "bool", "tensor(double)": "float64"}.get(i.type, i.type)}
                       for i in self.session.get_inputs()]
        self.outputs = [o.name for o in self.session.get_outputs()]

    def run(self, feeds):
        return self.session.run(None, feeds)


class TFLiteModel:
    def __init__(self, path, spec):
        from ai_edge_litert import interpreter as litert
        import ai_edge_litert
        self.version = "ai-edge-litert " + getattr(ai_edge_litert, "__version__", "?")
        self.interpreter = litert.Interpreter(model_path=path)
        self.interpreter.allocate_tensors()
        self.provider = "LiteRT CPU (XNNPACK)"
        self.note = None
        if spec.get("delegate") and spec["delegate"] not in ("cpu", "xnnpack"):
            self.note = f"the {spec['delegate']} delegate does not run here; ran on LiteRT's CPU kernels"
        self.details_in = self.interpreter.get_input_details()
        self.details_out = self.interpreter.get_output_details()
        self.inputs = [{"name": d["name"], "shape": [int(x) for x in d["shape"]], "dtype": np.dtype(d["dtype"]).name}
                       for d in self.details_in]
        self.outputs = [d["name"] for d in self.details_out]

    def run(self, feeds):
        for d in self.details_in:
            x = feeds[d["name"]]
            scale, zero = d.get("quantization", (0.0, 0))
            if np.issubdtype(d["dtype"], np.integer) and not np.issubdtype(x.dtype, np.integer) and scale:
                # A full-integer model takes quantized inputs: Q(x) = round(x / s) + z, clipped to the type.
                info = np.iinfo(d["dtype"])
                x = np.clip(np.round(x / scale) + zero, info.min, info.max)
            self.interpreter.set_tensor(d["index"], x.astype(d["dtype"]))
        self.interpreter.invoke()
        out = []
        for d in self.details_out:
            y = self.interpreter.get_tensor(d["index"])
            scale, zero = d.get("quantization", (0.0, 0))
            if np.issubdtype(y.dtype, np.integer) and scale:
                y = (y.astype(np.float32) - zero) * scale  # compared in the original's units
            out.append(y)
        return out


class TFLiteMicroModel(TFLiteModel):
    def __init__(self, path, spec):
        from tflite_micro.python.tflite_micro import runtime as tflm
        import tflite_micro
        self.version = "tflite-micro " + getattr(tflite_micro, "__version__", "?")
        self.interpreter = tflm.Interpreter.from_file(path, arena_size=spec.get("arena_bytes") or 8 << 20)
        self.provider = "TFLite Micro reference kernels"
        self.note = None
        self.details_in = [dict(self.interpreter.get_input_details(i), index=i) for i in range(len(self._count("input")))]
        self.details_out = [dict(self.interpreter.get_output_details(i), index=i) for i in range(len(self._count("output")))]
        self.inputs = [{"name": d.get("name", f"input_{d['index']}"), "shape": [int(x) for x in d["shape"]],
                        "dtype": np.dtype(d["dtype"]).name} for d in self.details_in]
        self.outputs = [d.get("name", f"output_{d['index']}") for d in self.details_out]

    def _count(self, kind):
        n = 0
        while True:
            try:
                (self.interpreter.get_input_details if kind == "input" else self.interpreter.get_output_details)(n)
            except Exception:
                return range(n)
            n += 1

    def run(self, feeds):
        for d, spec in zip(self.details_in, self.inputs):
            x = feeds[spec["name"]]
            scale, zero = d.get("quantization_parameters", {}).get("scales", [0])[:1] or [0], 0
            q = d.get("quantization_parameters", {})
            if np.issubdtype(d["dtype"], np.integer) and not np.issubdtype(x.dtype, np.integer) and len(q.get("scales", [])):
                info = np.iinfo(d["dtype"])
                x = np.clip(np.round(x / q["scales"][0]) + q["zero_points"][0], info.min, info.max)
            self.interpreter.set_input(x.astype(d["dtype"]), d["index"])
        self.interpreter.invoke()
        out = []
        for d in self.details_out:
            y = self.interpreter.get_output(d["index"])
            q = d.get("quantization_parameters", {})
            if np.issubdtype(y.dtype, np.integer) and len(q.get("scales", [])):
                y = (y.astype(np.float32) - q["zero_points"][0]) * q["scales"][0]
            out.append(y)
        return out


KINDS = {"onnxruntime": ONNXModel, "litert": TFLiteModel, "tflite-micro": TFLiteMicroModel}


def fit(arrays, inputs):
    """The feeds for a model from one sample's arrays, or why they do not fit: by name, or the one unnamed
    array for a one-input model; NCHW → NHWC when only that makes a 4-D shape fit (onnx2tf's layout)."""
    feeds, notes = {}, []
    for spec in inputs:
        name = spec["name"]
        if name in arrays:
            x = arrays[name]
        elif None in arrays and len(inputs) == 1:
            x = arrays[None]
        elif len(arrays) == 1 and len(inputs) == 1:
            x = next(iter(arrays.values()))
        else:
            return None, f"no array for input {name} (the sample has {sorted(str(k) for k in arrays)})"
        want = spec["shape"]
        ok = lambda s: len(s) == len(want) and all(w < 0 or w == d for w, d in zip(want, s))
        if not ok(x.shape):
            if x.ndim == 4 and ok((x.shape[0], x.shape[2], x.shape[3], x.shape[1])):
                x = np.transpose(x, (0, 2, 3, 1))
                notes.append(f"{name}: NCHW → NHWC")
            else:
                return None, f"input {name} takes shape {want}, the sample has {list(x.shape)}"
        feeds[name] = np.ascontiguousarray(x.astype(spec["dtype"]) if np.issubdtype(np.dtype(spec["dtype"]), np.floating) or np.issubdtype(x.dtype, np.integer) else x)
    return feeds, "; ".join(notes) or None


def main():
    job = json.load(open(sys.argv[1]))
    out = job["out"]
    result = {"models": [], "samples": [], "runtimes": {}}
    samples = []
    for path in job["samples"]:
        try:
            arrays = load_sample(path)
            samples.append(arrays)
            result["samples"].append({"path": path, "arrays": {str(k): {"shape": list(v.shape), "dtype": v.dtype.name}
                                                                for k, v in arrays.items()}})
        except Exception as e:  # a sample the runner cannot read is reported, not fatal
            samples.append(None)
            result["samples"].append({"path": path, "error": str(e)})
    for m, spec in enumerate(job["models"]):
        entry = {"path": spec["path"], "latency_ms": [], "fits": []}
        result["models"].append(entry)
        try:
            model = KINDS[spec["runtime"]](spec["path"], spec)
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}".strip()
            continue
        result["runtimes"][spec["runtime"]] = model.version
        entry.update(inputs=model.inputs, outputs=model.outputs, provider=model.provider, note=model.note)
        os.makedirs(os.path.join(out, str(m)), exist_ok=True)
        warmed = False
        for s, arrays in enumerate(samples):
            if arrays is None:
                entry["fits"].append("unreadable")
                continue
            feeds, why = fit(arrays, model.inputs)
            if feeds is None:
                entry["fits"].append(why)
                entry["latency_ms"].append(None)
                continue
            entry["fits"].append(why or "")
            try:
                if not warmed:
                    for _ in range(job.get("warmup", 1)):
                        model.run(feeds)
                    warmed = True
                t0 = time.perf_counter()
                ys = model.run(feeds)
                entry["latency_ms"].append((time.perf_counter() - t0) * 1000)
            except Exception as e:
                entry["error"] = f"{type(e).__name__}: {e}".strip()
                break
            for k, y in enumerate(ys):
                np.save(os.path.join(out, str(m), f"{s}_{k}.npy"), np.ascontiguousarray(np.asarray(y, dtype=np.float64)))
    result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.path.join(out, "RESULT.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.exit(3)
