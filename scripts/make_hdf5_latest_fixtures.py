#!/usr/bin/env python3
"""Writes the HDF5 files of the latest format (h5py's libver="latest": superblock 3, version 2 object headers,
dense links and attributes in fractal heaps indexed by version 2 B-trees) that hold the HDF5 guard
(Sources/ModelFormats/Keras/HDF5Walk.swift) to the real writer, and the mutated copies it must refuse.

Run with the converter venv's interpreter (TensorFlow 2.19, Keras 3, h5py):
    .venv-convert/bin/python scripts/make_hdf5_latest_fixtures.py
It writes:
- Tests/Fixtures/keras/small_cnn_latest.h5: scripts/make_keras_fixtures.py's small_cnn (the same seed, so the
  same weights and model_config as small_cnn.h5), saved by Keras 3's legacy HDF5 writer into an h5py file opened
  with libver="latest" (Keras itself opens its files with the default bounds; its writer takes an open file);
- Tests/Fixtures/hdf5/groups_latest.h5 and groups_earliest.h5: one h5py tree written with each bound: a group of
  12 datasets (dense links), a group of 150 hard links to one dataset (a fractal heap with a root indirect
  block, a name index of depth 1), compact attributes, 12 attributes and a 6 KB one (dense attributes, a huge
  heap object), a creation-ordered group (creation order indexes), a committed datatype used by a dataset and
  an attribute, a soft and an external link;
- Tests/Fixtures/hdf5/groups.expected.json: h5py's listing of that tree (every link's path, each group read
  once; every attribute as "path:name"), the same for both files;
- Tests/Fixtures/fuzz/keras/seed-latest-*: small_cnn_latest.h5 with one structure broken each, most with their
  checksums recomputed (so that the guard's later checks, and the fuzzer, reach past the checksum):
  truncated-chunk, bad-checksum, continuation-outside, continuation-to-itself, message-past-chunk,
  btree-records-past-node, heap-id-past-rows (groups_latest.h5's wide group), attribute-value-past-message,
  and the name of the structure and byte each is refused at in seed-latest.expected.json.
Rerun after changing this file; the files are small (the largest 60 KB)."""
import io
import json
import os
import pathlib
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
KERAS = ROOT / "Tests/Fixtures/keras"
HDF5 = ROOT / "Tests/Fixtures/hdf5"
FUZZ = ROOT / "Tests/Fixtures/fuzz/keras"


# --- Jenkins lookup3 hashlittle, as libhdf5's H5_checksum_lookup3 (initial value 0) -------------------------

def lookup3(data):
    m = 0xFFFFFFFF

    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & m

    length = len(data)
    a = b = c = (0xDEADBEEF + length) & m
    i = 0
    while length > 12:
        a = (a + struct.unpack_from("<I", data, i)[0]) & m
        b = (b + struct.unpack_from("<I", data, i + 4)[0]) & m
        c = (c + struct.unpack_from("<I", data, i + 8)[0]) & m
        a = (a - c) & m; a ^= rot(c, 4); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 6); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 8); b = (b + a) & m
        a = (a - c) & m; a ^= rot(c, 16); c = (c + b) & m
        b = (b - a) & m; b ^= rot(a, 19); a = (a + c) & m
        c = (c - b) & m; c ^= rot(b, 4); b = (b + a) & m
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = bytes(data[i:i + length]) + bytes(12 - length)
    a = (a + struct.unpack_from("<I", tail, 0)[0]) & m
    b = (b + struct.unpack_from("<I", tail, 4)[0]) & m
    c = (c + struct.unpack_from("<I", tail, 8)[0]) & m
    c ^= b; c = (c - rot(b, 14)) & m
    a ^= c; a = (a - rot(c, 11)) & m
    b ^= a; b = (b - rot(a, 25)) & m
    c ^= b; c = (c - rot(b, 16)) & m
    a ^= c; a = (a - rot(c, 4)) & m
    b ^= a; b = (b - rot(a, 14)) & m
    c ^= b; c = (c - rot(b, 24)) & m
    return c


def reseal(data, start, end):
    """Rewrites the checksum in data[end-4:end] over data[start:end-4]."""
    struct.pack_into("<I", data, end - 4, lookup3(bytes(data[start:end - 4])))


# --- A reader of version 2 object headers, enough to find what to break --------------------------------------

def headers(data):
    """Every version 2 object header (OHDR) whose checksum holds, with its continuation chunks (OCHK): a list of
    (header start, [(chunk start, chunk end, [(type, header offset, body offset, size)])]); chunk 0 first."""
    out = []
    at = data.find(b"OHDR")
    while at >= 0:
        flags = data[at + 5]
        p = at + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
        width = 1 << (flags & 3)
        chunk0 = int.from_bytes(data[p:p + width], "little")
        p += width
        end = p + chunk0 + 4
        if end <= len(data) and struct.unpack_from("<I", data, end - 4)[0] == lookup3(bytes(data[at:end - 4])):
            chunks = [(at, end, messages(data, p, end - 4, flags))]
            k = 0
            while k < len(chunks):
                for mtype, _, body, _ in chunks[k][2]:
                    if mtype == 0x10:
                        address, length = struct.unpack_from("<QQ", data, body)
                        chunks.append((address, address + length, messages(data, address + 4, address + length - 4, flags)))
                k += 1
            out.append((at, chunks))
        at = data.find(b"OHDR", at + 1)
    return out


