"""Whether a converted file computes what its source computes, written beside the driver in the conversion's work
folder: onnx_tflite.py (ONNX → TFLite), keras_convert.py (Keras → TFLite, Keras → ONNX), torch_onnx.py (torch →
ONNX) and quantize_static.py (ONNX → quantized ONNX) run it on what they wrote, before `slipway convert` keeps it.

A converter can write a file that loads and runs and is wrong: onnx2tf 1.29.24 maps a Slice over the last axis of a
channels-first tensor onto the channels-last one (magika's `x[..., 0:1]` after its convolution kept 1 channel of
512, and every score changed: top class 83 where the ONNX model says 148). Nothing in the file says so; only running
both does. Both models run on the same samples (the manifest's test samples when they are .npy/.npz, else the
calibration samples when the conversion has them, else seeded uniform values), in onnxruntime, LiteRT (its builtin kernels) or Keras through the test runner's own classes
(run_models.py, written beside this file), and each output's signal-to-noise ratio is measured against the source's:
  SQNR = 10 log10(sum(ref^2) / sum((ref - out)^2))  (dB; infinite where they agree exactly).
A float conversion whose output falls below its floor and strays further than rounding does has changed the
model, not rounded it: float32 rounds a model's outputs to well over 60 dB (magika's wrong file: −3.1 dB, errors up
to 0.92), float16 weights to over 30 dB. The absolute bound keeps an output near zero from failing on rounding alone:
ppocrv4-det's probabilities of seeded noise are ~1e-6, rounded to 31.8 dB with errors of 1.4e-7. Quantized
conversions are reported, not judged: their noise is the quantization's, which `estimate` and `slipway test` judge
against the manifest. A file that fails when run where its source runs is refused in every mode.

Where the source leaves dimensions free (a batch, an image's sizes, a sequence's length) and the manifest does not
fix them, the file is also run once at other sizes (`resized`): onnx2tf samples free dimensions at 1 and checks its
file there, and writes files right at 1 that fail at any other size (24 files of 73 measured forms, test_free_batch.py;
ppocrv4-det's TRANSPOSE_CONV at 320 x 320)."""
import json
import math
import os

