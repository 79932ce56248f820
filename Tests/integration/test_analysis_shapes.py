"""Slipway's shape analysis against onnx's own `shape_inference.infer_shapes(..., data_prop=True)` on every
one-node backend test model of the pinned onnx wheel: wherever both know a tensor's static shape they agree,
and the share of tensors onnx resolves that Slipway also resolves is measured and may only grow."""
import collections
import concurrent.futures
import json
import subprocess

import onnx
import pytest

from test_onnx_backend_models import node_models

# Tensors onnx resolves that Slipway does not, as a share of all tensors onnx resolves: a ratchet. Lower it as
# the analysis learns operators; a rise fails the test.
MAX_MISSING_SHARE = 0.09


def static_shapes(model):
    """Name -> static shape of every value onnx's inference resolves (inputs, outputs, intermediates)."""
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    out = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        if all(d is not None for d in dims):
            out[vi.name] = dims
    return out


def analyse(slipway, path):
    p = subprocess.run([slipway, "inspect", "--json", "--analysis", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode >= 0, f"{path.parent.name}: killed by signal {-p.returncode}"
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)["analysis"]


def test_shapes_agree_with_onnx_shape_inference(slipway):
    models = node_models()
    assert len(models) > 1000

    def one(path):
        try:
            m = onnx.load(str(path))
            expected = static_shapes(m)
        except Exception:  # models onnx itself cannot infer are not a reference
            return path, None, None
        return path, expected, analyse(slipway, path)

    disagreements, missing_by_op = [], collections.Counter()
    resolved = total = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for path, expected, got in pool.map(one, models):
            if expected is None or got is None:
                continue
            producer = {o: n.op_type for n in onnx.load(str(path)).graph.node for o in n.output}
            for name, dims in expected.items():
                total += 1
                mine = got["shapes"].get(name)
                if mine is None:
                    missing_by_op[producer.get(name, "graph input")] += 1
                elif mine != dims:
                    disagreements.append(f"{path.parent.name}: {name} onnx {dims}, slipway {mine}")
                else:
                    resolved += 1
    assert total > 3000
    by_model = collections.OrderedDict()
    for d in disagreements:
        by_model.setdefault(d.split(":")[0], d)
    assert disagreements == [], f"{len(disagreements)} shapes differ in {len(by_model)} models:\n" + "\n".join(list(by_model.values())[:150])
    missing = total - resolved
    print(f"\nslipway resolves {resolved} of {total} tensors onnx resolves ({missing} missing); most missing by operator: "
          f"{missing_by_op.most_common(25)}")
    assert missing / total <= MAX_MISSING_SHARE
