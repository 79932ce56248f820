"""The ExecuTorch runtime is derived from its sources: scripts/catalogue/derive_executorch.py parses the committed
excerpts (Tests/Fixtures/catalogue/executorch, pytorch/executorch at the tags revisions.json names, and each
release's PyPI metadata) into exactly the committed catalogue entries."""
import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "catalogue"))
import derive_executorch as de  # noqa: E402

EXCERPTS = REPO / "Tests" / "Fixtures" / "catalogue" / "executorch"


def derived():
    return de.derive(de.Excerpts(str(EXCERPTS)))


def test_the_committed_catalogue_is_the_derivation_of_the_committed_excerpts():
    r = subprocess.run([sys.executable, str(REPO / "scripts/catalogue/derive_executorch.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_each_release_records_its_torch_and_the_program_format_it_writes():
    runtime, _, _, _ = derived()
    rows = {v["version"]: v for v in runtime["versions"]}
    assert list(rows)[0] == "1.4.1" and list(rows)[-1] == "0.2.0"
    assert rows["1.4.1"]["torch"] == ">=2.13.0a0"
    assert rows["1.4.1"]["revision"] == "pytorch/executorch@e4d02f41f7909e8ed5bf4a14ffc520d733453d9f"
    assert rows["0.4.0"]["torch"] == "==2.5.0"
    assert rows["0.7.0"]["torch"] == "<2.9.0,>=2.8.0"
    assert {v["program_format"] for v in rows.values()} == {"pte ET12"}
    assert "1.3.0" not in rows  # tagged, never published on PyPI


def test_the_xnnpack_set_is_the_partitioners_configs_with_their_precisions():
    _, op_set, _, _ = derived()
    assert op_set["model_format"] == "aten"
    ops = op_set["operators"]
    assert len(ops) == 52
    for op in ("convolution.default", "linear.default", "mean.dim", "_native_batch_norm_legit_no_training.default",
               "add.Tensor", "view_copy.default", "quantize_per_tensor.default"):
        assert op in ops
    assert "elu.default" not in ops  # EluConfig is commented out of ALL_PARTITIONER_CONFIGS
    p = op_set["precisions"]
    assert p["linear.default"] == ["dynamic_quant", "fp32", "static_quant"]
    assert p["_native_batch_norm_legit_no_training.default"] == ["fp32"]
    assert p["add.Tensor"] == ["fp32", "static_quant"]
    assert p["quantize_affine.default"] == ["dynamic_quant"]


def test_the_quantizer_forms_are_int8_symmetric_weights_with_int8_affine_activations():
    runtime, _, _, _ = derived()
    forms = {f["id"]: f for f in runtime["quantization_forms"]}
    static, dynamic = forms["xnnpack.static-int8"], forms["xnnpack.dynamic-int8"]
    assert (static["weights"], static["activations"], static["symmetric"]) == ("int8", "int8", True)
    assert static["granularity"] == ["per-channel", "per-tensor"]
    assert static["weight_range"] == [-127, 127] and static["activation_range"] == [-128, 127]
    assert static["activation_scheme"] == "per_tensor_affine"
    assert dynamic["activations"] == "dynamic"


def test_the_other_backends_are_listed_with_their_documented_hardware_and_no_operator_table():
    runtime, _, _, skipped = derived()
    d = {x["name"]: x for x in runtime["delegates"]}
    assert d["xnnpack"]["operators"] == "executorch-xnnpack" and d["xnnpack"]["partitioning"] == "per_node"
    assert (d["coreml"]["processor"], d["mps"]["processor"], d["vulkan"]["processor"]) == ("npu", "gpu", "gpu")
    assert d["qnn"]["processor"] == "npu" and d["ethos-u"]["processor"] == "npu"
    assert all("operators" not in x for n, x in d.items() if n != "xnnpack")
    assert skipped == ["Cadence (DSP)"]
