"""Runs models on samples in one runtime, for `slipway test` (one process per runtime, never one per sample).

Usage: python run_models.py JOB.json OUT_DIR
       python run_models.py --version RUNTIME OUT_FILE   (the runtime's installed version, for reusing a measurement)

JOB.json: {"runtime": "onnxruntime" | "litert" | "tflite-micro" | "keras" | "torch", "warmup": 3,
           "inputs": {name: [dims...]} (the manifest's shapes, else the model's; a string for a free dimension),
           "preprocess": {layout, color, scale, mean, std, dtype, sample_rate} (test.preprocess, for images, WAV and .bin),
           "samples": [path, ...] (.npy for a one-input model, .npz keyed by input name; images, .wav and raw .bin
                                   decoded for a one-input model),
           "values": {name: int} (the manifest's scalar inputs, `sr: 16000` under model.inputs: fed to a model
                      input of that name a sample does not hold, and to a PyTorch original's forward argument),
           "models": [{"id": str, "path": str, "exact_u8s8": bool, "delegate": str (the target's, absent for the
                       original), "layers_against": id (`--layers`: the model to compare with, value by value)}, ...]}

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
"ran_on": str, "placement_note"?: str, "layers"?: [{value, node, op, sqnr_db, exact, input_sqnr_db, weights}],
"layers_coverage"?: {measured, left_out, reasons: [{reason, values, examples}]}, "layers_error"?: str}}}; each output's
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
    """The installed distribution's version, as importlib.metadata gives it: from the name of its
    `<name>-<version>.dist-info` folder on sys.path (the first, as importlib.metadata finds it), which costs a
    directory listing where importing importlib.metadata cost 16 ms of each runner's start."""
    package = {"onnxruntime": "onnxruntime", "litert": "ai-edge-litert", "tflite-micro": "tflite-micro",
               "keras": "tensorflow", "torch": "torch"}[runtime]
    prefix = package.replace("-", "_").lower() + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in sorted(names):
            if name.endswith(".dist-info") and name.lower().startswith(prefix):
                version = name[len(prefix):-len(".dist-info")]
                if version and "-" not in version:
                    return version
    from importlib import metadata  # an egg or another layout: the slow, general way
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


def shape_errors(path, samples, arrays):
    """The arrays of a sample whose shape is not the first sample's: outputs are compared sample by sample at one
    size, so a free dimension takes the first sample's."""
    first = samples[0] if samples else {}
    return [{"file": path, "input": n, "expected": list(first[n].shape), "got": list(a.shape),
             "message": "differs from the first sample"}
            for n, a in arrays.items() if n in first and list(first[n].shape) != list(a.shape)]


def load_samples(paths, inputs, pre=None):
    """Each sample as {input: array}; a sample that does not fit is reported, not run."""
    pre = pre or {}
    names = list(inputs)
    samples, errors = [], []
    if not names:
        # The manifest states no inputs: each file as it is (one .npy array, or every .npz array), paired with the
        # model's inputs by name or in order when run.
        for path in paths:
            if path.endswith(".npz") or path.endswith(".npy"):
                if path.endswith(".npz"):
                    with np.load(read(path), allow_pickle=False) as z:
                        arrays = {k: z[k] for k in z.files}
                else:
                    arrays = {"input": np.load(read(path), allow_pickle=False)}
                other = shape_errors(path, samples, arrays)
                errors.extend(other)
                if not other:
                    samples.append(arrays)
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
        other = shape_errors(path, samples, fitted) if ok else []
        errors.extend(other)
        ok = ok and not other
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


def fit_signature(a, detail):
    """The sample in the artifact's layout (`fit_layout`), or, where the input's signature leaves dimensions free
    (-1: a model whose batch or sizes neither the file nor the manifest fixed), as is or channels moved last when it
    fits the signature: the runner then sizes the input to it."""
    signature = [int(x) for x in detail.get("shape_signature", detail["shape"])]
    if -1 in signature and list(a.shape) != [int(x) for x in detail["shape"]]:
        fits = lambda shape: len(shape) == len(signature) and all(s == -1 or s == g for s, g in zip(signature, shape))  # noqa: E731
        if fits(a.shape):
            return a
        for perm in ((0, 2, 3, 1),) if a.ndim == 4 else ((0, 2, 1),) if a.ndim == 3 else ():
            moved = np.transpose(a, perm)
            if fits(moved.shape):
                return moved
    return fit_layout(a, detail["shape"])


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


