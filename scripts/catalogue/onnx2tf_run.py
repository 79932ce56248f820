"""Running onnx2tf as Slipway's driver calls it and reading the file it writes, for the scripts that measure what it
does (derive_onnx_lowering.py on ONNX's node tests, measure_rank_above_6.py on 7-D models), and keeping their records.
"""
import contextlib
import io
import os
import re
import sys

import catalogue_json as cj

# TensorFlow's converter's refusal of an op that has neither a builtin nor a Select TF kernel (tf.Acos).
NEITHER = "is neither a custom op nor a flex op"


def convert(work, write_model):
    """Converts the model `write_model(path)` writes, in `work`, with onnx2tf.convert; the float32 file's path, or
    None when onnx2tf wrote none. Raises what onnx2tf raises (`failure` says it)."""
    import numpy as np
    import onnx2tf
    os.chdir(work)
    try:
        # onnx2tf's output check reads sample images from the working directory (downloads them when absent).
        np.save("calibration_image_sample_data_20x128x128x3_float32.npy", np.zeros((20, 128, 128, 3), np.float32))
        write_model("m.onnx")  # onnx2tf simplifies its input in place: always a copy
        with contextlib.redirect_stdout(io.StringIO()):
            onnx2tf.convert(input_onnx_file_path="m.onnx", output_folder_path="out", non_verbose=True)
        made = sorted(f for f in os.listdir("out") if f.endswith("_float32.tflite"))
        return os.path.join(work, "out", made[0]) if made else None
    finally:
        os.chdir("/")


def failure(e, width):
    """Why a conversion failed, in at most `width` characters: the exception's first line, without the Python
    frame TensorFlow's MLIR names (a checkout's path), the converter's own refusal said whole."""
    if isinstance(e, SystemExit):
        return f"onnx2tf exited {e.code}"
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    first = re.sub(r"(/[^\s/]+)+\.py:\d+:\d+: ", " ", first)
    if NEITHER in first and "error: " in first:
        first = first[first.index("error: "):]
    return f"{type(e).__name__}: {first[:width]}"


def operator_names(model, fb):
    """The name of each operator code of a TFLite model read through `fb` (TensorFlow's generated schema): a builtin's
    name, or a custom operator's (`Flex…` for Select TF ops)."""
    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(model.OperatorCodesLength()):
        c = model.OperatorCodes(i)
        code = max(c.BuiltinCode(), c.DeprecatedBuiltinCode())
        codes.append((c.CustomCode() or b"?").decode() if code == fb.BuiltinOperator.CUSTOM else names.get(code, str(code)))
    return codes


def file_operators(path):
    """Each operator of a TFLite file's subgraphs, in order: (subgraph index, subgraph, operator, its name as
    `operator_names` gives it), read through TensorFlow's generated schema."""
    from tensorflow.lite.python import schema_py_generated as fb
    with open(path, "rb") as fh:
        m = fb.Model.GetRootAsModel(fh.read(), 0)
    codes = operator_names(m, fb)
    for s in range(m.SubgraphsLength()):
        g = m.Subgraphs(s)
        for o in range(g.OperatorsLength()):
            op = g.Operators(o)
            yield s, g, op, codes[op.OpcodeIndex()]


def settle(holder, key, entries, derived, check, partial, script):
    """Holds `derived` (a record of `entries`, with its `source`) against the one committed at holder[key] in
    Schemas/targets/operators.json (`check`: exits 1 naming what differs), or writes it there (`partial`: merged into
    the committed entries). `holder` is read from and written back to the loaded file `root`: (root, holder)."""
    root, where = holder
    committed = where.get(key) or {entries: {}}
    if check:
        differ = [n for n, e in derived[entries].items() if committed[entries].get(n) != e]
        if committed.get("source") != derived["source"]:
            differ.append(f"source: committed {committed.get('source')}, derived {derived['source']}")
        if differ:
            sys.stderr.write(f"{key} in Schemas/targets/operators.json differs from what the installed tools do;"
                             f" run scripts/catalogue/{script} and `make catalogue`\n")
            for n in differ:
                sys.stderr.write(f"  {n}: committed {committed[entries].get(n, 'absent')} derived {derived[entries].get(n, '')}\n")
            sys.exit(1)
        return
    if partial:
        merged = dict(committed[entries])
        merged.update(derived[entries])
        derived[entries] = dict(sorted(merged.items()))
    where[key] = derived
    cj.dump("operators.json", root)
    sys.stdout.write(f"{key}: {len(derived[entries])} {entries}, {derived['source']['section']}\n")
