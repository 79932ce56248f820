#!/usr/bin/env python3
"""Writes the fuzz-keras seeds whose HDF5 groups link back to themselves (a walk that follows every link
doubles at each level: before the readers followed hard links only, each group once, these took minutes):
  Tests/Fixtures/fuzz/keras/timeout-hdf5-group-links-itself: a plain HDF5 file, group `a` holding two hard
    links and a soft link to itself;
  Tests/Fixtures/fuzz/keras/timeout-keras-weights-group-links-itself: Tests/Fixtures/keras/small_cnn.keras
    with `layers/conv2d` of its model.weights.h5 linked from inside itself the same three ways.
Needs h5py (the TensorFlow venv has it). Rerun after changing this file."""
import io
import pathlib
import zipfile

import h5py

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/Fixtures/fuzz/keras"


def link_to_itself(group, path):
    group["again"] = group
    group["again2"] = group
    group["soft"] = h5py.SoftLink(path)


def plain():
    buf = io.BytesIO()
    with h5py.File(buf, "w", track_order=False) as f:
        link_to_itself(f.create_group("a"), "/a")
    return buf.getvalue()


def archive():
    source = zipfile.ZipFile(ROOT / "Tests/Fixtures/keras/small_cnn.keras")
    weights = io.BytesIO(source.read("model.weights.h5"))
    with h5py.File(weights, "r+") as f:
        link_to_itself(f["layers/conv2d"], "/layers/conv2d")
    out = io.BytesIO()
    # Keras writes its archives stored; the reader opens the weights where they lie.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in ["metadata.json", "config.json"]:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            z.writestr(info, source.read(name))
        z.writestr(zipfile.ZipInfo("model.weights.h5", date_time=(2026, 1, 1, 0, 0, 0)), weights.getvalue())
    return out.getvalue()


def main():
    (OUT / "timeout-hdf5-group-links-itself").write_bytes(plain())
    (OUT / "timeout-keras-weights-group-links-itself").write_bytes(archive())


if __name__ == "__main__":
    main()
