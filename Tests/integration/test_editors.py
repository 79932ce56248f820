"""The editor configurations in editors/ are well-formed and agree with what the server offers."""
import json
import re
import subprocess
import tomllib


def test_vscode_manifest_contributions(repo, slipway):
    pkg = json.loads((repo / "editors/vscode/package.json").read_text())
    assert pkg["main"] == "./out/extension.js"
    assert "vscode" in pkg["engines"]
    assert any(e.startswith("workspaceContains:") and "slipway.yaml" in e for e in pkg["activationEvents"])
    assert "vscode-languageclient" in pkg["dependencies"]
    # Every command the extension lists is one the server advertises in executeCommandProvider.
    server = (repo / "Sources/LanguageServer/Capabilities.swift").read_text()
    advertised = set(re.findall(r'"(slipway\.[A-Za-z]+)"', server.split("static let commands")[1].split("\n")[0]))
    listed = {c["command"] for c in pkg["contributes"]["commands"]}
    assert listed <= advertised, listed - advertised
    assert pkg["contributes"]["yamlValidation"][0]["url"] == "./schemas/slipway.schema.json"
    ts = (repo / "editors/vscode/src/extension.ts").read_text()
    assert 'args: ["serve"]' in ts
    json.loads((repo / "editors/vscode/tsconfig.json").read_text())


def test_helix_and_sublime_configs_parse_and_start_serve(repo):
    helix = tomllib.loads((repo / "editors/helix/languages.toml").read_text())
    assert helix["language-server"]["slipway"] == {"command": "slipway", "args": ["serve"]}
    text = (repo / "editors/sublime/LSP-slipway.sublime-settings").read_text()
    sublime = json.loads("\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//")))
    assert sublime["clients"]["slipway"]["command"] == ["slipway", "serve"]
    zed = tomllib.loads((repo / "editors/zed/extension.toml").read_text())
    assert zed["language_servers"]["slipway"]["languages"] == ["YAML"]


def test_serve_accepts_the_stdio_flag_editors_pass(slipway):
    r = subprocess.run([slipway, "serve", "--stdio"], input=b"", capture_output=True, timeout=30)
    assert r.returncode == 1  # stdin closed without shutdown
    assert r.stdout == b""
