"""`slipway serve` over real stdio: framing, garbage, lifecycle and exit codes, and a clean stdout."""
import json
import os
import time

import pytest
from lsp_client import StdioServer

MANIFEST = "slipway: 1\nmodel:\n  pth: m.onnx\ntargets: {a: {runtime: coreml}}\n"


@pytest.fixture
def server(slipway):
    s = StdioServer(slipway)
    yield s
    s.close()


def open_doc(s, uri, text, version=1):
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}})


def test_lifecycle_and_exit_code_0_after_shutdown(server):
    r = server.initialize()
    assert r["result"]["serverInfo"]["name"] == "slipway"
    assert r["result"]["capabilities"]["positionEncoding"] == "utf-16"
    assert server.response(server.request("shutdown"))["result"] is None
    server.notify("exit")
    assert server.proc.wait(timeout=10) == 0


def test_exit_without_shutdown_is_1(server):
    server.initialize()
    server.notify("exit")
    assert server.proc.wait(timeout=10) == 1


def test_stdin_eof_ends_the_server(server):
    server.initialize()
    server.proc.stdin.close()
    assert server.proc.wait(timeout=10) == 1


def test_garbage_frames_are_skipped_and_the_server_goes_on(server):
    server.initialize()
    server.write(b"this is not a header\r\n\r\n")
    server.write(b"Content-Length: abc\r\n\r\n")
    server.write(b"Content-Length: 5\r\n\r\n{oops")       # bad JSON: answered with a parse error
    body = b'{"jsonrpc":"2.0","id":42,"method":"shutdown"}'
    server.write(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    parse_error = server.wait_for(lambda m: m.get("error", {}).get("code") == -32700)
    assert parse_error["id"] is None
    assert server.response(42)["result"] is None
    assert b"bad frame skipped" in server.proc.stderr.read1(1 << 16) if hasattr(server.proc.stderr, "read1") else True


def test_every_request_gets_one_reply_even_when_cancelled(server):
    server.initialize()
    uri = "file:///tmp/stdio/a.slipway.yaml"
    open_doc(server, uri, MANIFEST)
    ids = []
    for _ in range(50):
        i = server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 3}})
        server.notify("$/cancelRequest", {"id": i})
        ids.append(i)
    for i in ids:
        m = server.response(i)
        assert "result" in m or m["error"]["code"] == -32800
    # Nothing else answers those ids.
    server.response(server.request("shutdown"))
    assert not [m for m in server.stashed if m.get("id") in ids]


def test_diagnostics_are_pushed_with_the_version(server):
    server.initialize()
    uri = "file:///tmp/stdio/b.slipway.yaml"
    open_doc(server, uri, MANIFEST, version=7)
    n = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
    assert n["params"]["version"] == 7
    assert [d["code"] for d in n["params"]["diagnostics"]] == ["SW2001"]


def test_stdout_holds_only_protocol_even_with_logging(slipway, tmp_path):
    trace = tmp_path / "trace.txt"
    log = tmp_path / "log.txt"
    s = StdioServer(slipway, "--log-file", str(log), "--trace", str(trace))
    try:
        s.initialize()
        open_doc(s, "file:///tmp/stdio/c.slipway.yaml", MANIFEST)
        s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        s.request("no/such/method")
        s.response(s.request("shutdown"))
        s.notify("exit")
        assert s.proc.wait(timeout=10) == 0
        # Whatever is left on stdout must still be well-formed frames.
        rest = s.proc.stdout.read()
        s.buf += rest
        while s.buf:
            s.read_message(timeout=1)
    finally:
        s.close()
    assert "serving LSP on stdio" in log.read_text()
    lines = trace.read_text().splitlines()
    assert any(l.startswith("<- ") and '"initialize"' in l for l in lines)
    assert any(l.startswith("-> ") and "publishDiagnostics" in l for l in lines)
