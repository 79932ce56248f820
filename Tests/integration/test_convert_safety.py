"""Issue 17, "nothing is lost or escapes": the cases that need a real process — kill -9, SIGSTOP, SIGTERM,
concurrent runs, a full file system — against the built binary."""
import fcntl
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests/Fixtures/conversion"


def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def temporaries(folder):
    return sorted(p.name for p in pathlib.Path(folder).iterdir() if ".slipway-tmp-" in p.name)


def big_model(path, layers=24, size=1024):
    """A model big enough (100 MB) that a conversion is still writing when a signal arrives."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((size, size)).astype(np.float32), f"w{i}") for i in range(layers)]
    nodes, prev = [], "x"
    for i in range(layers):
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
        prev = f"h{i}"
    g = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, size])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, size])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def start(slipway, *args):
    return subprocess.Popen([slipway, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_temporary(p, folder, timeout=60):
    """Polls until the running conversion has a temporary in `folder`; None if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        found = temporaries(folder)
        if found:
            return found
        time.sleep(0.001)
    return None


def test_kill_9_leaves_temporaries_with_its_pid_that_the_next_run_removes(slipway, run, tmp_path):
    src = big_model(tmp_path / "big.onnx")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for _ in range(5):
        p = start(slipway, "convert", str(src), "--output", str(out_dir / "m.onnx"), "--float16")
        found = wait_for_temporary(p, out_dir)
        if found:
            p.send_signal(signal.SIGKILL)
            p.communicate(timeout=60)
            break
        p.communicate(timeout=120)
        shutil.rmtree(out_dir)
        out_dir.mkdir()
    else:
        pytest.skip("the conversion never had a temporary when polled")
    left = temporaries(out_dir)
    # What kill -9 leaves: named with the dead writer's PID.
    assert left and all(f".slipway-tmp-{p.pid}-" in n for n in left), left
    # A file that only looks like one, and a live process's temporary, are not the sweep's.
    (out_dir / "notes.slipway-tmp-1-x").write_bytes(b"mine")
    live = out_dir / f".other.onnx.slipway-tmp-{os.getpid()}-0123abcd"
    live.write_bytes(b"live writer")
    r = run("convert", str(FIXTURES / "opset11_gemm.onnx"), "--output", str(out_dir / "small.onnx"), "--weights", "int8")
    assert r.returncode == 0, r.stderr.decode()
    assert temporaries(out_dir) == sorted(["notes.slipway-tmp-1-x", live.name])
    assert not (out_dir / "m.onnx").exists()


