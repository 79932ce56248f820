#!/usr/bin/env python3
"""Writes the model fixtures under Tests/Fixtures/models/ with the real producer libraries.

CI never runs this: it reads the committed files. To regenerate, use a throwaway venv outside the repo that
has the pinned requirements-test.txt packages plus tensorflow-cpu (the only TFLite producer here):

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu -r requirements-test.txt
    /tmp/tfvenv/bin/python scripts/make_model_fixtures.py

Every fixture is a few KB. Seeds are fixed, so reruns give the same tensors (TFLite bytes may still differ
between TensorFlow versions).
"""
import os
import pathlib
import struct

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "models"
rng = np.random.default_rng(7)


def onnx_fixtures():
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)

    # A small CNN whose sub-graphs read an outer initializer, with every Constant form.
    w1 = numpy_helper.from_array(f32(8, 1, 3, 3), "conv1.weight")
    b1 = numpy_helper.from_array(f32(8), "conv1.bias")
    wg = numpy_helper.from_array(f32(8, 2, 3, 3), "conv2.weight")  # grouped: group=4
    fc = numpy_helper.from_array(f32(10, 8), "fc.weight")
    fcb = numpy_helper.from_array(f32(10), "fc.bias")
    half = numpy_helper.from_array(f32(4).astype(np.float16), "unused.half")
    then_graph = helper.make_graph(
        [helper.make_node("Add", ["logits", "fc.bias"], ["then_out"])], "then_branch", [],
        [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, ["batch", 10])])
    else_graph = helper.make_graph(
        [helper.make_node("Constant", [], ["else_bias"], value=numpy_helper.from_array(f32(10), "ignored")),
         helper.make_node("Sub", ["logits", "else_bias"], ["else_out"])], "else_branch", [],
        [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, ["batch", 10])])
    loop_body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Mul", ["acc_in", "loop_scale"], ["acc_out"])], "loop_body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, None)])
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], strides=[1, 1], pads=[1, 1, 1, 1],
                         dilations=[1, 1], kernel_shape=[3, 3], group=1),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "conv2.weight"], ["c2"], strides=[2, 2], pads=[1, 1, 1, 1], group=4),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["pooled"]),
        helper.make_node("Constant", [], ["flat_shape"], value_ints=[-1, 8]),
        helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], transA=0, transB=1),
        helper.make_node("Constant", [], ["threshold"], value_float=0.5),
        helper.make_node("Constant", [], ["scales"], value_floats=[1.0, 2.0, 3.0]),
        helper.make_node("Constant", [], ["trip"], value_int=2),
        helper.make_node("ReduceMean", ["logits"], ["mean"], keepdims=0),
        helper.make_node("Greater", ["mean", "threshold"], ["cond"]),
        helper.make_node("If", ["cond"], ["branch_out"], then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Constant", [], ["loop_scale"], value=numpy_helper.from_array(np.float32(0.9), "s")),
        helper.make_node("Constant", [], ["true"], value=numpy_helper.from_array(np.array(True), "t")),
        helper.make_node("Loop", ["trip", "true", "branch_out"], ["y"], body=loop_body),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
        initializer=[w1, b1, wg, fc, fcb, half])
    model = helper.make_model(graph, producer_name="slipway-fixtures", producer_version="1",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.metadata_props.add(key="purpose", value="tests")
    onnx.checker.check_model(model)
    onnx.save(model, OUT / "small_cnn.onnx")

    # Typed repeated fields instead of raw_data, every dtype family, and a sparse initializer.
    typed = [
        helper.make_tensor("typed.float", TensorProto.FLOAT, [2, 3], f32(6).tolist()),
        helper.make_tensor("typed.int64", TensorProto.INT64, [4], [1, -2, 3, -4]),
        helper.make_tensor("typed.int32", TensorProto.INT32, [3], [7, -8, 9]),
        helper.make_tensor("typed.double", TensorProto.DOUBLE, [2], [0.25, -0.5]),
        helper.make_tensor("typed.float16", TensorProto.FLOAT16, [3], np.array([1.5, -2.0, 0.1], np.float16)),
        helper.make_tensor("typed.bfloat16", TensorProto.BFLOAT16, [2], [1.0, -3.0]),
        helper.make_tensor("typed.int4", TensorProto.INT4, [5], [1, -2, 3, -4, 7]),
        helper.make_tensor("typed.uint4", TensorProto.UINT4, [4], [1, 2, 3, 15]),
        helper.make_tensor("typed.float8", TensorProto.FLOAT8E4M3FN, [2], [1.0, 2.0]),
        helper.make_tensor("typed.bool", TensorProto.BOOL, [2], [True, False]),
        helper.make_tensor("typed.uint8", TensorProto.UINT8, [2], [1, 255]),
        helper.make_tensor("raw.float16", TensorProto.FLOAT16, [2, 2], np.array([1, 2, 3, 4], np.float16).tobytes(), raw=True),
        helper.make_tensor("raw.bfloat16", TensorProto.BFLOAT16, [2], struct.pack("<HH", 0x3F80, 0xC040), raw=True),
        helper.make_tensor("raw.float64", TensorProto.DOUBLE, [2], np.array([1.5, -2.5]).tobytes(), raw=True),
    ]
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("sparse.values", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0]),
        helper.make_tensor("sparse.indices", TensorProto.INT64, [3], [0, 5, 9]), [10])
    nodes = [helper.make_node("Identity", [t.name], [t.name + ".out"]) for t in typed]
    nodes.append(helper.make_node("Identity", ["sparse.values"], ["sparse.out"]))
    graph = helper.make_graph(nodes, "typed", [], [helper.make_tensor_value_info(n.output[0], t.data_type, None)
                                                  for n, t in zip(nodes, typed)] +
                              [helper.make_tensor_value_info("sparse.out", TensorProto.FLOAT, [10])],
                              initializer=typed, sparse_initializer=[sparse])
    model = helper.make_model(graph, producer_name="slipway-fixtures", opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(model, OUT / "typed_fields.onnx")

    # QDQ-quantized MatMul with int8 weights.
    wq = numpy_helper.from_array(rng.integers(-127, 127, (16, 4)).astype(np.int8), "w.quantized")
    graph = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "x.scale", "x.zero"], ["xq"]),
         helper.make_node("DequantizeLinear", ["xq", "x.scale", "x.zero"], ["xdq"]),
         helper.make_node("DequantizeLinear", ["w.quantized", "w.scale", "w.zero"], ["wdq"], axis=1),
         helper.make_node("MatMul", ["xdq", "wdq"], ["y"])],
        "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])],
        initializer=[wq, numpy_helper.from_array(np.float32(0.05), "x.scale"),
                     numpy_helper.from_array(np.int8(0), "x.zero"),
                     numpy_helper.from_array(np.full(4, 0.01, np.float32), "w.scale"),
                     numpy_helper.from_array(np.zeros(4, np.int8), "w.zero")])
    model = helper.make_model(graph, producer_name="slipway-fixtures", opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, OUT / "quantized_qdq.onnx")

    # External data next to the model, and one whose location escapes the folder.
    ext_graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "ext.weight"], ["y"])], "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])],
        initializer=[numpy_helper.from_array(f32(32, 16), "ext.weight")])
    model = helper.make_model(ext_graph, producer_name="slipway-fixtures", opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, OUT / "external_data.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external_data.bin", size_threshold=0)
    escaped = onnx.load(OUT / "external_data.onnx", load_external_data=False)
    for entry in escaped.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = "../outside.bin"
    onnx.save(escaped, OUT / "external_escape.onnx")


