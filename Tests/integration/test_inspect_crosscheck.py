"""`slipway inspect --json` agrees with what the producer libraries read from the same committed fixtures:
parameter counts, operator histograms, shapes, dtypes and quantization parameters."""
import collections
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures" / "models"
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(ROOT / ".build" / "debug" / "slipway"))


def inspect(path):
    out = subprocess.run([SLIPWAY, "inspect", str(path), "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def fixtures(suffix):
    return sorted(p.name for p in FIXTURES.glob(f"*.{suffix}") if p.name != "external_escape.onnx")


# ---- ONNX -------------------------------------------------------------------------------------------------

def onnx_view(model):
    """Operators, constant tensors and parameter count as the onnx library sees them, over every sub-graph."""
    import onnx

    ops = collections.Counter()
    tensors = []

    def dims_of(t):
        return [int(d) for d in t.dims]

    def walk(graph):
        for t in graph.initializer:
            tensors.append((t.name, dtype_name(t.data_type), dims_of(t)))
        for s in graph.sparse_initializer:
            tensors.append((s.values.name, dtype_name(s.values.data_type), dims_of(s)))
        for node in graph.node:
            ops[node.op_type] += 1
            if node.op_type == "Constant":
                a = node.attribute[0]
                name = node.output[0]
                if a.name == "value":
                    tensors.append((name, dtype_name(a.t.data_type), dims_of(a.t)))
                elif a.name == "sparse_value":
                    tensors.append((name, dtype_name(a.sparse_tensor.values.data_type),
                                    dims_of(a.sparse_tensor)))
                elif a.name in ("value_float", "value_int", "value_string"):
                    tensors.append((name, {"value_float": "float32", "value_int": "int64"}.get(a.name, "string"), []))
                elif a.name in ("value_floats", "value_ints", "value_strings"):
                    n = len(a.floats) or len(a.ints) or len(a.strings)
                    tensors.append((name, {"value_floats": "float32", "value_ints": "int64"}.get(a.name, "string"), [n]))
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                elif a.type == onnx.AttributeProto.GRAPHS:
                    for g in a.graphs:
                        walk(g)

    walk(model.graph)
    return ops, tensors


# ONNX's DataType names against slipway's dtype names.
ONNX_NAMES = {
    "FLOAT": "float32", "DOUBLE": "float64", "FLOAT16": "float16", "BFLOAT16": "bfloat16", "INT8": "int8",
    "INT16": "int16", "INT32": "int32", "INT64": "int64", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32",
    "UINT64": "uint64", "BOOL": "bool", "STRING": "string", "COMPLEX64": "complex64", "COMPLEX128": "complex128",
    "FLOAT8E4M3FN": "float8e4m3fn", "FLOAT8E4M3FNUZ": "float8e4m3fnuz", "FLOAT8E5M2": "float8e5m2",
    "FLOAT8E5M2FNUZ": "float8e5m2fnuz", "INT4": "int4", "UINT4": "uint4", "FLOAT4E2M1": "float4e2m1",
}


def dtype_name(code):
    from onnx import TensorProto

    return ONNX_NAMES[TensorProto.DataType.Name(code)]


def compare_onnx(path, got):
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    ops, tensors = onnx_view(model)
    assert got["format"] == "onnx"
    assert got["operators"] == dict(ops), path
    assert got["parameters"] == sum(int(np.prod(shape, dtype=np.int64)) for _, _, shape in tensors), path
    mine = sorted((t["name"], t["dtype"], t["shape"]) for t in got["tensors"])
    assert mine == sorted(tensors), path
    initializers = {t.name for t in model.graph.initializer}
    assert [i["name"] for i in got["inputs"]] == [i.name for i in model.graph.input if i.name not in initializers]
    assert [o["name"] for o in got["outputs"]] == [o.name for o in model.graph.output]
    assert got["opsets"] == {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    return model


@pytest.mark.parametrize("name", fixtures("onnx"))
def test_onnx_fixture_matches_onnx_library(name):
    model = compare_onnx(FIXTURES / name, inspect(FIXTURES / name))
    assert model is not None


def test_onnx_dynamic_dimensions_keep_their_names():
    got = inspect(FIXTURES / "small_cnn.onnx")
    assert got["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["batch", 1, 8, 8]}]
    assert got["outputs"] == [{"name": "y", "dtype": "float32", "shape": ["batch", 10]}]
    assert got["graphs"] == 4  # main, then_branch, else_branch, loop body


def test_onnx_external_data_is_read_in_place_and_escapes_are_refused():
    import onnx

    got = inspect(FIXTURES / "external_data.onnx")
    full = onnx.load(str(FIXTURES / "external_data.onnx"))
    assert got["parameters"] == full.graph.initializer[0].dims[0] * full.graph.initializer[0].dims[1]
    out = subprocess.run([SLIPWAY, "inspect", str(FIXTURES / "external_escape.onnx")], capture_output=True, text=True)
    assert out.returncode == 1
    assert "external_escape.onnx" in out.stderr and "location" in out.stderr and "leaves the model's folder" in out.stderr


def test_onnx_model_is_runnable_where_slipway_reads_it():
    """The fixture is a real model: onnxruntime runs it, and its inputs are the ones slipway reports."""
    import onnxruntime as ort

    got = inspect(FIXTURES / "quantized_qdq.onnx")
    session = ort.InferenceSession(str(FIXTURES / "quantized_qdq.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [i["name"] for i in got["inputs"]]
    assert got["quantization"]["quantized"] and got["quantization"]["scheme"] == "QDQ"


# ---- TFLite -----------------------------------------------------------------------------------------------

TFLITE_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool", 7: "int16",
                9: "int8", 10: "float64", 17: "int4", 18: "bfloat16"}


def tflite_view(path):
    """Operators and constant tensors from the schema's own flatbuffer reader (ai-edge-litert)."""
    from ai_edge_litert import schema_py_generated as schema

    buf = bytearray(path.read_bytes())
    m = schema.ModelT.InitFromPackedBuf(buf, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    ops = collections.Counter()
    constants = []
    for sg in m.subgraphs:
        for op in sg.operators:
            code = m.operatorCodes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            ops[code.customCode.decode() if builtin == schema.BuiltinOperator.CUSTOM else names[builtin]] += 1
        for t in sg.tensors:
            b = m.buffers[t.buffer] if t.buffer < len(m.buffers) else None
            has_data = b is not None and t.buffer > 0 and ((b.data is not None and len(b.data) > 0) or (b.offset > 1 and b.size > 0))
            if has_data:
                shape = [] if t.shape is None else [int(d) for d in t.shape]
                q = t.quantization
                quant = None
                if q is not None and q.scale is not None and len(q.scale) > 0:
                    quant = ([float(s) for s in q.scale], [int(z) for z in q.zeroPoint],
                             int(q.quantizedDimension) if len(q.scale) > 1 else None)
                constants.append((t.name.decode(), TFLITE_TYPES[t.type], shape, quant, t.buffer))
    return ops, constants


def unique_buffer_elements(constants):
    """Stored elements, each buffer once: the converter deduplicates equal constants into one buffer that
    several tensors name."""
    seen = {}
    for _, _, shape, _, buffer in constants:
        seen.setdefault(buffer, int(np.prod(shape, dtype=np.int64)))
    return sum(seen.values())


@pytest.mark.parametrize("name", fixtures("tflite"))
def test_tflite_fixture_matches_schema_reader(name):
    got = inspect(FIXTURES / name)
    ops, constants = tflite_view(FIXTURES / name)
    assert got["format"] == "tflite"
    assert got["operators"] == dict(ops)
    assert got["parameters"] == unique_buffer_elements(constants)
    mine = []
    for t in got["tensors"]:
        q = t.get("quantization")
        mine.append((t["name"], t["dtype"], t["shape"],
                     None if q is None or not q["scales"] else (q["scales"], q["zero_points"], q["axis"])))
    key = lambda c: (c[0], c[2])
    assert sorted(mine, key=key) == sorted((c[:4] for c in constants), key=key)


@pytest.mark.parametrize("name", fixtures("tflite"))
def test_tflite_inputs_and_quantization_match_the_interpreter(name):
    from ai_edge_litert.interpreter import Interpreter

    got = inspect(FIXTURES / name)
    try:
        interpreter = Interpreter(model_path=str(FIXTURES / name))
    except (RuntimeError, ValueError) as e:  # Flex ops need the TensorFlow delegate, which the wheel lacks
        pytest.skip(f"interpreter cannot load {name}: {e}")
    details = interpreter.get_input_details()
    assert [d["name"] for d in details] == [i["name"] for i in got["inputs"]]
    for d, i in zip(details, got["inputs"]):
        signature = [int(x) for x in d["shape_signature"]]
        assert [None if x < 0 else x for x in signature] == i["shape"]
        assert np.dtype(d["dtype"]).name == i["dtype"]
    by_name = {t["name"]: t for t in got["tensors"]}
    for d in interpreter.get_tensor_details():
        t = by_name.get(d["name"])
        q = d["quantization_parameters"]
        if t is None or len(q["scales"]) == 0:
            continue
        assert np.allclose(t["quantization"]["scales"], q["scales"])
        assert t["quantization"]["zero_points"] == [int(z) for z in q["zero_points"]]


def test_tflite_quantization_schemes_are_told_apart():
    schemes = {n: inspect(FIXTURES / n)["quantization"]["scheme"] for n in fixtures("tflite")}
    assert schemes["small_cnn_float.tflite"] is None
    assert schemes["small_cnn_int8.tflite"] == "full integer"
    assert schemes["small_cnn_dynamic.tflite"] == "dynamic range"
    assert schemes["small_cnn_float16.tflite"] == "float16"


def test_tflite_buffer_offsets_read_like_inline_buffers():
    inline = inspect(FIXTURES / "small_cnn_float.tflite")
    offsets = inspect(FIXTURES / "buffer_offsets.tflite")
    for key in ("parameters", "operators", "inputs", "outputs"):
        assert inline[key] == offsets[key]


def test_tflite_metadata_and_signatures():
    got = inspect(FIXTURES / "small_cnn_float.tflite")
    assert got["metadata"]["min_runtime_version"].startswith("1.")
    assert got["signatures"][0]["key"] == "serving_default"


# ---- safetensors ------------------------------------------------------------------------------------------

SAFETENSORS_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
                     "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool",
                     "F8_E4M3": "float8e4m3fn", "F8_E5M2": "float8e5m2"}


@pytest.mark.parametrize("name", fixtures("safetensors"))
def test_safetensors_fixture_matches_safetensors_library(name):
    from safetensors import safe_open

    got = inspect(FIXTURES / name)
    expected = []
    with safe_open(str(FIXTURES / name), framework="numpy") as f:
        metadata = f.metadata()
        for key in f.keys():
            s = f.get_slice(key)
            expected.append((key, SAFETENSORS_NAMES[s.get_dtype()], list(s.get_shape())))
    assert sorted((t["name"], t["dtype"], t["shape"]) for t in got["tensors"]) == sorted(expected)
    assert got["parameters"] == sum(int(np.prod(s, dtype=np.int64)) for _, _, s in expected)
    assert got["metadata"] == metadata
    assert got["operators"] == {}


# ---- GGUF -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", fixtures("gguf"))
def test_gguf_fixture_matches_gguf_library(name):
    import gguf

    got = inspect(FIXTURES / name)
    reader = gguf.GGUFReader(str(FIXTURES / name))
    expected = sorted((t.name, t.tensor_type.name.lower(), [int(d) for d in reversed(t.shape)], int(t.n_elements))
                      for t in reader.tensors)
    plain = {"f32": "float32", "f16": "float16", "bf16": "bfloat16", "f64": "float64", "i8": "int8", "i16": "int16",
             "i32": "int32", "i64": "int64"}
    expected = [(n, plain.get(d, d), s, e) for n, d, s, e in expected]
    assert sorted((t["name"], t["dtype"], t["shape"], t["elements"]) for t in got["tensors"]) == expected
    assert got["parameters"] == sum(e for *_, e in expected)
    for t, info in zip(sorted(got["tensors"], key=lambda t: t["name"]), sorted(reader.tensors, key=lambda t: t.name)):
        assert t["bytes"] == int(info.n_bytes)
    assert got["metadata"]["general.architecture"] == "llama"
    assert got["metadata"]["test.string"] == "hello"


# ---- Files Slipway does not read --------------------------------------------------------------------------

def test_unreadable_inputs_are_named_errors(tmp_path):
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    h5 = tmp_path / "model.weights"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    pickle = tmp_path / "model.bin"
    pickle.write_bytes(b"\x80\x02}q\x00.")
    package = tmp_path / "Model.mlpackage"
    package.mkdir()
    for path, words in [(empty, "empty"), (h5, "Keras HDF5"), (pickle, "PyTorch"), (package, "Core ML"),
                        (tmp_path, "directory")]:
        out = subprocess.run([SLIPWAY, "inspect", str(path)], capture_output=True, text=True, timeout=30)
        assert out.returncode == 1, path
        assert str(path) in out.stderr and words in out.stderr, out.stderr
