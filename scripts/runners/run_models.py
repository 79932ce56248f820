"""Runs models on samples in one runtime, for `slipway test` (one process per runtime, never one per sample).

Usage: python run_models.py JOB.json OUT_DIR
       python run_models.py --version RUNTIME OUT_FILE   (the runtime's installed version, for reusing a measurement)

JOB.json: {"runtime": "onnxruntime" | "litert" | "tflite-micro", "warmup": 3,
           "inputs": {name: [dims...]} (the manifest's shapes, else the model's; a string for a free dimension),
           "preprocess": {layout, color, scale, mean, std, dtype, sample_rate} (test.preprocess, for images, WAV and .bin),
           "samples": [path, ...] (.npy for a one-input model, .npz keyed by input name; images, .wav and raw .bin
                                   decoded for a one-input model),
           "models": [{"id": str, "path": str, "exact_u8s8": bool, "delegate": str (the target's, absent for the
                       original)}, ...]}

exact_u8s8 (onnxruntime): the uint8 x int8 integer matmuls run exactly (`session.x64quantprecision`, U8U8
kernels) even on an x86-64 host without VNNI, whose default VPMADDUBSW kernel saturates paired products to
int16. Slipway asks for it unless the target's device is itself an x86-64 without VNNI.

delegate: the target's `delegate`. onnxruntime runs the execution provider it names when this onnxruntime has it,
else the CPU one; LiteRT runs `cpu` on its builtin kernels (no default delegate), `xnnpack` or none with its
default delegate (XNNPACK), and any other delegate, which this host cannot run, with its default. Either way
"ran_on" says what ran, and "placement_note" why, when it is not what the target asks.

Writes OUT_DIR/result.json: {"runtime", "version", "peak_rss_kb", "host_u8s8_saturates",
"sample_errors": [{file, input, expected, got}],
"models": {id: {"error"?: str, "outputs": [{"name", "shape", "file"}], "latency_ms": [...], "exact_u8s8"?: bool,
"ran_on": str, "placement_note"?: str}}}; each output's
values for every sample, in sample order, as little-endian float32 in OUT_DIR/<id>.<index>.f32. Exit 0 even when
a model fails (its error is in the result); non-zero only when the job itself cannot be read.
"""
import hashlib
import io
import json
import os
import resource
import sys
import time


def runtime_version(runtime):
    from importlib import metadata
    package = {"onnxruntime": "onnxruntime", "litert": "ai-edge-litert", "tflite-micro": "tflite-micro",
               "keras": "tensorflow"}[runtime]
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


# The version probe (`--version`) decides whether a recorded measurement is reused: answered before numpy loads,
# it costs a Python start-up, not a numeric stack's.
if __name__ == "__main__" and sys.argv[1:2] == ["--version"]:
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write(runtime_version(sys.argv[2]))
    sys.exit(0)

import numpy as np  # noqa: E402 (after the version probe, on purpose)


DIGEST = hashlib.sha256()


def read(path):
    """A sample file's bytes, read once: hashed into the sample set's digest ("name sha256" lines, in order)."""
    with open(path, "rb") as f:
        data = f.read()
    DIGEST.update(f"{os.path.basename(path)} {hashlib.sha256(data).hexdigest()}\n".encode())
    return io.BytesIO(data)


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")


class SampleError(Exception):
    """A sample file that cannot become the input: its message names what was found and what was expected."""


