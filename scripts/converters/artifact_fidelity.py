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
against the manifest."""
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
        return OnnxModel(path)
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


def random_samples(specs, fixed, values, count=SAMPLES):
    """Seeded samples in each input's element type: uniform [0, 1) floats, integers 0 or 1 (a valid index into any
    table), booleans; a free dimension without a manifest shape is 1."""
    import numpy as np
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        sample = {}
        for name, dims, kind in specs:
            if name in values:
                continue
            shape = fixed.get(name) or [d if isinstance(d, int) and d > 0 else 1 for d in dims]
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
    "reason"?}: `failed` holds the outputs below the mode's floor (a float conversion only); `names` {input: dtype}
    of the model the calibration samples are read for (onnx_inputs)."""
    try:
        import numpy as np
        import onnx
        from run_models import with_values
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
    for folder, label in ((os.environ.get(TEST_SAMPLES), "test"), (calibration, "calibration")):
        if samples or not folder or not names:
            continue
        samples, why = read_samples(folder, names)
        if not samples and label == "test" and why and why.endswith("no .npy or .npz sample"):
            # Images, WAV or .bin: decoded as `slipway test` decodes them, at the manifest's (else the model's) sizes.
            shapes = {n: fixed.get(n) or [d if isinstance(d, int) and d > 0 else str(d) for d in dims]
                      for n, dims, _ in specs if n not in values}
            samples, why = decoded_samples(folder, shapes)
        kind = label if samples else kind
        if why and label == "test" and not samples:
            note = f"test.samples not used: {why}"
    if not samples:
        samples = random_samples(specs, fixed, values)
    errors = {}
    for sample in samples:
        try:
            ref = source.run(source.feed(with_values(source, sample, values)))
            got = converted.run(converted.feed(sample))
        except Exception as e:
            return {"checked": False, "reason": f"cannot run the models on a sample ({type(e).__name__}: {str(e).strip()[:200]})"}
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
            # In the source's layout: as the artifact has it, or channels moved last as onnx2tf writes NC… tensors;
            # whichever agrees better (a wrong conversion agrees in neither).
            views = [(r, o.reshape(r.shape))] if o.size == r.size else []
            if r.ndim >= 3 and o.size == r.size:
                moved = np.moveaxis(r, 1, -1)
                views.append((moved, o.reshape(moved.shape)))
            if not views:
                errors.setdefault(name, []).append(None)
                continue
            r, o = max(views, key=lambda v: sqnr(*v))
            errors.setdefault(name, []).append((r, o))
    outputs, failed = [], []
    floor = FLOORS.get(mode)
    for name, pairs in errors.items():
        if any(p is None for p in pairs):
            outputs.append({"name": name, "paired": False})
            continue
        ref = np.concatenate([np.asarray(p[0], dtype=np.float64).reshape(-1) for p in pairs])
        out = np.concatenate([np.asarray(p[1], dtype=np.float64).reshape(-1) for p in pairs])
        db = sqnr(ref, out)
        # JSON has no infinity: agreeing exactly is `exact`, a source of zeros or a non-finite output no figure.
        entry = {"name": name, "sqnr_db": round(db, 2) if math.isfinite(db) else None}
        if db == math.inf:
            entry["exact"] = True
        if np.all(np.isfinite(out)) and ref.size:
            entry["max_abs_error"] = float(np.max(np.abs(ref - out)))
        outputs.append(entry)
        # Integer outputs (an index, a count) follow from float ones; only float outputs are judged.
        if pairs[0][0].dtype.kind == "f" and changed(ref, out, mode):
            failed.append(entry)
    result = {"checked": True, "samples": len(samples), "inputs": kind, "outputs": outputs}
    if note:
        result["note"] = note
    if floor is not None:
        result["floor_db"], result["tolerance"] = floor, TOLERANCES[mode]
    result["failed"] = failed
    return result


def refusal(tool, mode, fidelity, source):
    """The error for a float file `compare` failed: the tool, each output's SQNR and largest error, the bounds."""
    said = ", ".join(f"{o['name']} at {'no' if o['sqnr_db'] is None else o['sqnr_db']} dB (largest error "
                     f"{o.get('max_abs_error', float('nan')):.3g})" for o in fidelity["failed"])
    return (f"{tool} wrote a {mode} file that computes something else than {source}: run on {fidelity['samples']} "
            f"{fidelity['inputs']} samples, its outputs {said} against the source (a {mode} conversion agrees to at "
            f"least {fidelity['floor_db']:g} dB, or within {fidelity['tolerance']:g} of the output's largest "
            f"magnitude); the file is not kept")


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
