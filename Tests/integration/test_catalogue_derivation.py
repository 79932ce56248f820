"""Operator sets derived from the tables their projects publish: the derivation scripts re-run on the committed copies
of those tables (Tests/Fixtures/catalogue/<repository>, each with what revisions.json says of it), and the catalogue
must be exactly what they derive, each source recording the revision it was read at. The parsers are strict: a row
that reads as no operator is an error, never skipped.
"""
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "catalogue"
FIXTURES = REPO / "Tests" / "Fixtures" / "catalogue"
sys.path.insert(0, str(SCRIPTS))
import derive_ort_eps  # noqa: E402
import derive_tensorrt  # noqa: E402
import source_tables  # noqa: E402

QNN_DOC = "docs/execution_providers/QNN-ExecutionProvider.md"


def run(script, *args):
    return subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True, cwd=SCRIPTS)


def sources():
    return json.loads((REPO / "Schemas" / "targets" / "sources.json").read_text())["sources"]


def operator_set(sid):
    sets = json.loads((REPO / "Schemas" / "targets" / "operators.json").read_text())["operator_sets"]
    return next(s for s in sets if s["id"] == sid)


def ort_fixtures():
    return {key: source_tables.open_source(str(FIXTURES / key), repo)
            for key, repo in derive_ort_eps.REPOSITORIES.items()}