# The floors below which a float conversion is taken to have changed the model (dB), where its largest error also
# exceeds the tolerance times the output's largest magnitude (at least 1).
FLOORS = {"float32": 40.0, "float16": 20.0}
TOLERANCES = {"float32": 1e-4, "float16": 1e-2}
# Operators whose outputs differ from run to run by design: a model holding one is reported, not judged.
RANDOM_OPERATORS = {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli"}
SAMPLES = 2
# The sizes a free dimension other than the batch is run at besides the samples' (`resized`), the first the source
# runs at: 64 divides by the strides of a detector's pyramid (ppocrv4-det's 32); 1024 holds a spectrogram's window.
RESIZED = (64, 32, 128, 1024)
# Set by `slipway convert --force`: a float file that computes something else is kept, the refusal recorded.
KEEP = "SLIPWAY_KEEP_DEVIATING"
# The manifest's test.samples folder, set by `slipway convert` (not an argument: what the file is checked on does
# not make it stale): the user's own inputs come first.
TEST_SAMPLES = "SLIPWAY_CHECK_SAMPLES"
# The manifest's test.preprocess (JSON), with which images, WAV and .bin test samples are decoded as `slipway test`
# decodes them.
TEST_PREPROCESS = "SLIPWAY_CHECK_PREPROCESS"


def runner(path, values):
    """The test runner's model for a file, by its kind: onnxruntime, LiteRT's builtin kernels, Keras or torch."""
    from run_models import KerasModel, LiteRTModel, OnnxModel, TorchModel
    lower = path.lower()
    if lower.endswith((".pt", ".pt2", ".pth")):
        return TorchModel(path, values)
    if lower.endswith(".onnx"):
        # Exact integer matmuls: onnxruntime's default U8S8 kernel saturates on x86-64 with AVX2 and no VNNI, which
        # would judge the host, not the conversion (a static int8 model read 16.7 dB there against 33.3 dB exact).
        return OnnxModel(path, exact_u8s8=True)
    if lower.endswith(".tflite"):
        return LiteRTModel(path, delegate="cpu")
    if lower.endswith((".h5", ".hdf5", ".keras")):
        return KerasModel(path)
    raise ValueError(f"no runner for {path}")


def input_specs(model):
    """[(name, dims, element type)] of a runner model's inputs (an ONNX model's, or a Keras model's)."""
    if hasattr(model, "session"):
        return [(i.name, list(i.shape), i.type) for i in model.inputs]
    return [(t.name.split(":")[0], list(t.shape), str(t.dtype)) for t in model.model.inputs]


def shape_of(fixed, name, dims, free):
    """An input's shape: the manifest's size where it gives one (`[batch, 3, 48, 192]` gives three; a shape given
    whole is taken as it came), else `free(axis, the model's dimension)`."""
    g = fixed.get(name)
    if g is not None and None not in g:
        return list(g)
    g = g if g is not None and len(g) == len(dims) else [None] * len(dims)
    return [v if v is not None else free(k, d) for k, (v, d) in enumerate(zip(g, dims))]


def known(d):
    """A model's dimension as a size: None for a name, None, or ≤ 0 (a dimension it leaves free)."""
    return d if isinstance(d, int) and d > 0 else None


def random_samples(specs, fixed, values, count=SAMPLES, size=1):
    """Seeded samples in each input's element type: uniform [0, 1) floats, integers 0 or 1 (a valid index into any
    table), booleans; a free dimension without a manifest shape is 1, or `size` where it is not the first."""
    import numpy as np
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        sample = {}
        for name, dims, kind in specs:
            if name in values:
                continue
            shape = shape_of(fixed, name, dims, lambda k, d: known(d) or (1 if k == 0 else size))
            if "float" in kind or "double" in kind or "half" in kind:
                sample[name] = rng.random(shape).astype(np.float32)
            elif "bool" in kind:
                sample[name] = rng.integers(0, 2, size=shape).astype(bool)
            else:
                sample[name] = rng.integers(0, 2, size=shape).astype(np.int64)
        out.append(sample)
    return out


def read_samples(folder, names):
    """Up to SAMPLES .npy/.npz samples of `folder` by input name (calibration_samples.py), and why none, if none: a
    folder of images or audio (decoded only by `slipway test`'s preprocessing), or samples that do not fit."""
    import itertools
    from calibration_samples import samples as by_name
    if not os.path.isdir(folder) or not any(f.endswith((".npy", ".npz")) for f in os.listdir(folder)):
        return [], "it holds no .npy or .npz sample"
    try:
        return list(itertools.islice(by_name(folder, dict(names)), SAMPLES)), None
    except (Exception, SystemExit) as e:  # calibration_samples refuses a sample that misses an input
        return [], f"{type(e).__name__} reading it"


def decoded_samples(folder, shapes):
    """Up to SAMPLES image, WAV or .bin samples of `folder` for a one-input model of `shapes` {input: dims}, decoded
    with test.preprocess by `slipway test`'s own reader (run_models.load_samples), and why none, if none."""
    from run_models import IMAGE_EXTENSIONS, load_samples
    if not os.path.isdir(folder):
        return [], "it is not a folder"
    paths = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS + (".wav", ".bin")))
    if not paths:
        return [], "it holds no .npy, .npz, image, .wav or .bin sample"
    if len(shapes) != 1:
        return [], f"its images, WAV or .bin files are one input each, and the model has {len(shapes)}"
    try:
        pre = json.loads(os.environ.get(TEST_PREPROCESS) or "{}")
        got, errors = load_samples(paths[:SAMPLES], shapes, pre)
    except Exception as e:
        return [], f"{type(e).__name__} decoding it"
    if errors:
        return [], f"{os.path.basename(errors[0]['file'])} {errors[0]['message']}"
    return got, None


def sqnr(ref, out):
    """10 log10(signal / noise) in dB: infinite where they agree exactly, minus infinite for a source of zeros that
    the output misses or a non-finite output."""
    import numpy as np
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    out = np.asarray(out, dtype=np.float64).reshape(-1)
    noise = float(np.sum((ref - out) ** 2))
    if not np.all(np.isfinite(out)) and np.all(np.isfinite(ref)):
        return -math.inf
    signal = float(np.sum(ref ** 2))
    if noise == 0:
        return math.inf
    if signal == 0:
        return -math.inf
    return 10 * math.log10(signal / noise)


