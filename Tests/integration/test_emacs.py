"""Emacs 28 with eglot (Debian's emacs-nox and elpa-eglot) in batch mode as the client: the diagnostic lands
on the right character after CJK and emoji, through flymake, and hover answers."""
import json
import os
import shutil
import subprocess

import pytest

EMACS = shutil.which("emacs")
LINE = 'model: {x-note: "名前 🚀", pth: models/kws.onnx}'


@pytest.mark.skipif(EMACS is None, reason="emacs is not installed (make test installs emacs-nox and elpa-eglot)")
def test_eglot_sees_the_diagnostic_and_hovers(slipway, repo, tmp_path):
    (tmp_path / "models").mkdir()
    shutil.copy(repo / "examples/kws-mcu/models/ds_cnn_kws.onnx", tmp_path / "models" / "kws.onnx")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)  # project.el needs a project root
    manifest = tmp_path / "kws.slipway.yaml"
    manifest.write_text(f"slipway: 1\n{LINE}\ntargets: {{a: {{runtime: coreml}}}}\n", encoding="utf-8")
    out = tmp_path / "emacs.json"
    env = dict(os.environ, SLIPWAY_BIN=slipway, SLIPWAY_MANIFEST=str(manifest), SLIPWAY_EMACS_OUT=str(out),
               HOME=str(tmp_path))
    script = repo / "Tests/integration/emacs/check_manifest.el"
    r = subprocess.run([EMACS, "--batch", "-l", str(script)], env=env, capture_output=True, timeout=90,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    seen = json.loads(out.read_text())
    assert seen["line"] == 2
    assert seen["column"] == LINE.index("pth")  # characters: Emacs buffers count characters
    assert "SW2001" in seen["text"] and "did you mean 'path'?" in seen["text"]
    assert "is not a key of model" in seen["hover"]
