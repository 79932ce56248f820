"""The target catalogue and estimates against real tools: the merged catalogue validates against its own JSON
Schema (python jsonschema); `slipway targets` agrees with the data; the recorded onnx-tool MAC reference that
the Swift specs compare with is what onnx-tool computes today."""
import glob
import json
import os
import pathlib
import sys

import jsonschema

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))


def merged_catalogue():
    merged = {}
    for name in ["sources.json", "runtimes.json", "devices.json", "rules.json", "operators.json",
                 "latency_calibrations.json"]:
        with open(REPO / "Schemas" / "targets" / name) as f:
            data = json.load(f)
        assert not (merged.keys() & data.keys()), f"{name} redefines {merged.keys() & data.keys()}"
        merged.update(data)
    return merged


def test_every_catalogue_file_is_listed():
    files = sorted(os.path.basename(p) for p in glob.glob(str(REPO / "Schemas" / "targets" / "*.json")))
    assert files == sorted(["sources.json", "runtimes.json", "devices.json", "rules.json", "operators.json",
                            "latency_calibrations.json"])


def test_catalogue_validates_against_its_schema():
    with open(REPO / "Schemas" / "targets.schema.json") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(merged_catalogue())


def test_schema_rejects_a_rule_without_a_source():
    with open(REPO / "Schemas" / "targets.schema.json") as f:
        schema = json.load(f)
    bad = merged_catalogue()
    del bad["rules"][0]["source"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert any("'source' is a required property" in e.message for e in errors)


def test_every_source_is_cited_and_every_citation_resolves():
    c = merged_catalogue()
    cited = set()

    def walk(v):
        if isinstance(v, dict):
            if set(v.keys()) == {"id", "section"}:
                cited.add(v["id"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk({k: v for k, v in c.items() if k != "sources"})
    # The published rows the catalogue's fits come from (kept apart, not embedded) cite the catalogue's sources too.
    for path in sorted((REPO / "Schemas" / "measurements").glob("*.json")):
        walk(json.loads(path.read_text()))
    assert cited <= c["sources"].keys(), cited - c["sources"].keys()
    assert c["sources"].keys() <= cited, f"sources never cited: {c['sources'].keys() - cited}"


def test_targets_json_lists_the_catalogue(run):
    r = run("targets", "--json")
    assert r.returncode == 0, r.stderr.decode()
    out = json.loads(r.stdout)
    c = merged_catalogue()
    assert [rt["name"] for rt in out["runtimes"]] == [rt["name"] for rt in c["runtimes"]]
    assert [d["name"] for d in out["devices"]] == [d["name"] for d in c["devices"]]
    assert all(rule["source"]["url"] for rule in out["rules"])
    text = run("targets").stdout.decode()
    assert "onnxruntime" in text and "stm32h7" in text


def test_targets_json_lists_the_operator_tables(run):
    out = json.loads(run("targets", "--json").stdout)
    c = merged_catalogue()
    assert [s["id"] for s in out["operator_sets"]] == [s["id"] for s in c["operator_sets"]]
    ids = {s["id"] for s in out["operator_sets"]}
    tables = [d["operators"] for rt in out["runtimes"] for d in rt["delegates"] if "operators" in d]
    tables += [rt["operators"] for rt in out["runtimes"] if rt["operators"]]
    # tflite-converter: TensorFlow's converter's op definitions, which bind every ONNX model lowered to TFLite builtins.
    assert set(tables) | {"tflite-converter"} == ids, "every operator table belongs to a delegate, a runtime or the converter"
    for s in out["operator_sets"]:
        assert s["source"]["url"] and all(k["source"]["url"] for k in s["checks"]), s["id"]


def test_the_installed_onnxruntime_loads_what_the_catalogue_says():
    """The 1.21-1.23 rows are measured by scripts/measure_ort_opsets.py; the pinned onnxruntime re-measures its own."""
    import measure_ort_opsets
    m = measure_ort_opsets.measure()
    major_minor = ".".join(m["version"].split(".")[:2])
    rows = {v["version"]: v for v in next(rt for rt in merged_catalogue()["runtimes"] if rt["name"] == "onnxruntime")["versions"]}
    assert major_minor in rows, f"onnxruntime {m['version']} is not in the catalogue"
    row = rows[major_minor]
    assert (row["max_opset"], row["max_ml_opset"], row["max_ir"]) == (m["max_opset"], m["max_ml_opset"], m["max_ir"])


def test_rules_markdown_is_the_committed_file(run):
    r = run("targets", "--markdown")
    assert r.stdout.decode() == (REPO / "docs" / "rules.md").read_text()


def test_recorded_onnx_tool_macs_are_what_onnx_tool_computes():
    import make_target_fixtures as fx
    with open(REPO / "Tests" / "Fixtures" / "targets" / "onnx_tool_macs.json") as f:
        ref = json.load(f)
    paths = dict(fx.EXAMPLES)
    for name in ref["macs"]:
        paths.setdefault(name, str(REPO / "Tests" / "Fixtures" / "targets" / name))
    for name, macs in ref["macs"].items():
        assert fx.onnx_tool_macs(paths[name], ref["inputs"][name]) == macs, name


def test_recorded_tflite_counts_are_what_the_interpreter_reference_computes():
    import tflite_reference as ref
    with open(REPO / "Tests" / "Fixtures" / "targets" / "tflite_reference.json") as f:
        recorded = json.load(f)["cases"]
    assert set(recorded) == set(ref.CASES)
    for name, (path, inputs) in ref.CASES.items():
        live = ref.counts(REPO / path, inputs)
        assert {k: recorded[name][k] for k in live} == live, name


def test_estimate_of_a_tflite_manifest_has_the_interpreter_reference_counts(run, tmp_path):
    """End to end through the binary: a manifest whose model is a .tflite gets the per-target table, with the
    MACs and peak activations of the LiteRT-interpreter reference at the manifest's batch, and its budgets."""
    import shutil
    import tflite_reference as ref
    path, inputs = ref.CASES["tflite_ops_batch4"]
    shutil.copy(REPO / path, tmp_path / "ops.tflite")
    (tmp_path / "m.slipway.yaml").write_text(
        "slipway: 1\nname: ops\nmodel:\n  path: ops.tflite\n  inputs:\n    image: [4, 16, 16, 3]\n"
        "targets:\n  pi: {runtime: litert@2.16, device: raspberry-pi-5, delegate: xnnpack, format: tflite,"
        " budget: {latency_ms: 0.000001}}\n")
    r = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", "--no-cache")
    assert r.returncode != 0  # a budget is missed
    row = json.loads(r.stdout)["targets"][0]
    want = ref.counts(REPO / path, inputs)
    assert row["macs"] == want["macs"]
    assert row["peak_activation_bytes"] == 4 * want["peak_activation_elements"]  # float32 on the CPU
    # LiteRT on the Pi 5's CPU in float32 is calibrated on the Pi's published measurements (MACs × ms per GMAC,
    # docs/analysis.md): the roofline it replaced, with its per-operator dispatch overhead, is kept beside it.
    assert row["latency_budget_met"] is False and row["latency_roofline_ms"] > 0
    assert (row["latency_calibration"]["class"], row["latency_calibration"]["runtime"]) == ("device", "litert")


def test_estimate_on_the_ensemble_e7_judges_ram_and_flash_apart(run, tmp_path):
    """End to end through the binary on the Cortex-M55 + Ethos-U55 microcontroller of the catalogue
    (alif-ensemble-e7, an OS-less device): the RAM figure is the arena alone, the flash figure the weights, and
    each has its own verdict; at 512 tokens the encoder's arena no longer fits the E7's 6.8 MB of bulk SRAM."""
    import shutil
    shutil.copy(REPO / "examples" / "transformer-server" / "models" / "encoder.onnx", tmp_path / "encoder.onnx")

    def estimate(tokens):
        (tmp_path / "m.slipway.yaml").write_text(
            "slipway: 1\nname: e7\nmodel:\n  path: encoder.onnx\n  inputs:\n"
            f"    input_ids: [1, {tokens}]\n"
            "targets:\n  e7: {runtime: tflite-micro, device: alif-ensemble-e7, format: tflite,"
            " budget: {size_mb: 1, memory_mb: 1, flash_mb: 0.1}}\n")
        r = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", "--no-cache")
        return r, json.loads(r.stdout)["targets"][0]

    r, row = estimate(128)
    assert r.returncode != 0  # the flash budget is missed
    assert row["device"] == "alif-ensemble-e7" and row["memory_kind"] == "ram"
    assert row["memory_bytes"] == row["peak_activation_bytes"] == 589824
    # The float TFLite file onnx2tf would write (ONNXTFLiteSize), weights and graph, not the ONNX file: TFLite Micro
    # reads the whole flatbuffer in place from flash.
    assert row["flash_bytes"] == row["size_bytes"] == 411456
    assert (row["size_budget"], row["memory_budget"], row["flash_budget"]) == ("met", "met", "missed")
    assert row["latency_ms"] is None  # no NPU clock is cited: no peak, no latency

    _, row = estimate(512)
    assert row["memory_bytes"] == 8650752 and row["flash_bytes"] == 411456
    assert (row["memory_budget"], row["flash_budget"]) == ("missed", "missed")
    check = run("check", str(tmp_path / "m.slipway.yaml"))
    assert b"8.65 MB does not fit in alif-ensemble-e7's 6.815 MB" in check.stdout + check.stderr
    assert b"of flash" not in check.stdout + check.stderr  # the weights fit the 5.8 MB of MRAM
