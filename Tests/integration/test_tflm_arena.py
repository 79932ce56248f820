"""The TFLite Micro arena Slipway computes (`inspect --analysis --json`: analysis.arenas) against the one the
`tflite-micro` package's interpreter allocates (its RecordingMicroAllocator, `print_allocations`): the planned
head within 1 %, the whole arena (head and persistent tail, 64-bit host structures) within 10 %, on the fixtures
and on every corpus TFLite model the interpreter loads. The int8 models are the wake-word ones (mww-*)."""
import json
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import fetch_corpus  # noqa: E402

pytest.importorskip("tflite_micro")

FIXTURES = ["Tests/Fixtures/models/small_cnn_int8.tflite", "Tests/Fixtures/models/small_cnn_float.tflite"]
# Corpus models TFLite Micro loads (the face-detection ones stop at DENSIFY and a float16 DEQUANTIZE).
CORPUS = ["mww-alexa", "mww-okay-nabu", "oww-hey-jarvis-tflite", "face-landmark"]
# TFLite Micro's head for oww-embedding-tflite is 663,552 bytes where its own greedy planner over the stored
# lifetimes gives 454,656 (a port of greedy_memory_planner.cc in Python agrees with Slipway); cause not found.
KNOWN_GAP = ["oww-embedding-tflite"]

PROBE = """
import sys
from tflite_micro.python.tflite_micro import runtime
runtime.Interpreter.from_file(sys.argv[1], arena_size=64 * 1024 * 1024).print_allocations()
"""


def tflm(path):
    """(total, head) bytes the interpreter allocated; its C code prints, so it runs in a child."""
    r = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    total, head = re.search(r"allocation total (\d+)", out), re.search(r"allocation head (\d+)", out)
    assert total and head, f"tflite-micro did not load {path}: {out[-800:]}"
    return int(total.group(1)), int(head.group(1))


def slipway_arenas(run, path):
    r = run("inspect", str(path), "--analysis", "--json")
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return json.loads(r.stdout)["analysis"]["arenas"]


def corpus_path(model_id):
    folder = fetch_corpus.cache_dir()
    entry = next(m for m in json.loads(fetch_corpus.CORPUS.read_text())["models"] if m["id"] == model_id)
    path = fetch_corpus.model_path(entry, folder)
    if not path.exists():
        pytest.skip(f"corpus model {model_id} not fetched (make corpus)")
    return path


def check(run, path):
    total, head = tflm(path)
    a = slipway_arenas(run, path)
    # The head within 1 % (exact on all but the mww models, 32 bytes over there: two 16-byte buffers of the
    # resource-variable handles planned apart by TFLite Micro, not found why).
    assert abs(a["tflite_micro_head_bytes"] - head) <= head / 100, (path, a, head)
    ratio = a["tflite_micro_64bit_bytes"] / total
    assert 0.9 <= ratio <= 1.1, f"{path}: Slipway {a['tflite_micro_64bit_bytes']} vs TFLite Micro {total} ({ratio:.3f})"
    # The microcontroller's figure has 32-bit structures: smaller tail, same head.
    assert head <= a["tflite_micro_32bit_bytes"] < a["tflite_micro_64bit_bytes"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_arena_is_the_interpreters(run, fixture):
    check(run, ROOT / fixture)


@pytest.mark.parametrize("model_id", CORPUS)
def test_corpus_arena_is_the_interpreters(run, model_id):
    check(run, corpus_path(model_id))


@pytest.mark.parametrize("model_id", KNOWN_GAP)
@pytest.mark.xfail(strict=True, reason="TFLite Micro's head exceeds its greedy plan of the stored lifetimes")
def test_known_gap(run, model_id):
    check(run, corpus_path(model_id))