def messages(data, p, end, flags):
    out = []
    size = 6 if flags & 0x04 else 4
    while end - p >= size:
        mtype, msize = data[p], struct.unpack_from("<H", data, p + 1)[0]
        out.append((mtype, p, p + size, msize))
        p += size + msize
    return out


def root_address(data):
    """The root group's object header address in a version 2 or 3 superblock at byte 0."""
    assert data[8] in (2, 3)
    return struct.unpack_from("<Q", data, 12 + 3 * 8)[0]


# --- The files ---------------------------------------------------------------------------------------------

def keras_latest():
    import tensorflow as tf
    from keras.src.legacy.saving import legacy_h5_format

    import make_keras_fixtures

    model = make_keras_fixtures.build(tf.keras)
    buf = io.BytesIO()
    with h5py.File(buf, "w", libver="latest") as f:
        legacy_h5_format.save_model_to_hdf5(model, f)
    return buf.getvalue()


def tree(libver):
    buf = io.BytesIO()
    with h5py.File(buf, "w", libver=libver) as f:
        dense = f.create_group("dense")
        for i in range(12):
            dense.create_dataset(f"d{i:02d}", data=np.arange(i + 1, dtype=np.float32))
        wide = f.create_group("wide")
        target = wide.create_dataset("target", data=np.arange(4, dtype=np.int8))
        for i in range(150):
            wide[f"link_to_target_{i:03d}"] = target
        compact = f.create_group("compact")
        compact.create_dataset("x", data=np.arange(6, dtype=np.int16).reshape(2, 3))
        compact.attrs["note"] = "compact attributes"
        compact.attrs["scale"] = np.float64(0.5)
        many = f.create_group("many_attrs")
        for i in range(12):
            many.attrs[f"a{i:02d}"] = np.arange(i + 1, dtype=np.int32)
        many.attrs["text"] = "a variable-length string among dense attributes"
        many.attrs["large"] = np.arange(1536, dtype=np.float32)  # 6 KB: a huge object of the attribute heap
        ordered = f.create_group("ordered", track_order=True)
        for i in range(10):
            ordered.create_group(f"g{i}")
            ordered.attrs[f"o{i}"] = i
        f["named_type"] = np.dtype("<f4")
        typed = f.create_dataset("typed", data=np.ones(3, dtype=np.float32), dtype=f["named_type"])
        typed.attrs.create("committed", np.float32(2.5), dtype=f["named_type"])
        f["soft"] = h5py.SoftLink("/dense")
        f["external"] = h5py.ExternalLink("elsewhere.h5", "/x")
    return buf.getvalue()


def listing(data):
    """Every link's path (each group read once, through hard links) and every attribute, as h5py reads them."""
    links, attributes, seen = [], [], set()
    with h5py.File(io.BytesIO(data), "r") as f:
        def visit(obj, path):
            addr = h5py.h5o.get_info(obj.id).addr
            if addr in seen:
                return
            seen.add(addr)
            attributes.extend(f"{path}:{name}" for name in obj.attrs.keys())
            if not isinstance(obj, h5py.Group):
                return
            for name in obj.keys():
                child = ("/" if path == "/" else path + "/") + name
                links.append(child)
                if isinstance(obj.get(name, getlink=True), h5py.HardLink):
                    visit(obj[name], child)
        visit(f, "/")
    return sorted(links), sorted(attributes)


# --- The mutations -----------------------------------------------------------------------------------------

NAMES = {0x01: "dataspace message", 0x03: "datatype message", 0x0C: "attribute message",
         0x10: "object header continuation message"}


