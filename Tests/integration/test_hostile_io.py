"""Issue 17, through the built binary: input never kills or hangs the CLI or the server.

- frames with a Content-Length off by a few bytes cost only themselves;
- a FIFO as the model path is refused at once by `inspect` (exit 1, an unreadable model) and `estimate` (exit 2,
  an I/O error), naming it;
- estimating a multi-GB sparse safetensors keeps the process's peak RSS bounded.
- a pickle naming one tensor 120,000 times is measured once.
"""
import json
import os
import resource
import subprocess
import sys
import time

import pytest
from lsp_client import StdioServer


@pytest.fixture
def server(slipway):
    s = StdioServer(slipway, stderr=subprocess.DEVNULL)
    yield s
    s.close()


@pytest.mark.parametrize("delta", [-3, -2, -1, 1, 2, 3])
def test_a_frame_with_a_wrong_length_costs_only_itself(server, delta):
    server.initialize()
    bad = json.dumps({"jsonrpc": "2.0", "id": 900, "method": "textDocument/hover", "params": {}}).encode()
    server.write(b"Content-Length: %d\r\n\r\n" % (len(bad) + delta) + bad)
    # The next two valid frames are both answered.
    for i in (901, 902):
        server.send({"jsonrpc": "2.0", "id": i, "method": "textDocument/documentSymbol",
                     "params": {"textDocument": {"uri": "file:///nowhere.slipway.yaml"}}})
    for i in (901, 902):
        assert server.response(i, timeout=10)["error"]["code"] == -32602
    s = server.request("shutdown")
    assert server.response(s)["result"] is None
    server.notify("exit")
    assert server.proc.wait(timeout=10) == 0


@pytest.mark.parametrize("command,code", [("inspect", 1), ("estimate", 2)])
def test_a_fifo_as_the_model_is_refused_at_once(slipway, tmp_path, command, code):
    fifo = tmp_path / "model.onnx"
    os.mkfifo(fifo)
    start = time.monotonic()
    p = subprocess.run([slipway, command, str(fifo)], capture_output=True, text=True, timeout=30)
    assert p.returncode == code, p.stderr
    assert time.monotonic() - start < 10
    assert str(fifo) in p.stderr and "FIFO" in p.stderr, p.stderr


def peak_rss_mb(args):
    """Runs `args` in a wrapper process and returns (returncode, stdout, the child's peak RSS in MB)."""
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
               "sys.stderr.buffer.write(p.stderr)\n"
               "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n")
    p = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, timeout=1800)
    code, mb = p.stdout.split()
    return int(code), p.stderr, int(mb)


def test_a_sparse_multi_gigabyte_model_is_estimated_in_bounded_memory(slipway, tmp_path):
    # One float32 tensor of 3 GiB that is all hole: the header is written, the rest is a truncate.
    rows, cols = 768 * 1024, 1024
    size = rows * cols * 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, size]}}).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as f:
        f.write(len(header).to_bytes(8, "little") + header)
        f.truncate(8 + len(header) + size)
    assert os.stat(path).st_blocks * 512 < 1 << 20, "the file is sparse"
    code, err, mb = peak_rss_mb([slipway, "estimate", str(path), "--json", "--no-cache"])
    assert code == 0, err
    assert mb < 512, f"peak RSS {mb} MB while estimating a {size >> 30} GiB model"


def test_one_tensor_named_a_hundred_thousand_times_is_measured_once(slipway, tmp_path):
    """A 258 KB `torch.save` whose pickle refers to one tensor 120,000 times (2-byte BINGETs in a list): every name
    is listed, the stored bytes are counted and measured once, the other names left out as shared storage."""
    python = os.environ.get("SLIPWAY_COREML_PYTHON")
    if not python:
        pytest.skip("SLIPWAY_COREML_PYTHON (the venv with torch) is not set: `make test` sets it")
    path = tmp_path / "memo.pt"
    subprocess.run([python, "-c", "import sys, torch\nt = torch.randn(64, 64)\ntorch.save({'l': [t] * 120000}, sys.argv[1])",
                    str(path)], check=True, capture_output=True)
    assert path.stat().st_size < 300_000
    r = subprocess.run([slipway, "inspect", str(path), "--json"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    got = json.loads(r.stdout)
    assert got["parameters"] == 64 * 64
    assert len(got["tensors"]) == 120000
    assert sum(1 for t in got["tensors"] if t.get("shares_storage_with") == "l.0") == 119999
    r = subprocess.run([slipway, "estimate", str(path), "--weights", "int8", "--json", "--no-cache"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    est = json.loads(r.stdout)
    assert [t["name"] for t in est["tensors"]] == ["l.0"]
    assert {s["reason"] for s in est["skipped"]} == {"shared_storage"} and len(est["skipped"]) == 119999
    assert est["model"]["bytes_before"] <= path.stat().st_size
