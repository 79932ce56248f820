#!/usr/bin/env python3
"""Derives what each catalogued llama.cpp release loads from a GGUF file, from the release's own sources.

    scripts/catalogue/derive_llamacpp.py [--check] [--download]

The releases are llama-cpp-python's (PyPI sdists): llama.cpp itself publishes no source archive on PyPI, and its
build numbers (b1234) are counted from git history, which an sdist does not carry. Each llama-cpp-python sdist
vendors llama.cpp at one commit (vendor/llama.cpp) and its CHANGELOG.md names that commit in the release's
section ("Update llama.cpp to ggml-org/llama.cpp@<commit>"), so a version of the catalogue's `llama.cpp` runtime is
a llama-cpp-python version (what `runtime: llama.cpp@0.3.16` means), recorded with the llama.cpp commit it builds.
Read from each sdist:
  vendor/llama.cpp/{ggml/include/,}ggml.h    -> `enum ggml_type`: the tensor types it loads, by name and id (a GGUF
                                               file stores the id; ids have changed meaning: I8 was 16 before the
                                               IQ types), and the ids it marks removed (`// GGML_TYPE_Q4_2 = 4, ...`)
  GGUF_VERSION (ggml.h, later gguf.h)        -> the newest GGUF file version it reads; the oldest is 2 where the
                                               reader says "GGUFv1 is no longer supported", else 1
  vendor/llama.cpp/gguf-py/gguf/constants.py -> GGML_QUANT_SIZES: each type's block (elements, bytes), which
                                               ModelFormats.GGMLType must match (TargetsTests checks it)

Writes the llama.cpp runtime's versions, type names and sizes into Schemas/targets/runtimes.json and the source into
sources.json; then run `make catalogue` and `make rules`. The sdists are cached in $SLIPWAY_LLAMACPP_CACHE (default
~/.cache/slipway/llamacpp); --download fetches the missing ones with pip (`--no-deps --no-binary llama-cpp-python`).
--check re-derives from the cache and exits 1 when the committed data differ (Tests/integration/test_llamacpp.py).
"""
import argparse
import ast
import os
import pathlib
import re
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

CACHE = pathlib.Path(os.environ.get("SLIPWAY_LLAMACPP_CACHE", pathlib.Path.home() / ".cache" / "slipway" / "llamacpp"))
SOURCE_ID = "llama-cpp-python-sdists"

# Releases spanning GGUF's history, chosen where ggml's types changed: the first with GGUF and a named commit
# (0.2.7, GGUF v2), GGUF v3 (0.2.14), the IQ types (0.2.28 to 0.2.56), BF16 (0.2.70), the ARM repacked Q4_0_x_x
# types (0.2.90 to 0.3.2) and their removal (0.3.3), TQ1_0/TQ2_0 (0.3.1), MXFP4 (0.3.16), NVFP4 and Q1_0/Q2_0 (0.3.36).
# Releases whose CHANGELOG.md names no commit (0.2.11, 0.2.50) are left out.
RELEASES = [
    "0.2.7", "0.2.14", "0.2.28", "0.2.38", "0.2.44", "0.2.51", "0.2.56", "0.2.62", "0.2.70", "0.2.79", "0.2.82",
    "0.2.90", "0.3.1", "0.3.2", "0.3.3", "0.3.5", "0.3.8", "0.3.16", "0.3.20", "0.3.36",
]

GGML_H = ["vendor/llama.cpp/ggml/include/ggml.h", "vendor/llama.cpp/ggml.h"]
GGUF_VERSION_FILES = ["vendor/llama.cpp/ggml/include/gguf.h"] + GGML_H
GGUF_READERS = ["vendor/llama.cpp/ggml/src/gguf.cpp", "vendor/llama.cpp/ggml/src/ggml.c", "vendor/llama.cpp/ggml.c"]
CONSTANTS = "vendor/llama.cpp/gguf-py/gguf/constants.py"


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def archive(version):
    return CACHE / f"llama_cpp_python-{version}.tar.gz"


def download(versions):
    CACHE.mkdir(parents=True, exist_ok=True)
    for v in versions:
        if not archive(v).exists():
            # Only this package as source; its build requirements come as wheels, so pip's metadata step is quick.
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
                            "-d", str(CACHE), "--no-binary=llama-cpp-python", f"llama-cpp-python=={v}"], check=True)


