"""The real pre-commit framework runs the `slipway-check` hook from .pre-commit-hooks.yaml: a commit of a
good manifest is accepted and a commit of a bad one is refused."""
import os
import pathlib
import shutil
import subprocess

import pytest


def git(*args, cwd, env):
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.fixture
def env(slipway, tmp_path):
    e = dict(os.environ)
    e.update({
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": os.path.dirname(slipway) + os.pathsep + e.get("PATH", ""),
        "HOME": str(tmp_path),
    })
    e.pop("GIT_DIR", None)
    e.pop("GIT_INDEX_FILE", None)
    return e


def test_commit_is_accepted_then_refused(repo, tmp_path, env):
    venv_bin = pathlib.Path(os.environ.get("VIRTUAL_ENV", repo / ".venv")) / "bin"
    pre_commit = str(venv_bin / "pre-commit") if (venv_bin / "pre-commit").exists() else shutil.which("pre-commit")
    assert pre_commit, "pre-commit is not installed (make venv)"

    # A hook repository holding this checkout's .pre-commit-hooks.yaml at a fresh commit, so the test sees
    # the hook definition as it is in the working tree.
    hooks = tmp_path / "hooks-repo"
    hooks.mkdir()
    shutil.copy(repo / ".pre-commit-hooks.yaml", hooks / ".pre-commit-hooks.yaml")
    git("init", "-q", cwd=hooks, env=env)
    git("add", ".", cwd=hooks, env=env)
    assert git("commit", "-qm", "hooks", cwd=hooks, env=env).returncode == 0
    rev = git("rev-parse", "HEAD", cwd=hooks, env=env).stdout.decode().strip()

    work = tmp_path / "project"
    work.mkdir()
    git("init", "-q", cwd=work, env=env)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: slipway-check\n")
    (work / "models").mkdir()
    # A real model: the target checks read it.
    (work / "models" / "kws.onnx").write_bytes((pathlib.Path(__file__).resolve().parents[2] / "examples" / "kws-mcu" / "models" / "ds_cnn_kws.onnx").read_bytes())
    assert subprocess.run([pre_commit, "install"], cwd=work, env=env, capture_output=True).returncode == 0

    (work / "kws.slipway.yaml").write_text(
        "slipway: 1\nmodel: {path: models/kws.onnx}\ntargets: {android: {runtime: litert}}\n")
    git("add", ".", cwd=work, env=env)
    good = git("commit", "-m", "good manifest", cwd=work, env=env)
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()

    (work / "kws.slipway.yaml").write_text(
        "slipway: 1\nmodel: {pth: models/kws.onnx}\ntargets: {android: {runtime: litert}}\n")
    git("add", ".", cwd=work, env=env)
    bad = git("commit", "-m", "bad manifest", cwd=work, env=env)
    out = bad.stdout.decode() + bad.stderr.decode()
    assert bad.returncode != 0
    assert "SW2001" in out and "did you mean 'path'?" in out
    # The refused commit did not happen.
    log = git("log", "--oneline", cwd=work, env=env).stdout.decode().splitlines()
    assert len(log) == 1
