"""`slipway deploy` and `slipway verify` against the real consumers of what they write.

A Triton model repository's `config.pbtxt` is parsed with the `ModelConfig` message of tritonclient's own
protobuf definitions; an OCI layout is read and copied (what a push does) with Debian's skopeo and every
digest recomputed; each provenance statement is validated with the in-toto-attestation bindings and its
predicate parsed as SLSA Provenance v1. Deploys refuse what `check` refuses, never overwrite a release, and
two deploys of the same inputs write identical trees.
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess

import onnx
import pytest
from google.protobuf import json_format, text_format

REPO = pathlib.Path(__file__).resolve().parents[2]
ENCODER = REPO / "examples/transformer-server"

ONNX_TO_TRITON = {
    onnx.TensorProto.FLOAT: "TYPE_FP32", onnx.TensorProto.INT64: "TYPE_INT64", onnx.TensorProto.INT32: "TYPE_INT32",
    onnx.TensorProto.FLOAT16: "TYPE_FP16", onnx.TensorProto.UINT8: "TYPE_UINT8", onnx.TensorProto.BOOL: "TYPE_BOOL",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree(root):
    """Every file under root, relative path → bytes."""
    root = pathlib.Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path, run):
    """The transformer example, converted: two onnxruntime targets with int8 weights."""
    shutil.copytree(ENCODER, tmp_path / "p")
    p = tmp_path / "p"
    r = run("convert", "encoder.slipway.yaml", cwd=p)
    assert r.returncode == 0, r.stderr.decode()
    return p


def deploy(run, project, *args):
    r = run("deploy", "encoder.slipway.yaml", *args, "--json", cwd=project)
    return r, json.loads(r.stdout or b"[]")


def test_triton_repository_config_parses_as_tritons_model_config_and_matches_the_model(run, project):
    from tritonclient.grpc import model_config_pb2

    r, plans = deploy(run, project, "--layout", "triton")
    assert r.returncode == 0, r.stderr.decode()
    assert [(p["target"], p["status"], p["version"]) for p in plans] == [
        ("server-vnni", "ready", "1"), ("server-avx2", "ready", "1")]
    folder = project / "deploy/triton/text-encoder-server-vnni"
    config = text_format.Parse((folder / "config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    artifact = project / "dist/server-vnni/text-encoder-2.0.1.onnx"
    model = onnx.load(str(artifact))
    assert config.name == "text-encoder-server-vnni"
    assert config.platform == "onnxruntime_onnx"
    assert config.default_model_filename == "model.onnx"
    assert config.max_batch_size == 0
    assert config.version_policy.latest.num_versions == 1
    for declared, value_info in [(config.input, model.graph.input), (config.output, model.graph.output)]:
        assert [t.name for t in declared] == [v.name for v in value_info]
        for t, v in zip(declared, value_info):
            assert model_config_pb2.DataType.Name(t.data_type) == ONNX_TO_TRITON[v.type.tensor_type.elem_type]
            want = [d.dim_value if d.HasField("dim_value") else -1 for d in v.type.tensor_type.shape.dim]
            assert list(t.dims) == want
    assert [(g.kind, g.count) for g in config.instance_group] == [(model_config_pb2.ModelInstanceGroup.KIND_CPU, 1)]
    # The version folder holds the very artifact, its report and a provenance naming it.
    assert sha256(folder / "1/model.onnx") == sha256(artifact)
    statement = json.loads((folder / "1/provenance.intoto.json").read_text())
    assert statement["subject"] == [{"name": "model.onnx", "digest": {"sha256": sha256(artifact)}}]


def test_a_new_build_adds_a_version_and_keeps_the_old_one(run, project):
    r, _ = deploy(run, project, "--layout", "triton", "--target", "server-vnni")
    assert r.returncode == 0
    v1 = tree(project / "deploy/triton/text-encoder-server-vnni/1")
    r, plans = deploy(run, project, "--layout", "triton", "--target", "server-vnni")
    assert [p["status"] for p in plans] == ["up to date"]
    manifest = project / "encoder.slipway.yaml"
    manifest.write_text(manifest.read_text().replace("granularity: per-channel", "granularity: per-tensor"))
    assert run("convert", "encoder.slipway.yaml", "--target", "server-vnni", cwd=project).returncode == 0
    r, plans = deploy(run, project, "--layout", "triton", "--target", "server-vnni")
    assert r.returncode == 0, r.stderr.decode()
    assert [(p["status"], p["version"]) for p in plans] == [("ready", "2")]
    assert tree(project / "deploy/triton/text-encoder-server-vnni/1") == v1
    assert sorted(os.listdir(project / "deploy/triton/text-encoder-server-vnni")) == ["1", "2", "config.pbtxt"]


def test_batching_comes_from_the_manifest_and_needs_a_dynamic_batch_axis(run, project, tmp_path):
    from tritonclient.grpc import model_config_pb2

    manifest = project / "encoder.slipway.yaml"
    manifest.write_text(manifest.read_text().replace(
        'version: "2.0.1"', 'version: "2.0.1"\n  triton: {max_batch_size: 8, dynamic_batching: true, max_queue_delay_us: 250, instances: 2}'))
    r, _ = deploy(run, project, "--layout", "triton", "--target", "server-vnni")
    assert r.returncode == 0, r.stderr.decode()
    config = text_format.Parse(
        (project / "deploy/triton/text-encoder-server-vnni/config.pbtxt").read_text(), model_config_pb2.ModelConfig())
    assert config.max_batch_size == 8
    assert list(config.input[0].dims) == [-1]  # [batch, seq]: Triton owns the batch axis
    assert config.dynamic_batching.max_queue_delay_microseconds == 250
    assert config.instance_group[0].count == 2

    # The keyword spotter's input is [1, 1, 49, 10]: Triton cannot batch it, and deploy says why.
    shutil.copytree(REPO / "examples/kws-mcu", tmp_path / "cnn")
    cnn = tmp_path / "cnn"
    (cnn / "cnn.slipway.yaml").write_text("""slipway: 1