def changed(ref, out, mode):
    """Whether a float output `out` of a `mode` conversion strays from the source's `ref` further than rounding:
    below the mode's floor in dB, and an error above its tolerance of the largest magnitude (at least 1). Quantized
    modes have no floor: never."""
    import numpy as np
    floor = FLOORS.get(mode)
    if floor is None:
        return False
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    out = np.asarray(out, dtype=np.float64).reshape(-1)
    if sqnr(ref, out) >= floor:
        return False
    if not np.all(np.isfinite(out)) or not ref.size:
        return True
    return float(np.max(np.abs(ref - out))) > TOLERANCES[mode] * max(1.0, float(np.max(np.abs(ref))))


class RunFailure(Exception):
    """The file failed when run on a sample its source ran on: an error of the file, not of the check."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def paired(source, converted, samples, values, references=None):
    """{output name: [(source's array, file's array in the source's layout), None where unpaired, or {"source": dims,
    "file": dims} where the file's output of that name holds another number of values]} over the samples (the
    source's outputs on them `references` where already run). Raises RunFailure where the source ran a sample and
    the file, given it, did not; anything else as it came."""
    import numpy as np
    from run_models import with_values
    errors = {}
    for n, sample in enumerate(samples):
        ref = references[n] if references else source.run(source.feed(with_values(source, sample, values)))
        # The manifest's values too where the file keeps them as inputs (torch.onnx.export's `sr`). A sample that does
        # not fit the file's inputs is the check's limit, raised as it came, not the file's failure.
        feed = converted.feed(with_values(converted, sample, values))
        missing = [i.name for i in getattr(converted, "inputs", None) or [] if isinstance(feed, dict) and i.name not in feed]
        if missing:
            raise ValueError(f"the samples give no value for the file's input {', '.join(missing)}")
        try:
            got = converted.run(feed)
        except Exception as e:
            shapes = ", ".join(f"{k} {list(np.shape(v))}" for k, v in sample.items())
            raise RunFailure(f"{type(e).__name__} at {shapes}: {' '.join(str(e).split())[:300]}") from e
        names_got = converted.output_names
        # A torch module's outputs have no names: the file's, in order (its exporter kept the order).
        named = source.output_names or [names_got[k] if k < len(names_got) else f"output {k}" for k in range(len(ref))]
        for k, name in enumerate(named):
            r = np.asarray(ref[k])
            # By the signature's name; else the one output, or the one of this size (TensorFlow orders its outputs
            # its own way: a position says nothing); else unpaired, not judged.
            sized = [i for i, g in enumerate(got) if np.size(g) == r.size]
            j = names_got.index(name) if name in names_got else 0 if len(got) == 1 else sized[0] if len(sized) == 1 else None
            if j is None:
                errors.setdefault(name, []).append(None)
                continue
            o = np.asarray(got[j])
            if o.size != r.size and (name in names_got or len(got) == len(named) == 1):
                # The file's own output of that name holds another number of values: a shape it computes otherwise.
                errors.setdefault(name, []).append({"source": list(r.shape), "file": list(o.shape)})
                continue
            # In the source's layout: as the artifact has it, or channels moved last as onnx2tf writes NC… tensors,
            # or the source's axes in another order where the file's shape is theirs so (onnx2tf holds a Conv1d's
            # output unsqueezed to [n, T, C, 1] for the source's [n, 1, C, T]); whichever agrees better (a wrong
            # conversion agrees in none). The third member is that order, None for the first two.
            views = [(r, o.reshape(r.shape), None)] if o.size == r.size else []
            if r.ndim >= 3 and o.size == r.size:
                moved = np.moveaxis(r, 1, -1)
                views.append((moved, o.reshape(moved.shape), None))
            if o.size == r.size and o.shape not in (r.shape, np.moveaxis(r, 1, -1).shape if r.ndim >= 3 else r.shape):
                views += [(np.transpose(r, perm), o, list(perm)) for perm in axis_orders(r.shape, o.shape)]
            if not views:
                errors.setdefault(name, []).append(None)
                continue
            errors.setdefault(name, []).append(max(views, key=lambda v: sqnr(v[0], v[1])))
    return errors


def axis_orders(source, file, limit=24):
    """The orders of `source`'s axes that give `file`'s shape, one per order of the axes longer than 1 (the order of
    size-1 axes moves no value), at most `limit` (equal sizes multiply them); none above 8 axes (the permutations
    would be millions), as OutputLayout.axisOrders in `slipway test`."""
    import itertools
    if len(source) != len(file) or len(source) > 8 or sorted(source) != sorted(file):
        return []
    orders, seen = [], set()
    for perm in itertools.permutations(range(len(source))):
        if tuple(source[i] for i in perm) != tuple(file):
            continue
        key = tuple(i for i in perm if source[i] != 1)
        if key in seen:
            continue
        seen.add(key)
        orders.append(perm)
        if len(orders) == limit:
            break
    return orders


def judge(errors, mode):
    """([{name, sqnr_db, max_abs_error?, exact?}, {name, paired: false} or {name, shapes}], the outputs that failed:
    the float ones `changed` judges strayed and those of another shape in any mode) of `paired`'s pairs, each
    output's samples taken together."""
    import numpy as np
    outputs, failed = [], []
    for name, pairs in errors.items():
        shaped = next((p for p in pairs if isinstance(p, dict)), None)
        if shaped:
            entry = {"name": name, "sqnr_db": None, "shapes": shaped}
            outputs.append(entry)
            failed.append(entry)
            continue
        if any(p is None for p in pairs):
            outputs.append({"name": name, "paired": False})
            continue
        ref = np.concatenate([np.asarray(p[0], dtype=np.float64).reshape(-1) for p in pairs])
        out = np.concatenate([np.asarray(p[1], dtype=np.float64).reshape(-1) for p in pairs])
        db = sqnr(ref, out)
        # JSON has no infinity: agreeing exactly is `exact`, a source of zeros or a non-finite output no figure.
        entry = {"name": name, "sqnr_db": round(db, 2) if math.isfinite(db) else None}
        # The file holds the output with the source's axes in another order (not only channels last): said, since
        # whoever reads the file's output reads that order.
        orders = [p[2] for p in pairs if len(p) > 2 and p[2] is not None]
        if orders:
            entry["axes"] = orders[0]
        if db == math.inf:
            entry["exact"] = True
        if np.all(np.isfinite(out)) and ref.size:
            entry["max_abs_error"] = float(np.max(np.abs(ref - out)))
        outputs.append(entry)
        # Integer outputs (an index, a count) follow from float ones; only float outputs are judged.
        if pairs[0][0].dtype.kind == "f" and changed(ref, out, mode):
            failed.append(entry)
    return outputs, failed


class DefaultDelegate:
    """LiteRT's default delegate (XNNPACK) running a .tflite file: the values are judged on the builtin kernels, but
    XNNPACK runs the file wherever no other delegate is asked for, and it refuses shapes the builtins take (measured:
    an Expand to a free Shape, a per-channel affine on an input kept channels-first — "XNNPack delegate failed to
    reshape runtime" at other sizes than 1). One interpreter serves the samples and the run at other sizes; one
    whose run failed is not reused."""

    def __init__(self, artifact):
        self.artifact = artifact if artifact.lower().endswith(".tflite") else None
        self.model = None

    def failure(self, samples):
        """Why the file fails when run on `samples` with XNNPACK, or None (and None for a file that is not .tflite)."""
        import numpy as np
        from run_models import LiteRTModel
        if self.artifact is None:
            return None
        self.model = self.model or LiteRTModel(self.artifact)
        for sample in samples:
            try:
                self.model.run(self.model.feed(sample))
            except Exception as e:
                self.model = None
                shapes = ", ".join(f"{k} {list(np.shape(v))}" for k, v in sample.items())
                return f"{type(e).__name__} at {shapes} on XNNPACK (LiteRT's default delegate): {' '.join(str(e).split())[:300]}"
        return None


def source_outputs(source, sample, values):
    """The source's outputs on `sample`, or None where it does not run on it."""
    from run_models import with_values
    try:
        return source.run(source.feed(with_values(source, sample, values)))
    except Exception:
        return None


def fixed_by_file(converted, shapes):
    """"name [dims]" of an ONNX file's input that fixes a dimension `shapes` gives another size (an exporter given
    static shapes), or None. (A .tflite file's fixed input refuses the sample when it is fed: `fit_signature`.)"""
    for i in getattr(converted, "inputs", None) or []:
        want = shapes.get(i.name)
        dims = list(i.shape) if want is not None else []
        if len(dims) == len(want or []) and any(isinstance(d, int) and d > 0 and d != w for d, w in zip(dims, want)):
            return f"{i.name} {dims}"
    return None


def free_axes(specs, fixed, values):
    """{input: [axis]} of the dimensions neither the source nor the manifest fixes."""
    out = {}
    for name, dims, _ in specs:
        if name in values:
            continue
        axes = [k for k, v in enumerate(shape_of(fixed, name, dims, lambda k, d: known(d))) if v is None]
        if axes:
            out[name] = axes
    return out


def probe_shapes(specs, free, first, size):
    """{input: dims} of the run at other sizes: each input of the sample `first` with its `free` axes (free_axes) at
    2 for the batch and `size` for one the sample holds at 1. A dimension named as some input's first is the batch
    wherever it is (a recurrence's state [1, batch, hidden] given as an input): 2 there too, or the source refuses
    the sample."""
    import numpy as np
    dims_of = {name: dims for name, dims, _ in specs}
    batch = {dims[0] for _, dims, _ in specs if dims and isinstance(dims[0], str) and dims[0]}
    shapes = {}
    for name, axes in free.items():
        if name not in first:
            continue
        shape = list(np.shape(first[name]))
        for k in axes:
            if k < len(shape):
                named = dims_of[name][k] if k < len(dims_of[name]) else None
                shape[k] = 2 if k == 0 or named in batch else size if shape[k] == 1 else shape[k]
        shapes[name] = shape
    return shapes


def resized(source, converted, xnnpack, specs, fixed, values, samples, mode):
    """The file run at other sizes than its samples', where the source leaves dimensions free: the batch at 2 and a
    free dimension the samples hold at 1 at the first of RESIZED the source runs at. A converter that samples free
    dimensions at 1 (onnx2tf) can write a file right there and wrong, or failing, at any other size (measured:
    TRANSPOSE_CONV's fused bias, a Reshape by 0 and -1, a Slice to INT64_MAX). None where nothing is free, else
    {"shapes": {input: dims}, "outputs", "failed"}, or {"shapes"?, "skipped": why} where it could not be judged."""
    import numpy as np
    free = free_axes(specs, fixed, values)
    if not free or not samples:
        return None
    first = samples[0]
    tried = []
    for size in RESIZED:
        shapes = probe_shapes(specs, free, first, size)
        if all(shapes[n] == list(np.shape(first[n])) for n in shapes):
            return None  # the samples already hold every free dimension at another size than 1
        if any(shapes == json.loads(t) for t in tried):
            continue  # no free dimension held at 1 but the batch: every size gives the same shapes
        rng = np.random.default_rng(1)
        sample = {}
        for name, a in first.items():
            a = np.asarray(a)
            dims = shapes.get(name, list(a.shape))
            if a.dtype.kind == "f":
                sample[name] = rng.random(dims).astype(a.dtype)
            elif a.dtype.kind == "b":
                sample[name] = rng.integers(0, 2, size=dims).astype(bool)
            else:
                sample[name] = rng.integers(0, 2, size=dims).astype(a.dtype)
        reference = source_outputs(source, sample, values)
        if reference is None:
            tried.append(json.dumps(shapes))
            continue
        held = fixed_by_file(converted, shapes)
        if held:
            return {"shapes": shapes, "skipped": f"the file fixes {held}: it is not meant to run at other sizes"}
        try:
            errors = paired(source, converted, [sample], values, [reference])
            delegate = xnnpack.failure([sample])
        except RunFailure as e:
            return {"shapes": shapes, "outputs": [], "failed": [{"name": "(run)", "fails_when_run": e.message}]}
        except Exception as e:  # a file whose inputs are fixed: it is not meant to run at other sizes
            return {"shapes": shapes, "skipped": f"the file does not take these sizes ({type(e).__name__}: {' '.join(str(e).split())[:200]})"}
        outputs, failed = judge(errors, mode)
        if delegate:
            failed.append({"name": "(run)", "fails_when_run": delegate})
        return {"shapes": shapes, "outputs": outputs, "failed": failed}
    said = "; ".join(", ".join(f"{n} {d}" for n, d in json.loads(t).items()) for t in tried)
    return {"skipped": f"the source runs at none of {said}"}


def compare(reference, artifact, mode, fixed, values, calibration=None, names=None, specs=None):
    """`measure`, whose own failure (a form of input or output it does not foresee) is said, not raised: the check
    never fails a conversion that was not judged."""
    try:
        return measure(reference, artifact, mode, fixed, values, calibration, names, specs)
    except (Exception, SystemExit) as e:  # SystemExit: calibration_samples' own refusal of a folder
        return {"checked": False, "reason": f"the check could not run ({type(e).__name__}: {str(e).strip()[:200]})"}


def measure(reference, artifact, mode, fixed, values, calibration=None, names=None, specs=None):
    # reference: the source (.onnx, a Keras .h5/.keras, a TorchScript .pt or ExportedProgram .pt2); artifact: what
    # was written (.tflite or .onnx); specs: [(name, dims, type)] where the source does not say (a torch module).
    """{"checked": bool, "samples", "inputs", "outputs": [{name, sqnr_db, max_abs_error}], "floor_db"?, "failed",
    "free"?, "resized"?, "reason"?}: `failed` holds the outputs below the mode's floor (a float conversion only), those
    of another shape than the source's, and the runs that failed (`fails_when_run`), each with the sizes `at` which
    where it failed at other sizes than the samples' (`resized`); `free` {input: [axis]} the dimensions nothing fixes;
    `names` {input: dtype} of the model the calibration samples are read for (onnx_inputs)."""
    try:
        import numpy as np
        import onnx
        import run_models  # noqa: F401  (the runner's classes; absent where its runtimes are)
    except Exception as e:  # an interpreter without onnxruntime or LiteRT: said, not failed
        return {"checked": False, "reason": f"cannot run the models here ({type(e).__name__}: {e})"}
    for path in (reference, artifact):
        if path.lower().endswith(".onnx"):
            graph = onnx.load(path, load_external_data=False).graph
            randomized = sorted({n.op_type for n in graph.node if n.op_type in RANDOM_OPERATORS})
            if randomized:
                return {"checked": False, "reason": f"the model draws random values ({', '.join(randomized)}): its outputs differ run to run"}
    try:
        source = runner(reference, values)
        converted = runner(artifact, values)
    except Exception as e:
        return {"checked": False, "reason": f"cannot load the models ({type(e).__name__}: {str(e).strip()[:200]})"}
    samples, kind, note = [], "seeded uniform", None
    specs = specs or input_specs(source)
    free = free_axes(specs, fixed, values)
    for folder, label in ((os.environ.get(TEST_SAMPLES), "test"), (calibration, "calibration")):
        if samples or not folder or not names:
            continue
        samples, why = read_samples(folder, names)
        if not samples and label == "test" and why and why.endswith("no .npy or .npz sample"):
            # Images, WAV or .bin: decoded as `slipway test` decodes them, at the manifest's (else the model's) sizes.
            shapes = {n: shape_of(fixed, n, dims, lambda k, d: known(d) or str(d)) for n, dims, _ in specs if n not in values}
            samples, why = decoded_samples(folder, shapes)
        kind = label if samples else kind
        if why and label == "test" and not samples:
            note = f"test.samples not used: {why}"
    if not samples:
        samples = random_samples(specs, fixed, values)
        if free and source_outputs(source, samples[0], values) is None:
            # A model that cannot run with its free sizes at 1 (a spectrogram's window longer than its audio): the
            # first of RESIZED it runs at.
            samples = next((s for s in (random_samples(specs, fixed, values, size=n) for n in RESIZED)
                            if source_outputs(source, s[0], values) is not None), samples)
    try:
        errors = paired(source, converted, samples, values)
    except RunFailure as e:
        # The source ran and the file did not: it fails on the very inputs it was checked on.
        return {"checked": True, "samples": len(samples), "inputs": kind, "outputs": [], "free": free,
                "failed": [{"name": "(run)", "fails_when_run": e.message}]}
    except Exception as e:
        return {"checked": False, "reason": f"cannot run the models on a sample ({type(e).__name__}: {str(e).strip()[:200]})"}
    outputs, failed = judge(errors, mode)
    xnnpack = DefaultDelegate(artifact)
    try:
        delegate = xnnpack.failure(samples[:1])
    except Exception:  # a sample the default delegate's interpreter does not take: the builtins' run stands
        delegate = None
    if delegate:
        failed.append({"name": "(run)", "fails_when_run": delegate})
    result = {"checked": True, "samples": len(samples), "inputs": kind, "outputs": outputs}
    if free:
        result["free"] = free
    if note:
        result["note"] = note
    other = resized(source, converted, xnnpack, specs, fixed, values, samples, mode)
    if other:
        result["resized"] = other
        failed = failed + [dict(f, at=other["shapes"]) for f in other.get("failed", [])]
    floor = FLOORS.get(mode)
    if floor is not None:
        result["floor_db"], result["tolerance"] = floor, TOLERANCES[mode]
    result["failed"] = failed
    return result


FIX_SIZES = " (give the sizes it will run at under model.inputs: the file is then built and checked at those)"


def refusal(tool, mode, fidelity, source):
    """The error for a file `compare` failed: the tool, the sizes it failed at where not its samples', and each
    output's SQNR and largest error with the bounds, or how it failed when run."""
    def at(o):
        return "" if "at" not in o else " at " + ", ".join(f"{n} {d}" for n, d in o["at"].items())
    runs = [o for o in fidelity["failed"] if "fails_when_run" in o]
    if runs:
        o = runs[0]
        where = (f"at other sizes than its samples ({at(o)[4:]}), which the source runs at" if "at" in o
                 else f"on {fidelity['samples']} {fidelity['inputs']} samples the source runs on")
        return (f"{tool} wrote a {mode} file that fails when run {where}: {o['fails_when_run']}; the file is not "
                f"kept{FIX_SIZES if fidelity.get('free') else ''}")
    def one(o):
        if "shapes" in o:
            return f"{o['name']}{at(o)} of shape {o['shapes']['file']} where the source's is {o['shapes']['source']}"
        return (f"{o['name']}{at(o)} at {'no' if o['sqnr_db'] is None else o['sqnr_db']} dB (largest error "
                f"{o.get('max_abs_error', float('nan')):.3g})")
    said = ", ".join(one(o) for o in fidelity["failed"])
    resized = any("at" in o for o in fidelity["failed"])
    bounds = (f" (a {mode} conversion agrees to at least {fidelity['floor_db']:g} dB, or within "
              f"{fidelity['tolerance']:g} of the output's largest magnitude)" if "floor_db" in fidelity else "")
    return (f"{tool} wrote a {mode} file that computes something else than {source}: run on {fidelity['samples']} "
            f"{fidelity['inputs']} samples{' and once at other sizes' if resized else ''}, its outputs {said} against "
            f"the source{bounds}; the file is not kept{FIX_SIZES if resized else ''}")


def judged(tool, mode, fidelity, source):
    """The refusal of a float file `compare` failed, or None: none when it passed, and none under `convert --force`
    (KEEP set), which keeps the file with the refusal's words in `fidelity["kept_anyway"]`."""
    if not fidelity.get("failed"):
        return None
    text = refusal(tool, mode, fidelity, source)
    if os.environ.get(KEEP) == "1":
        fidelity["kept_anyway"] = text.replace("; the file is not kept", "")
        return None
    return text


def recorded(summary, path, tool, fidelity, source):
    """Writes the report's summary with its `fidelity` to `path`, and returns `judged`'s refusal (or None): the tail
    every driver shares once it has compared what it wrote."""
    error = judged(tool, summary["mode"], fidelity, source)
    summary["fidelity"] = fidelity
    with open(path, "w", encoding="utf-8") as f:
        json.dump(summary, f)
    return error
