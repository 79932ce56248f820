#!/usr/bin/env python3
"""Derives the catalogue's ExecuTorch runtime from ExecuTorch's own sources, recording the revision read.

    scripts/catalogue/derive_executorch.py --executorch PATH [--download] [--check]
    scripts/catalogue/derive_executorch.py --excerpts Tests/Fixtures/catalogue/executorch [--check]

--executorch: a checkout (or bare git directory) of github.com/pytorch/executorch. Its release tags (vX.Y.Z) are
  the releases; the newest tag of RELEASES is read for the tables. It also writes the excerpts (below) into
  --excerpts (default Tests/Fixtures/catalogue/executorch), which the tests re-derive from.
--excerpts: the committed excerpts: each source file reduced to the lines the derivation reads (`excerpt`), at
  the commit revisions.json names, and each release's PyPI metadata (pypi/<version>.json).

  PyPI `executorch` <version> metadata (pip --dry-run --report: metadata only, no wheel is downloaded; --download)
      -> Requires-Dist: torch, the torch each release pairs with
  schema/program.fbs at each release tag  -> file_identifier and file_extension: the program format it writes
  backends/xnnpack/partition/config/__init__.py  -> ALL_PARTITIONER_CONFIGS: the configs the partitioner applies
  backends/xnnpack/partition/config/*_configs.py -> each config's target_name (the edge-dialect ATen operator it
                                                     takes), supported_precision_types (fp32, static_quant,
                                                     dynamic_quant) and get_original_aten (the operator the
                                                     partitioner keeps from decomposition, taken as well)
  backends/xnnpack/quantizer/xnnpack_quantizer.py -> get_symmetric_quantization_config: the forms XNNPACKQuantizer
                                                     writes (int8 weights symmetric per tensor or per channel; int8
                                                     activations per-tensor affine, static or dynamic)
  docs/source/backends-overview.md               -> "Choosing a Backend": the other backends, their platforms and
                                                     hardware type (the first of CPU/GPU/NPU is the processor; a
                                                     backend of another type, DSP, is left out: no field guessed)

Writes the executorch runtime into Schemas/targets/runtimes.json, the executorch-xnnpack operator set into
operators.json (both appended when new, replaced in place otherwise) and the sources into sources.json; then run
`make catalogue`. --check writes nothing and exits 1 when the committed data differ from the derivation.
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogue_json as cj  # noqa: E402

RUNTIME = "executorch"
SET_ID = "executorch-xnnpack"
EXCERPTS = os.path.join(cj.ROOT, "Tests", "Fixtures", "catalogue", "executorch")
# The releases on PyPI that have a release tag in the repository (PyPI has no 1.3.0; 0.1.x, 0.2.1 have no tag here;
# 1.5.x are newer than the snapshot read).
RELEASES = ["0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "1.0.0", "1.0.1", "1.1.0", "1.2.0",
            "1.3.1", "1.4.0", "1.4.1"]
CONFIG_DIR = "backends/xnnpack/partition/config/"
CONFIGS = [CONFIG_DIR + f for f in ("__init__.py", "xnnpack_config.py", "gemm_configs.py", "generic_node_configs.py",
                                    "node_configs.py", "quant_affine_configs.py")]
QUANTIZER = "backends/xnnpack/quantizer/xnnpack_quantizer.py"
OVERVIEW = "docs/source/backends-overview.md"
PROGRAM = "schema/program.fbs"
# Slipway's delegate names for the backends the overview lists (the names `delegate:` takes); a backend not here
# gets its title in lower case with spaces as hyphens.
DELEGATE_NAMES = {"XNNPACK": "xnnpack", "Core ML": "coreml", "Metal Performance Shaders": "mps", "Qualcomm": "qnn",
                  "Arm Ethos-U": "ethos-u", "Arm Cortex-M": "cortex-m", "Arm VGF": "vgf", "Samsung Exynos": "exynos"}
PRECISIONS = {"FP32": "fp32", "STATIC_QUANT": "static_quant", "DYNAMIC_QUANT": "dynamic_quant"}


def vkey(v):
    return tuple(int(p) for p in v.split("."))


# MARK: excerpts — the lines each derivation reads; the same function reduces a checkout's file and is what is
# committed, so the tests parse what a checkout would give.

def excerpt(path, text):
    if path == PROGRAM:
        return "".join(line for line in text.splitlines(True) if re.match(r"\s*file_(identifier|extension)\b", line))
    if path == OVERVIEW:
        section = re.search(r"^## Choosing a Backend\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        return "## Choosing a Backend\n" + "".join(l for l in section.group(1).splitlines(True) if l.startswith("|"))
    if path == QUANTIZER:
        body = re.search(r"^def get_symmetric_quantization_config\(.*?(?=^def )", text, re.S | re.M).group(0)
        keep = []
        for line in body.splitlines(True):
            s = line.strip()
            if re.match(r"(def get_symmetric|\w+: \w+ = |\)|(dtype|quant_min|quant_max|qscheme|is_dynamic)=|"
                        r"torch\.per_\w+ if |weight_qscheme = )", s) or "QuantizationSpec(" in s:
                keep.append(line)
        return "".join(keep)
    # Partitioner configs: class headers, target_name, the precision and original-operator methods' returns, and
    # __init__.py's ALL_PARTITIONER_CONFIGS list (comments dropped: a commented-out config is not applied).
    keep, method, depth = [], None, 0
    lines = text.splitlines(True)
    for i, line in enumerate(lines):
        s = line.strip()
        if path.endswith("__init__.py"):
            if s.startswith("ALL_PARTITIONER_CONFIGS"):
                depth = 1
            if depth:
                if s and not s.startswith("#"):
                    keep.append(re.sub(r"\s*#.*$", "", line.rstrip("\n")) + "\n")
                if s == "]":
                    depth = 0
            continue
        if re.match(r"class \w+(\(.*\))?:", line):
            keep.append(line + "    ...\n")  # a body, so that the excerpt parses when nothing else is kept
            method = None
        elif re.match(r"\s+target_name = ", line):
            keep.append(line)
        elif re.match(r"\s+def (supported_precision_types|get_original_aten)\(", line):
            method = re.match(r"(\s+)def (\w+)", line)
            keep.append(f"{method.group(1)}def {method.group(2)}(self):\n")
        elif method and re.match(r"\s+return", line):
            # The return statement, to its closing bracket.
            stmt = [line]
            j = i
            while "".join(stmt).count("[") > "".join(stmt).count("]"):
                j += 1
                stmt.append(lines[j])
            keep.append("".join(stmt))
            method = None
    return "".join(keep)


# MARK: derivation, from excerpts

def partitioner(files):
    """[(config, operator, [precisions], original operator or None)] for each config ALL_PARTITIONER_CONFIGS applies.
    Operators are named as the partitioner matches them (format_target_name: `convolution.default`, without the
    aten/quantized_decomposed/torchao namespace)."""
    classes = {}
    for path in CONFIGS[1:]:
        for node in ast.parse(files[path]).body:
            if not isinstance(node, ast.ClassDef):
                continue
            c = {"bases": [b.id for b in node.bases if isinstance(b, ast.Name)]}
            for st in node.body:
                if isinstance(st, ast.Assign) and getattr(st.targets[0], "id", None) == "target_name":
                    c["target"] = st.value.value
                if isinstance(st, ast.FunctionDef):
                    ret = next((x.value for x in st.body if isinstance(x, ast.Return)), None)
                    if st.name == "supported_precision_types" and isinstance(ret, ast.List):
                        c["precisions"] = [PRECISIONS[e.attr] for e in ret.elts]
                    if st.name == "get_original_aten":
                        c["original"] = ast.unparse(ret).split(".", 3)[-1] if ret is not None and ast.unparse(ret) != "None" else None
            classes[node.name] = c

    def inherited(name, key):
        c = classes.get(name, {})
        if key in c:
            return c[key]
        for b in c.get("bases", []):
            v = inherited(b, key)
            if v is not None:
                return v
        return None

    tree = ast.parse(files[CONFIGS[0]])
    applied = [e.id for st in tree.body if isinstance(st, (ast.Assign, ast.AnnAssign))
               for e in st.value.elts]
    out = []
    for name in applied:
        target = inherited(name, "target")
        if target is None:
            sys.exit(f"{CONFIG_DIR}: {name} has no target_name")
        out.append((name, target, sorted(inherited(name, "precisions") or []), inherited(name, "original")))
    return out


def quantization_forms(text):
    """The forms get_symmetric_quantization_config writes, from its defaults and its QuantizationSpecs."""
    defaults = dict(re.findall(r"(\w+): int = (-?\d+)", text))
    specs = re.findall(r"QuantizationSpec\((.*?)\n\s*\)", text, re.S)
    if len(specs) < 2:
        sys.exit(f"{QUANTIZER}: expected an activation and a weight QuantizationSpec")

    def field(spec, name):
        m = re.search(rf"{name}=([\w.]+)", spec)
        return m.group(1) if m else None
    act, weight = specs[0], specs[1]
    choice = re.search(r"torch\.(per_\w+) if is_per_channel else torch\.(per_\w+)", text)
    granularity = {"per_channel_symmetric": "per-channel", "per_tensor_symmetric": "per-tensor"}
    weight_schemes = [choice.group(1), choice.group(2)]
    dtype = lambda s: field(s, "dtype").replace("torch.", "")
    forms = []
    for mode in ("static", "dynamic"):
        forms.append({
            "id": f"xnnpack.{mode}-int8",
            "activations": "dynamic" if mode == "dynamic" else dtype(act),
            "activation_range": [int(defaults[field(act, "quant_min")]), int(defaults[field(act, "quant_max")])],
            "activation_scheme": field(act, "qscheme").replace("torch.", ""),
            "weights": dtype(weight),
            "weight_range": [int(defaults[field(weight, "quant_min")]), int(defaults[field(weight, "quant_max")])],
            "granularity": [granularity[s] for s in weight_schemes],
            "symmetric": all(s.endswith("_symmetric") for s in weight_schemes),
            "source": {"id": "executorch-xnnpack-quantizer",
                       "section": f"get_symmetric_quantization_config(is_dynamic={mode == 'dynamic'})"},
        })
    return forms


def backends(text):
    """[(title, platforms, hardware)] from the overview's table."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("Backend",) or set(cells[0]) <= set("-: "):
            continue
        m = re.match(r"\[(.+?)\]\((.+?)\)", cells[0])
        if m:
            rows.append((m.group(1), m.group(2), cells[1], cells[2]))
    return rows


