#!/usr/bin/env python3
"""A short scripted editor session against `slipway serve`, printing what an editor would show.
Standard library only (make demo runs it before any venv exists)."""
import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))
from lsp_client import StdioServer  # noqa: E402


def show_diagnostics(lines, diags):
    for d in diags:
        s, e = d["range"]["start"], d["range"]["end"]
        print(f"  {s['line'] + 1}:{s['character'] + 1} {d['code']} {d['message']}")
        text = lines[s["line"]]
        width = max(1, (e["character"] if e["line"] == s["line"] else len(text)) - s["character"])
        print(f"      {text}\n      {' ' * s['character']}{'~' * width}")


def apply(text, edits):
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    def off(p):
        return offsets[p["line"]] + p["character"]  # ASCII text here: UTF-16 units are characters
    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        text = text[:off(e["range"]["start"])] + e["newText"] + text[off(e["range"]["end"]):]
    return text


def main(binary):
    path = REPO / "examples" / "with-problems" / "mistakes.slipway.yaml"
    text = path.read_text()
    uri = path.as_uri()
    s = StdioServer(binary)
    try:
        init = s.initialize({"textDocument": {"hover": {"contentFormat": ["plaintext"]}}})
        caps = init["result"]["capabilities"]
        print(f"initialize: {init['result']['serverInfo']['name']} {init['result']['serverInfo']['version']}, "
              f"positions in {caps['positionEncoding']}, {len(caps)} capabilities")
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        diags = s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics")["params"]["diagnostics"]
        print(f"\ndiagnostics for {path.relative_to(REPO)} ({len(diags)}):")
        show_diagnostics(text.split("\n"), diags)

        hover = s.response(s.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 7, "character": 6}}))
        print("\nhover on 'weights':")
        for line in hover["result"]["contents"]["value"].splitlines()[:6]:
            print("  " + line)

        first = diags[0]
        actions = s.response(s.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": first["range"], "context": {"diagnostics": [first]}}))["result"]
        print("\ncode actions on the first diagnostic:")
        for a in actions:
            print(f"  - {a['title']}")
        fix = next(a for a in actions if a.get("isPreferred"))
        text2 = apply(text, fix["edit"]["changes"][uri])
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text2}]})
        after = s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == 2)
        print(f"\napplied '{fix['title']}': {len(after['params']['diagnostics'])} diagnostics left")

        good = REPO / "examples" / "kws-mcu" / "kws.slipway.yaml"
        s.notify("textDocument/didOpen", {"textDocument": {"uri": good.as_uri(), "languageId": "yaml", "version": 1, "text": good.read_text()}})
        lenses = s.response(s.request("textDocument/codeLens", {"textDocument": {"uri": good.as_uri()}}))["result"]
        print(f"\ncode lenses on {good.relative_to(REPO)}:")
        for l in lenses:
            print(f"  line {l['range']['start']['line'] + 1}: {l['command']['title']}")
        s.response(s.request("shutdown"))
        s.notify("exit")
        print(f"\nshutdown, exit code {s.proc.wait(timeout=10)}")
    finally:
        s.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(REPO / ".build" / "debug" / "slipway"))