def test_a_stopped_writer_keeps_its_temporaries_and_finishes(slipway, run, tmp_path):
    src = big_model(tmp_path / "big.onnx")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    p = start(slipway, "convert", str(src), "--output", str(out_dir / "m.onnx"), "--float16")
    found = wait_for_temporary(p, out_dir)
    if not found:
        p.communicate(timeout=120)
        pytest.skip("the conversion finished before it was seen writing")
    p.send_signal(signal.SIGSTOP)
    try:
        held = temporaries(out_dir)
        r = run("convert", str(FIXTURES / "opset11_gemm.onnx"), "--output", str(out_dir / "small.onnx"), "--weights", "int8")
        assert r.returncode == 0, r.stderr.decode()
        # Its writer is alive (stopped): its temporary is not stale.
        assert set(held) <= set(temporaries(out_dir))
    finally:
        p.send_signal(signal.SIGCONT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err.decode()
    report = json.loads((out_dir / "m.onnx.report.json").read_text())
    assert report["output"]["sha256"] == sha(out_dir / "m.onnx")
    assert temporaries(out_dir) == []


def test_sigterm_cancels_like_sigint_and_leaves_nothing(slipway, tmp_path):
    src = big_model(tmp_path / "big.onnx")
    out = tmp_path / "out" / "m.onnx"
    p = start(slipway, "convert", str(src), "--output", str(out), "--weights", "int8")
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    if p.returncode == 0:
        pytest.skip("the conversion finished before the signal")
    # Handled (128 + SIGTERM, after cleaning up), not killed by it.
    assert p.returncode == 128 + signal.SIGTERM, err.decode()
    assert b"cancelled" in err
    assert not out.exists() and not pathlib.Path(str(out) + ".report.json").exists()
    assert not list(tmp_path.rglob("*slipway-tmp*")) and not list(tmp_path.rglob("*.slipway-lock"))


def test_concurrent_converts_to_one_output_take_turns(slipway, tmp_path):
    src = tmp_path / "enc.onnx"
    shutil.copy(REPO / "examples/transformer-server/models/encoder.onnx", src)
    out = tmp_path / "dist" / "m.onnx"
    settings = [["--weights", "int8"], ["--weights", "uint8", "--granularity", "per-tensor"]]
    mismatches = 0
    rounds = 20
    for i in range(rounds):
        ps = [start(slipway, "convert", str(src), "--output", str(out), "--force", *s) for s in settings]
        for p in ps:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()
        report = json.loads(pathlib.Path(str(out) + ".report.json").read_text())
        if report["output"]["sha256"] != sha(out):
            mismatches += 1
    assert mismatches == 0, f"{mismatches} of {rounds} rounds left a report that does not match the artifact"
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.onnx", "m.onnx.report.json"]


def test_a_held_lock_names_its_pid_after_the_bounded_wait(run, tmp_path):
    out = tmp_path / "m.onnx"
    with open(str(out) + ".slipway-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        started = time.monotonic()
        r = run("convert", str(FIXTURES / "opset11_gemm.onnx"), "--output", str(out), "--weights", "int8",
                "--lock-timeout", "0.5")
        waited = time.monotonic() - started
    assert r.returncode == 1
    assert f"is locked by PID {os.getpid()}, which is converting to it".encode() in r.stderr
    assert 0.5 <= waited < 10
    assert not out.exists()


def test_the_source_external_data_is_never_an_output(run, tmp_path):
    for f in ["ext_data.onnx", "ext_data.onnx.data"]:
        shutil.copy(FIXTURES / f, tmp_path / f)
    before = sha(tmp_path / "ext_data.onnx.data")
    r = run("convert", str(tmp_path / "ext_data.onnx"), "--output", str(tmp_path / "ext_data.onnx.data"), "--weights", "int8")
    assert r.returncode == 1
    assert b"it is the input" in r.stderr and b"ext_data.onnx.data" in r.stderr
    assert sha(tmp_path / "ext_data.onnx.data") == before
    # The model still loads with its data.
    onnx.checker.check_model(onnx.load(str(tmp_path / "ext_data.onnx")))


@pytest.mark.parametrize("yaml", [
    "targets: {a: {runtime: onnxruntime, format: onnx, output: nosuchdir/../../x.onnx}}",
    "targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/../../x.{ext}\"}",
    "targets: {a: {runtime: onnxruntime, format: onnx}}\ndeploy: {to: \"dist/{version}/x.{ext}\", version: ../../../v}",
])
def test_check_warns_exactly_where_convert_refuses(run, tmp_path, yaml):
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(FIXTURES / "opset11_gemm.onnx", proj / "m.onnx")
    (proj / "a.slipway.yaml").write_text(
        "slipway: 1\nmodel: {path: m.onnx}\noptimize: {quantize: {weights: int8}}\n" + yaml + "\n")
    c = run("check", "a.slipway.yaml", cwd=proj)
    assert b"SW3004" in c.stdout + c.stderr
    r = run("convert", "a.slipway.yaml", cwd=proj)
    assert r.returncode == 1 and b"--allow-outside-project" in r.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.slipway.yaml", "m.onnx", "proj"]


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "full"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def fill(folder, leave):
    """Fills the file system of `folder` until only `leave` bytes (rounded down to pages) are free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(folder / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))
        f.flush()
        os.fsync(f.fileno())


def test_a_full_disk_while_writing_the_report_leaves_the_previous_pair(run, small_tmpfs, tmp_path):
    src = FIXTURES / "opset11_gemm.onnx"
    out = small_tmpfs / "m.onnx"
    new_settings = ["--weights", "uint8", "--granularity", "per-tensor"]
    # The new artifact's size, from the same conversion elsewhere.
    r = run("convert", str(src), "--output", str(tmp_path / "ref.onnx"), *new_settings)
    assert r.returncode == 0, r.stderr.decode()
    # Room for the new artifact's pages and the lock file's, not for the report too.
    room = ((os.path.getsize(tmp_path / "ref.onnx") + 4095) // 4096) * 4096 + 4096
    r = run("convert", str(src), "--output", str(out), "--weights", "int8")
    assert r.returncode == 0, r.stderr.decode()
    old_artifact, old_report = out.read_bytes(), pathlib.Path(str(out) + ".report.json").read_bytes()
    assert json.loads(old_report)["output"]["sha256"] == sha(out)
    fill(small_tmpfs, leave=room)
    r = run("convert", str(src), "--output", str(out), *new_settings)
    assert r.returncode == 1
    # It is the report that did not fit (the artifact had been staged).
    assert f"cannot write {out}.report.json: No space left on device".encode() in r.stderr
    assert out.read_bytes() == old_artifact
    assert pathlib.Path(str(out) + ".report.json").read_bytes() == old_report
    assert temporaries(small_tmpfs) == [] and not list(small_tmpfs.glob("*.slipway-lock"))
    # Without a previous pair: no artifact without its report.
    out.unlink()
    pathlib.Path(str(out) + ".report.json").unlink()
    (small_tmpfs / "filler").unlink()
    fill(small_tmpfs, leave=room)
    r = run("convert", str(src), "--output", str(out), *new_settings)
    assert r.returncode == 1
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["filler"]
