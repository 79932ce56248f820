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


def test_the_qnn_htp_set_is_the_table_less_the_rows_on_other_backends_only():
    derived = derive_ort_eps.derive(ort_fixtures(), derive_ort_eps.onnx_names())
    ops, notes, _, elsewhere = derived["ort-qnn"]
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
    assert [c["id"] for c in s["checks"]] == ["qnn.lp-normalization", "qnn.lp-pool", "qnn.one-hot", "qnn.range",
                                            "qnn.nms-constants", "qnn.nms-corners"]


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
