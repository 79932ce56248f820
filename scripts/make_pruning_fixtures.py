#!/usr/bin/env python3
"""Writes Tests/Fixtures/estimate/pruned_cnn.onnx with `onnx`: a small CNN exported after magnitude pruning
in training, so its middle convolution (conv2.weight) is already 70 % exact zeros. The "already sparse"
diagnostic (SW5005) and the pruning-only estimates are specified on it.

Run with .venv's python: `python scripts/make_pruning_fixtures.py` (seeded: the file comes out byte-identical).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "estimate")


def main():
    rng = np.random.default_rng(11)
    w1 = (rng.standard_normal((16, 1, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((32, 16, 3, 3)) * 0.1).astype(np.float32)
    # Magnitude pruning to 70 %, as a pruned checkpoint stores it: the smallest magnitudes are exact zeros.
    cut = np.quantile(np.abs(w2), 0.7)
    w2[np.abs(w2) < cut] = 0
    w3 = (rng.standard_normal((10, 32)) * 0.1).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "conv1.weight"), (w2, "conv2.weight"), (w3, "fc.weight"), (np.zeros(10, np.float32), "fc.bias")]]
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "conv2.weight"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], transB=1, name="fc"),
    ]
    g = helper.make_graph(nodes, "pruned_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="slipway-pruning-fixtures",
                          producer_version="1")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT, "pruned_cnn.onnx")
    onnx.save_model(m, path)
    print(f"wrote Tests/Fixtures/estimate/pruned_cnn.onnx ({os.path.getsize(path)} bytes, "
          f"conv2.weight {np.mean(w2 == 0):.0%} zeros)")


if __name__ == "__main__":
    main()
