#!/usr/bin/env python3
"""Full-int8 TFLite files of the architectures in Coral's Edge TPU benchmark table that keras.applications builds,
for the Edge TPU latency calibration (scripts/catalogue/derive_edgetpu_calibration.py), which reads their MACs and
weight bytes with slipway.

    /work/main/.venv-convert/bin/python scripts/catalogue/build_edgetpu_models.py OUT_DIR [NAME ...]

Runs in the converter's environment (TensorFlow, tf_keras). Each model is built with weights=None at the table's
input size, batch 1 and 1,000 ImageNet classes: the weights' values change neither the MACs nor the stored sizes, so no
trained weights are downloaded. TensorFlow's converter quantizes it fully to int8 (uint8 input and output, as the
Edge TPU compiler takes), calibrated on a few random images. The files are tens of MB each, written to OUT_DIR
(a cache, not committed); an existing file is kept.
"""
import os
import sys

# A table row → the keras.applications builder and the input side the table states.
MODELS = {
    "MobileNet v1 (224x224)": ("MobileNet", 224),
    "MobileNet v2 (224x224)": ("MobileNetV2", 224),
    "Inception-ResNet V2 (299x299)": ("InceptionResNetV2", 299),
    "DenseNet (224x224)": ("DenseNet121", 224),
    "ResNet-50 V1 (299x299)": ("ResNet50", 299),
    "ResNet-50 V2 (299x299)": ("ResNet50V2", 299),
    "ResNet-152 V2 (299x299)": ("ResNet152V2", 299),
    "VGG16 (224x224)": ("VGG16", 224),
    "VGG19 (224x224)": ("VGG19", 224),
}


def file_name(builder, side):
    return f"{builder.lower()}_{side}_b1_int8.tflite"


def build(builder, side, out_dir):
    path = os.path.join(out_dir, file_name(builder, side))
    if os.path.exists(path):
        return path
    import numpy as np
    import tensorflow as tf
    import tf_keras

    # Batch 1, as the Edge TPU compiler needs static shapes (a free batch leaves SHAPE operators in the graph).
    inputs = tf_keras.Input(shape=(side, side, 3), batch_size=1)
    model = getattr(tf_keras.applications, builder)(weights=None, input_tensor=inputs, classes=1000)
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(4):
            yield [rng.uniform(-1, 1, (1, side, side, 3)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.uint8
    data = conv.convert()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    tf_keras.backend.clear_session()
    return path


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    wanted = sys.argv[2:]
    for row, (builder, side) in MODELS.items():
        if wanted and builder not in wanted:
            continue
        path = build(builder, side, out_dir)
        print(f"{row}\t{path}\t{os.path.getsize(path)}", flush=True)


if __name__ == "__main__":
    main()
