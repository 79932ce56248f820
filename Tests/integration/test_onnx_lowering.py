"""The ONNX-to-TFLite lowering `check` judges LiteRT and TFLite Micro targets by is held against the converter
itself: `onnx_to_tflite_measured` in Schemas/targets/operators.json records what onnx2tf wrote for ONNX's own node
tests of every operator it has a module for (scripts/catalogue/derive_onnx_lowering.py). The hand-kept table
(`onnx_to_tflite`, with the rewrites measured on whole models) may refuse an operator only where no node test of it
converted to builtins, may claim a lowering only where one did, and says why wherever its builtins differ from the
measured ones. A sample of the record is re-derived here where onnx2tf is installed."""
import collections
import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT_PYTHON = os.environ.get("SLIPWAY_CONVERT_PYTHON", str(REPO / ".venv-convert/bin/python"))


def tables():
    ops = json.loads((REPO / "Schemas/targets/operators.json").read_text())
    return ops["onnx_to_tflite"], ops["onnx_to_tflite_measured"]["operators"]


def test_every_refusal_in_the_table_is_one_onnx2tf_makes():
    """A null entry is an SW4004 error on every model holding the operator: false wherever onnx2tf lowers it.
    The If's entry is not used: it is judged by its branches (Coverage's BranchLowering: the branch a decided one
    takes; both branches and a SELECT_V2 per output for an undecided one, as test_if converts)."""
    hand, measured = tables()
    false = [op for op, v in hand["operators"].items() if v is None and op != "If"
             and measured.get(op, {}).get("verdict") == "builtins"]
    assert false == [], false
    assert "SELECT_V2" in hand["special"]["If"] and measured["If"]["verdict"] == "builtins"


def float64_tests(entry):
    """Whether every node test of the entry that needed Select TF ops is on float64 tensors, which TFLite's
    arithmetic builtins do not take: that says nothing of the operator's float32 form."""
    import onnx
    root = pathlib.Path(onnx.__file__).parent / "backend/test/data/node"
    flex = [t for t, o in entry.get("others", {}).items() if isinstance(o, str) and o.startswith("flex")]
    return bool(flex) and all(
        onnx.TensorProto.DOUBLE in [i.type.tensor_type.elem_type for i in onnx.load(str(root / t.split(":")[0] / "model.onnx")).graph.input]
        for t in flex)


def test_every_lowering_in_the_table_is_one_onnx2tf_converts():
    """A lowering where every node test needed Select TF ops passes a model `convert` then refuses — unless those
    tests are float64 (ReduceLogSumExp's), and the table says where its float32 lowering was measured."""
    hand, measured = tables()
    flex = [op for op, v in hand["operators"].items() if v is not None and measured.get(op, {}).get("verdict") == "flex"]
    float64 = [op for op in flex if float64_tests(measured[op])]
    assert [op for op in flex if op not in float64] == [], flex
    for op in float64:
        assert "float64" in hand["special"].get(op, ""), op


def test_the_table_says_why_wherever_its_builtins_are_not_the_measured_ones():
    hand, measured = tables()
    unexplained = []
    for op, v in hand["operators"].items():
        m = measured.get(op, {})
        if v is None or m.get("verdict") != "builtins":
            continue
        if collections.Counter(v) != collections.Counter(m["builtins"]) and op not in hand["special"]:
            unexplained.append(f"{op}: table {v}, measured {m['builtins']} ({m['test']})")
    assert unexplained == [], unexplained


def test_the_measured_record_covers_the_operators_of_the_table_and_names_its_tests():
    hand, measured = tables()
    assert set(hand["operators"]) <= set(measured) | {"Constant"}
    for op, e in measured.items():
        assert e["verdict"] in ("builtins", "flex", "none", "fails"), op
        assert (e["builtins"] is not None) == (e["verdict"] == "builtins") == (e["test"] is not None), op
    # The operators whose refusal this record overturned convert to builtins.
    assert measured["Mod"]["builtins"] == ["FLOOR_MOD"]
    assert "SCATTER_ND" in measured["ScatterND"]["builtins"] and "WHERE" in measured["NonZero"]["builtins"]
    assert measured["Erf"]["verdict"] == "flex" and measured["Softsign"]["verdict"] == "flex"
    # TensorFlow's converter has neither a builtin nor a Select TF op for these ("is neither a custom op nor a flex op").
    assert all(measured[op]["verdict"] == "none" for op in ("Acos", "Acosh", "Asin", "Asinh", "Atanh"))


@pytest.mark.skipif(not os.path.exists(CONVERT_PYTHON), reason=f"no onnx2tf environment at {CONVERT_PYTHON} (make venv-convert)")
def test_a_sample_of_the_record_is_what_the_installed_onnx2tf_does():
    """Re-derived: an operator the record overturned (Mod), one with no builtin (Softsign), a lowering the
    table writes out by attribute (TopK: a CAST of the indices, a NEG pair for the smallest), and Elu (ELU at alpha
    1 only). The whole derivation takes ~10 minutes (run it by hand after changing onnx2tf's pin)."""
    r = subprocess.run([CONVERT_PYTHON, str(REPO / "scripts/catalogue/derive_onnx_lowering.py"), "--check",
                        "--ops", "Mod,Softsign,TopK,Elu"], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]


def test_an_operator_of_no_table_is_said_not_passed(run, tmp_path):
    """Compress: not in the hand table, and onnx2tf failed on every node test of it (what it writes is unknown). `check`
    for LiteRT says so (SW4020, information) instead of passing the model in silence."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    hand, measured = tables()
    assert "Compress" not in hand["operators"] and measured["Compress"]["verdict"] == "fails"
    g = helper.make_graph([helper.make_node("Compress", ["x", "keep"], ["y"], name="pick", axis=0)], "c",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array([True, False, True, False]), "keep")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(tmp_path / "m.onnx"))
    manifest = tmp_path / "m.slipway.yaml"
    manifest.write_text("slipway: 1\nname: c\nmodel: {path: m.onnx}\ntargets:\n  t: {runtime: litert}\n")
    # (SW4017 says the analysis stops at its data-dependent output.)
    found = json.loads(run("check", str(manifest), "--format", "json").stdout)
    assert [d for d in found if d["severity"] != "information"] == [], found
    said = [d for d in found if d["code"] == "SW4020"]
    assert len(said) == 1, found
    assert said[0]["message"] == ("target 't': 1 of 1 operators were not checked, not in the catalogue's ONNX-to-TFLite "
                                  "table: Compress; the model is not taken as running whole there")
