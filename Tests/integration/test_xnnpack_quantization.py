"""The XNNPACK delegate's quantization-parameter checks (derived from LiteRT's xnnpack_delegate.cc by
scripts/catalogue/derive_xnnpack.py: `per_tensor_quantization`, `quantized_dimension`, `scale_ratio`,
`same_quantization_as_output`, `same_quantized_output_type`, `zero_point_zero`, and the element types of
`same_tensor_types` with their dynamically quantized exceptions) against the delegate ai-edge-litert
applies by default, counted from the runtime's own log line

    VERBOSE: Replacing N out of M node(s) with delegate (TfLiteXNNPackDelegate) node, yielding P partitions for subgraph 0

TFLite logs it at VERBOSE (tflite/core/subgraph.cc), and a release build's minimum severity is INFO
(tflite/minimal_logging_default.cc) with no setter the wheel exports, so the probe lowers
`MinimalLogger::minimum_log_severity_` (a local symbol of libpywrap_litert_common.so, found with nm) to VERBOSE in its
own process before loading the model.

On the fixtures of scripts/catalogue/make_xnnpack_quantization_fixtures.py (one int8 model, and copies that each
break one rule by editing quantization parameters) Slipway names exactly the nodes the runtime leaves to the builtin
kernels, citing the rule; on the corpus's TFLite models its count of delegated nodes is the runtime's N.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from test_xnnpack_delegation import corpus_models, delegated_nodes

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures" / "xnnpack-quantization"

PROBE = r"""
import ctypes, pathlib, subprocess, sys
import ai_edge_litert
from ai_edge_litert.interpreter import Interpreter
lib = pathlib.Path(ai_edge_litert.__file__).parent / "libpywrap_litert_common.so"
sym = "_ZN6tflite16logging_internal13MinimalLogger21minimum_log_severity_E"
nm = subprocess.run(["nm", str(lib)], capture_output=True, text=True, check=True).stdout.splitlines()
offset = [int(l.split()[0], 16) for l in nm if l.endswith(" " + sym)]
base = [int(l.split("-")[0], 16) for l in open("/proc/self/maps")
        if l.rstrip().endswith(str(lib)) and l.split()[2] == "00000000"]
if len(offset) != 1 or len(base) != 1:
    sys.exit(f"cannot find {sym} in {lib}")
