"""Neovim 0.7 (Debian's) as the client: diagnostics land on the right byte column after CJK and emoji on
the same line, and hover works. Skipped only where nvim is not installed (`make test` installs it)."""
import json
import os
import shutil
import subprocess

import pytest

NVIM = shutil.which("nvim")
LINE = 'model: {x-note: "名前 🚀", pth: models/kws.onnx}'


@pytest.mark.skipif(NVIM is None, reason="nvim is not installed (make test installs Debian's neovim)")
def test_neovim_sees_the_diagnostic_at_the_right_byte_column(slipway, repo, tmp_path):
    (tmp_path / "models").mkdir()
    shutil.copy(repo / "examples/kws-mcu/models/ds_cnn_kws.onnx", tmp_path / "models" / "kws.onnx")
    manifest = tmp_path / "kws.slipway.yaml"
    manifest.write_text(f"slipway: 1\n{LINE}\ntargets: {{a: {{runtime: coreml}}}}\n", encoding="utf-8")
    out = tmp_path / "nvim.json"
    env = dict(os.environ, SLIPWAY_BIN=slipway, SLIPWAY_MANIFEST=str(manifest), SLIPWAY_NVIM_OUT=str(out),
               HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    script = repo / "Tests/integration/nvim/check_manifest.lua"
    r = subprocess.run([NVIM, "--headless", "--clean", "-c", f"luafile {script}"], env=env,
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr.decode()
    seen = json.loads(out.read_text())
    assert seen["code"] == "SW2001"
    assert seen["lnum"] == 1
    key_start = LINE.encode().index(b"pth")
    assert (seen["col"], seen["end_col"]) == (key_start, key_start + 3)  # byte columns, as Neovim stores them
    assert "did you mean 'path'?" in seen["message"]
    assert "`pth` is not a key of **model**" in seen["hover"]
    assert "- `path`: The model file" in seen["hover"]