def signature_output_names(interpreter, details):
    """Each output tensor's name in the file's one signature, which onnx2tf writes with the ONNX model's output names
    (its tensors are PartitionedCall:k, in an order of TensorFlow's: recurrent_nobias.onnx's three outputs of one
    size come out g, r, l), else the tensor's own name."""
    try:
        signatures = interpreter._get_full_signature_list()
    except Exception:  # an interpreter without signatures
        signatures = None
    if signatures and len(signatures) == 1:
        by_index = {i: n for n, i in next(iter(signatures.values())).get("outputs", {}).items()}
        if all(d["index"] in by_index for d in details):
            return [by_index[d["index"]] for d in details]
    return [d["name"] for d in details]


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
        self.in_details = self.interpreter.get_input_details()
        self.allocated = True
        try:
            self.interpreter.allocate_tensors()
        except RuntimeError:
            self.allocated = False
            # A file whose inputs are free (-1 in the signature) need not allocate at the sizes it declares (1: a
            # spectrogram's window then exceeds its audio); `run` sizes them to the samples and allocates then.
            if not any(-1 in list(d.get("shape_signature", [])) for d in self.in_details):
                raise
        self.out_details = self.interpreter.get_output_details()
        self.output_names = signature_output_names(self.interpreter, self.out_details)
        # Each input's size now, by tensor index (`run` resizes a free one to its sample).
        self.sizes = {d["index"]: [int(x) for x in d["shape"]] for d in self.in_details}

    def feed(self, sample):
        return [(d, quantize(fit_signature(a, d), d)) for d, a in match(self.in_details, sample)]

    def run(self, feed):
        # An input the artifact leaves free (-1 in its signature) is sized to the sample before it is set.
        resized = False
        for d, a in feed:
            if list(a.shape) != self.sizes.get(d["index"]):
                self.interpreter.resize_tensor_input(d["index"], list(a.shape))
                self.sizes[d["index"]] = list(a.shape)
                resized = True
        if resized or not self.allocated:
            self.interpreter.allocate_tensors()
            self.allocated = True
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
        # The interpreter names no tensor; the file does (read through LiteRT, whose input and output order is the
        # file's too): outputs are compared with the original's by name, inputs fed by name.
        names = self._names(path)
        if names:
            for d, n in zip(self.in_details, names[0]):
                d["name"] = n
            for d, n in zip(self.out_details, names[1]):
                d["name"] = n
        self.output_names = [d.get("name", f"output_{i}") for i, d in enumerate(outs)]

    @staticmethod
    def _names(path):
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
            it = Interpreter(model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            return [d["name"] for d in it.get_input_details()], signature_output_names(it, it.get_output_details())
        except Exception:  # LiteRT absent, or a file it does not load: matched by shape, then order
            return None

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


class TorchModel:
    """A PyTorch original, run by torch (the converter's environment): a TorchScript module (torch.jit.load) or an
    ExportedProgram's module (torch.export.load), in eval mode without gradients. Its forward's arguments are
    named by its schema (TorchScript) or its signature (ExportedProgram); an `int` argument takes the manifest's
    value, which the exporter baked into the artifact, so it is not a sample's input."""

    def __init__(self, path, values):
        import torch
        self.torch = torch
        if path.lower().endswith(".pt2"):
            program = torch.export.load(path)
            names = [s.arg.name for s in program.graph_signature.input_specs
                     if s.kind == torch.export.graph_signature.InputKind.USER_INPUT]
            self.model = program.module()
        else:
            try:
                self.model = torch.jit.load(path, map_location="cpu").eval()
            except RuntimeError as e:
                raise RuntimeError(f"not a TorchScript module ({str(e).splitlines()[0]}): a state dict has no forward to run") from None
            names = [a.name for a in self.model.forward.schema.arguments[1:]]
        self.arguments = names
        self.values = {n: int(values[n]) for n in names if n in values}
        self.in_details = [{"name": n} for n in names if n not in self.values]
        self.output_names = []

    def feed(self, sample):
        given = {d["name"]: a for d, a in match(self.in_details, sample)}
        return [self.values[n] if n in self.values else self.torch.from_numpy(np.ascontiguousarray(given[n]))
                for n in self.arguments]

    def run(self, feed):
        with self.torch.no_grad():
            out = self.model(*feed)
        flat = []

        def walk(o):
            if isinstance(o, (list, tuple)):
                for x in o:
                    walk(x)
            elif isinstance(o, dict):
                for x in o.values():
                    walk(x)
            else:
                flat.append(o.detach().numpy() if hasattr(o, "detach") else np.asarray(o))
        walk(out)
        return flat


def with_values(model, sample, values):
    """The sample with the manifest's scalar inputs added where the model declares an input of that name and the
    sample holds none (silero-vad's `sr`), as an array of the input's element type."""
    if not values or isinstance(model, TorchModel):
        return sample
    if isinstance(model, OnnxModel):
        declared = {i.name: ONNX_TYPES.get(i.type, np.float32) for i in model.inputs}
    else:
        declared = {d.get("name", ""): d.get("dtype", np.float32) for d in getattr(model, "in_details", [])}
    extra = {}
    for n, v in values.items():
        # The exporter's own name for an argument it was not given one for: "sr.1".
        name = next((d for d in declared if d == n or d.startswith(n + ".")), None)
        if name is not None and n not in sample and name not in sample:
            extra[name] = np.asarray(v, dtype=declared[name])
    return {**sample, **extra} if extra else sample


def match(details, sample):
    """The artifact's inputs paired with the sample's arrays: by name when the converter kept it, else by shape (one
    array of the input's shape, or of its element count: a layout change), else in order. The artifact's input order
    need not be the model's (onnx2tf put silero-vad's state before its audio)."""
    pairs, used = [], set()
    for d in details:
        name = d.get("name", "")
        hit = next((k for k in sample if k not in used and name and (name == k or k in name)), None)
        pairs.append((d, hit))
        if hit:
            used.add(hit)
    for want in (lambda d, a: list(a.shape) == [int(x) for x in d["shape"]],
                 lambda d, a: a.size == int(np.prod([int(x) for x in d["shape"]]))):
        for i, (d, k) in enumerate(pairs):
            if k is None:
                fits = [k2 for k2 in sample if k2 not in used and want(d, np.asarray(sample[k2]))]
                if len(fits) == 1:
                    pairs[i] = (d, fits[0])
                    used.add(fits[0])
    rest = [k for k in sample if k not in used]
    return [(d, sample[k if k else rest.pop(0)]) for d, k in pairs]


def run_model(spec, runtime, samples, warmup, out_dir, values=None):
    kind = {"onnxruntime": OnnxModel, "litert": LiteRTModel, "tflite-micro": MicroModel, "keras": KerasModel,
            "torch": TorchModel}[runtime]
    if kind is OnnxModel:
        model = kind(spec["path"], bool(spec.get("exact_u8s8")), spec.get("delegate"))
    elif kind is LiteRTModel:
        model = kind(spec["path"], spec.get("delegate"))
    elif kind is TorchModel:
        model = kind(spec["path"], values or {})
    else:
        model = kind(spec["path"])
    feeds = [model.feed(with_values(model, s, values)) for s in samples]
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


# ---- Per-layer attribution (`slipway test --layers`) ------------------------------------------------------------
#
# Every float value a node computes, in every graph: the top-level graph's as graph outputs of a copy, and those
# inside If branches and Loop/Scan bodies surfaced through their node (docs/test.md, "`--layers`"). An If's
# branches must output as many values of the same types: each branch pads the other's values with zeros, and each
# outputs a marker (true in then_branch, false in else_branch), so that a sample's values count only where the
# branch ran. A Loop's or Scan's body outputs its values as extra scan outputs, stacked over the iterations.

FLOAT_ELEMS = (1, 10)  # onnx.TensorProto.FLOAT, FLOAT16: the values compared
BOOL_ELEM = 9
# The operators whose bodies the runner surfaces (then_branch and else_branch; body).
SURFACED = ("If", "Loop", "Scan")
UNKNOWN_TYPE = "its element type is unknown to onnx shape inference"


class Surfaced:
    """A value of one graph's scope on its way to the top-level graph's outputs: `name` in that scope, `key` its
    path, `conds` the markers (name in that scope, branch flag) that say whether a run computed it. `kind`:
    "value" (a node's output, reported), "input" (what a Loop's or Scan's body receives on each iteration: measured
    for the input SQNR of the nodes that read it, not reported) or "marker" (an If's taken branch)."""
    __slots__ = ("name", "key", "node", "op", "elem", "shape", "conds", "kind")

    def __init__(self, name, key, node, op, elem, shape, conds, kind="value"):
        self.name, self.key, self.node, self.op, self.elem, self.shape, self.conds, self.kind = \
            name, key, node, op, elem, shape, conds, kind


class Exposure:
    """A copy of an ONNX model whose graph outputs include every float value its nodes compute, in every graph
    (`values`: key, output, node, op, conds, kind, in graph order, a body's before its node's own), and the values
    left out with the reason (`left_out`: key → reason). `refused`: operator → why its bodies are not surfaced (a
    retry after onnxruntime could not run a copy that surfaced them)."""

    def __init__(self, path, refused=None):
        import onnx
        from onnx import helper, numpy_helper
        self.onnx, self.helper, self.numpy_helper = onnx, helper, numpy_helper
        self.refused = dict(refused or {})
        self.model = onnx.load(path)
        try:
            typed = onnx.shape_inference.infer_shapes(self.model)
        except Exception:  # a model onnx cannot infer still runs; its untyped values are left out, and counted
            typed = self.model
        self.opset = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.used, self.counter = set(), 0
        self._names(self.model.graph)
        self.values, self.left_out, self.surfaced_ops = [], {}, set()
        graph = self.model.graph
        present = {o.name for o in graph.output}
        for it in self._graph(graph, typed.graph, "", {}):
            if it.name not in present:
                # The main graph's outputs need a rank (onnx.checker): the one inferred, each dimension whose size
                # is not a number left unknown.
                dims = [d if isinstance(d, int) else None for d in it.shape]
                graph.output.append(helper.make_tensor_value_info(it.name, it.elem, dims))
                present.add(it.name)
            if it.kind != "marker":
                self.values.append({"key": it.key, "output": it.name, "node": it.node, "op": it.op, "conds": it.conds,
                                    "kind": it.kind})

    def save(self, path):
        self.onnx.save(self.model, path)
        return path

    def _subgraphs(self, node):
        for a in node.attribute:
            yield from ([a.g] if a.type == self.onnx.AttributeProto.GRAPH else list(a.graphs))

    def _names(self, graph):
        self.used.update(i.name for i in graph.initializer)
        self.used.update(v.name for v in list(graph.input) + list(graph.output) + list(graph.value_info))
        for n in graph.node:
            self.used.update(n.input)
            self.used.update(n.output)
            for g in self._subgraphs(n):
                self._names(g)

    def fresh(self, hint):
        while True:
            self.counter += 1
            name = f"slipway_layers_{hint}_{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return name

    @staticmethod
    def _types(typed_graph):
        """Element type and shape (a list of sizes, names or None; None for an unknown rank) by value name."""
        types = {}
        for v in list(typed_graph.input) + list(typed_graph.output) + list(typed_graph.value_info):
            tt = v.type.tensor_type if v.type.HasField("tensor_type") else None
            if tt is None or not tt.elem_type:
                continue
            shape = ([d.dim_value if d.HasField("dim_value") else d.dim_param or None for d in tt.shape.dim]
                     if tt.HasField("shape") else None)
            types[v.name] = (tt.elem_type, shape)
        return types

    def _item(self, graph, name, key, node, op, elem, shape, kind="value"):
        if shape is not None:
            return Surfaced(name, key, node, op, elem, shape, [], kind)
        # A rank shape inference does not know (an If whose branches differ): surfaced flattened, [1, size], which
        # changes no energy sum and gives every output a rank.
        flat = self.fresh("flat")
        graph.node.append(self.helper.make_node("Flatten", [name], [flat], axis=0))
        return Surfaced(flat, key, node, op, elem, [1, None], [], kind)

    def _graph(self, graph, typed, prefix, outer, skip=None):
        """The values of `graph` (and of its nodes' bodies) to surface, in order; with `skip`, none: each is left
        out for that reason."""
        from collections import ChainMap
        scope = ChainMap(self._types(typed), outer)
        typed_nodes = list(typed.node) if len(typed.node) == len(graph.node) else list(graph.node)
        top_outputs = {o.name for o in graph.output} if prefix == "" else set()
        items = []
        for node, tnode in zip(graph.node, typed_nodes):
            computed = list(node.output)  # before surfacing adds outputs
            if any(True for _ in self._subgraphs(node)):
                label = prefix + (node.name or node.output[0]) + "/"
                why = skip or self.refused.get(node.op_type)
                if why is None and node.op_type not in SURFACED:
                    why = f"inside a {node.op_type} body, which the runner does not surface"
                if why is None:
                    items.extend(self._surface(node, tnode, label, scope))
                else:
                    tattrs = {a.name: a for a in tnode.attribute}
                    for a in node.attribute:
                        ta = tattrs.get(a.name, a)
                        pairs = [(a.g, ta.g)] if a.type == self.onnx.AttributeProto.GRAPH else list(zip(a.graphs, ta.graphs))
                        for k, (g, tg) in enumerate(pairs):
                            self._graph(g, tg, label + a.name + (str(k) if len(pairs) > 1 else "") + "/", scope, why)
            for out in computed:
                if not out:
                    continue
                key = prefix + out
                elem, shape = scope.get(out, (None, None))
                if elem is None:
                    self.left_out[key] = skip or UNKNOWN_TYPE
                elif elem in FLOAT_ELEMS and skip:
                    self.left_out[key] = skip
                elif elem in FLOAT_ELEMS:
                    item = (Surfaced(out, key, node.name or out, node.op_type, elem, shape or [], [])
                            if out in top_outputs else self._item(graph, out, key, node.name or out, node.op_type, elem, shape))
                    items.append(item)
        return items

    def _as_output(self, body, it):
        """The name under which `body` outputs `it`: its own, or an Identity's when it already is an output or an
        input of the body."""
        if it.name not in {o.name for o in list(body.output) + list(body.input)}:
            return it.name
        copy = self.fresh("copy")
        body.node.append(self.helper.make_node("Identity", [it.name], [copy]))
        return copy

    def _pad(self, body, it):
        """Zeros of `it`'s type and rank in `body`, each dimension of a size shape inference does not know 0 long:
        the same shape as the value where all are known (as a Loop around the If needs, to stack iterations)."""
        import numpy as np
        name = self.fresh("pad")
        dims = [d if isinstance(d, int) else 0 for d in it.shape]
        dtype = self.helper.tensor_dtype_to_np_dtype(it.elem)
        tensor = self.numpy_helper.from_array
        if self.opset >= 9:  # ConstantOfShape: a large pad costs the copy no bytes
            shape = self.fresh("shape")
            body.node.append(self.helper.make_node("Constant", [], [shape], value=tensor(np.asarray(dims, np.int64))))
            body.node.append(self.helper.make_node("ConstantOfShape", [shape], [name], value=tensor(np.zeros(1, dtype))))
        else:
            body.node.append(self.helper.make_node("Constant", [], [name], value=tensor(np.zeros(dims, dtype))))
        body.output.append(self.helper.make_tensor_value_info(name, it.elem, None))

    def _surface(self, node, tnode, label, scope):
        """The values of an If's branches or a Loop's/Scan's body as new outputs of `node`, as values of the scope
        `node` is in."""
        helper = self.helper
        self.surfaced_ops.add(node.op_type)
        graphs = {a.name: a.g for a in node.attribute if a.type == self.onnx.AttributeProto.GRAPH}
        tgraphs = {a.name: a.g for a in tnode.attribute if a.type == self.onnx.AttributeProto.GRAPH}
        surfaced = []
        if node.op_type == "If":
            marker = self.fresh("taken")
            node.output.append(marker)
            surfaced.append(Surfaced(marker, None, None, None, BOOL_ELEM, [], [], "marker"))
            inner = {}
            for branch, flag in (("then_branch", True), ("else_branch", False)):
                g = graphs[branch]
                inner[branch] = self._graph(g, tgraphs.get(branch, g), label + branch + "/", scope)
                mark = self.fresh("flag")
                g.node.append(helper.make_node("Constant", [], [mark], value=helper.make_tensor(mark, BOOL_ELEM, [], [flag])))
                g.output.append(helper.make_tensor_value_info(mark, BOOL_ELEM, []))
            for branch, other, flag in (("then_branch", "else_branch", True), ("else_branch", "then_branch", False)):
                rename = {}
                for it in inner[branch]:
                    g = graphs[branch]
                    g.output.append(helper.make_tensor_value_info(self._as_output(g, it), it.elem, None))
                    self._pad(graphs[other], it)
                    outer = self.fresh("value")
                    node.output.append(outer)
                    rename[it.name] = outer
                    surfaced.append(Surfaced(outer, it.key, it.node, it.op, it.elem, it.shape,
                                             [(marker, flag)] + [(rename[m], f) for m, f in it.conds], it.kind))
            return surfaced
        body = graphs["body"]
        tbody = tgraphs.get("body", body)
        types = self._types(tbody)
        # What each iteration receives (a Loop's states after its iteration number and condition; a Scan's states
        # and slices): the noise arriving at the nodes that read it.
        received = []
        for i in list(body.input)[2 if node.op_type == "Loop" else 0:]:
            elem, shape = types.get(i.name, (None, None))
            if elem in FLOAT_ELEMS:
                received.append(self._item(body, i.name, label + "body/" + i.name, None, None, elem, shape, "input"))
        items = received + self._graph(body, tbody, label + "body/", scope)
        rename = {}
        for it in items:
            body.output.append(helper.make_tensor_value_info(self._as_output(body, it), it.elem, None))
            outer = self.fresh("value")
            node.output.append(outer)
            rename[it.name] = outer
            # Stacked over the iterations (Scan-8: after its batch axis).
            stacked = [None] * (2 if node.op_type == "Scan" and self.opset < 9 else 1) + list(it.shape)
            surfaced.append(Surfaced(outer, it.key, it.node, it.op, it.elem, stacked, [(rename[m], f) for m, f in it.conds], it.kind))
        if node.op_type == "Scan" and items:
            for a in node.attribute:  # one axis and direction per scan output: the new ones the defaults
                if a.name in ("scan_output_axes", "scan_output_directions"):
                    a.ints.extend([0] * len(items))
        return surfaced


def taken(x, conds, got):
    """Which elements of one run's value `x` its branches computed: the markers of the Ifs around it (stacked over
    the iterations of the Loops between) each equal to the branch's flag. None when a marker does not lead x's
    shape (then the run cannot say)."""
    import numpy as np
    mask = np.ones(x.shape, dtype=bool)
    for marker, flag in conds:
        m = np.asarray(got[marker]) == flag
        if m.shape != x.shape[:m.ndim]:
            if not m.any():  # a branch not taken leaves a pad of any shape
                return np.zeros(x.shape, dtype=bool)
            return None
        mask &= m.reshape(m.shape + (1,) * (x.ndim - m.ndim))
    return mask


def layer_sqnr(reference_path, artifact_path, samples, out_dir, tag):
    """SQNR in dB of each value both models compute, in every graph, the reference's against the artifact's over
    every sample (signal and noise energies summed first, over the elements each run computed); in the reference's
    graph order. With the coverage: how many values were measured, how many left out and why."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # a copy that fails is retried, and its error reported in the result
    # Graph optimizations would fuse nodes away and leave their outputs uncomputed or renamed.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    refused = {}
    while True:
        ref, art = Exposure(reference_path, refused), Exposure(artifact_path, refused)
        try:
            sessions = [ort.InferenceSession(e.save(os.path.join(out_dir, f"{tag}.{what}.layers.onnx")), options,
                                             providers=["CPUExecutionProvider"])
                        for e, what in ((ref, "reference"), (art, "artifact"))]
            measured = measure(ref, art, sessions, samples)
            break
        except Exception as e:
            # Surfaced values can make a copy onnxruntime cannot run (a Loop value whose shape changes between
            # iterations cannot be stacked): measured again without the Loop/Scan bodies' values, then without the
            # If branches', each left out with the reason; the top-level graph's failure is the attribution's.
            ops = ref.surfaced_ops | art.surfaced_ops
            drop = [op for op in ("Loop", "Scan") if op in ops] or [op for op in ("If",) if op in ops]
            if not drop:
                raise
            said = str(e).strip().splitlines()[0] if str(e).strip() else ""
            why = (f"onnxruntime could not run the copy surfacing the values inside {'/'.join(drop)} bodies "
                   f"({type(e).__name__}: {said[:300]})")
            refused.update({op: why for op in drop})
    return report(ref, art, measured, reference_path, artifact_path)


def measure(ref, art, sessions, samples):
    """Per value both copies surface: the summed signal and noise energies over the elements each sample's runs
    computed, whether any did, and why it cannot be compared when it cannot."""
    import numpy as np
    by_key = {v["key"]: v for v in art.values}
    common = [(v, by_key[v["key"]]) for v in ref.values if v["key"] in by_key]
    fetch = []
    for copy in (0, 1):
        names = []
        for pair in common:
            names.append(pair[copy]["output"])
            names.extend(m for m, _ in pair[copy]["conds"])
        fetch.append(list(dict.fromkeys(names)))
    stats = [{"signal": 0.0, "noise": 0.0, "ran": False, "problem": None} for _ in common]
    for sample in samples:
        got = [dict(zip(names, s.run(names, onnx_feed(s.get_inputs(), sample)))) for s, names in zip(sessions, fetch)]
        for (rv, av), st in zip(common, stats):
            if st["problem"]:
                continue
            r, a = np.asarray(got[0][rv["output"]], dtype=np.float64), np.asarray(got[1][av["output"]], dtype=np.float64)
            mr, ma = taken(r, rv["conds"], got[0]), taken(a, av["conds"], got[1])
            if mr is None or ma is None:
                st["problem"] = "the markers of its branches do not match its shape"
            elif not mr.any() and not ma.any() and (rv["conds"] or av["conds"]):
                continue  # neither model ran its branch on this sample
            elif r.shape != a.shape:
                st["problem"] = "it has another shape in the artifact"
            elif (mr != ma).any():
                st["problem"] = "the artifact took another branch on some sample"
            else:
                st["ran"] = True
                st["signal"] += float((r[mr] ** 2).sum())
                st["noise"] += float(((r[mr] - a[mr]) ** 2).sum())
    return common, stats


def report(ref, art, measured, reference_path, artifact_path):
    """The `layers` list and its coverage: every float value the reference computes is measured or left out, with
    the reason."""
    import numpy as np
    common, stats = measured
    weights, inputs = converted_weights(reference_path, artifact_path)
    left = dict(ref.left_out)
    common_keys = {rv["key"] for rv, _ in common}
    for v in ref.values:
        if v["kind"] == "value" and v["key"] not in common_keys:
            why = art.left_out.get(v["key"])
            left[v["key"]] = f"in the artifact, {why}" if why else "the artifact does not compute it"
    sqnrs, kept = {}, []
    for (rv, _), st in zip(common, stats):
        if st["problem"] or not st["ran"]:
            if rv["kind"] == "value":
                left[rv["key"]] = st["problem"] or "no sample ran the branch that computes it"
            continue
        signal, noise = st["signal"], st["noise"]
        sqnr = None if noise == 0 else (float("inf") if signal == 0 else 10 * np.log10(signal / noise))
        sqnrs[rv["key"]] = None if sqnr is None or not np.isfinite(sqnr) else float(sqnr)
        if rv["kind"] == "value":
            kept.append((rv, noise))
    out = []
    for rv, noise in kept:
        key = rv["key"]
        # The lowest SQNR among the values this node reads (graph inputs and exact values add no noise): what
        # arrives already degraded, so that the node's own loss can be told from the loss it inherits.
        arriving = [sqnrs[i] for i in inputs.get(key, []) if sqnrs.get(i) is not None]
        out.append({"value": key, "node": rv["node"], "op": rv["op"], "sqnr_db": sqnrs[key], "exact": bool(noise == 0),
                    "input_sqnr_db": min(arriving) if arriving else None, "weights": weights.get(key, [])})
    order = {v["key"]: k for k, v in enumerate(ref.values)}
    reasons = {}
    for key, why in sorted(left.items(), key=lambda kv: order.get(kv[0], len(order))):
        reasons.setdefault(why, []).append(key)
    coverage = {"measured": len(out), "left_out": len(left),
                "reasons": [{"reason": why, "values": len(keys), "examples": keys[:3]}
                            for why, keys in sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0]))]}
    return out, coverage


def converted_weights(reference_path, artifact_path):
    """Per value a node of the reference computes (by key, in every graph): the float constants the node reads
    (initializers and Constant outputs, of any graph) that the artifact no longer holds as the same float tensor
    (quantized, renamed or cast), which are the names `quantize.skip` matches; and the keys of the values the node
    reads, for a node with bodies also the outer values they read."""
    import onnx
    from collections import ChainMap

    reference = onnx.load(reference_path, load_external_data=False)
    artifact = onnx.load(artifact_path, load_external_data=False)
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16, onnx.TensorProto.DOUBLE}
    before, after = constant_types(reference), constant_types(artifact)
    weights, inputs = {}, {}

    def walk(graph, prefix, outer):
        # A body's inputs are keyed in the body (what each iteration receives, measured there).
        local = {o: prefix + o for n in graph.node for o in n.output if o}
        local.update({i.name: prefix + i.name for i in graph.input} if prefix else {})
        scope = ChainMap(local, outer)
        for node in graph.node:
            read = [i for i in node.input if before.get(i) in floats and after.get(i) != before[i]]
            names = list(node.input) + [i for i in outer_reads(node) if i not in node.input]
            values = list(dict.fromkeys(scope.get(i, i) for i in names if i and i not in before))
            for out in node.output:
                weights[prefix + out], inputs[prefix + out] = read, values
            label = prefix + (node.name or node.output[0]) + "/"
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g, label + a.name + "/", scope)

    walk(reference.graph, "", {})
    return weights, inputs


def outer_reads(node):
    """The names a node's bodies read from outside them (recursively), in order."""
    import onnx
    found = []

    def subgraphs(n):
        for a in n.attribute:
            yield from ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs))

    def reads(graph, defined):
        defined = defined | {i.name for i in graph.input} | {i.name for i in graph.initializer}
        defined |= {o for n in graph.node for o in n.output}
        for n in graph.node:
            found.extend(i for i in n.input if i and i not in defined)
            for g in subgraphs(n):
                reads(g, defined)

    for g in subgraphs(node):
        reads(g, set())
    return list(dict.fromkeys(found))