class Sdist:
    def __init__(self, version):
        self.version = version
        self.path = archive(version)
        self.prefix = f"llama_cpp_python-{version}/"
        with tarfile.open(self.path) as tar:
            wanted = {self.prefix + p for p in ["CHANGELOG.md", CONSTANTS, *GGML_H, *GGUF_VERSION_FILES, *GGUF_READERS]}
            self.files = {}
            for m in tar:
                if m.name in wanted and m.isfile():
                    self.files[m.name[len(self.prefix):]] = tar.extractfile(m).read().decode("utf-8", "replace")

    def first(self, paths, what):
        for p in paths:
            if p in self.files:
                return p, self.files[p]
        sys.exit(f"{self.path.name}: no {what} (looked for {', '.join(paths)})")


def commit(sdist, newest_changelog):
    """The llama.cpp commit the release's section of CHANGELOG.md names (the last update is listed first): its own
    CHANGELOG.md's, else the newest release's, where later releases filled in a commit left blank (0.2.70's)."""
    for text in (sdist.first(["CHANGELOG.md"], "CHANGELOG.md")[1], newest_changelog):
        found = _commit_in(text, sdist.version)
        if found:
            return found
    sys.exit(f"{sdist.path.name}: CHANGELOG.md names no llama.cpp commit for {sdist.version}; pick another release")


def _commit_in(text, version):
    section = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## \[|\Z)", text, re.S | re.M)
    body = section.group(1) if section else ""
    m = re.search(r"\b([\w-]+/llama\.cpp)@([0-9a-f]{7,40})\b", body)
    if m:
        return f"{m.group(1)}@{m.group(2)}"
    # Early releases name the bare commit ("Update llama.cpp to a98b1633..."); the repository is ggml-org's.
    m = re.search(r"llama\.cpp to ([0-9a-f]{7,40})\b", body)
    if m:
        return f"ggml-org/llama.cpp@{m.group(1)}"
    return None


def ggml_types(text):
    """(name -> id loaded, name -> id marked removed) from `enum ggml_type`; implicit ids count on as C does."""
    body = re.search(r"enum ggml_type\s*\{(.*?)\};", text, re.S).group(1)
    loaded, removed, next_id = {}, {}, 0
    for line in body.splitlines():
        line = line.strip()
        m = re.match(r"//\s*GGML_TYPE_(\w+)\s*(?:=\s*|\()(\d+)", line)
        if m:  # `// GGML_TYPE_Q4_2 = 4, support has been removed`, `// GGML_TYPE_Q4_3 (5) support has been removed`
            removed[m.group(1)] = int(m.group(2))
            continue
        m = re.match(r"GGML_TYPE_(\w+)\s*(?:=\s*(\d+))?\s*,", line)
        if m:
            next_id = int(m.group(2)) if m.group(2) else next_id
            if m.group(1) != "COUNT":
                loaded[m.group(1)] = next_id
            next_id += 1
    return loaded, removed


def gguf_versions(sdist):
    path, text = sdist.first(GGUF_VERSION_FILES, "GGUF_VERSION")
    m = re.search(r"#define\s+GGUF_VERSION\s+(\d+)", text)
    if not m:
        path, text = sdist.first([p for p in GGUF_VERSION_FILES if p != path and p in sdist.files and
                                  "GGUF_VERSION " in sdist.files[p]], "#define GGUF_VERSION")
        m = re.search(r"#define\s+GGUF_VERSION\s+(\d+)", text)
    newest = int(m.group(1))
    readers = [sdist.files[p] for p in GGUF_READERS if p in sdist.files]
    oldest = 2 if any("GGUFv1 is no longer supported" in r for r in readers) else 1
    return list(range(oldest, newest + 1))