def program_format(text):
    ident = re.search(r'file_identifier "(\w+)"', text)
    ext = re.search(r'file_extension "(\w+)"', text)
    return ident.group(1), ext.group(1)


def torch_requirement(meta):
    for r in meta.get("requires_dist") or []:
        # Older metadata writes `torch (==2.5.0)`, newer `torch>=2.13.0a0`.
        m = re.match(r"torch\s*\(?([<>=!~][^;)]*)?\)?\s*(;.*)?$", r)
        if m and not (m.group(2) or "").strip():
            return (m.group(1) or "").replace(" ", "") or None
    return None


def derive(src):
    """src: an Excerpts or a Repository. Returns (runtime, operator set, sources)."""
    newest = max(RELEASES, key=vkey)
    revision = src.revision(newest)
    versions = []
    for v in sorted(RELEASES, key=vkey, reverse=True):
        ident, ext = program_format(src.release_file(v, PROGRAM))
        row = {"version": v, "revision": f"pytorch/executorch@{src.revision(v)}", "program_format": f"{ext} {ident}"}
        torch = torch_requirement(src.pypi(v))
        if torch:
            row["torch"] = torch
        row["source"] = {"id": "executorch-pypi", "section": f"executorch {v}: Requires-Dist torch; schema/program.fbs at v{v}"}
        versions.append(row)

    configs = partitioner({p: src.read(p) for p in CONFIGS})
    operators, precisions = [], {}
    for _, op, prec, original in configs:
        for name in [op] + ([original] if original else []):
            if name not in operators:
                operators.append(name)
            precisions[name] = prec
    op_set = {
        "id": SET_ID,
        "title": "ExecuTorch XNNPACK partitioner",
        "model_format": "aten",
        "source": {"id": "executorch-xnnpack-partitioner",
                   "section": "ALL_PARTITIONER_CONFIGS: each config's target_name, and get_original_aten (kept from decomposition)"},
        "tensor_types": ["float32", "float16", "int8"],
        "operators": sorted(operators),
        # supported_precision_types: the forms the partitioner takes each operator in (fp32, static_quant, dynamic_quant).
        "precisions": {name: precisions[name] for name in sorted(operators)},
    }

    delegates = []
    skipped = []
    for title, link, platforms, hardware in backends(src.read(OVERVIEW)):
        kinds = [k.strip().lower() for k in hardware.split("/")]
        processor = next((k for k in kinds if k in ("cpu", "gpu", "npu")), None)
        if processor is None:
            skipped.append(f"{title} ({hardware})")
            continue
        name = DELEGATE_NAMES.get(title, title.lower().replace(" ", "-"))
        d = {"name": name, "title": f"{title}: {platforms}, {hardware}", "processor": processor}
        if name == "xnnpack":
            d["title"] = (f"{title}: {platforms}, {hardware}; the partitioner takes every node it supports, in as many "
                          "partitions as needed, and ExecuTorch runs the others on its portable kernels")
            d["operators"] = SET_ID
            d["partitioning"] = "per_node"
        d["source"] = {"id": "executorch-backends", "section": f"Choosing a Backend: {title} ({link})"}
        delegates.append(d)

    runtime = {
        "name": RUNTIME,
        "title": "ExecuTorch",
        "model_formats": ["pte"],
        "versions_source": {"id": "executorch-pypi", "section": "release history: PyPI executorch releases with a release tag"},
        "versions": versions,
        "quantization_forms": quantization_forms(src.read(QUANTIZER)),
        "delegates": delegates,
        "processor": "cpu",
    }
    at = f"pytorch/executorch@{revision} ({src.date(newest)})"
    sources = {
        "executorch-pypi": {
            "title": "ExecuTorch releases on PyPI (executorch): each release's Requires-Dist torch, and schema/program.fbs at its tag (the .pte file_identifier)",
            "url": "https://pypi.org/project/executorch/#history",
            "revision": f"executorch {RELEASES[0]} to {newest}, each release's tag commit recorded in runtimes.json",
            "derived_by": "scripts/catalogue/derive_executorch.py"},
        "executorch-xnnpack-partitioner": {
            "title": "ExecuTorch XNNPACK partitioner configs (backends/xnnpack/partition/config/)",
            "url": f"https://github.com/pytorch/executorch/tree/{revision}/{CONFIG_DIR}",
            "revision": at, "derived_by": "scripts/catalogue/derive_executorch.py"},
        "executorch-xnnpack-quantizer": {
            "title": "ExecuTorch XNNPACKQuantizer: get_symmetric_quantization_config (backends/xnnpack/quantizer/xnnpack_quantizer.py)",
            "url": f"https://github.com/pytorch/executorch/blob/{revision}/{QUANTIZER}",
            "revision": at, "derived_by": "scripts/catalogue/derive_executorch.py"},
        "executorch-backends": {
            "title": "ExecuTorch documentation: Backends, Choosing a Backend (docs/source/backends-overview.md)",
            "url": f"https://github.com/pytorch/executorch/blob/{revision}/{OVERVIEW}",
            "revision": at, "derived_by": "scripts/catalogue/derive_executorch.py"},
    }
    return runtime, op_set, sources, skipped