def mutations(keras, wide):
    """(name, bytes, the structure refused, the byte it is refused at)."""
    out = []
    hs = headers(keras)
    root = root_address(keras)
    (root_start, root_chunks), = [h for h in hs if h[0] == root]

    # The root group's last continuation chunk cut in its middle by the file's end. The root is read first, all
    # its chunks before its messages, so that chunk is the first thing past the cut the guard meets.
    chunk = max(root_chunks[1:], key=lambda c: c[0])
    field = next(body for chunk_ in root_chunks for mtype, _, body, _ in chunk_[2] if mtype == 0x10
                 and struct.unpack_from("<Q", keras, body)[0] == chunk[0])
    # Its end of file address is cut with it (superblock resealed): libhdf5 refuses a file shorter than that
    # address as truncated, before any chunk.
    cut = bytearray(keras[:(chunk[0] + chunk[1]) // 2])
    struct.pack_into("<Q", cut, 12 + 2 * 8, len(cut))
    reseal(cut, 0, 12 + 4 * 8 + 4)
    out.append(("truncated-chunk", bytes(cut), "object header continuation message", field))

    # One byte of a header's first message changed, its checksum left as it was.
    start, chunks = hs[1]
    data = bytearray(keras)
    data[chunks[0][2][0][2]] ^= 0x01
    out.append(("bad-checksum", bytes(data), "object header", start))

    # A continuation pointing past the file, and one pointing at its own header; checksums recomputed.
    for name, address in [("continuation-outside", len(keras) + 4096), ("continuation-to-itself", root_start)]:
        data = bytearray(keras)
        struct.pack_into("<Q", data, field, address)
        for cstart, cend, ms in root_chunks:
            if cstart <= field < cend:
                reseal(data, cstart, cend)
        out.append((name, bytes(data), "object header continuation message", field))

    # The root's first message given a size past its chunk's end, checksum recomputed.
    cstart, cend, ms = root_chunks[0]
    mtype, at, body, size = ms[0]
    data = bytearray(keras)
    struct.pack_into("<H", data, at + 1, cend - body)
    reseal(data, cstart, cend)
    out.append(("message-past-chunk", bytes(data), NAMES.get(mtype, f"object header message type {mtype}"), at))

    # The dense link name index's root node given more records than a node holds, its header's checksum
    # recomputed (libhdf5 1.10 copies that many records into a buffer sized for the most a node holds).
    data = bytearray(keras)
    bthd = data.find(b"BTHD")
    root_field = bthd + 16
    struct.pack_into("<H", data, root_field + 8, 200)
    reseal(data, bthd, bthd + 38)
    out.append(("btree-records-past-node", bytes(data), "version 2 B-tree leaf node", root_field))

    # An attribute whose datatype is made 4096 bytes: its value no longer fits its message (libhdf5 1.10 would
    # copy 4096 bytes from it). The root's first attribute, checksum recomputed.
    data = bytearray(keras)
    (cstart, cend, ms), (mtype, at, body, size) = next((c, m) for c in root_chunks for m in c[2] if m[0] == 0x0C)
    version, _, name_size, type_size, space_size = struct.unpack_from("<BBHHH", data, body)
    assert version == 3
    struct.pack_into("<I", data, body + 9 + name_size + 4, 4096)
    reseal(data, cstart, cend)
    out.append(("attribute-value-past-message", bytes(data), "attribute message", body + 9 + name_size + type_size + space_size))

    # The wide group's heap (a root indirect block): its managed size raised (header checksum recomputed), and
    # a link's heap ID given an offset in the row after the root block's last, the leaf's checksum recomputed.
    # libhdf5 1.10 would read that row's entry past the block's entries.
    data = bytearray(wide)
    heap = next(i for i in range(len(data)) if data[i:i + 4] == b"FRHP" and struct.unpack_from("<H", data, i + 140)[0] > 0)
    width, start_block = struct.unpack_from("<HQ", data, heap + 110)
    rows = struct.unpack_from("<H", data, heap + 140)[0]
    struct.pack_into("<Q", data, heap + 46, (1 << 32) - 1)
    reseal(data, heap, heap + 146)
    # Its name index: the one type 5 B-tree of depth 1 (150 records need two levels of 512-byte nodes).
    bthd, = [i for i in range(len(data)) if data[i:i + 4] == b"BTHD" and data[i + 5] == 5 and struct.unpack_from("<H", data, i + 12)[0] == 1]
    tree_root = struct.unpack_from("<Q", data, bthd + 16)[0]
    root_records = struct.unpack_from("<H", data, bthd + 24)[0]
    node_size = struct.unpack_from("<I", data, bthd + 6)[0]
    count_size = (((node_size - 10) // 11).bit_length() - 1) // 8 + 1
    pointer = tree_root + 6 + root_records * 11
    leaf, leaf_records = struct.unpack_from("<Q", data, pointer)[0], int.from_bytes(data[pointer + 8:pointer + 8 + count_size], "little")
    id_at = leaf + 6 + 4
    struct.pack_into("<I", data, id_at + 1, start_block * width * (1 << (rows - 1)) + 100)
    reseal(data, leaf, leaf + 6 + leaf_records * 11 + 4)
    out.append(("heap-id-past-rows", bytes(data), "fractal heap ID", id_at))
    return out


def main():
    HDF5.mkdir(parents=True, exist_ok=True)
    keras = keras_latest()
    (KERAS / "small_cnn_latest.h5").write_bytes(keras)
    latest, earliest = tree("latest"), tree("earliest")
    (HDF5 / "groups_latest.h5").write_bytes(latest)
    (HDF5 / "groups_earliest.h5").write_bytes(earliest)
    links, attributes = listing(latest)
    assert listing(earliest) == (links, attributes), "the two bounds must hold the same tree"
    (HDF5 / "groups.expected.json").write_text(json.dumps({"links": links, "attributes": attributes}, indent=1) + "\n")
    expected = {}
    for name, data, structure, at in mutations(keras, latest):
        (FUZZ / f"seed-latest-{name}").write_bytes(data)
        expected[name] = {"structure": structure, "byte": at}
    (FUZZ.parent.parent / "hdf5" / "seed-latest.expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
