#!/usr/bin/env python3
"""GGUF fixtures for the llama.cpp tensor-type check (SW4019), written by the `gguf` package's GGUFWriter.

    .venv/bin/python scripts/make_gguf_type_fixtures.py

- Tests/Fixtures/targets/gguf_new_types.gguf: F32, Q4_0 (every GGUF release loads them), TQ1_0 (llama.cpp added it in
  September 2024) and MXFP4 (August 2025), each quantized by gguf-py from the same random values.
- Tests/Fixtures/targets/gguf_q4_0_4_4.gguf: F32 and one tensor of type 31, Q4_0_4_4, the ARM-repacked Q4_0 that
  llama.cpp loaded from GGUF files in late 2024 and then removed. gguf-py no longer knows the type, so the tensor
  is written as Q4_0 (the same 18-byte blocks of 32) and its type id patched to 31 in the tensor info.

The architecture is not one Slipway analyses (`fixture`), so the checks see only the tensors.
"""
import pathlib
import struct

import gguf
import numpy as np
from gguf import GGMLQuantizationType as Q

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "targets"
rng = np.random.default_rng(12)


def write(name, tensors):
    path = OUT / name
    w = gguf.GGUFWriter(str(path), arch="fixture")
    w.add_name(name.removesuffix(".gguf"))
    for tname, q, data in tensors:
        if q in (Q.F32,):
            w.add_tensor(tname, data)
        else:
            w.add_tensor(tname, gguf.quants.quantize(data, q), raw_dtype=q)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def patch_type(path, tensor, type_id):
    """Sets `tensor`'s ggml type id in its tensor info: name (u64 length + bytes), n_dims u32, dims u64 each, type u32."""
    raw = bytearray(path.read_bytes())
    key = struct.pack("<Q", len(tensor)) + tensor.encode()
    at = raw.index(key) + len(key)
    (n_dims,) = struct.unpack_from("<I", raw, at)
    at += 4 + 8 * n_dims
    struct.pack_into("<I", raw, at, type_id)
    path.write_bytes(bytes(raw))


def main():
    values = rng.standard_normal((2, 256)).astype(np.float32)
    norm = rng.standard_normal(16).astype(np.float32)
    write("gguf_new_types.gguf", [
        ("norm.weight", Q.F32, norm),
        ("q4_0.weight", Q.Q4_0, values),
        ("tq1_0.weight", Q.TQ1_0, values),
        ("mxfp4.weight", Q.MXFP4, values),
    ])
    p = write("gguf_q4_0_4_4.gguf", [("norm.weight", Q.F32, norm), ("q4_0_4_4.weight", Q.Q4_0, values)])
    patch_type(p, "q4_0_4_4.weight", 31)
    for n in ("gguf_new_types.gguf", "gguf_q4_0_4_4.gguf"):
        print(f"{(OUT / n).stat().st_size:>8}  {n}")


if __name__ == "__main__":
    main()