def image_array(data, shape, pre):
    """An image as the input's array: decoded by Pillow, converted to the colour order, resized (bilinear) to the
    input's height and width, scaled, normalised by mean/std per channel, in the input's layout, with its batch."""
    from PIL import Image
    if len(shape) not in (3, 4) or any(not isinstance(d, int) for d in shape[-3:]):
        raise SampleError(f"is an image, but the input's shape {shape} is not a fixed [N,] C, H, W or H, W, C")
    dims = shape[-3:]
    layout = pre.get("layout") or ("nchw" if dims[0] in (1, 3) and dims[2] not in (1, 3) else "nhwc")
    channels, height, width = (dims[0], dims[1], dims[2]) if layout == "nchw" else (dims[2], dims[0], dims[1])
    color = pre.get("color") or ("gray" if channels == 1 else "rgb")
    if (color == "gray") != (channels == 1):
        raise SampleError(f"is decoded as {color}, but the input takes {channels} channels")
    with Image.open(data) as im:
        im = im.convert("L" if color == "gray" else "RGB").resize((width, height), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float32)
    if a.ndim == 2:
        a = a[:, :, np.newaxis]
    if color == "bgr":
        a = a[:, :, ::-1]
    a = a * np.float32(pre.get("scale", 1.0 / 255.0))
    mean = np.asarray(pre.get("mean", 0.0), dtype=np.float32).reshape(-1)
    std = np.asarray(pre.get("std", 1.0), dtype=np.float32).reshape(-1)
    for v, what in ((mean, "mean"), (std, "std")):
        if v.size not in (1, channels):
            raise SampleError(f"needs one {what} or {channels} (one per channel); test.preprocess.{what} has {v.size}")
    a = (a - mean) / std
    if layout == "nchw":
        a = np.transpose(a, (2, 0, 1))
    return np.ascontiguousarray(a[np.newaxis, ...] if len(shape) == 4 else a)


