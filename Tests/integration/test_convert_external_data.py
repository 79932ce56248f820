"""`slipway convert` of ONNX models whose weights live in external data files (onnx.save(...,
save_as_external_data=True)): the output keeps the external-data layout, `<output>.data` beside it with
locations relative to the output, so it loads from any folder; onnx's checker and onnxruntime read it; the
report lists both files with their SHA-256.
"""
import hashlib
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_convert_onnx import FIXTURES, cosine
from exact_ort import exact_session


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def external_model(folder, name="model.onnx", location="weights/model.bin"):
    """A MatMul/Add/Relu/MatMul model saved with its tensors in a data file in a sub-folder."""
    rng = np.random.default_rng(3)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["a"]),
         helper.make_node("Relu", ["a"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"])],
        "ext", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 32])],
        [numpy_helper.from_array((rng.standard_normal((64, 128)) * 0.1).astype(np.float32), "w1"),
         numpy_helper.from_array((rng.standard_normal(128) * 0.1).astype(np.float32), "b1"),
         numpy_helper.from_array((rng.standard_normal((128, 32)) * 0.1).astype(np.float32), "w2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    (folder / location).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(folder / name), save_as_external_data=True, all_tensors_to_one_file=True, location=location,
              size_threshold=0)
    return folder / name


@pytest.mark.parametrize("args", [["--weights", "int8"], ["--float16-compute"], ["--float16"], ["--sparsity", "0.5"],
                                  ["--dynamic"], ["--dynamic", "--sparsity", "0.5"]])
def test_external_data_source_converts_to_a_model_and_data_file_that_load_anywhere(run, tmp_path, args):
    src = external_model(tmp_path / "src")
    out = tmp_path / "dist" / "deep" / "m.onnx"
    r = run("convert", str(src), "--output", str(out), *args)
    assert r.returncode == 0, r.stderr.decode()
    data = out.parent / "m.onnx.data"
    assert data.exists()
    report = json.loads((out.parent / "m.onnx.report.json").read_text())
    assert report["output"]["sha256"] == sha256(out)
    assert report["output"]["external_data"]["sha256"] == sha256(data)
    assert report["output"]["external_data"]["location"] == "m.onnx.data"
    # Every external tensor points at the new file, relative to the model.
    m = onnx.load(str(out), load_external_data=False)
    locations = {e.value for t in m.graph.initializer for e in t.external_data if e.key == "location"}
    assert locations == {"m.onnx.data"}
    onnx.checker.check_model(str(out), full_check=True)
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    a = exact_session(src).run(None, {"x": x})[0]
    b = exact_session(out).run(None, {"x": x})[0]
    assert cosine(a, b) >= (0.9 if "--sparsity" in args else 0.99 if "--dynamic" in args else 0.999)
    if "--dynamic" in args:
        # The integer weights are in the data file and read by MatMulInteger.
        assert {n.op_type for n in m.graph.node} >= {"DynamicQuantizeLinear", "MatMulInteger"}
        assert {t.name for t in m.graph.initializer if t.external_data} >= {"w1_quantized", "w2_quantized"}
    # The source and its data are untouched.
    assert (tmp_path / "src" / "weights" / "model.bin").exists()


def test_dynamic_quantization_with_float16_compute_is_refused_and_writes_nothing(run, tmp_path):
    src = external_model(tmp_path / "src")
    out = tmp_path / "dist" / "m.onnx"
    r = run("convert", str(src), "--output", str(out), "--dynamic", "--float16-compute")
    assert r.returncode == 1
    assert "dynamic quantization" in r.stderr.decode() and "float16" in r.stderr.decode()
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_the_committed_fixture_keeps_metadata_and_moves_every_tensor(run, tmp_path):
    out = tmp_path / "q.onnx"
    r = run("convert", str(FIXTURES / "ext_data.onnx"), "--output", str(out), "--weights", "int8")
    assert r.returncode == 0, r.stderr.decode()
    m = onnx.load(str(out))
    assert {p.key: p.value for p in m.metadata_props} == {"author": "slipway", "purpose": "external data"}
    stored = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    assert stored["w1_quantized"].dtype == np.int8 and stored["b1"].dtype == np.float32
    src = onnx.load(str(FIXTURES / "ext_data.onnx"))
    assert np.array_equal(stored["b1"], numpy_helper.to_array([t for t in src.graph.initializer if t.name == "b1"][0]))


def test_refuses_to_overwrite_the_sources_data_file(run, tmp_path):
    src = external_model(tmp_path, name="a.onnx", location="b.onnx.data")
    before = sha256(tmp_path / "b.onnx.data")
    r = run("convert", str(src), "--output", str(tmp_path / "b.onnx"), "--weights", "int8")
    assert r.returncode == 1
    assert "never overwritten" in r.stderr.decode()
    assert sha256(tmp_path / "b.onnx.data") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.onnx", "b.onnx.data"]


def test_float16_and_sparse_initializers_are_kept_and_the_report_says_why(run, tmp_path):
    """A float16 weight (already half precision) and a sparse initializer are left as they are: the report
    names each with the reason, and the written model still runs."""
    rng = np.random.default_rng(5)
    dense = (rng.standard_normal((16, 8)) * 0.2).astype(np.float32)
    dense[dense < 0.1] = 0
    nz = np.flatnonzero(dense)
    sparse = onnx.helper.make_sparse_tensor(
        numpy_helper.from_array(dense.ravel()[nz], "w_sparse"), numpy_helper.from_array(nz.astype(np.int64), "idx"),
        [16, 8])
    g = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["x16"], to=TensorProto.FLOAT16),
         helper.make_node("MatMul", ["x16", "w_half"], ["h16"]),
         helper.make_node("Cast", ["h16"], ["h"], to=TensorProto.FLOAT),
         helper.make_node("MatMul", ["h", "w_sparse"], ["y0"]),
         helper.make_node("MatMul", ["y0", "w_dense"], ["y"])],
        "kept", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array((rng.standard_normal((8, 16)) * 0.2).astype(np.float16), "w_half"),
         numpy_helper.from_array((rng.standard_normal((8, 4)) * 0.2).astype(np.float32), "w_dense")],
        sparse_initializer=[sparse])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    src = tmp_path / "kept.onnx"
    onnx.save(m, str(src))
    for args in (["--weights", "int8"], ["--float16-compute"]):
        out = tmp_path / f"out{len(args)}.onnx"
        r = run("convert", str(src), "--output", str(out), *args)
        assert r.returncode == 0, r.stderr.decode()
        report = {t["name"]: t for t in json.loads((tmp_path / (out.name + ".report.json")).read_text())["tensors"]}
        assert report["w_half"]["action"] == "kept" and "float16" in report["w_half"]["reason"]
        assert report["w_sparse"]["action"] == "kept" and "sparse" in report["w_sparse"]["reason"]
        # onnx's shape inference does not read sparse initializers (it fails on the source too): structure only.
        onnx.checker.check_model(str(out))
        x = rng.standard_normal((2, 8)).astype(np.float32)
        a = exact_session(src).run(None, {"x": x})[0]
        b = exact_session(out).run(None, {"x": x})[0]
        assert cosine(a, b) >= 0.99