def test_the_onnxruntime_ep_operator_lists_are_derived_from_their_tables():
    """Core ML (NeuralNetwork, ML Program) and NNAPI from onnxruntime's tables, QNN from onnxruntime-qnn's page: the
    catalogue is exactly what the committed copies derive."""
    r = run("derive_ort_eps.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    derived = derive_ort_eps.derive(ort_fixtures(), derive_ort_eps.onnx_names())
    nnapi, mlprogram, nn = derived["ort-nnapi"][0], derived["ort-coreml-mlprogram"][0], derived["ort-coreml-neuralnetwork"][0]
    assert len(nnapi) == 52 and "com.microsoft:QLinearSigmoid" in nnapi and "QLinearConv" in nnapi
    # The tables' own spellings mapped to ONNX's: `ai.onnx:Argmax` (ML Program), `ai.onnx.ReduceSum` (NeuralNetwork).
    assert "ArgMax" in mlprogram and "Argmax" not in mlprogram and len(mlprogram) == 48
    assert "ReduceSum" in nn and len(nn) == 36
    # A note is the operator's constraint, its <br/> breaks joined.
    assert derived["ort-coreml-neuralnetwork"][1]["Conv"] == \
        "Only 1D/2D Conv is supported. Weights and bias should be constant."
    assert "Abs" not in derived["ort-nnapi"][1]
    for sid in ("ort-coreml-neuralnetwork", "ort-coreml-mlprogram", "ort-nnapi"):
        assert operator_set(sid)["operators"] == derived[sid][0]
        assert operator_set(sid)["constraints"] == derived[sid][1]


def test_the_cuda_ep_set_is_its_registered_kernels_with_their_opsets():
    """ONNX Runtime's CUDA execution provider: the operators of its section of OperatorKernels.md (generated from the
    kernels it registers), in three domains, each with the opsets its kernels cover, contiguous ranges merged; the
    element types its rows name."""
    derived = derive_ort_eps.derive(ort_fixtures(), derive_ort_eps.onnx_names())
    ops, notes, (revision, url), elsewhere, opsets, types, checks = derived["ort-cuda"]
    assert len(ops) == 225 and notes == {} and elsewhere == {}
    assert revision == "microsoft/onnxruntime@001d12d2623fd411ce0f83d05abb5e82304a3389"
    assert url.endswith("/001d12d2623fd411ce0f83d05abb5e82304a3389/docs/OperatorKernels.md")
    assert len([o for o in ops if ":" not in o]) == 147
    assert len([o for o in ops if o.startswith("com.microsoft:")]) == 67
    assert len([o for o in ops if o.startswith("com.ms.internal.nhwc:")]) == 11
    # Relu's kernels: [6, 12], 13 and 14+, one range; Upsample's stop at 9, Scatter's at 10, where ONNX deprecated them.
    assert opsets["Relu"] == [[6, None]] and opsets["Conv"] == [[1, None]] and opsets["LSTM"] == [[7, None]]
    assert {k: v for k, v in opsets.items() if v[-1][1] is not None or len(v) > 1} == {
        "Upsample": [[7, 9]], "Scatter": [[9, 10]]}
    assert {"com.microsoft:FusedConv", "com.microsoft:QOrderedAttention", "Resize", "If", "Loop"} <= set(ops)
    # No CUDA kernel: a detector's NonMaxSuppression runs on the CPU provider.
    assert "NonMaxSuppression" not in ops and "StringNormalizer" not in ops
    assert {"float32", "float16", "bfloat16", "int8", "uint8"} <= set(types)
    s = operator_set("ort-cuda")
    assert s["operators"] == ops and s["opsets"] == opsets and s["tensor_types"] == types and s["checks"] == checks
    # Each input's types, over every opset row: Where's condition is bool, its data no bool or int8; Abs takes every
    # integer type at 13+ and int16 from [6, 12] too; QuantizeLinear's forms agree on x only (T1), so its scale and
    # zero point (T1 or T2 by form) are not read.
    by = {(op, c["input"]): c["values"] for c in checks for op in c["operators"]}
    assert by[("Where", 0)] == ["bool"]
    assert by[("Where", 1)] == ["bfloat16", "float16", "float32", "float64", "int32", "int64", "uint8"]
    assert by[("QuantizeLinear", 0)] == ["float16", "float32"]
    assert ("QuantizeLinear", 1) not in by and ("QuantizeLinear", 2) not in by
    where = next(c for c in checks if "Where" in c["operators"] and c["input"] == 1)
    assert where["text"] == "ONNX Runtime's CUDA kernels take input 1 as bfloat16, float16, float32, float64, int32, int64, uint8 only"
    assert where["kind"] == "tensor_types" and where["source"]["id"] == "ort-cuda-kernels"


def test_the_qnn_htp_set_is_the_table_less_the_rows_on_other_backends_only():
    derived = derive_ort_eps.derive(ort_fixtures(), derive_ort_eps.onnx_names())
    ops, notes, _, elsewhere = derived["ort-qnn"][:4]
    assert len(ops) == 132
    assert elsewhere == {"IsInf": "CPU", "com.microsoft:GatherBlockQuantized": "GPU",
                         "com.microsoft:GroupQueryAttention": "GPU"}
    # "HTP backend only" rows stay: the set is HTP's.
    assert "RotaryEmbedding" in ops and "com.microsoft:RotaryEmbedding" in ops
    assert {"LpPool", "OneHot", "Range", "NonMaxSuppression", "com.microsoft:MatMulNBits"} <= set(ops)
    assert notes["LpPool"] == "p=1 or p=2 only; rank-5 (3D pooling) requires GPU backend or HTP with bf16_mode=1"
    s = operator_set("ort-qnn")
    assert s["operators"] == ops and s["constraints"] == notes
    # Its hand-written checks stay as they were, each stating what the table's note says.
    assert [c["id"] for c in s["checks"]] == [
        "qnn.lp-normalization", "qnn.lp-pool", "qnn.one-hot", "qnn.range", "qnn.nms-constants", "qnn.nms-corners",
        "qnn.gru-layout", "qnn.gru-parts", "qnn.gather-indices",
        "qnn.qlinear-matmul-a-per-tensor", "qnn.qlinear-matmul-b-per-tensor", "qnn.qlinear-matmul-y-per-tensor",
        "qnn.qlinear-matmul-a-scale-type", "qnn.qlinear-matmul-b-scale-type", "qnn.qlinear-matmul-y-scale-type",
        "qnn.qlinear-matmul-a-type", "qnn.qlinear-matmul-b-type", "qnn.qlinear-matmul-y-type",
        "qnn.conv-3d", "qnn.batch-norm-fp16", "qnn.clip-fp16", "qnn.prelu-fp16-int32",
        "qnn.resize-tf-half-pixel-mode", "qnn.resize-tf-half-pixel-nearest-mode", "qnn.resize-tf-half-pixel-rank",
        "qnn.nms-max-boxes", "qnn.one-hot-indices", "qnn.shape-slice", "qnn.if-single-output",
        "qnn.if-branch-outputs", "qnn.matmul-htp-types"]
    # The sentences of a checked note that no check evaluates, each a part of the note (the loader refuses others).
    assert s["unchecked"] == {"GRU": "default activations (sigmoid/tanh)",
                              "LpPool": "rank-5 (3D pooling) requires GPU backend or HTP with bf16_mode=1"}
    assert all(part in notes[op] for op, part in s["unchecked"].items())
    # "since 1.18.0": checks of the releases before it only.
    assert {c["id"] for c in s["checks"] if c.get("before") == "1.18.0"} == {
        "qnn.conv-3d", "qnn.batch-norm-fp16", "qnn.clip-fp16", "qnn.prelu-fp16-int32"}
    # Each rests on its operator's note; the notes no check covers are SW4020's.
    for c in s["checks"]:
        assert all(op in notes for op in c["operators"]), c["id"]
    assert notes["GRU"].startswith("layout=0 (batch-first) only; fixed-length sequences;") and "no clip" in notes["GRU"]
    assert notes["Gather"] == "Only supports positive indices"
    # Resize's note binds one transformation mode: its checks hold only when the node has it.
    assert {c["id"] for c in s["checks"] if c.get("when")} == {
        "qnn.resize-tf-half-pixel-mode", "qnn.resize-tf-half-pixel-nearest-mode", "qnn.resize-tf-half-pixel-rank"}
    assert notes["Resize"].startswith("tf_half_pixel_for_nn coordinate_transformation_mode: only mode")


def test_each_derived_ort_source_records_the_revision_it_was_read_at():
    src = sources()
    for sid in ("ort-coreml-nn-ops", "ort-coreml-mlprogram-ops", "ort-nnapi-ops"):
        s = src[sid]
        assert s["derived_by"] == "scripts/catalogue/derive_ort_eps.py"
        commit = s["revision"].split("@")[1].split(" ")[0]
        assert len(commit) == 40 and commit in s["url"], s
    # QNN's table came from a code index that names no commit: the branch, the date and the digest of the text read.
    qnn = src["ort-qnn-doc"]
    assert qnn["derived_by"] == "scripts/catalogue/derive_ort_eps.py"
    assert qnn["revision"] == "onnxruntime/onnxruntime-qnn main (read 2026-12-04; commit unknown, sha256 c9c86facb62a2d79…)"
    assert qnn["url"].endswith("/blob/main/" + QNN_DOC)


def test_a_row_that_reads_as_no_operator_is_an_error(tmp_path):
    copy = tmp_path / "onnxruntime-qnn"
    shutil.copytree(FIXTURES / "onnxruntime-qnn", copy)
    doc = copy / QNN_DOC
    text = doc.read_text()
    meta = json.loads((copy / "revisions.json").read_text())

    def with_row(row):
        changed = text.replace("|com.microsoft:SimplifiedLayerNormalization||\n",
                               f"|com.microsoft:SimplifiedLayerNormalization||\n{row}\n")
        doc.write_text(changed)
        meta["files"][QNN_DOC]["sha256"] = hashlib.sha256(changed.encode()).hexdigest()
        (copy / "revisions.json").write_text(json.dumps(meta))
        return derive_ort_eps.table(source_tables.open_source(str(copy), "onnxruntime/onnxruntime-qnn").read(QNN_DOC),
                                    "## Supported ONNX operators", derive_ort_eps.onnx_names())

    # ai.onnx.ml is a domain of its own, not ai.onnx's `ml`.
    assert with_row("|ai.onnx.ml:ArrayFeatureExtractor|Decomposed to Gather|")["ai.onnx.ml:ArrayFeatureExtractor"] == \
        "Decomposed to Gather"
    with pytest.raises(source_tables.TableError, match="Attention"):
        with_row("|Attention|new|")


def test_a_copy_whose_text_is_not_the_one_read_is_refused(tmp_path):
    copy = tmp_path / "onnxruntime-qnn"
    shutil.copytree(FIXTURES / "onnxruntime-qnn", copy)
    doc = copy / QNN_DOC
    doc.write_text(doc.read_text().replace("|ai.onnx:Xor||\n", ""))
    with pytest.raises(source_tables.TableError, match="sha256"):
        source_tables.open_source(str(copy), "onnxruntime/onnxruntime-qnn").read(QNN_DOC)
def test_the_tensorrt_set_lists_what_onnx_tensorrts_matrix_marks_y():
    r = run("derive_tensorrt.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    source = source_tables.open_source(str(FIXTURES / "onnx-tensorrt"), "onnx/onnx-tensorrt")
    supported, excluded, restrictions, section, types = derive_tensorrt.matrix(source.read("docs/operators.md"))
    assert len(excluded) == 42 and {"Unique", "ConvInteger", "DynamicQuantizeLinear", "SequenceAt"} <= set(excluded)
    assert len(supported) == 158 and not set(supported) & set(excluded)
    # Supported in TensorRT 10.15, unlike older releases' matrices.
    assert {"IsInf", "Mod", "OneHot", "NonZero", "LayerNormalization", "Hardmax"} <= set(supported)
    # Swish (opset 24) has no row: the set lists what is marked Y, so it is not taken for supported.
    assert "Swish" not in supported and "HardSwish" in supported
    assert section == "Operator Support Matrix (TensorRT 10.15, opset 9 to 24): the operators marked Y"
    assert restrictions["TopK"] == "`sorted` must be 1. `K` input must be less than 3840."
    assert restrictions["Resize"].startswith("Supported resize transformation modes: ") and "<br" not in restrictions["Resize"]
    assert "Abs" not in restrictions and "DynamicQuantizeLinear" not in restrictions  # no note; marked N
    s = operator_set("tensorrt-onnx")
    assert "excluded_operators" not in s
    assert s["operators"] == supported and s["constraints"] == restrictions and s["source"]["section"] == section
    # The checks are the derivation's: none the matrix no longer states (TopK's K is a tensor now); LpPool's 2-D/3-D
    # limit, which the matrix lacks, cites the importer; the pools' 1-D expansion, which the matrix omits, too.
    checks = {c["id"]: c for c in s["checks"]}
    text = source.read("docs/operators.md")
    assert s["checks"] == derive_tensorrt.checks(restrictions, types, text)
    assert "tensorrt.k-constant" not in checks
    assert checks["tensorrt.lp-pool"]["source"]["id"] == "onnx-tensorrt-importers"
    assert checks["tensorrt.pool"]["operators"] == ["AveragePool", "MaxPool"]
    assert (checks["tensorrt.pool"]["min"], checks["tensorrt.pool"]["max"]) == (3, 5)
    assert checks["tensorrt.pool"]["source"]["id"] == "onnx-tensorrt-pooling"
    assert checks["tensorrt.qdq-zero-point"]["kind"] == "zero_values" and checks["tensorrt.qdq-zero-point"]["inputs"] == [2]
    assert checks["tensorrt.onehot-depth"]["kind"] == "constant_inputs"
    assert {"tensorrt.dropout-constant", "tensorrt.dropout-inference", "tensorrt.lstm-layout",
            "tensorrt.lstm-input-forget"} <= set(checks)
    # DequantizeLinear's Supported Types, on its quantized input and on its zero point (a uint8 pair is refused).
    assert types["DequantizeLinear"] == ["INT8", "FP8", "FP4", "INT4"]
    for i, id in ((0, "tensorrt.dequantize-types"), (2, "tensorrt.dequantize-zero-point-types")):
        assert checks[id]["kind"] == "tensor_types" and checks[id]["input"] == i
        assert checks[id]["values"] == ["int8", "float8e4m3fn", "float4e2m1", "int4"]
    # QuantizeLinear: its float input by its Supported Types; its zero point (the quantized output's type) by the
    # notes' Quantized Types, so a uint8 QuantizeLinear is refused whether a DequantizeLinear follows it or not.
    assert types["QuantizeLinear"] == ["FP32", "FP16", "BF16"]
    assert checks["tensorrt.quantize-input-types"]["values"] == ["float32", "float16", "bfloat16"]
    assert checks["tensorrt.quantize-zero-point-types"]["input"] == 2
    assert checks["tensorrt.quantize-zero-point-types"]["values"] == ["int8", "int4", "float8e4m3fn", "float4e2m1"]
    # Resize's lists are read from its restrictions' sentences, not copied.
    assert checks["tensorrt.resize-coordinate-transformation"]["values"] == [
        "half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "asymmetric", "align_corners"]
    assert checks["tensorrt.resize-aspect-ratio"]["values"] == ["stretch"]
    assert checks["tensorrt.topk-k"] == {"id": "tensorrt.topk-k", "operators": ["TopK"], "kind": "value_range",
                                         "inputs": [1], "max": 3839, "text": "K input must be less than 3840"}
    # Loop's two sentences and the dimensions static when the engine is built (EyeLike, Hardmax) are checks; what
    # stays SW4020 is a seed TensorRT ignores (no restriction on the file).
    covered = {op for c in s["checks"] for op in c["operators"]}
    assert sorted(set(restrictions) - covered) == ["RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"]
    assert [checks[i]["kind"] for i in ("tensorrt.loop-scan-length", "tensorrt.loop-carried-shapes",
                                        "tensorrt.eyelike-static", "tensorrt.hardmax-static")] == [
        "loop_scan_length", "loop_carried_shapes", "static_dimensions", "static_dimensions"]
    # And the sentences of a checked operator's restrictions no check rests on, derived the same way.
    assert s["unchecked"] == derive_tensorrt.unchecked(restrictions, s["checks"]) == {
        "Attention": "`q_num_heads` and `kv_num_heads` attributes are supported via being specified as the second "
                     "dimension of `Q` and `K`/`V`'s shapes respectively.",
        "STFT": "Input must be real-valued."}


def test_a_tensorrt_check_whose_restriction_the_matrix_drops_fails_the_derivation():
    source = source_tables.open_source(str(FIXTURES / "onnx-tensorrt"), "onnx/onnx-tensorrt")
    text = source.read("docs/operators.md")
    _, _, restrictions, _, types = derive_tensorrt.matrix(text)
    with pytest.raises(source_tables.TableError, match="tensorrt.onehot-depth"):
        derive_tensorrt.checks({**restrictions, "OneHot": "`depth` may be a tensor"}, types, text)
    with pytest.raises(source_tables.TableError, match="DequantizeLinear has no Supported Types"):
        derive_tensorrt.checks(restrictions, {k: v for k, v in types.items() if k != "DequantizeLinear"}, text)
    with pytest.raises(source_tables.TableError, match="Supported nearest modes"):
        derive_tensorrt.checks({**restrictions, "Resize": "Supported resize transformation modes: `half_pixel`. "
                                "Supported resize modes: `nearest`, `linear`. When `scales` is a tensor input, `axes` must be "
                                "an iota vector of length rank(input). Antialiasing is not supported."}, types, text)
    with pytest.raises(source_tables.TableError, match="Quantized Types"):
        derive_tensorrt.checks(restrictions, types, text.replace("are treated as `Quantized Types`", "are types"))
    src = sources()["onnx-tensorrt-ops"]
    assert src["derived_by"] == "scripts/catalogue/derive_tensorrt.py"
    assert src["revision"] == "onnx/onnx-tensorrt@fa5aa9f61e7781d2ca8f5351d42c1f19525a6124"
    assert src["url"] == "https://github.com/onnx/onnx-tensorrt/blob/fa5aa9f61e7781d2ca8f5351d42c1f19525a6124/docs/operators.md"


OLD_MATRIX = """# Supported ONNX Operators

TensorRT 8.4 supports operators in the inclusive range of opset 9 to opset 17. More details below.

## Operator Support Matrix

| Operator                  | Supported  | Supported Types | Restrictions |
|---------------------------|------------|-----------------|--------------|
| Abs                       | Y          | FP32, FP16, INT32 |
| NonMaxSuppression         | Y [EXPERIMENTAL] | FP32, FP16 | Inputs `max_output_boxes_per_class` must be initializers.
| OneHot                    | N          |
| TopK                      | Y          | FP32, FP16 | `K` input must be an initializer
"""


def test_a_checkout_is_read_at_head_and_its_commit_recorded(tmp_path):
    repo = tmp_path / "onnx-tensorrt"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "operators.md").write_text(OLD_MATRIX)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_AUTHOR_DATE": "2022-06-01T00:00:00Z", "GIT_COMMITTER_DATE": "2022-06-01T00:00:00Z", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "matrix"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    source = source_tables.open_source(str(repo), "onnx/onnx-tensorrt")
    supported, excluded, restrictions, section, _ = derive_tensorrt.matrix(source.read("docs/operators.md"))
    assert supported == ["Abs", "NonMaxSuppression", "TopK"] and excluded == ["OneHot"] and section.startswith("Operator Support Matrix (TensorRT 8.4, opset 9 to 17)")
    assert restrictions == {"NonMaxSuppression": "Inputs `max_output_boxes_per_class` must be initializers.",
                            "TopK": "`K` input must be an initializer"}
    assert source_tables.cite(source, "docs/operators.md") == (
        f"onnx/onnx-tensorrt@{commit} (2022-06-01)", f"https://github.com/onnx/onnx-tensorrt/blob/{commit}/docs/operators.md")
    (repo / "docs" / "operators.md").write_text(OLD_MATRIX + "| Bad | maybe |\n")
    subprocess.run(["git", "commit", "-q", "-am", "bad"], cwd=repo, check=True, env=env)
    with pytest.raises(source_tables.TableError, match="Bad"):
        derive_tensorrt.matrix(source_tables.open_source(str(repo), "onnx/onnx-tensorrt").read("docs/operators.md"))


KERNEL = """
namespace tflite {
namespace {
constexpr int kInputTensor = 0;
constexpr int kPositions = 1;
constexpr int kMaxDims = RuntimeShape::kMaxSmallSize;
TfLiteStatus CheckShapes(TfLiteContext* context, TfLiteNode* node) {
  TfLiteTensor* output = micro_context->AllocateTempOutputTensor(node, 0);
  TF_LITE_ENSURE_MSG(context, (NumDimensions(output) >= 1), "a message, with (parentheses)");
  return kTfLiteOk;
}
TfLiteStatus GatherPrepare(TfLiteContext* context, TfLiteNode* node) {
  TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, kInputTensor);
  TfLiteTensor* coords = micro_context->AllocateTempInputTensor(node, kPositions);
  TF_LITE_ENSURE_OK(context, CheckShapes(context, node));
  const int rank = NumDimensions(input);
  TF_LITE_ENSURE(context, rank <= kMaxDims);
  switch (coords->type) {
    case kTfLiteInt32:
      break;
    default:
      MicroPrintf("Positions of type '%s' are not supported by gather.", TfLiteTypeGetName(coords->type));
      return kTfLiteError;
  }
  if (input->dims->size > 1) {
    // Under a condition: not a refusal of every call.
    TF_LITE_ENSURE_TYPES_EQ(context, input->type, kTfLiteFloat32);
    TF_LITE_ENSURE(context, IsConstantTensor(input));
  }
  TF_LITE_ENSURE_MSG(context, IsConstantTensor(coords), "Non-constant >positions< tensor is not supported");
  TF_LITE_ENSURE(context, input->type == kTfLiteFloat32 || input->type == kTfLiteInt8);
  if (coords->dims->size == 0) {
    return kTfLiteOk;
  }
  // After a return that is no failure: not a refusal of every call.
  TF_LITE_ENSURE_EQ(context, NumDimensions(coords), 1);
  return kTfLiteOk;
}
TfLiteStatus GatherEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteEvalTensor* input = tflite::micro::GetEvalInput(context, node, kInputTensor);
  TfLiteEvalTensor* output = tflite::micro::GetEvalOutput(context, node, 0);
  if (output->type == kTfLiteFloat32) {
    EvalFloat(context, node);
  } else if (output->type == kTfLiteInt8 || output->type == kTfLiteInt16) {
    EvalQuantized(context, node);
  } else {
    MicroPrintf("Type %s not supported.", TfLiteTypeGetName(output->type));
    return kTfLiteError;
  }
  if (input->type == kTfLiteInt16) {
    return EvalInt16(context, node);
  }
  // After an `if` on the same type: int16 is taken above, so this switch is no refusal of it.
  switch (input->type) {
    case kTfLiteFloat32:
      break;
    default:
      return kTfLiteError;
  }
  return kTfLiteOk;
}
}  // namespace
TFLMRegistration Register_GATHER() {
  return tflite::micro::RegisterOp(nullptr, GatherPrepare, GatherEval);
}
}  // namespace tflite
"""

RESOLVER = """
  TfLiteStatus AddGather(
      const TFLMRegistration& registration = tflite::Register_GATHER()) {
    return AddBuiltin(BuiltinOperator_GATHER, registration, ParseGather);
  }
"""


def test_tflite_micro_kernel_type_refusals_are_read_from_unconditional_statements_only(tmp_path):
    """derive_tflite.py's kernel_checks: a top-level switch on a tensor's type whose default returns kTfLiteError, a
    TF_LITE_ENSURE of `t->type ==` alternatives, and an if / else-if chain on an output's type whose last `else` fails
    refuse every other type; the same under an `if`, or after an `if` on that type, does not (it may take those types
    elsewhere). A TF_LITE_ENSURE(_MSG) on NumDimensions, directly, through a local or in a helper Prepare calls, bounds
    the rank (a bound named through RuntimeShape::kMaxSmallSize is read from its header); one after an early
    `return kTfLiteOk` does not. A top-level TF_LITE_ENSURE(_MSG) of IsConstantTensor refuses a run-time input."""
    import catalogue_json
    import derive_tflite
    repo = tmp_path / "tflite-micro"
    kernels = repo / "tensorflow/lite/micro/kernels"
    kernels.mkdir(parents=True)
    (kernels / "gather.cc").write_text(KERNEL)
    (kernels / "gather_test.cc").write_text("TFLMRegistration Register_GATHER() { return RegisterOp(nullptr, X, Y); }")
    (repo / "tensorflow/lite/micro/micro_mutable_op_resolver.h").write_text(RESOLVER)
    internal = repo / "tensorflow/lite/kernels/internal"
    (internal / "reference").mkdir(parents=True)
    (internal / "runtime_shape.h").write_text("class RuntimeShape {\n  static constexpr int kMaxSmallSize = 6;\n};\n")
    (internal / "reference/pad.h").write_text("constexpr int PadKernelMaxDimensionCount() { return 5; }\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "kernels"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    checkout = catalogue_json.Checkout(str(repo))
    checks = derive_tflite.kernel_checks(checkout, checkout.read(derive_tflite.RESOLVER))
    assert [(c["id"], c["operators"], c["input"], c.get("outputs"), c["values"]) for c in checks[:3]] == [
        ("tflm.kernel-input0-float32-int8", ["GATHER"], 0, None, ["float32", "int8"]),
        ("tflm.kernel-input1-int32", ["GATHER"], 1, None, ["int32"]),
        ("tflm.kernel-output0-float32-int16-int8", ["GATHER"], 0, [0], ["float32", "int16", "int8"]),
    ]
    ranks = [(c["id"], c["operators"], c["input"], c.get("outputs"), c.get("min"), c.get("max")) for c in checks[3:5]]
    assert ranks == [("tflm.kernel-rank-input0-max6", ["GATHER"], 0, None, None, 6),
                     ("tflm.kernel-rank-output0-min1", ["GATHER"], 0, [0], 1, None)]
    assert checks[3]["text"] == "LiteRT for Microcontrollers' kernel takes input 0 of rank up to 6 only"
    assert checks[1]["source"]["id"] == "tflm-kernels"
    # IsConstantTensor at the top level: a refusal of a run-time input (the builtin's own index, so `lowered: false`);
    # the one under the `if` is not read.
    assert [(c["id"], c["operators"], c["kind"], c["inputs"], c["lowered"]) for c in checks[5:]] == [
        ("tflm.kernel-constant-inputs-1", ["GATHER"], "constant_inputs", [1], False)]
    assert checks[5]["text"].startswith("LiteRT for Microcontrollers' kernel takes input 1 only as a constant tensor")


def test_a_kernels_if_that_returns_an_error_bounds_the_rank_and_so_does_one_in_a_loop_over_the_inputs():
    """derive_tflite.py's rank_refusals also reads `if (R op N) { … return kTfLiteError; }` (GATHER_ND's "Params must
    be at least a vector"), and the same in the body of a loop over the node's inputs from 0 as a refusal of input 0
    (CONCATENATION's "does not currently support num dimensions > %d"); an `if` whose block returns otherwise, and
    one of several terms, are not read."""
    import derive_tflite
    body = """{
      TfLiteTensor* params = micro_context->AllocateTempInputTensor(node, 0);
      const int params_rank = NumDimensions(params);
      if (params_rank < 1) {
        MicroPrintf("Params must be at least a vector.");
        return kTfLiteError;
      }
      if (params_rank == 2 && params->type == kTfLiteInt8) { return kTfLiteError; }
      for (int i = 0; i < num_inputs; ++i) {
        TfLiteTensor* input = micro_context->AllocateTempInputTensor(node, i);
        int num_dimensions = NumDimensions(input);
        if (num_dimensions > RuntimeShape::kMaxSmallSize) {
          MicroPrintf("Op Concatenation does not currently support num dimensions > %d", RuntimeShape::kMaxSmallSize);
          return kTfLiteError;
        }
      }
      if (params_rank > 3) { return kTfLiteOk; }
      return kTfLiteOk;
    }"""
    tensors = {"params": ("input", 0)}
    bound = lambda x: {"1": 1, "3": 3, "RuntimeShape::kMaxSmallSize": 6}.get(x.strip())
    found = derive_tflite.rank_refusals(body[1:-1], tensors, {"params_rank": "params"}, bound)
    assert found == [(("input", 0), 1, None), (("input", 0), None, 6)]


TFL_OPS = """
def TFL_PadOp : TFL_Op<"pad", [
    Pure,
    TFL_OperandHasRankAtMost<0, 5>,
    TFL_OperandHasRank<1, 2>]> {
  let arguments = (ins TFL_TensorOf<[F32, I8]>:$input, TFL_I32OrI64Tensor:$padding);
}

def TFL_BatchMatMulOp : TFL_Op<"batch_matmul", [
   TFL_RuntimePredOpTrait<"lhs and rhs of this op must have rank between [2, 5]",
     And<[TFL_OperandHasRankAtMostPred<0, 5>,
          TFL_OperandHasRankAtMostPred<1, 5>]>>]> {
  let arguments = (ins TFL_TensorOf<[F32]>:$x, TFL_TensorOf<[F32]>:$y);
}

def TFL_ReverseV2Op: TFL_Op<"reverse_v2", [
    PredOpTrait<"input must have rank at most 6 or be unranked",
      Or<[TFL_OperandIsUnrankedPred<0>, TFL_OperandHasRankAtMostPred<0, 6>]>>]> {
  let arguments = (ins TFL_TensorOf<[F32]>:$input, TFL_I32Tensor:$axis);
}

def TFL_TransposeConvOp: TFL_Op<"transpose_conv", [
    TFL_OperandHasRank<0, 1>,
    TFL_OperandHasRank<2, 4>]> {
  let arguments = (ins TFL_I32Tensor:$output_shape, TFL_TensorOf<[F32]>:$weights, TFL_TensorOf<[F32]>:$input);
}

def TFL_StridedSliceOp: TFL_Op<"strided_slice", [
    Pure,
    TFL_RuntimePredOpTrait<"input (with new_axis) must have rank at most 5",
      CPred<"TFL::VerifyStridedSliceOpInputRankConstraints(llvm::cast<StridedSliceOp>($_op))">>,
    TFL_OperandHasRank<1, 1>]> {
  let arguments = (ins TFL_TensorOf<[F32]>:$input, TFL_I32Tensor:$begin);
}

def TFL_TransposeOp : TFL_Op<"transpose", [
    Pure,
    TFL_TransposeOperandHasEffectiveRankAtMost<0, 6>,
    TFL_OperandHasRank<1, 1>]> {
  let arguments = (ins TFL_TensorOf<[F32]>:$input, TFL_TensorOf<[I32]>:$perm);
}

def TFL_NotABuiltinOp : TFL_Op<"not_a_builtin", [TFL_OperandHasRankAtMost<0, 3>]> {
  let arguments = (ins TFL_TensorOf<[F32]>:$input);
}
"""


def test_the_converters_rank_bounds_are_read_from_the_data_operands_traits_outside_an_or():
    """derive_tflite.py's converter_rank_checks: a TFL op's TFL_OperandHasRank* trait, plain or as a Pred under And,
    bounds its data operand (operand 0 named $input, $x or $lhs); a bound under Or<[...]> is an alternative, not a
    refusal; TRANSPOSE_CONV's operand 0 is $output_shape, which an ONNX node's input 0 is not; a mnemonic that is no
    builtin is left out. A bound a C++ predicate checks is read from its trait's message (STRIDED_SLICE: "input
    (with new_axis) must have rank at most 5"). TRANSPOSE's bound is on its effective rank, the dimensions other than
    1 (`squeezed`)."""
    import derive_tflite
    checks = derive_tflite.converter_rank_checks(TFL_OPS, {"PAD", "BATCH_MATMUL", "REVERSE_V2", "TRANSPOSE_CONV", "STRIDED_SLICE", "TRANSPOSE"})
    assert [(c["id"], c["operators"], c["input"], c.get("min"), c.get("max"), c.get("squeezed")) for c in checks] == [
        ("tflite-converter.rank-input0-max5", ["BATCH_MATMUL", "PAD", "STRIDED_SLICE"], 0, None, 5, None),
        ("tflite-converter.effective-rank-input0-max6", ["TRANSPOSE"], 0, None, 6, True)]
    assert checks[1]["text"] == "TensorFlow's converter writes the builtin for input 0 of up to 6 dimensions other than 1 only"
    assert checks[0]["text"] == "TensorFlow's converter writes the builtin for input 0 of rank up to 5 only"
    assert checks[0]["source"]["id"] == "tfl-ops"


def test_the_converters_bounds_are_read_where_litert_imported_the_converter_from_tensorflow(tmp_path):
    """The converter onnx2tf runs is the pinned TensorFlow's, so derive_tflite.py reads tfl_ops.td at the commit that
    added it to LiteRT (its import from TensorFlow), not at HEAD, where LiteRT relaxed SLICE to 6-D; the source
    records that commit."""
    import catalogue_json as cj
    repo = tmp_path / "LiteRT"
    (repo / "tflite/converter/ir").mkdir(parents=True)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_AUTHOR_DATE": "2025-08-13T00:00:00Z", "GIT_COMMITTER_DATE": "2025-08-13T00:00:00Z", "PATH": "/usr/bin:/bin"}
    td = repo / "tflite/converter/ir/tfl_ops.td"
    (repo / "README").write_text("before the converter\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    for text, message in ((None, "readme"), ("5", "import"), ("6", "relax")):
        if text:
            td.write_text(TFL_OPS.replace("TFL_OperandHasRankAtMost<0, 5>", f"TFL_OperandHasRankAtMost<0, {text}>"))
        subprocess.run(["git", "add", "."], cwd=repo, check=True, env=env)
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True, env=env)
    head = cj.Checkout(str(repo))
    first = head.at(head.first_revision("tflite/converter/ir/tfl_ops.td"))
    log = subprocess.run(["git", "log", "--format=%H %s"], cwd=repo, capture_output=True, text=True).stdout.split("\n")
    assert first.revision == next(l.split()[0] for l in log if l.endswith(" import")) and first.date == "2025-08-13"
    import derive_tflite
    bound = lambda co: [c.get("max") for c in derive_tflite.converter_rank_checks(co.read("tflite/converter/ir/tfl_ops.td"), {"PAD"})]
    assert bound(first) == [5] and bound(head) == [6]
