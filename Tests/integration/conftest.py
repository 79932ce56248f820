"""Shared fixtures for the integration tests: they run the built `slipway` binary as users and tools do."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# A test slower than this is named as soon as it ends (not only in --durations' summary at the end): when CI stops a
# run at its time limit, the log still says where the time went.
SLOW_SECONDS = 60
_config = None


def pytest_configure(config):
    global _config
    _config = config


def pytest_runtest_logreport(report):
    # Under pytest-xdist the controller receives every worker's reports; a worker's own terminal is not shown.
    if report.when != "call" or report.duration < SLOW_SECONDS or _config is None or hasattr(_config, "workerinput"):
        return
    reporter = _config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"slow: {report.nodeid} took {report.duration:.0f} s")


@pytest.fixture(scope="session")
def slipway():
    path = os.environ.get("SLIPWAY_BIN", str(REPO / ".build" / "debug" / "slipway"))
    if not os.path.exists(path):
        pytest.fail(f"slipway binary not found at {path}: run `make build` (or set SLIPWAY_BIN)")
    return path


@pytest.fixture
def run(slipway):
    # The limit only stops a hung command: the tests run two at a time (pytest-xdist), and a conversion beside another
    # took 80-210 s on 2 cores.
    def _run(*args, cwd=None, env=None, input=None, timeout=600):
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
