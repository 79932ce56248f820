"""TorchScript archives costed from their code: torchvision models traced by the real torch at 1×3×224×224 (random
weights: the figures depend on shapes only) must give the MACs and coverage Slipway gives the same module's
torch.onnx.export (batch norm kept, as the traced code has it), and the corpus's scripted silero-vad must be read
without a crash, its coverage saying what its control flow leaves out."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
import fetch_corpus  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))
needs_torch = pytest.mark.skipif(not os.path.exists(COREML_PYTHON),
                                 reason=f"no {COREML_PYTHON}: `make venv-coreml` installs torch")

TRACE = """
import sys, torch, torchvision
name, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
m = getattr(torchvision.models, name)().eval()
x = torch.randn(1, 3, 224, 224)
torch.jit.save(torch.jit.trace(m, x), out + "/model.pt")
torch.onnx.export(m, (x,), out + "/model.onnx", dynamo=False, opset_version=17, input_names=["x"],
                  do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
"""


def manifest(folder, model, inputs):
    doc = {"slipway": 1, "name": "m", "model": {"path": model, "inputs": inputs},
           "targets": {"pi": {"runtime": "onnxruntime", "device": "raspberry-pi-5"}}}
    path = folder / (model + ".slipway.yaml")
    path.write_text(json.dumps(doc))
    return path


def estimate(run, path):
    r = run("estimate", str(path), "--json")
    assert r.returncode in (0, 1), r.stderr.decode()[-2000:]
    return json.loads(r.stdout)


@needs_torch
@pytest.mark.parametrize("name, conv_and_linear", [("mobilenet_v2", 300_775_272), ("resnet18", 1_814_074_344)])
def test_a_traced_torchvision_model_costs_what_its_onnx_export_costs(run, tmp_path, name, conv_and_linear):
    subprocess.run([COREML_PYTHON, "-c", TRACE, name, str(tmp_path)], check=True, capture_output=True, timeout=600)
    traced = estimate(run, manifest(tmp_path, "model.pt", {"x": [1, 3, 224, 224]}))
    onnx = estimate(run, manifest(tmp_path, "model.onnx", {"x": [1, 3, 224, 224]}))
    assert traced["coverage"]["complete"] and onnx["coverage"]["complete"]
    assert traced["coverage"]["nodes_resolved"] == traced["coverage"]["nodes_total"]
    t, o = traced["targets"][0], onnx["targets"][0]
    assert t["macs"] == o["macs"]
    assert not t["lower_bounds"]
    # Convolutions and the classifier: the figure usually quoted (mobilenet_v2 300.8 M, resnet18 1.81 G).
    got = json.loads(run("inspect", str(tmp_path / "model.pt"), "--analysis", "--json", "--input", "x=1,3,224,224").stdout)
    by_op = got["analysis"]["macs_by_operator"]
    assert by_op["aten.conv2d"] + by_op["aten.linear"] == conv_and_linear
    # The peak of live activations within a few percent of the ONNX graph's (ONNX keeps a few more values live).
    assert 0.9 * o["peak_activation_bytes"] <= t["peak_activation_bytes"] <= o["peak_activation_bytes"]


@needs_torch
def test_without_input_shapes_the_coverage_names_the_input(run, tmp_path):
    subprocess.run([COREML_PYTHON, str(REPO / "scripts/make_torchscript_fixture.py"), str(tmp_path / "cnn.pt")],
                   check=True, capture_output=True, timeout=300)
    got = estimate(run, manifest(tmp_path, "cnn.pt", {}))
    assert not got["coverage"]["complete"]
    assert got["coverage"]["free_dimensions"] == ["x: unknown rank"]
    assert got["targets"][0]["lower_bounds"]
    fixed = estimate(run, manifest(tmp_path, "cnn.pt", {"x": [1, 3, 32, 32]}))
    assert fixed["coverage"]["complete"]
    assert fixed["targets"][0]["macs"] == 39_846_538  # docs/analysis.md's convention (the mean as ONNX's ReduceMean)


def corpus_model(model_id):
    entry = next(m for m in json.loads((REPO / "Tests/corpus/corpus.json").read_text())["models"] if m["id"] == model_id)
    path = fetch_corpus.model_path(entry, fetch_corpus.cache_dir())
    if not path.exists():
        pytest.skip(f"{path}: `make corpus` fetches it")
    return path


def test_silero_vad_scripted_control_flow_is_named_not_guessed(run, tmp_path):
    path = corpus_model("silero-vad-jit")
    (tmp_path / "silero.pt").symlink_to(path)
    got = estimate(run, manifest(tmp_path, "silero.pt", {"x": [1, 512]}))
    c = got["coverage"]
    assert not c["complete"] and got["targets"][0]["lower_bounds"]
    # forward(x, sr: int) branches on the sample rate, which no manifest input gives: the calls under those ifs are
    # left out and named — the 16 kHz and the 8 kHz models' own calls, opened through their declared classes — and
    # so is what needs their results. The calls that make what those ifs read are no dead code (the context
    # concatenated to the chunk is one), nor are the comparisons the ifs decide on: `sr == 16000` three times, the
    # sample count's `!=` check and `_validate_input`'s `sr / samples > 31.25`, as the run computes them.
    assert c["nodes_total"] == 122 and c["nodes_resolved"] == 0
    ops = c["unresolved_ops"]
    assert ops["aten.eq"] == 3 and ops["aten.ne"] == 2 and ops["aten.gt"] == 1 and ops["aten.div"] == 1
    assert ops["conv1d (in an if on a value not known before the run)"] == 12  # STFT + 4 encoder + decoder, twice
    assert ops["lstm_cell (in an if on a value not known before the run)"] == 4
    assert "weights_only" not in c
    inspected = run("inspect", str(path), "--analysis", "--json")
    assert inspected.returncode == 0, inspected.stderr.decode()[-2000:]
    assert json.loads(inspected.stdout)["analysis"]["coverage"]["free_dimensions"] == ["x: unknown rank"]


def test_silero_vad_with_its_sample_rate_given_resolves_fully(run, tmp_path):
    """`sr: 16000` under model.inputs binds forward's `sr: int`: every call of the 16 kHz model resolves, and the
    count equals the same model's ONNX export with its If on `sr` seeded by the same value — at the 576 samples the
    ONNX model's caller passes (512 and the 64 of context the TorchScript module prepends itself)."""
    (tmp_path / "silero.pt").symlink_to(corpus_model("silero-vad-jit"))
    (tmp_path / "silero.onnx").symlink_to(corpus_model("silero-vad"))
    got = estimate(run, manifest(tmp_path, "silero.pt", {"x": [1, 512], "sr": 16000}))
    c = got["coverage"]
    assert c["complete"] and c["nodes_resolved"] == c["nodes_total"] == 40 and c["unresolved_ops"] == {}
    assert not got["targets"][0]["lower_bounds"]
    assert got["targets"][0]["macs"] == 750_982
    # 8 kHz takes chunks of 256 samples: its branch, complete.
    low = estimate(run, manifest(tmp_path, "silero.pt", {"x": [1, 256], "sr": 8000}))
    assert low["coverage"]["complete"] and low["targets"][0]["macs"] == 432_262
    # At 8 kHz 512 samples make forward raise: the evaluation stops there, said, and nothing is claimed complete.
    raised = estimate(run, manifest(tmp_path, "silero.pt", {"x": [1, 512], "sr": 8000}))
    assert not raised["coverage"]["complete"]
    assert any("raises at these inputs" in op for op in raised["coverage"]["unresolved_ops"])
    onnx = estimate(run, manifest(tmp_path, "silero.onnx", {"input": [1, 576], "state": [2, 1, 128], "sr": 16000}))
    oc = onnx["coverage"]
    assert oc["complete"] and "If 'If_0': then branch" in oc["branches_taken"]
    # 4 MACs apart (docs/analysis.md): the ONNX graph's Equal nodes on scalars (`sr == 16000`, shape checks), which
    # TorchScript evaluates as Python ints; every other operator agrees.
    assert onnx["targets"][0]["macs"] == 750_986
    # Without sr the ONNX If counts its larger branch and leaves nothing silently out (the 8 kHz branch at 576
    # samples does not resolve: named).
    unseeded = estimate(run, manifest(tmp_path, "silero.onnx", {"input": [1, 576], "state": [2, 1, 128]}))
    assert not unseeded["coverage"]["complete"] and "If 'If_0': then branch" not in unseeded["coverage"].get("branches_taken", [])


def test_code_outside_the_parsed_subset_leaves_the_weights_and_says_where(run, tmp_path):
    """The archive's root code file rewritten with a nested `def` (the parser refuses it): the weights are read as
    before, `inspect` names the file and line, and the figures are weights only."""
    import zipfile
    source = REPO / "Tests/Fixtures/models/pytorch/traced_cnn.pt"
    broken = tmp_path / "broken.pt"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "traced_cnn/code/__torch__.py":
                data = b"class TracedCNN(Module):\n  def forward(self, x):\n    def g(y):\n      return y\n    return x\n"
            zout.writestr(item.filename, data, compress_type=zipfile.ZIP_STORED)
    got = json.loads(run("inspect", str(broken), "--json").stdout)
    assert got["metadata"]["pytorch.code_not_read"] == "code/__torch__.py:3: a nested definition (not read)"
    assert got["parameters"] == json.loads(run("inspect", str(source), "--json").stdout)["parameters"]
    est = estimate(run, manifest(tmp_path, "broken.pt", {"x": [1, 3, 32, 32]}))
    assert est["coverage"].get("weights_only") is True