def constant_types(model):
    """The element type of every initializer and Constant node output, in every graph, by name."""
    import onnx
    types = {}
    scalars = {"value_float": onnx.TensorProto.FLOAT, "value_floats": onnx.TensorProto.FLOAT,
               "value_int": onnx.TensorProto.INT64, "value_ints": onnx.TensorProto.INT64,
               "value_string": onnx.TensorProto.STRING, "value_strings": onnx.TensorProto.STRING}

    def walk(graph):
        for i in graph.initializer:
            types[i.name] = i.data_type
        for n in graph.node:
            if n.op_type == "Constant" and n.output:
                for a in n.attribute:
                    if a.name == "value":
                        types[n.output[0]] = a.t.data_type
                    elif a.name == "sparse_value":
                        types[n.output[0]] = a.sparse_tensor.values.data_type
                    elif a.name in scalars:
                        types[n.output[0]] = scalars[a.name]
            for a in n.attribute:
                for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                    walk(g)

    walk(model.graph)
    return types


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
                    result["models"][spec["id"]] = run_model(spec, runtime, samples, int(job.get("warmup", 3)), out_dir,
                                                            job.get("values") or {})
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
                model["layers"], model["layers_coverage"] = layer_sqnr(paths[against], spec["path"], samples, out_dir, spec["id"])
            except Exception as e:  # the attribution is an extra: its failure is reported, the test stands
                model["layers_error"] = f"{type(e).__name__}: {e}"
    result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.path.join(out_dir, "result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
