"""Every one-node backend test model that ships in the pinned onnx wheel (about 1,300 models, 191 operator
types, opsets 1 to 22) is inspected without an error, and slipway agrees with `onnx` on its operators and
tensors. The models come from the installed onnx package; if it lacks them, from the wheel, downloaded once
into .cache/ (never committed)."""
import concurrent.futures
import pathlib
import subprocess
import sys
import zipfile

import onnx
import pytest

from test_inspect_crosscheck import compare_onnx, inspect

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "onnx-backend-node"


def node_models():
    installed = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
    if installed.is_dir():
        return sorted(installed.glob("*/model.onnx"))
    if not CACHE.is_dir():
        wheel_dir = ROOT / ".cache" / "wheels"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"onnx=={onnx.__version__}",
                        "-d", str(wheel_dir)], check=True)
        wheel = next(wheel_dir.glob(f"onnx-{onnx.__version__}-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if name.startswith("onnx/backend/test/data/node/") and name.endswith("/model.onnx"):
                    target = CACHE / pathlib.Path(name).relative_to("onnx/backend/test/data/node")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(name))
    return sorted(CACHE.glob("*/model.onnx"))


def test_every_backend_node_model_reads_like_onnx_reads_it():
    models = node_models()
    assert len(models) > 1000

    def check(path):
        try:
            compare_onnx(path, inspect(path))
            return None
        except AssertionError as e:
            return f"{path.parent.name}: {e}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(check, models) if f]
    op_types = {n.op_type for p in models for n in onnx.load(str(p), load_external_data=False).graph.node}
    assert len(op_types) >= 150
    if failures:
        pytest.fail(f"{len(failures)} of {len(models)} models disagree:\n" + "\n".join(failures[:20]))