def tflite_fixtures():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(7)
    inputs = tf.keras.Input((8, 8, 3), name="image")
    x = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv")(inputs)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="valid", dilation_rate=1, name="depthwise")(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dense(128, activation="relu", name="hidden")(x)  # big enough for dynamic-range quantization
    outputs = tf.keras.layers.Dense(4, activation="softmax", name="dense")(x)
    model = tf.keras.Model(inputs, outputs)

    def convert(configure=None):
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        if configure:
            configure(converter)
        return converter.convert()

    (OUT / "small_cnn_float.tflite").write_bytes(convert())

    def int8(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = lambda: ([rng.random((1, 8, 8, 3), dtype=np.float32)] for _ in range(16))
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8

    (OUT / "small_cnn_int8.tflite").write_bytes(convert(int8))

    def fp16(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]

    (OUT / "small_cnn_float16.tflite").write_bytes(convert(fp16))

    def dynamic(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]

    (OUT / "small_cnn_dynamic.tflite").write_bytes(convert(dynamic))

    # Control flow becomes extra subgraphs (IF/WHILE); a TensorFlow-only op becomes a custom Flex op.
    class Flow(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="v")])
        def __call__(self, v):
            y = tf.cond(tf.reduce_sum(v) > 0, lambda: v * 2.0, lambda: v - 1.0)
            i = tf.constant(0)
            _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 0.5), [i, y])
            return {"out": tf.math.lgamma(y) + tf.raw_ops.MatrixDiagPartV3(input=tf.reshape(y, [-1, 2, 2]), k=0,
                                                                             padding_value=0.0)[:, :1]}

    flow = Flow()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([flow.__call__.get_concrete_function()], flow)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    (OUT / "control_flow.tflite").write_bytes(converter.convert())

    # The buffer offset/size form that files over 2 GB use, written with the schema's own object API:
    # buffer bytes move after the flatbuffer and the Buffer tables point at them.
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers

    m = schema.ModelT.InitFromPackedBuf(bytearray((OUT / "small_cnn_float.tflite").read_bytes()), 0)
    blobs = []
    for b in m.buffers:
        if b.data is not None and len(b.data) > 0:
            blobs.append(bytes(bytearray(b.data)))
            b.data = None
            b.offset, b.size = 1, len(blobs[-1])  # placeholders, fixed below once the flatbuffer size is known
        else:
            blobs.append(None)
    for _ in range(2):  # offsets change the flatbuffer's size only in the first pass
        builder = flatbuffers.Builder(1024)
        builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
        head = bytes(builder.Output())
        position = (len(head) + 15) // 16 * 16
        for b, blob in zip(m.buffers, blobs):
            if blob is not None:
                b.offset, b.size = position, len(blob)
                position = (position + len(blob) + 15) // 16 * 16
    out = bytearray(head)
    for b, blob in zip(m.buffers, blobs):
        if blob is not None:
            out.extend(b"\0" * (b.offset - len(out)))
            out.extend(blob)
    (OUT / "buffer_offsets.tflite").write_bytes(bytes(out))


