"""Slipway's version probe: which of the named packages the interpreter has, and at which version.

Run by `slipway convert` as `PYTHON probe.py RESULT.json PACKAGE...` before an external conversion, so that a
missing tool or a version that differs from the manifest's `tools:` pin is reported before anything runs.
"""
import json
import platform
import sys
from importlib import metadata


def main():
    out = {"python": platform.python_version(), "executable": sys.executable, "packages": {}}
    for name in sys.argv[2:]:
        try:
            out["packages"][name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out["packages"][name] = None
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
