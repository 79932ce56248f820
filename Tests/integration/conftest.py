"""Shared fixtures for the integration tests: they run the built `slipway` binary as users and tools do."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def slipway():
    path = os.environ.get("SLIPWAY_BIN", str(REPO / ".build" / "debug" / "slipway"))
    if not os.path.exists(path):
        pytest.fail(f"slipway binary not found at {path}: run `make build` (or set SLIPWAY_BIN)")
    return path


@pytest.fixture
def run(slipway):
    def _run(*args, cwd=None, env=None, input=None, timeout=120):
        full_env = dict(os.environ)
        full_env.pop("NO_COLOR", None)
        if env:
            full_env.update(env)
        return subprocess.run([slipway, *args], cwd=cwd, env=full_env, input=input,
                              capture_output=True, timeout=timeout)
    return _run


@pytest.fixture
def repo():
    return REPO