def wav_array(data, shape, pre):
    """A WAV file as a 1-D or 2-D audio input: PCM (8/16/32-bit) to float in [-1, 1), channels averaged to mono,
    zero-padded or cut to the input's length (both said in the runner's result), at the stated sample rate."""
    import wave
    with wave.open(data, "rb") as w:
        rate, width, channels, frames = w.getframerate(), w.getsampwidth(), w.getnchannels(), w.readframes(w.getnframes())
    want_rate = pre.get("sample_rate")
    if want_rate and rate != want_rate:
        raise SampleError(f"is sampled at {rate} Hz, but test.preprocess.sample_rate is {want_rate} Hz")
    if width == 1:
        a = (np.frombuffer(frames, dtype=np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        a = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768
    elif width == 4:
        a = np.frombuffer(frames, dtype="<i4").astype(np.float32) / 2147483648
    else:
        raise SampleError(f"has {8 * width}-bit samples; WAV samples are read as 8, 16 or 32-bit PCM")
    a = a.reshape(-1, channels).mean(axis=1)
    if len(shape) not in (1, 2) or not isinstance(shape[-1], int):
        raise SampleError(f"is audio, but the input's shape {shape} is not [samples] or [batch, samples] with a fixed length")
    n = shape[-1]
    a = np.pad(a, (0, max(0, n - a.size)))[:n].astype(np.float32)
    return a[np.newaxis, :] if len(shape) == 2 else a


def bin_array(data, shape, pre):
    """A raw little-endian file of test.preprocess.dtype, as many values as the input holds."""
    dtype = np.dtype(pre.get("dtype", "float32")).newbyteorder("<")
    raw = data.read()
    if any(not isinstance(d, int) for d in shape):
        raise SampleError(f"is raw, but the input's shape {shape} is not fixed")
    count = int(np.prod(shape)) if shape else 1
    if len(raw) != count * dtype.itemsize:
        raise SampleError(f"holds {len(raw)} bytes; the input takes {count} {dtype.name} values ({count * dtype.itemsize} bytes)")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def decoded(path, shape, pre):
    lower = path.lower()
    if lower.endswith(IMAGE_EXTENSIONS):
        return image_array(read(path), shape, pre)
    if lower.endswith(".wav"):
        return wav_array(read(path), shape, pre)
    return bin_array(read(path), shape, pre)


def load_samples(paths, inputs, pre=None):
    """Each sample as {input: array}; a sample that does not fit is reported, not run."""
    pre = pre or {}
    names = list(inputs)
    samples, errors = [], []
    if not names:
        # The manifest states no inputs: each file as it is (one .npy array, or every .npz array), paired with the
        # model's inputs by name or in order when run.
        for path in paths:
            if path.endswith(".npz"):
                with np.load(read(path), allow_pickle=False) as z:
                    samples.append({k: z[k] for k in z.files})
            elif path.endswith(".npy"):
                samples.append({"input": np.load(read(path), allow_pickle=False)})
            else:
                errors.append({"file": path, "input": "?", "expected": None, "got": None,
                               "message": "needs the input's shape to be decoded, and neither model.inputs nor the model states it"})
        return samples, errors
    for path in paths:
        arrays = {}
        if path.endswith(".npz"):
            with np.load(read(path), allow_pickle=False) as z:
                for n in names:
                    if n not in z.files:
                        errors.append({"file": path, "input": n, "expected": inputs[n], "got": None,
                                       "message": f"has no array named {n} (it holds {', '.join(z.files) or 'none'})"})
                    else:
                        arrays[n] = z[n]
        elif path.endswith(".npy"):
            a = np.load(read(path), allow_pickle=False)
            if len(names) != 1:
                errors.append({"file": path, "input": ", ".join(names), "expected": None, "got": list(a.shape),
                               "message": "is one array, but the model has several inputs (use .npz keyed by input name)"})
                continue
            arrays[names[0]] = a
        else:
            if len(names) != 1:
                errors.append({"file": path, "input": ", ".join(names), "expected": None, "got": None,
                               "message": "is one input, but the model has several inputs (use .npz keyed by input name)"})
                continue
            try:
                arrays[names[0]] = decoded(path, inputs[names[0]], pre)
            except SampleError as e:
                errors.append({"file": path, "input": names[0], "expected": inputs[names[0]], "got": None, "message": str(e)})
                continue
            except Exception as e:  # the decoder's own words: a corrupt image or WAV
                errors.append({"file": path, "input": names[0], "expected": inputs[names[0]], "got": None,
                               "message": f"cannot be decoded ({type(e).__name__}: {e})"})
                continue
        fitted, ok = {}, True
        for n, a in arrays.items():
            want = inputs[n]
            got = list(a.shape)
            if len(got) + 1 == len(want) and want[0] in (1, None) or len(got) + 1 == len(want) and isinstance(want[0], str):
                a = a[np.newaxis, ...]
                got = list(a.shape)
            fits = len(got) == len(want) and all(isinstance(w, str) or w is None or w == g for w, g in zip(want, got))
            if not fits:
                errors.append({"file": path, "input": n, "expected": want, "got": list(arrays[n].shape),
                               "message": "does not fit"})
                ok = False
            fitted[n] = a
        if ok and len(fitted) == len(names):
            samples.append(fitted)
    return samples, errors


def fit_layout(a, shape):
    """The sample in the artifact's layout: as is, or channels moved last as onnx2tf writes NCHW inputs."""
    shape = list(shape)
    if list(a.shape) == shape:
        return a
    if a.ndim == 4 and [a.shape[0], a.shape[2], a.shape[3], a.shape[1]] == shape:
        return np.transpose(a, (0, 2, 3, 1))
    if a.ndim == 3 and [a.shape[0], a.shape[2], a.shape[1]] == shape:
        return np.transpose(a, (0, 2, 1))
    if a.size == int(np.prod(shape)):
        return a.reshape(shape)
    raise ValueError(f"a sample of shape {list(a.shape)} does not fit the artifact's input of shape {shape}")


def quantize(a, detail):
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(a.dtype, np.integer):
        scale, zero = detail.get("quantization", (0.0, 0))
        if scale:
            info = np.iinfo(dtype)
            return np.clip(np.round(a / scale + zero), info.min, info.max).astype(dtype)
    return a.astype(dtype)


def dequantize(a, detail):
    scale, zero = detail.get("quantization", (0.0, 0))
    if np.issubdtype(a.dtype, np.integer) and scale:
        return (a.astype(np.float32) - zero) * scale
    return a.astype(np.float32)


def host_u8s8_saturates():
    """Whether onnxruntime's default U8S8 kernel on this host can saturate: x86-64 with AVX2 or AVX-512 and no
    VNNI (onnxruntime's session option header, kOrtSessionOptionsAvx2PrecisionMode)."""
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    except OSError:
        return False
    return "avx2" in flags and not ("avx512_vnni" in flags or "avx_vnni" in flags)


ONNX_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
              "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}


def onnx_feed(inputs, sample):
    """A sample as an onnxruntime feed: by input name when it has them all, else in order."""
    types = {i.name: ONNX_TYPES.get(i.type, np.float32) for i in inputs}
    if all(i.name in sample for i in inputs):
        return {i.name: sample[i.name].astype(types[i.name]) for i in inputs}
    return {i.name: v.astype(types[i.name]) for i, v in zip(inputs, sample.values())}


# onnxruntime's names for the execution providers a target's `delegate` can name.
ORT_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
                 "coreml": "CoreMLExecutionProvider", "coreml-mlprogram": "CoreMLExecutionProvider",
                 "nnapi": "NnapiExecutionProvider", "qnn": "QNNExecutionProvider", "dnnl": "DnnlExecutionProvider",
                 "openvino": "OpenVINOExecutionProvider", "vitisai": "VitisAIExecutionProvider",
                 "xnnpack": "XnnpackExecutionProvider", "rocm": "ROCMExecutionProvider",
                 "migraphx": "MIGraphXExecutionProvider", "directml": "DmlExecutionProvider", "webgpu": "WebGpuExecutionProvider"}


def ort_providers(delegate):
    """The providers a session gets for a target's delegate, what runs, and why when it is not what was asked."""
    import onnxruntime as ort
    if not delegate or delegate == "cpu":
        return ["CPUExecutionProvider"], "CPUExecutionProvider", None
    wanted = ORT_PROVIDERS.get(delegate)
    available = ort.get_available_providers()
    if wanted is None:
        return ["CPUExecutionProvider"], "CPUExecutionProvider", f"onnxruntime has no execution provider for delegate {delegate}: ran on CPUExecutionProvider"
    if wanted not in available:
        return (["CPUExecutionProvider"], "CPUExecutionProvider",
                f"{wanted} is not in this onnxruntime (it has {', '.join(available)}): ran on CPUExecutionProvider")
    return [wanted, "CPUExecutionProvider"], wanted, None


class OnnxModel:
    def __init__(self, path, exact_u8s8=False, delegate=None):
        import onnxruntime as ort
        self.providers, self.ran_on, self.placement_note = ort_providers(delegate)
        # Whether the exact kernels were applied (reported): onnxruntime's U8U8 rewrite can itself fail to load a
        # model (1.23: a weight shared by two integer matmuls), and the model then runs with the default kernels.
        self.exact_u8s8 = False
        self.session = None
        if exact_u8s8:
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.add_session_config_entry("session.x64quantprecision", "1")
            try:
                self.session = ort.InferenceSession(path, options, providers=self.providers)
                self.exact_u8s8 = True
            except Exception:
                self.session = None
        self.path = path
        if self.session is None:
            self.session = self._default_session()
        self.inputs = self.session.get_inputs()
        self.output_names = [o.name for o in self.session.get_outputs()]

    def feed(self, sample):
        return onnx_feed(self.inputs, sample)

    def _default_session(self):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.log_severity_level = 3
        return ort.InferenceSession(self.path, options, providers=self.providers)

    def run(self, feed):
        try:
            return self.session.run(None, feed)
        except Exception:
            # The rewrite can also fail at run time (1.23: MatMulIntegerToFloat); the warm-up meets it first, so
            # every timed sample runs on one kind of kernel.
            if not self.exact_u8s8:
                raise
            self.session, self.exact_u8s8 = self._default_session(), False
            return self.session.run(None, feed)


class LiteRTModel:
    def __init__(self, path, delegate=None):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
        self.placement_note = None
        if delegate == "cpu":
            # The catalogue's `cpu` is LiteRT's builtin kernels: the default delegate (XNNPACK) left out.
            self.ran_on = "builtin kernels"
            self.interpreter = Interpreter(model_path=path, num_threads=1,
                                           experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        else:
            self.ran_on = "XNNPACK (the default delegate)"
            if delegate and delegate != "xnnpack":
                self.placement_note = f"the {delegate} delegate does not run on this host: ran on LiteRT's CPU with its default delegate (XNNPACK)"
            self.interpreter = Interpreter(model_path=path, num_threads=1)
        self.interpreter.allocate_tensors()
        self.in_details = self.interpreter.get_input_details()
        self.out_details = self.interpreter.get_output_details()
        self.output_names = [d["name"] for d in self.out_details]

    def feed(self, sample):
        return [(d, quantize(fit_layout(a, d["shape"]), d)) for d, a in match(self.in_details, sample)]

    def run(self, feed):
        for d, a in feed:
            self.interpreter.set_tensor(d["index"], a)
        self.interpreter.invoke()
        return [dequantize(self.interpreter.get_tensor(d["index"]), d) for d in self.out_details]


class MicroModel:
    def __init__(self, path):
        from tflite_micro.python.tflite_micro import runtime
        self.interpreter = runtime.Interpreter.from_file(path)
        n_in = n_out = 0
        details = []
        while True:
            try:
                details.append(self.interpreter.get_input_details(n_in))
                n_in += 1
            except Exception:  # the interpreter raises past its last input
                break
        self.in_details = details
        outs = []
        while True:
            try:
                outs.append(self.interpreter.get_output_details(n_out))
                n_out += 1
            except Exception:
                break
        self.out_details = outs
        self.output_names = [d.get("name", f"output_{i}") for i, d in enumerate(outs)]

    def feed(self, sample):
        return [(i, quantize(fit_layout(a, d["shape"]), d)) for i, (d, a) in enumerate(match(self.in_details, sample))]

    def run(self, feed):
        for i, a in feed:
            self.interpreter.set_input(a, i)
        self.interpreter.invoke()
        return [dequantize(self.interpreter.get_output(i), d) for i, d in enumerate(self.out_details)]


class KerasModel:
    """A Keras original, run by TensorFlow (the converter's environment): Keras 2 HDF5 files with tf_keras, the
    rest with Keras 3, as the converter loads them."""

    def __init__(self, path):
        major = 3
        if path.lower().endswith((".h5", ".hdf5")):
            import h5py
            with h5py.File(path, "r") as f:
                v = f.attrs.get("keras_version")
            v = v.decode() if isinstance(v, bytes) else v
            major = 2 if isinstance(v, str) and v.startswith("2.") else 3
        if major == 2:
            import tf_keras as keras
        else:
            import keras
        self.model = keras.models.load_model(path, compile=False)
        self.in_details = [{"name": t.name.split(":")[0]} for t in self.model.inputs]
        self.output_names = [t.name.split(":")[0].split("/")[0] for t in self.model.outputs]

    def feed(self, sample):
        return [np.asarray(a, dtype=np.float32) for _, a in match(self.in_details, sample)]

    def run(self, feed):
        out = self.model(feed if len(feed) > 1 else feed[0], training=False)
        return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def match(details, sample):
    """The artifact's inputs paired with the sample's arrays: by name when the converter kept it, else in order."""
    pairs, used = [], set()
    for d in details:
        name = d.get("name", "")
        hit = next((k for k in sample if k not in used and (name == k or k in name)), None)
        pairs.append((d, hit))
        if hit:
            used.add(hit)
    rest = [k for k in sample if k not in used]
    return [(d, sample[k if k else rest.pop(0)]) for d, k in pairs]


def run_model(spec, runtime, samples, warmup, out_dir):
    kind = {"onnxruntime": OnnxModel, "litert": LiteRTModel, "tflite-micro": MicroModel, "keras": KerasModel}[runtime]
    if kind is OnnxModel:
        model = kind(spec["path"], bool(spec.get("exact_u8s8")), spec.get("delegate"))
    elif kind is LiteRTModel:
        model = kind(spec["path"], spec.get("delegate"))
    else:
        model = kind(spec["path"])
    feeds = [model.feed(s) for s in samples]
    for _ in range(warmup if feeds else 0):
        model.run(feeds[0])
    outputs, latency = None, []
    for feed in feeds:
        t0 = time.perf_counter()
        result = model.run(feed)
        latency.append((time.perf_counter() - t0) * 1000)
        if outputs is None:
            outputs = [[] for _ in result]
        for i, r in enumerate(result):
            outputs[i].append(np.asarray(r, dtype=np.float32))
    described = []
    for i, values in enumerate(outputs or []):
        file = os.path.join(out_dir, f"{spec['id']}.{i}.f32")
        with open(file, "wb") as f:
            for v in values:
                f.write(np.ascontiguousarray(v, dtype="<f4").tobytes())
        described.append({"name": model.output_names[i] if i < len(model.output_names) else f"output_{i}",
                          "shape": list(values[0].shape), "file": file})
    result = {"outputs": described, "latency_ms": latency}
    if isinstance(model, OnnxModel):
        result["exact_u8s8"] = model.exact_u8s8
    if hasattr(model, "ran_on"):
        result["ran_on"] = model.ran_on
        if model.placement_note:
            result["placement_note"] = model.placement_note
    return result


def exposed(path, out_dir, tag):
    """A temporary copy of an ONNX model whose graph outputs include every float value its nodes compute, with the
    node that computes each (name, op type) in graph order."""
    import onnx

    model = onnx.load(path)
    try:
        typed = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a model onnx cannot infer still runs; its untyped values are left out
        typed = model
    float_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16}
    types = {v.name: v.type.tensor_type.elem_type for v in list(typed.graph.value_info) + list(typed.graph.output)}
    present = {o.name for o in model.graph.output}
    producers = []
    for node in model.graph.node:
        for out in node.output:
            if out and types.get(out) in float_types:
                producers.append((out, node.name or out, node.op_type))
                if out not in present:
                    model.graph.output.append(onnx.helper.make_tensor_value_info(out, types[out], None))
                    present.add(out)
    copy = os.path.join(out_dir, f"{tag}.layers.onnx")
    onnx.save(model, copy)
    return copy, producers


def layer_sqnr(reference_path, artifact_path, samples, out_dir, tag):
    """SQNR in dB of each value both models compute, the reference's output against the artifact's, over every
    sample (signal and noise energies summed first); in the reference's graph order."""
    import onnxruntime as ort

    ref_path, producers = exposed(reference_path, out_dir, tag + ".reference")
    art_path, art_producers = exposed(artifact_path, out_dir, tag + ".artifact")
    common = [p for p in producers if p[0] in {a[0] for a in art_producers}]
    weights, inputs = converted_weights(reference_path, artifact_path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # Graph optimizations would fuse nodes away and leave their outputs uncomputed or renamed.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sessions = [ort.InferenceSession(p, options, providers=["CPUExecutionProvider"]) for p in (ref_path, art_path)]
    names = [c[0] for c in common]
    signal, noise = np.zeros(len(names)), np.zeros(len(names))
    for sample in samples:
        got = [s.run(names, onnx_feed(s.get_inputs(), sample)) for s in sessions]
        for k, (r, a) in enumerate(zip(*got)):
            r, a = np.asarray(r, dtype=np.float64), np.asarray(a, dtype=np.float64)
            if r.shape != a.shape:
                continue
            signal[k] += float((r * r).sum())
            noise[k] += float(((r - a) ** 2).sum())
    out = []
    measured = {}
    for k, (value, node, op) in enumerate(common):
        sqnr = None if noise[k] == 0 else (float("inf") if signal[k] == 0 else 10 * np.log10(signal[k] / noise[k]))
        sqnr = None if sqnr is None or not np.isfinite(sqnr) else round(float(sqnr), 3)
        measured[value] = sqnr
        # The lowest SQNR among the values this node reads (graph inputs and exact values add no noise): what
        # arrives already degraded, so that the node's own loss can be told from the loss it inherits.
        arriving = [measured[i] for i in inputs.get(value, []) if measured.get(i) is not None]
        out.append({"value": value, "node": node, "op": op, "sqnr_db": sqnr, "exact": bool(noise[k] == 0),
                    "input_sqnr_db": min(arriving) if arriving else None, "weights": weights.get(value, [])})
    return out


def converted_weights(reference_path, artifact_path):
    """Per value a node of the reference computes: the float initializers the node reads that the artifact no longer
    holds as the same float tensor (quantized, renamed or cast), which are the names `quantize.skip` matches; and the
    node's other inputs (the values it reads)."""
    import onnx

    reference = onnx.load(reference_path, load_external_data=False)
    artifact = onnx.load(artifact_path, load_external_data=False)
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16, onnx.TensorProto.DOUBLE}
    before = {i.name: i.data_type for i in reference.graph.initializer}
    after = {i.name: i.data_type for i in artifact.graph.initializer}
    weights, inputs = {}, {}
    for node in reference.graph.node:
        read = [i for i in node.input if before.get(i) in floats and after.get(i) != before[i]]
        values = [i for i in node.input if i and i not in before]
        for out in node.output:
            weights[out], inputs[out] = read, values
    return weights, inputs


def main():
    job_path, out_dir = sys.argv[1], sys.argv[2]
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    runtime = job["runtime"]
    inputs = {k: [d if isinstance(d, int) else str(d) for d in v] for k, v in job["inputs"].items()}
    samples, errors = load_samples(job["samples"], inputs, job.get("preprocess"))
    result = {"runtime": runtime, "version": runtime_version(runtime), "sample_errors": errors, "models": {},
              "samples_sha256": DIGEST.hexdigest(),
              "host_u8s8_saturates": runtime == "onnxruntime" and host_u8s8_saturates()}
    if not errors:
        for spec in job["models"]:
            # Runtimes written in C++ (TFLite Micro above all) say why they refuse a model on fd 2, not in the
            # exception: keep what they print while this model loads and runs, for the error message.
            captured = os.path.join(out_dir, f"{spec['id']}.stderr")
            saved = os.dup(2)
            with open(captured, "w+b") as sink:
                os.dup2(sink.fileno(), 2)
                try:
                    result["models"][spec["id"]] = run_model(spec, runtime, samples, int(job.get("warmup", 3)), out_dir)
                except Exception as e:  # the runtime's own message is the diagnosis
                    sys.stderr.flush()
                    sink.seek(0)
                    said = [l.strip() for l in sink.read().decode("utf-8", "replace").splitlines() if l.strip()]
                    said = [l for l in said if not l.startswith("INFO:")][-4:]
                    message = f"{type(e).__name__}: {e}".strip()
                    result["models"][spec["id"]] = {"error": "; ".join(said + [message])}
                finally:
                    sys.stderr.flush()
                    os.dup2(saved, 2)
                    os.close(saved)
        # Per-layer attribution (`slipway test --layers`): each artifact against the model it was made from.
        paths = {spec["id"]: spec["path"] for spec in job["models"]}
        for spec in job["models"]:
            against = spec.get("layers_against")
            model = result["models"].get(spec["id"], {})
            if runtime != "onnxruntime" or not against or against not in paths or "error" in model:
                continue
            try:
                model["layers"] = layer_sqnr(paths[against], spec["path"], samples, out_dir, spec["id"])
            except Exception as e:  # the attribution is an extra: its failure is reported, the test stands
                model["layers_error"] = f"{type(e).__name__}: {e}"
    result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