# MARK: inputs

class Excerpts:
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "revisions.json"), encoding="utf-8") as f:
            self.meta = json.load(f)

    def read(self, name):
        with open(os.path.join(self.path, name), encoding="utf-8") as f:
            return f.read()

    def release_file(self, version, name):
        return self.read(os.path.join("releases", version, name))

    def pypi(self, version):
        return json.loads(self.read(os.path.join("pypi", f"{version}.json")))

    def revision(self, version):
        return self.meta["releases"][version]["commit"]

    def date(self, version):
        return self.meta["releases"][version]["date"]


class Repository:
    """A checkout: the tables at the newest release's tag, each release's program.fbs at its own tag."""

    def __init__(self, path, pypi_dir):
        self.checkout = cj.Checkout(path)
        self.pypi_dir = pypi_dir
        self.newest = max(RELEASES, key=vkey)

    def _git(self, *args):
        return self.checkout._git(*args)

    def revision(self, version):
        return self._git("rev-parse", f"refs/tags/v{version}^{{commit}}").strip()

    def date(self, version):
        return self._git("log", "-1", "--format=%cs", self.revision(version)).strip()

    def read(self, name):
        return excerpt(name, self._git("show", f"{self.revision(self.newest)}:{name}"))

    def release_file(self, version, name):
        return excerpt(name, self._git("show", f"{self.revision(version)}:{name}"))

    def pypi(self, version):
        with open(os.path.join(self.pypi_dir, f"{version}.json"), encoding="utf-8") as f:
            return json.load(f)


