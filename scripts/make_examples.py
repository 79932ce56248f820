#!/usr/bin/env python3
"""Builds the small models and data that the example manifests in examples/ name.

Each model is made with the real producer library (`onnx`), from seeded random weights with realistic
shapes and scales, so the files are deterministic: run `make examples` (or this script with .venv's
python) and the committed files come out byte-identical.

- examples/mobile-cnn/models/mobilenet_tiny.onnx  a MobileNet-style CNN (conv, depthwise conv, Clip as ReLU6,
  global pooling, Gemm) for 96x96 RGB images, ~70 k parameters
- examples/transformer-server/models/encoder.onnx  a 2-layer transformer encoder (MatMul attention, Softmax,
  LayerNormalization, Erf-based GELU) with a dynamic batch and sequence length, ~100 k parameters
- examples/kws-mcu/models/ds_cnn_kws.onnx           a DS-CNN keyword spotter over 49x10 MFCC features,
  ~25 k parameters, plus a few calibration and test samples as .npy files
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Graph:
    def __init__(self, name):
        self.name = name
        self.nodes, self.inits = [], []
        self.n = 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, attrs=None, name=None, outputs=1, domain=""):
        self.n += 1
        base = name or f"{op.lower()}_{self.n}"
        outs = [f"{base}_out{i}" if outputs > 1 else f"{base}_out" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=base, domain=domain, **(attrs or {})))
        return outs if outputs > 1 else outs[0]

    def model(self, inputs, outputs, opset, doc):
        g = helper.make_graph(self.nodes, self.name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="slipway-examples",
                              producer_version="1.0", doc_string=doc)
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        return m


def save(model, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(model, path)
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def mobile_cnn(rng):
    g = Graph("mobilenet_tiny")
    x = "image"

    def conv_bn_relu6(x, cin, cout, k, stride, group, name):
        w = g.init(f"{name}.weight", he(rng, (cout, cin // group, k, k), cin // group * k * k))
        b = g.init(f"{name}.bias", (rng.standard_normal(cout) * 0.05).astype(np.float32))
        y = g.node("Conv", [x, w, b], {"kernel_shape": [k, k], "strides": [stride, stride],
                                       "pads": [k // 2] * 4, "group": group}, name=name)
        lo = g.init(f"{name}.relu6_min", np.array(0.0, np.float32))
        hi = g.init(f"{name}.relu6_max", np.array(6.0, np.float32))
        return g.node("Clip", [y, lo, hi], name=f"{name}.relu6")

    y = conv_bn_relu6(x, 3, 16, 3, 2, 1, "stem")
    cin = 16
    for i, (cout, stride) in enumerate([(24, 2), (32, 2), (48, 2), (64, 1), (96, 2)]):
        y = conv_bn_relu6(y, cin, cin, 3, stride, cin, f"block{i}.dw")
        y = conv_bn_relu6(y, cin, cout, 1, 1, 1, f"block{i}.pw")
        cin = cout
    y = g.node("GlobalAveragePool", [y], name="pool")
    y = g.node("Flatten", [y], {"axis": 1}, name="flatten")
    w = g.init("classifier.weight", he(rng, (10, cin), cin))
    b = g.init("classifier.bias", np.zeros(10, np.float32))
    y = g.node("Gemm", [y, w, b], {"transB": 1}, name="classifier")
    g.nodes[-1].output[0] = "logits"
    m = g.model([helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 96, 96])],
                [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], 13,
                "MobileNet-style image classifier, 10 classes, 96x96 RGB input.")
    save(m, os.path.join(ROOT, "mobile-cnn", "models", "mobilenet_tiny.onnx"))


def encoder(rng):
    d, heads, ff, vocab, layers = 64, 4, 128, 512, 2
    g = Graph("encoder")
    emb = g.init("embeddings.word", (rng.standard_normal((vocab, d)) * 0.02).astype(np.float32))
    y = g.node("Gather", [emb, "input_ids"], {"axis": 0}, name="embeddings")
    shape_bshd = g.init("shape.bshd", np.array([0, 0, heads, d // heads], np.int64))
    shape_bsd = g.init("shape.bsd", np.array([0, 0, d], np.int64))
    scale = g.init("attn.scale", np.array(1.0 / np.sqrt(d // heads), np.float32))
    half = g.init("gelu.half", np.array(0.5, np.float32))
    one = g.init("gelu.one", np.array(1.0, np.float32))
    rsqrt2 = g.init("gelu.rsqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))

    def linear(x, din, dout, name):
        w = g.init(f"{name}.weight", he(rng, (din, dout), din) * 0.5)
        b = g.init(f"{name}.bias", np.zeros(dout, np.float32))
        return g.node("Add", [g.node("MatMul", [x, w], name=f"{name}.matmul"), b], name=f"{name}.add")

    def layer_norm(x, name):
        gamma = g.init(f"{name}.weight", np.ones(d, np.float32))
        beta = g.init(f"{name}.bias", np.zeros(d, np.float32))
        return g.node("LayerNormalization", [x, gamma, beta], {"axis": -1, "epsilon": 1e-5}, name=name)

    for l in range(layers):
        p = f"layer{l}"
        heads_of = lambda t, n: g.node("Transpose", [g.node("Reshape", [t, shape_bshd], name=f"{p}.{n}.split")],
                                       {"perm": [0, 2, 1, 3]}, name=f"{p}.{n}.heads")
        q = heads_of(linear(y, d, d, f"{p}.attn.q"), "q")
        k = heads_of(linear(y, d, d, f"{p}.attn.k"), "k")
        v = heads_of(linear(y, d, d, f"{p}.attn.v"), "v")
        kt = g.node("Transpose", [k], {"perm": [0, 1, 3, 2]}, name=f"{p}.attn.kt")
        s = g.node("Mul", [g.node("MatMul", [q, kt], name=f"{p}.attn.scores"), scale], name=f"{p}.attn.scale")
        a = g.node("Softmax", [s], {"axis": -1}, name=f"{p}.attn.softmax")
        o = g.node("MatMul", [a, v], name=f"{p}.attn.context")
        o = g.node("Reshape", [g.node("Transpose", [o], {"perm": [0, 2, 1, 3]}, name=f"{p}.attn.merge"), shape_bsd],
                   name=f"{p}.attn.join")
        y = layer_norm(g.node("Add", [y, linear(o, d, d, f"{p}.attn.out")], name=f"{p}.attn.residual"), f"{p}.ln1")
        h = linear(y, d, ff, f"{p}.ffn.up")
        erf = g.node("Erf", [g.node("Mul", [h, rsqrt2], name=f"{p}.gelu.scale")], name=f"{p}.gelu.erf")
        h = g.node("Mul", [g.node("Mul", [h, half], name=f"{p}.gelu.half"),
                           g.node("Add", [erf, one], name=f"{p}.gelu.add")], name=f"{p}.gelu")
        y = layer_norm(g.node("Add", [y, linear(h, ff, d, f"{p}.ffn.down")], name=f"{p}.ffn.residual"), f"{p}.ln2")
    g.nodes[-1].output[0] = "hidden_states"
    m = g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
                [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", "sequence", d])], 17,
                "Two-layer transformer encoder, d=64, 4 heads, vocabulary 512.")
    save(m, os.path.join(ROOT, "transformer-server", "models", "encoder.onnx"))


def kws(rng):
    g = Graph("ds_cnn_kws")
    x = "mfcc"

    def conv(x, cin, cout, k, stride, group, name):
        kh, kw = k
        w = g.init(f"{name}.weight", he(rng, (cout, cin // group, kh, kw), cin // group * kh * kw))
        b = g.init(f"{name}.bias", (rng.standard_normal(cout) * 0.05).astype(np.float32))
        y = g.node("Conv", [x, w, b], {"kernel_shape": [kh, kw], "strides": stride,
                                       "pads": [kh // 2, kw // 2, kh // 2, kw // 2], "group": group}, name=name)
        return g.node("Relu", [y], name=f"{name}.relu")

    y = conv(x, 1, 64, (10, 4), [2, 2], 1, "conv0")
    for i in range(4):
        y = conv(y, 64, 64, (3, 3), [1, 1], 64, f"ds{i}.dw")
        y = conv(y, 64, 64, (1, 1), [1, 1], 1, f"ds{i}.pw")
    y = g.node("Flatten", [g.node("GlobalAveragePool", [y], name="pool")], {"axis": 1}, name="flatten")
    w = g.init("fc.weight", he(rng, (12, 64), 64))
    b = g.init("fc.bias", np.zeros(12, np.float32))
    g.node("Gemm", [y, w, b], {"transB": 1}, name="fc")
    g.nodes[-1].output[0] = "scores"
    m = g.model([helper.make_tensor_value_info("mfcc", TensorProto.FLOAT, [1, 1, 49, 10])],
                [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 12])], 13,
                "DS-CNN keyword spotter: 12 classes over 49 frames x 10 MFCC coefficients.")
    base = os.path.join(ROOT, "kws-mcu")
    save(m, os.path.join(base, "models", "ds_cnn_kws.onnx"))
    for folder, count in (("calib", 4), ("test", 2)):
        d = os.path.join(base, "data", folder)
        os.makedirs(d, exist_ok=True)
        for i in range(count):
            np.save(os.path.join(d, f"sample_{i:03d}.npy"), rng.standard_normal((1, 1, 49, 10)).astype(np.float32))


def main():
    rng = np.random.default_rng(20261129)
    mobile_cnn(rng)
    encoder(rng)
    kws(rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