def _eval(node, names):
    """The integer value of GGML_QUANT_SIZES' arithmetic (`2 + QK_K // 16`); nothing else is evaluated."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, names), _eval(node.right, names)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.FloorDiv: lambda: a // b}
        if type(node.op) in ops:
            return ops[type(node.op)]()
    raise ValueError(f"unexpected expression {ast.dump(node)}")


def quant_sizes(sdist):
    """type name -> [block elements, block bytes] from gguf-py's GGML_QUANT_SIZES."""
    if CONSTANTS not in sdist.files:
        return {}
    tree = ast.parse(sdist.files[CONSTANTS])
    names = {}
    for st in tree.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            if st.targets[0].id == "QK_K":
                names["QK_K"] = _eval(st.value, names)
    for st in tree.body:
        target = st.target if isinstance(st, ast.AnnAssign) else st.targets[0] if isinstance(st, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id == "GGML_QUANT_SIZES" and isinstance(st.value, ast.Dict):
            out = {}
            for k, v in zip(st.value.keys, st.value.values):
                out[k.attr] = [_eval(v.elts[0], names), _eval(v.elts[1], names)]
            return out
    return {}


def derive(versions):
    releases, names_removed, sizes = [], {}, {}
    newest = Sdist(max(versions, key=vkey)).files.get("CHANGELOG.md", "")
    for v in sorted(versions, key=vkey):
        s = Sdist(v)
        path, text = s.first(GGML_H, "ggml.h")
        loaded, removed = ggml_types(text)
        for name, block in quant_sizes(s).items():
            sizes[name] = block  # the newest release's figure for each name
        names_removed.update(removed)
        releases.append({"version": v, "revision": commit(s, newest), "gguf_versions": gguf_versions(s),
                         "ggml_types": dict(sorted(loaded.items(), key=lambda kv: kv[1])),
                         "source": {"id": SOURCE_ID, "section": f"llama-cpp-python {v}: vendor/llama.cpp/{path.split('vendor/llama.cpp/', 1)[1]}"}})
    loaded_now = releases[-1]["ggml_types"]
    removed = {n: i for n, i in sorted(names_removed.items(), key=lambda kv: kv[1]) if n not in loaded_now}
    return {
        "versions": list(reversed(releases)),
        "ggml_types_removed": removed,
        "ggml_type_sizes": {n: sizes[n] for n in sorted(sizes, key=lambda n: _id_of(n, releases, removed))},
    }


def _id_of(name, releases, removed):
    for r in reversed(releases):
        if name in r["ggml_types"]:
            return r["ggml_types"][name]
    return removed.get(name, 1 << 30)


def apply(rt, derived):
    rt["versions_source"] = {"id": SOURCE_ID, "section": "versions are llama-cpp-python releases, each building the"
                             " llama.cpp commit its CHANGELOG.md names (vendor/llama.cpp)"}
    rt["versions"] = derived["versions"]
    rt["ggml_types_removed"] = derived["ggml_types_removed"]
    rt["ggml_type_sizes"] = derived["ggml_type_sizes"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 when the committed data differ from a re-derivation")
    ap.add_argument("--download", action="store_true", help="download the releases missing from the cache first")
    a = ap.parse_args()
    if a.download:
        download(RELEASES)
    missing = [v for v in RELEASES if not archive(v).exists()]
    if missing:
        sys.exit(f"not in {CACHE}: llama-cpp-python {', '.join(missing)}; run with --download")
    derived = derive(RELEASES)
    data = cj.load("runtimes.json")
    rt = next(r for r in data["runtimes"] if r["name"] == "llama.cpp")
    if a.check:
        keys = ("versions", "ggml_types_removed", "ggml_type_sizes")
        bad = [k for k in keys if rt.get(k) != derived[k]]
        for k in bad:
            sys.stderr.write(f"llama.cpp {k} in Schemas/targets/runtimes.json differs from the sdists in {CACHE}:\n")
            if k == "versions":
                committed = {v["version"]: v for v in rt.get(k, [])}
                for v in derived[k]:
                    c = committed.pop(v["version"], {})
                    for f in v:
                        if c.get(f) != v[f]:
                            sys.stderr.write(f"  {v['version']} {f}: committed {c.get(f)}, derived {v[f]}\n")
                for extra in committed:
                    sys.stderr.write(f"  {extra}: committed, not derived\n")
            else:
                sys.stderr.write(f"  committed {rt.get(k)}\n  derived   {derived[k]}\n")
        sys.exit(1 if bad else 0)
    apply(rt, derived)
    cj.dump("runtimes.json", data, plain=True)
    src = cj.load("sources.json")
    src["sources"][SOURCE_ID] = {
        "title": "llama-cpp-python source distributions from PyPI: the llama.cpp each vendors (vendor/llama.cpp: ggml.h's"
                 " enum ggml_type, GGUF_VERSION in ggml.h or later gguf.h and its GGUF reader, gguf-py's GGML_QUANT_SIZES)"
                 " and the commit its"
                 " CHANGELOG.md names",
        "url": "https://pypi.org/project/llama-cpp-python/#history",
        "revision": f"llama-cpp-python {derived['versions'][-1]['version']} to {derived['versions'][0]['version']}, each"
                    " release's llama.cpp commit recorded in runtimes.json",
        "derived_by": "scripts/catalogue/derive_llamacpp.py",
    }
    cj.dump("sources.json", src, plain=True)
    for r in reversed(derived["versions"]):
        print(f"llama-cpp-python {r['version']} ({r['revision']}): GGUF v{r['gguf_versions'][0]}-{r['gguf_versions'][-1]}, "
              f"{len(r['ggml_types'])} ggml types")
    print(f"removed: {derived['ggml_types_removed']}")


if __name__ == "__main__":
    main()