def download(pypi_dir):
    """Each release's metadata by pip's resolver report (PEP 658 metadata: no wheel is downloaded)."""
    os.makedirs(pypi_dir, exist_ok=True)
    for v in RELEASES:
        out = os.path.join(pypi_dir, f"{v}.json")
        if os.path.exists(out):
            continue
        report = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
                                 "--quiet", "--disable-pip-version-check", "--report", "-", f"executorch=={v}"],
                                check=True, capture_output=True, text=True).stdout
        meta = json.loads(report)["install"][0]["metadata"]
        with open(out, "w", encoding="utf-8") as f:
            json.dump({k: meta[k] for k in ("name", "version", "requires_dist") if k in meta}, f, indent=2)
            f.write("\n")


def save_excerpts(repo, folder):
    """The excerpts the tests derive from, with the commits they were read at."""
    files = {}
    for name in CONFIGS + [QUANTIZER, OVERVIEW]:
        files[name] = repo.read(name)
    for v in RELEASES:
        files[os.path.join("releases", v, PROGRAM)] = repo.release_file(v, PROGRAM)
    for name, text in files.items():
        p = os.path.join(folder, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    meta = {"comment": "Excerpts of github.com/pytorch/executorch (scripts/catalogue/derive_executorch.py `excerpt`): "
                       "the tables at the newest release's tag, releases/<version>/ at each release's tag; pypi/: "
                       "each release's PyPI metadata.",
            "releases": {v: {"tag": f"v{v}", "commit": repo.revision(v), "date": repo.date(v)} for v in RELEASES}}
    with open(os.path.join(folder, "revisions.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


# MARK: writing

def place(items, key, value, new):
    at = next((i for i, x in enumerate(items) if x[key] == value), None)
    if at is None:
        items.append(new)  # appended, so that other entries (and their edits on other branches) stay where they are
    else:
        items[at] = new


def outputs(runtime, op_set, sources):
    rts = cj.load("runtimes.json")
    place(rts["runtimes"], "name", RUNTIME, runtime)
    ops = cj.load("operators.json")
    place(ops["operator_sets"], "id", SET_ID, op_set)
    src = cj.load("sources.json")
    src["sources"].update(sources)
    return [("runtimes.json", json.dumps(rts, indent=2, ensure_ascii=False) + "\n"),
            ("operators.json", cj._fmt(ops, 0) + "\n"),
            ("sources.json", json.dumps(src, indent=2, ensure_ascii=False) + "\n")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--executorch", help="a checkout or bare git directory of pytorch/executorch")
    ap.add_argument("--excerpts", default=EXCERPTS, help="the committed excerpts (read, or written with --executorch)")
    ap.add_argument("--download", action="store_true", help="fetch the releases' PyPI metadata missing from --excerpts/pypi")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if the committed tables differ")
    a = ap.parse_args()
    pypi_dir = os.path.join(a.excerpts, "pypi")
    if a.download:
        download(pypi_dir)
    if a.executorch:
        repo = Repository(a.executorch, pypi_dir)
        if not a.check:
            save_excerpts(repo, a.excerpts)
        src = repo
    else:
        src = Excerpts(a.excerpts)
    runtime, op_set, sources, skipped = derive(src)
    outs = outputs(runtime, op_set, sources)
    if a.check:
        stale = []
        for name, text in outs:
            with open(os.path.join(cj.TARGETS, name), encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        if stale:
            sys.exit(f"{', '.join(stale)} differ from the derivation: run without --check")
        print(f"{RUNTIME}: up to date")
        return
    for name, text in outs:
        with open(os.path.join(cj.TARGETS, name), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"{RUNTIME}: {len(runtime['versions'])} releases; {SET_ID}: {len(op_set['operators'])} operators; "
          f"{len(runtime['delegates'])} delegates; left out: {', '.join(skipped) or 'none'}")


if __name__ == "__main__":
    main()