ctypes.c_int.from_address(base[0] + offset[0]).value = 0  # TFLITE_LOG_VERBOSE
it = Interpreter(model_path=sys.argv[1])
it.allocate_tensors()
print(sum(1 for o in it._get_ops_details() if o["op_name"] != "DELEGATE"))
"""

REPLACING = re.compile(r"Replacing (\d+) out of (\d+) node\(s\) with delegate \(TfLiteXNNPackDelegate\) node, "
                       r"yielding \d+ partitions for subgraph 0 ")


def runtime_replaced(model):
    """(nodes the XNNPACK delegate replaced in the main subgraph, nodes in it), from the runtime's log."""
    r = subprocess.run([sys.executable, "-c", PROBE, str(model)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    nodes = int(r.stdout.split()[-1])
    m = REPLACING.search(r.stderr)
    if m is None:  # the delegate took nothing: TFLite logs no replacement
        return 0, nodes
    assert int(m.group(2)) == nodes, r.stderr
    return int(m.group(1)), nodes


def slipway_row(run, tmp_path, model):
    shutil.copy(model, tmp_path / "m.tflite")
    (tmp_path / "m.slipway.yaml").write_text(
        "slipway: 1\nname: x\nmodel:\n  path: m.tflite\n"
        "targets:\n  cpu: {runtime: litert, delegate: xnnpack, format: tflite}\n")
    r = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", "--no-cache")
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)["targets"][0]


# fixture -> {node: (operator, the check Slipway cites)}: what each edit makes XNNPACK refuse.
EXPECTED = {
    "base": {},
    "conv_filter_dimension": {0: ("CONV_2D", "xnnpack.input1-channel-dimension-0.conv2d")},
    "dequantize_per_channel": {5: ("FULLY_CONNECTED", "xnnpack.output0-per-tensor.floatorquint8"),
                               6: ("DEQUANTIZE", "xnnpack.input0-per-tensor.qint8orquint8")},
    "add_scale_ratio": {1: ("ADD", "xnnpack.scale-ratio-0.add")},
    "mul_scale_ratio": {2: ("MUL", "xnnpack.scale-ratio-0-1.mul"),
                        3: ("LEAKY_RELU", "xnnpack.scale-ratio-0.leaky_relu")},
    "leaky_relu_scale_ratio": {3: ("LEAKY_RELU", "xnnpack.scale-ratio-0.leaky_relu"),
                               4: ("RESHAPE", "xnnpack.same-quantization-as-output.reshape")},
    "reshape_output_scale": {4: ("RESHAPE", "xnnpack.same-quantization-as-output.reshape")},
    "leaky_relu_alpha_zero": {3: ("LEAKY_RELU", "xnnpack.normal-alpha.leaky_relu")},
    "leaky_relu_negative_scale": {3: ("LEAKY_RELU", "xnnpack.scale-ratio-0-alpha.leaky_relu")},
    # Float activations with int8 weights: CONV_2D and FULLY_CONNECTED are dynamically quantized, DEPTHWISE_CONV_2D
    # is refused for its mixed types.
    "hybrid_convolutions": {1: ("DEPTHWISE_CONV_2D", "xnnpack.same-types-0-1")},
    # One BATCH_MATMUL by a constant: full-integer (as TensorFlow's converter writes it, and edited) ...
    "bmm_converted": {0: ("BATCH_MATMUL", "xnnpack.input1-zero-point")},
    "bmm_base": {},
    "bmm_channel_last": {0: ("BATCH_MATMUL", "xnnpack.same-datatypes-0-1.batchmatmul")},
    "bmm_channel_wrong": {0: ("BATCH_MATMUL", "xnnpack.same-datatypes-0-1.batchmatmul")},
    "bmm_adj_y_channel_wrong": {0: ("BATCH_MATMUL", "xnnpack.same-datatypes-0-1.batchmatmul")},
    # ... and with float activations and int8 weights, per channel along the dimension adj_y picks or another.
    "bmm_hybrid": {},
    "bmm_hybrid_channel_last": {},
    "bmm_hybrid_channel_wrong": {0: ("BATCH_MATMUL", "xnnpack.input1-channel-dimension-adj_y-0.batchmatmul")},
    "bmm_hybrid_adj_y_channel_right": {},
    "bmm_hybrid_adj_y_channel_wrong": {0: ("BATCH_MATMUL", "xnnpack.input1-channel-dimension-adj_y-1.batchmatmul")},
}


def test_every_fixture_has_its_expectation():
    assert sorted(p.stem for p in FIXTURES.glob("*.tflite")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_refusals_match_the_runtime(run, tmp_path, name):
    model = FIXTURES / f"{name}.tflite"
    replaced, nodes = runtime_replaced(model)
    owner, originals = delegated_nodes(model)
    row = slipway_row(run, tmp_path, model)
    named = {x["node"]: (x["operator"], x["check"]) for x in row["refused_nodes"]}
    assert named == EXPECTED[name]
    # The runtime leaves exactly those nodes to the builtin kernels, and replaces the rest.
    assert {o["index"] for o in originals if o["index"] not in owner} == set(EXPECTED[name])
    assert nodes == len(originals) == {"dequantize_per_channel": 7, "hybrid_convolutions": 4}.get(name, 1 if name.startswith("bmm") else 6)
    assert replaced == nodes - len(row["cpu_nodes"]) == nodes - len(EXPECTED[name])


def test_a_refusal_names_the_parameters_and_cites_the_source_line(run, tmp_path):
    row = slipway_row(run, tmp_path, FIXTURES / "add_scale_ratio.tflite")
    (refusal,) = row["refused_nodes"]
    assert re.search(r"\(input 0 scale 0\.1815\d* / output scale 0\.000644\d* is 281\.4\d*\)$", refusal["reason"]), refusal
    r = run("check", str(tmp_path / "m.slipway.yaml"))
    out = r.stdout.decode() + r.stderr.decode()
    assert "info[SW4016]: target 'cpu': 1 node falls outside the constraint" in out
    assert "xnnpack_delegate.cc:4459 (VisitBinaryNode)" in out
    assert "LiteRT/blob/f67457790c9c2ab67347d6fe53270e8d3df20868/tflite/delegates/xnnpack/xnnpack_delegate.cc" in out


@pytest.mark.parametrize("name,replaced", [("attention_int8", 7), ("attention_hybrid", None)])
def test_committed_int8_models_delegated_counts_match_the_runtime(run, tmp_path, name, replaced):
    """attention_int8: its two BATCH_MATMULs have a right-hand side with zero point -128 (statically quantized),
    refused for it; attention_hybrid's int8 weights beside float32 activations are dynamically quantized, and pass."""
    model = REPO / "Tests" / "Fixtures" / "catalogue" / f"{name}.tflite"
    by_runtime, nodes = runtime_replaced(model)
    row = slipway_row(run, tmp_path, model)
    assert nodes - len(row["cpu_nodes"]) == by_runtime
    if replaced is not None:
        assert by_runtime == replaced
        assert [x["check"] for x in row["refused_nodes"] if x["operator"] == "BATCH_MATMUL"] == ["xnnpack.input1-zero-point"] * 2


def test_corpus_delegated_counts_match_the_runtime(run, tmp_path):
    """No false fallback: on every corpus TFLite model the runtime loads, Slipway's count of nodes XNNPACK takes is
    the count the runtime logs."""
    models = corpus_models()
    if not models:
        pytest.skip("no corpus TFLite models (make corpus, or set SLIPWAY_CORPUS_DIR)")
    report = []
    for i, model in enumerate(models):
        owner, _ = delegated_nodes(model)
        if owner is None:
            continue
        replaced, nodes = runtime_replaced(model)
        d = tmp_path / str(i)
        d.mkdir()
        row = slipway_row(run, d, model)
        assert nodes - len(row["cpu_nodes"]) == replaced, (model.name, row["refused_nodes"])
        report.append(f"{model.name}: {replaced} of {nodes} nodes delegated (runtime log and Slipway)")
    assert report
    print("\n".join(report))
