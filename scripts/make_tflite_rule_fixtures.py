#!/usr/bin/env python3
"""Writes Tests/Fixtures/targets/tflite_rules.tflite: one of each TFLite operator family whose cost rule the
TFLite converter rarely emits (recurrent layers, scans, selections, 3-D transposed convolution, random
generators, CALL of a subgraph, a fused activation on ADD), with static shapes, written directly through
ai-edge-litert's generated schema (object API), so no TensorFlow is needed:

    .venv/bin/python scripts/make_tflite_rule_fixtures.py

The expected MACs are written out in Tests/TargetsTests/TFLiteRuleTests.swift.
"""
import pathlib

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "targets" / "tflite_rules.tflite"
OP = s.BuiltinOperator
F32, I32 = s.TensorType.FLOAT32, s.TensorType.INT32


class Graph:
    def __init__(self, model, name):
        self.model, self.g = model, s.SubGraphT()
        self.g.name, self.g.tensors, self.g.operators = name.encode(), [], []

    def tensor(self, name, shape, dtype=F32, data=None, variable=False):
        t = s.TensorT()
        t.name, t.shape, t.type, t.isVariable = name.encode(), np.array(shape, np.int32), dtype, variable
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = np.frombuffer(np.asarray(data, np.float32 if dtype == F32 else np.int32).tobytes(), np.uint8)
            self.model.buffers.append(b)
            t.buffer = len(self.model.buffers) - 1
        self.g.tensors.append(t)
        return len(self.g.tensors) - 1

    def weight(self, name, shape):
        return self.tensor(name, shape, data=np.full(shape, 0.1, np.float32))

    def op(self, code, inputs, outputs, options_type=0, options=None):
        codes = self.model.operatorCodes
        index = next((i for i, c in enumerate(codes) if c.builtinCode == code), None)
        if index is None:
            c = s.OperatorCodeT()
            c.builtinCode, c.deprecatedBuiltinCode, c.version = code, min(code, 127), 1
            codes.append(c)
            index = len(codes) - 1
        o = s.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = index, list(inputs), list(outputs)
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.g.operators.append(o)


def build():
    m = s.ModelT()
    m.version, m.description, m.operatorCodes, m.subgraphs = 3, b"slipway tflite_rules fixture", [], []
    m.buffers = [s.BufferT()]
    main, callee = Graph(m, "main"), Graph(m, "callee")

    # UNIDIRECTIONAL_SEQUENCE_LSTM: x [batch 2, time 5, features 3], 4 cells, no projection, no peepholes.
    x = main.tensor("x", [2, 5, 3])
    w_in = [main.weight(f"w_{g}", [4, 3]) for g in "ifco"]
    w_rec = [main.weight(f"r_{g}", [4, 4]) for g in "ifco"]
    bias = [main.weight(f"b_{g}", [4]) for g in "ifco"]
    h0 = main.tensor("lstm_h", [2, 4], variable=True)
    c0 = main.tensor("lstm_c", [2, 4], variable=True)
    seq = main.tensor("lstm_out", [2, 5, 4])
    lstm = s.UnidirectionalSequenceLSTMOptionsT()
    lstm.fusedActivationFunction = s.ActivationFunctionType.TANH
    main.op(OP.UNIDIRECTIONAL_SEQUENCE_LSTM, [x, *w_in, *w_rec, -1, -1, -1, *bias, -1, -1, h0, c0, -1, -1, -1, -1],
            [seq], s.BuiltinOptions.UnidirectionalSequenceLSTMOptions, lstm)

    # RNN: one step of a [2, 3] input into 4 units.
    step = main.tensor("step", [2, 3])
    rnn_out = main.tensor("rnn_out", [2, 4])
    rnn = s.RNNOptionsT()
    rnn.fusedActivationFunction = s.ActivationFunctionType.TANH
    main.op(OP.RNN, [step, main.weight("rnn_w", [4, 3]), main.weight("rnn_r", [4, 4]), main.weight("rnn_b", [4]),
                     main.tensor("rnn_h", [2, 4], variable=True)], [rnn_out], s.BuiltinOptions.RNNOptions, rnn)

    # CUMSUM over axis 1, TOPK_V2 (k = 2), ADD with a fused RELU.
    cum = main.tensor("cumsum", [2, 4])
    main.op(OP.CUMSUM, [rnn_out, main.tensor("axis", [], I32, data=[1])], [cum])
    values, indices = main.tensor("top_values", [2, 2]), main.tensor("top_indices", [2, 2], I32)
    main.op(OP.TOPK_V2, [cum, main.tensor("k", [], I32, data=[2])], [values, indices])
    added = main.tensor("added", [2, 4])
    add = s.AddOptionsT()
    add.fusedActivationFunction = s.ActivationFunctionType.RELU
    main.op(OP.ADD, [cum, rnn_out], [added], s.BuiltinOptions.AddOptions, add)

    # CALL of subgraph 1, which squares its input (MUL).
    called = main.tensor("called", [2, 4])
    call = s.CallOptionsT()
    call.subgraph = 1
    main.op(OP.CALL, [added], [called], s.BuiltinOptions.CallOptions, call)
    ci, co = callee.tensor("in", [2, 4]), callee.tensor("out", [2, 4])
    callee.op(OP.MUL, [ci, ci], [co])
    callee.g.inputs, callee.g.outputs = [ci], [co]

    # CONV_3D_TRANSPOSE: input [1, 2, 2, 2, 3], filter [2, 2, 2, 4 out, 3 in], output [1, 4, 4, 4, 4].
    vol = main.tensor("volume", [1, 2, 2, 2, 3])
    up = main.tensor("upsampled", [1, 4, 4, 4, 4])
    main.op(OP.CONV_3D_TRANSPOSE, [main.tensor("out_shape", [5], I32, data=[1, 4, 4, 4, 4]),
                                   main.weight("filter3d", [2, 2, 2, 4, 3]), vol], [up])

    # RANDOM_UNIFORM of shape [2, 3].
    noise = main.tensor("noise", [2, 3])
    main.op(OP.RANDOM_UNIFORM, [main.tensor("noise_shape", [2], I32, data=[2, 3])], [noise])

    main.g.inputs, main.g.outputs = [x, step, vol], [seq, values, called, up, noise]
    m.subgraphs = [main.g, callee.g]
    b = flatbuffers.Builder(4096)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    OUT.write_bytes(bytes(b.Output()))
    print(f"wrote {OUT.relative_to(OUT.parents[3])} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    build()