def safetensors_fixtures():
    import ml_dtypes
    from safetensors.numpy import save_file

    tensors = {
        "f64": rng.standard_normal((2, 3)),
        "f32": rng.standard_normal((4, 5)).astype(np.float32),
        "f16": rng.standard_normal((3,)).astype(np.float16),
        "bf16": rng.standard_normal((2, 2)).astype(ml_dtypes.bfloat16),
        "i64": np.arange(3, dtype=np.int64),
        "i32": np.arange(4, dtype=np.int32),
        "i16": np.arange(5, dtype=np.int16),
        "i8": np.arange(-3, 3, dtype=np.int8),
        "u8": np.arange(7, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "f8_e4m3": rng.standard_normal((4,)).astype(ml_dtypes.float8_e4m3fn),
        "f8_e5m2": rng.standard_normal((2, 2)).astype(ml_dtypes.float8_e5m2),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    save_file(tensors, OUT / "all_dtypes.safetensors", metadata={"format": "np", "note": "slipway fixture"})


def gguf_fixtures():
    import gguf
    from gguf import GGMLQuantizationType as Q

    path = OUT / "small.gguf"
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_name("slipway-fixture")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -5)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -300)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -70000)
    w.add_float32("test.f32", 0.5)
    w.add_uint64("test.u64", 2**40)
    w.add_int64("test.i64", -(2**40))
    w.add_float64("test.f64", 0.125)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "hello")
    w.add_array("test.ints", [1, 2, 3])
    w.add_array("test.strings", ["a", "bc"])
    w.add_array("test.long", list(range(40)))
    w.add_array("test.nested", [[1, 2], [3]])
    w.add_tensor("f32", rng.standard_normal((4, 8)).astype(np.float32))
    w.add_tensor("f16", rng.standard_normal((2, 16)).astype(np.float16))
    data = rng.standard_normal((2, 256)).astype(np.float32)
    for q in (Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K, Q.IQ4_NL, Q.TQ2_0):
        try:
            quantized = gguf.quants.quantize(data, q)
        except NotImplementedError:
            block, size = gguf.GGML_QUANT_SIZES[q]
            quantized = rng.integers(0, 255, (2, 256 // block * size), dtype=np.uint8)
        w.add_tensor(q.name.lower(), quantized, raw_dtype=q)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    # v2 and v3 share the layout (v3 only allows big-endian files), so the v2 fixture differs in its version.
    v2 = bytearray(path.read_bytes())
    v2[4:8] = struct.pack("<I", 2)
    (OUT / "small_v2.gguf").write_bytes(bytes(v2))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    onnx_fixtures()
    safetensors_fixtures()
    gguf_fixtures()
    tflite_fixtures()
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>8}  {p.name}")
