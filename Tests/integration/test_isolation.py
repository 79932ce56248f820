"""Crash isolation, end to end: `serve` and `check` hand model work to `slipway worker` processes they
supervise. A worker that dies is replaced; the editor session and the other manifests go on."""
import os
import shutil
import signal
import subprocess
import time

import pytest
from lsp_client import StdioServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(REPO, "Tests", "Fixtures", "targets", "slice_int64_max.onnx")
# A size budget no model meets: a target diagnostic (SW5101) that only the model work can produce.
MANIFEST = "slipway: 1\nname: m\nmodel:\n  path: m.onnx\ntargets:\n  cpu: {runtime: onnxruntime, budget: {size_mb: 0.0001}}\n"


def workers_of(pid):
    """Process ids of `slipway worker` children of `pid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if ppid == pid and b"worker" in argv:
            out.append(int(entry))
    return out


def wait_idle(pid, quiet=0.3, limit=5.0):
    """Until the process has used no CPU for `quiet` seconds: the server's work after a publish (the clearance
    probe, background estimates for lenses) has reached the worker and ended, so the next request is the edit's."""
    def cpu():
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    end, last, since = time.monotonic() + limit, cpu(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = cpu()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


@pytest.fixture
def project(tmp_path):
    shutil.copy(MODEL, tmp_path / "m.onnx")
    (tmp_path / "a.slipway.yaml").write_text(MANIFEST)
    return tmp_path


def diagnostics(server, uri, version):
    """The complete diagnostics of a version (a `partial` publish, made while model work runs, is skipped)."""
    n = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and not m["params"].get("partial")
                        and m["params"]["uri"] == uri and m["params"].get("version") == version)
    return sorted(d["code"] for d in n["params"]["diagnostics"])


def test_the_server_analyses_models_in_a_worker_and_survives_its_death(slipway, project):
    server = StdioServer(slipway)
    try:
        server.initialize()
        uri = f"file://{project}/a.slipway.yaml"
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": MANIFEST}})
        assert diagnostics(server, uri, 1) == ["SW5101"]
        [worker] = workers_of(server.proc.pid)
        os.kill(worker, signal.SIGKILL)  # the worker dies between requests (a trap mid-request: WorkerPoolSpec)
        time.sleep(0.2)
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": MANIFEST + "# edited\n"}]})
        assert diagnostics(server, uri, 2) == ["SW5101"]
        [replacement] = workers_of(server.proc.pid)
        assert replacement != worker
        assert server.proc.poll() is None
        assert server.response(server.request("shutdown"))["result"] is None
        server.notify("exit")
        assert server.proc.wait(timeout=10) == 0
        time.sleep(0.1)
        assert workers_of(server.proc.pid) == []
    finally:
        server.close()


def test_a_worker_that_dies_mid_request_becomes_a_diagnostic_and_the_next_edit_is_checked(slipway, project):
    server = StdioServer(slipway)
    try:
        server.initialize()
        uri = f"file://{project}/a.slipway.yaml"
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": MANIFEST}})
        assert diagnostics(server, uri, 1) == ["SW5101"]
        [worker] = workers_of(server.proc.pid)
        wait_idle(worker)  # a request still running (the clearance probe) would send the edit to a new worker
        os.kill(worker, signal.SIGSTOP)  # holds the next request unanswered...
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": MANIFEST + "# 2\n"}]})
        time.sleep(0.3)
        os.kill(worker, signal.SIGKILL)  # ...and dies with it
        n = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == 2
                            and not m["params"].get("partial"))
        [d] = n["params"]["diagnostics"]
        assert d["code"] == "SW3005"
        assert "signal 9" in d["message"] and "'m.onnx'" in d["message"]
        assert d["range"]["start"] == {"line": 3, "character": 8}
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                                 "contentChanges": [{"text": MANIFEST + "# 3\n"}]})
        assert diagnostics(server, uri, 3) == ["SW5101"]
        assert server.proc.poll() is None
    finally:
        server.close()


def test_in_process_mode_starts_no_worker(slipway, project):
    server = StdioServer(slipway, "--in-process")
    try:
        server.initialize()
        uri = f"file://{project}/a.slipway.yaml"
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": MANIFEST}})
        assert diagnostics(server, uri, 1) == ["SW5101"]
        assert workers_of(server.proc.pid) == []
    finally:
        server.close()


def test_check_gives_the_same_findings_isolated_and_in_process(slipway, project):
    for i in range(5):
        (project / f"m{i}.slipway.yaml").write_text(MANIFEST)
    isolated = subprocess.run([slipway, "check", "--format", "json", str(project)], capture_output=True, text=True)
    local = subprocess.run([slipway, "check", "--in-process", "--format", "json", str(project)], capture_output=True, text=True)
    assert isolated.returncode == local.returncode == 1
    assert isolated.stdout == local.stdout
    assert "SW5101" in isolated.stdout
