"""llama.cpp releases against GGUF files (SW4019), held to their sources.

The catalogue's llama.cpp table (Schemas/targets/runtimes.json) is derived from llama-cpp-python sdists by
scripts/catalogue/derive_llamacpp.py; --check re-derives it from the cached sdists ($SLIPWAY_LLAMACPP_CACHE, filled by
`derive_llamacpp.py --download`) and is skipped, saying why, when they are not there. The check itself is compared,
release by release, with gguf-py's own reading of the committed fixture: SW4019 exactly for the types a release's
`enum ggml_type` does not number as gguf-py does."""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "catalogue"))
import derive_llamacpp  # noqa: E402

RUNTIME = next(r for r in json.loads((ROOT / "Schemas/targets/runtimes.json").read_text())["runtimes"]
               if r["name"] == "llama.cpp")


def sw4019(run, tmp_path, model, runtime):
    m = tmp_path / "m.slipway.yaml"
    m.write_text(json.dumps({"slipway": 1, "model": {"path": str(model)}, "targets": {"t": {"runtime": runtime}}}))
    r = run("check", str(m), "--format", "json")
    assert r.returncode in (0, 1), r.stderr.decode()[-2000:]
    return [d["message"] for d in json.loads(r.stdout) if d["code"] == "SW4019"]


def test_the_committed_llamacpp_table_is_what_the_sdists_say():
    missing = [v for v in derive_llamacpp.RELEASES if not derive_llamacpp.archive(v).exists()]
    if missing:
        pytest.skip(f"llama-cpp-python sdists {', '.join(missing)} are not in {derive_llamacpp.CACHE}: "
                    "run scripts/catalogue/derive_llamacpp.py --download")
    r = subprocess.run([sys.executable, str(ROOT / "scripts/catalogue/derive_llamacpp.py"), "--check"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("release", [v["version"] for v in RUNTIME["versions"]])
def test_each_release_refuses_exactly_the_types_it_does_not_number_as_gguf_py(run, tmp_path, release):
    import gguf

    model = ROOT / "Tests/Fixtures/targets/gguf_new_types.gguf"
    reader = gguf.GGUFReader(str(model))
    types = {gguf.GGMLQuantizationType(int(t.tensor_type)) for t in reader.tensors}
    loads = next(v for v in RUNTIME["versions"] if v["version"] == release)["ggml_types"]
    want = sorted(t.name for t in types if loads.get(t.name) != int(t))
    got = sw4019(run, tmp_path, model, f"llama.cpp@{release}")
    assert sorted(m.split(" of ggml type ", 1)[1].split(" ", 1)[0] for m in got if " of ggml type " in m) == want, got