name: cnn
model: {path: models/ds_cnn_kws.onnx}
targets:
  server: {runtime: onnxruntime@1.20, device: x86-64-avx2, format: onnx}
deploy:
  version: "1"
  triton: {max_batch_size: 4}
""")
    assert run("convert", "cnn.slipway.yaml", cwd=cnn).returncode == 0
    r = run("deploy", "cnn.slipway.yaml", "--layout", "triton", cwd=cnn)
    assert r.returncode == 1
    assert "max_batch_size 4 needs a dynamic first (batch) dimension, but input mfcc has shape [1, 1, 49, 10]" in r.stderr.decode()
    assert not (cnn / "deploy").exists()


def test_oci_layout_reads_and_copies_with_skopeo_and_every_digest_holds(run, project, tmp_path):
    r, plans = deploy(run, project, "--layout", "oci")
    assert r.returncode == 0, r.stderr.decode()
    root = project / "deploy/oci"
    assert json.loads((root / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    for blob in (root / "blobs/sha256").iterdir():
        assert sha256(blob) == blob.name
    index = json.loads((root / "index.json").read_text())
    assert [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]] == [
        "server-avx2-2.0.1", "server-vnni-2.0.1"]
    raw = subprocess.run(["skopeo", "inspect", "--raw", f"oci:{root}:server-vnni-2.0.1"], capture_output=True, check=True)
    manifest = json.loads(raw.stdout)
    assert manifest["artifactType"] == "application/vnd.cncf.model.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.cncf.model.config.v1+json"
    media = [(l["mediaType"], l["annotations"]["org.opencontainers.image.title"]) for l in manifest["layers"]]
    assert media == [
        ("application/vnd.cncf.model.weight.v1.raw", "text-encoder-2.0.1.onnx"),
        ("application/vnd.cncf.model.doc.v1.raw", "text-encoder-2.0.1.onnx.report.json"),
        ("application/vnd.in-toto+json", "provenance.intoto.json"),
    ]
    artifact = project / "dist/server-vnni/text-encoder-2.0.1.onnx"
    assert manifest["layers"][0]["digest"] == "sha256:" + sha256(artifact)
    assert manifest["layers"][0]["size"] == artifact.stat().st_size
    config = json.loads(subprocess.run(["skopeo", "inspect", "--config", "--raw", f"oci:{root}:server-vnni-2.0.1"],
                                       capture_output=True, check=True).stdout)
    assert config["descriptor"] == {"name": "text-encoder", "version": "2.0.1"}
    assert config["modelfs"]["diffIds"] == [l["digest"] for l in manifest["layers"]]
    # A copy to another layout (what a push to a registry does) carries every blob unchanged.
    copy = tmp_path / "copy"
    subprocess.run(["skopeo", "copy", f"oci:{root}:server-vnni-2.0.1", f"oci:{copy}:v"], capture_output=True, check=True)
    for l in manifest["layers"] + [manifest["config"]]:
        assert sha256(copy / "blobs/sha256" / l["digest"][7:]) == l["digest"][7:]
    # Deploying again adds nothing; the tag is kept.
    r, plans = deploy(run, project, "--layout", "oci")
    assert [p["status"] for p in plans] == ["up to date", "up to date"]


def test_provenance_is_a_valid_in_toto_statement_with_slsa_provenance(run, project):
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1 import statement, statement_pb2

    r, _ = deploy(run, project)
    assert r.returncode == 0, r.stderr.decode()
    artifact = project / "dist/server-avx2/text-encoder-2.0.1.onnx"
    text = (project / "dist/server-avx2/text-encoder-2.0.1.onnx.intoto.json").read_text()
    pb = json_format.Parse(text, statement_pb2.Statement())
    statement.Statement.copy_from_pb(pb).validate()
    doc = json.loads(text)
    assert doc["predicateType"] == "https://slsa.dev/provenance/v1"
    assert doc["subject"] == [{"name": artifact.name, "digest": {"sha256": sha256(artifact)}}]
    predicate = json_format.ParseDict(doc["predicate"], provenance_pb2.Provenance())
    deps = {d.uri: d.digest["sha256"] for d in predicate.build_definition.resolved_dependencies}
    assert deps == {"file:encoder.onnx": sha256(project / "models/encoder.onnx"),
                    "file:encoder.slipway.yaml": sha256(project / "encoder.slipway.yaml")}
    params = doc["predicate"]["buildDefinition"]["externalParameters"]
    assert params["target"] == "server-avx2" and params["version"] == "2.0.1" and params["layout"] == "plain"
    assert params["settings"]["weights"] == "int8"
    assert params["settings"]["reduce_range"] is True
    assert "forced" not in params


def test_verify_rehashes_the_tree_and_fails_on_any_change(run, project, tmp_path):
    for layout in ("plain", "triton", "oci"):
        assert deploy(run, project, "--layout", layout)[0].returncode == 0
    r = run("verify", ".", "--json", cwd=project)
    assert r.returncode == 0, r.stdout.decode()
    outcome = json.loads(r.stdout)
    assert outcome["ok"] and outcome["problems"] == []
    assert outcome["statements"] == 6  # two plain, two triton, two in the OCI layout
    model = project / "deploy/triton/text-encoder-server-avx2/1/model.onnx"
    data = bytearray(model.read_bytes())
    data[200] ^= 0xFF
    model.write_bytes(bytes(data))
    r = run("verify", "deploy", cwd=project)
    assert r.returncode == 1
    assert "deploy/triton/text-encoder-server-avx2/1/model.onnx: sha256" in r.stdout.decode()
    (tmp_path / "empty").mkdir()
    assert run("verify", str(tmp_path / "empty")).returncode == 2


def test_check_errors_block_the_target_unless_forced_and_force_is_recorded(run, project):
    manifest = project / "encoder.slipway.yaml"
    # A budget the 0.22 MB artifact cannot meet: SW5101 on the target's size_mb.
    manifest.write_text(manifest.read_text().replace("budget: {size_mb: 1,", "budget: {size_mb: 0.01,"))
    r = run("deploy", "encoder.slipway.yaml", "--target", "server-vnni", cwd=project)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "server-vnni: not deployed" in err
    assert "encoder.slipway.yaml:" in err and "error[SW5101]" in err
    assert not (project / "dist/server-vnni/text-encoder-2.0.1.onnx.intoto.json").exists()
    r = run("deploy", "encoder.slipway.yaml", "--target", "server-vnni", "--force", cwd=project)
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads((project / "dist/server-vnni/text-encoder-2.0.1.onnx.intoto.json").read_text())
    forced = doc["predicate"]["buildDefinition"]["externalParameters"]["forced"]
    assert len(forced) == 1 and "SW5101" in forced[0]


def test_a_stale_artifact_is_not_deployed(run, project):
    model = project / "models/encoder.onnx"
    m = onnx.load(str(model))
    m.producer_version = "changed"
    onnx.save(m, str(model))
    r = run("deploy", "encoder.slipway.yaml", "--layout", "triton", cwd=project)
    assert r.returncode == 1
    assert "the artifact is stale — models/encoder.onnx changed since it was converted" in r.stderr.decode()
    assert not (project / "deploy").exists()


def test_dry_run_writes_nothing_and_lists_files_with_digests(run, project):
    before = tree(project)
    r, plans = deploy(run, project, "--layout", "oci", "--dry-run")
    assert r.returncode == 0
    assert tree(project) == before
    files = {pathlib.Path(f["path"]).name: f for f in plans[0]["files"]}
    artifact = project / "dist/server-vnni/text-encoder-2.0.1.onnx"
    assert files[sha256(artifact)]["bytes"] == artifact.stat().st_size


def test_two_deploys_of_the_same_inputs_are_byte_identical(run, project):
    for layout in ("triton", "oci"):
        assert deploy(run, project, "--layout", layout, "--to", f"out-a/{layout}")[0].returncode == 0
        assert deploy(run, project, "--layout", layout, "--to", f"out-b/{layout}")[0].returncode == 0
    a, b = tree(project / "out-a"), tree(project / "out-b")
    assert a == b and len(a) > 10
    mtimes = {p.stat().st_mtime for p in (project / "out-a").rglob("*") if p.is_file()}
    assert mtimes == {0.0}


def test_a_destination_outside_the_project_needs_the_flag(run, project, tmp_path):
    r = run("deploy", "encoder.slipway.yaml", "--layout", "oci", "--to", str(tmp_path / "elsewhere"), cwd=project)
    assert r.returncode == 1
    assert "lies outside the manifest's folder" in r.stderr.decode()
    assert not (tmp_path / "elsewhere").exists()
    r = run("deploy", "encoder.slipway.yaml", "--layout", "oci", "--to", str(tmp_path / "elsewhere"),
            "--allow-outside-project", cwd=project)
    assert r.returncode == 0
    assert (tmp_path / "elsewhere/index.json").exists()


def test_a_killed_deploy_leaves_the_previous_release_intact_and_the_next_one_cleans_up(slipway, tmp_path):
    """SIGKILL at several moments of a Triton deploy of a 64 MB artifact: every visible version is complete
    (verify passes), version 1 is untouched, and the next deploy removes what the killed one staged."""
    from onnx import helper, numpy_helper
    import numpy as np
    import signal
    import time

    project = tmp_path / "big"
    (project / "dist/t").mkdir(parents=True)

    def release(fill):
        w = numpy_helper.from_array(np.full((16, 1 << 20), fill, dtype=np.float32), "unused")
        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", 4])],
                                  [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", 4])], [w])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(project / "model.onnx"))
        shutil.copy(project / "model.onnx", project / "dist/t/big.onnx")
        # The report convert writes beside an artifact, with the two digests deploy holds it to.
        (project / "dist/t/big.onnx.report.json").write_text(json.dumps({
            "slipway_report": 1, "output": {"path": "dist/t/big.onnx", "sha256": sha256(project / "dist/t/big.onnx")},
            "inputs": [{"path": "model.onnx", "sha256": sha256(project / "model.onnx")}], "settings": {}, "tools": {}}))

    (project / "m.slipway.yaml").write_text(
        'slipway: 1\nname: big\nmodel: {path: model.onnx}\ntargets:\n  t: {runtime: onnxruntime, format: onnx}\n'
        'deploy: {version: "1", layout: triton}\n')
    env = {**os.environ, "SLIPWAY_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [slipway, "deploy", "m.slipway.yaml", "--force"]
    release(1.0)
    assert subprocess.run(cmd, cwd=project, env=env, capture_output=True).returncode == 0
    model_folder = project / "deploy/triton/big-t"
    v1 = tree(model_folder / "1")
    release(2.0)
    for delay in (0.05, 0.2, 0.5):
        p = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert tree(model_folder / "1") == v1
        for version in [d for d in os.listdir(model_folder) if d.isdigit()]:
            r = subprocess.run([slipway, "verify", str(model_folder / version)], capture_output=True)
            assert r.returncode == 0, (delay, version, r.stdout.decode())
    r = subprocess.run(cmd, cwd=project, env=env, capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    assert tree(model_folder / "1") == v1
    assert not [n for n in os.listdir(model_folder) if ".slipway-tmp-" in n]
    assert sha256(model_folder / sorted((d for d in os.listdir(model_folder) if d.isdigit()), key=int)[-1] / "model.onnx") \
        == sha256(project / "dist/t/big.onnx")
