"""Reading and writing Schemas/targets/*.json for the derivation scripts.

The files are read by people as well as by the loader, so they are written compactly: an object or array goes on one
line when it fits, arrays of names are wrapped, and nothing else is reformatted between runs.
"""
import json
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TARGETS = os.path.join(ROOT, "Schemas", "targets")
WIDTH = 130


def load(name):
    with open(os.path.join(TARGETS, name), encoding="utf-8") as f:
        return json.load(f)


def _fmt(v, indent):
    one = json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    if len(one) + indent <= WIDTH or not isinstance(v, (dict, list)):
        return one
    pad = " " * (indent + 2)
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            lines, cur = [], ""
            for x in v:
                piece = json.dumps(x, ensure_ascii=False)
                if cur and len(cur) + len(piece) + 2 + indent + 2 > WIDTH:
                    lines.append(cur + ",")
                    cur = piece
                else:
                    cur = cur + ", " + piece if cur else piece
            lines.append(cur)
            return "[\n" + "\n".join(pad + line for line in lines) + "\n" + " " * indent + "]"
        return "[\n" + ",\n".join(pad + _fmt(x, indent + 2) for x in v) + "\n" + " " * indent + "]"
    items = [pad + json.dumps(k, ensure_ascii=False) + ": " + _fmt(x, indent + 2)
             for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


def dump(name, data, plain=False):
    """plain: json.dumps(indent=2), the layout of files of small records (sources.json)."""
    with open(os.path.join(TARGETS, name), "w", encoding="utf-8") as f:
        f.write((json.dumps(data, indent=2, ensure_ascii=False) if plain else _fmt(data, 0)) + "\n")


class Checkout:
    """A source repository given by path: a work tree or a bare git directory (as the `fetch` tool leaves it).
    Files are read at `revision` (HEAD unless given), so the recorded revision is the one read."""

    def __init__(self, path, revision="HEAD"):
        self.path = path
        self.revision = self._git("rev-parse", revision).strip()
        self.date = self._git("log", "-1", "--format=%cs", self.revision).strip()

    def at(self, revision):
        """The same repository read at another revision."""
        return Checkout(self.path, revision)

    def first_revision(self, path):
        """The commit that added `path` (its oldest revision in the history)."""
        added = self._git("log", "--diff-filter=A", "--format=%H", self.revision, "--", path).split()
        if not added:
            raise SystemExit(f"{self.path}: no commit adds {path}")
        return added[-1]

    def _git(self, *args):
        return subprocess.run(["git", "--git-dir", self._gitdir(), *args], check=True, capture_output=True,
                              text=True).stdout

    def _gitdir(self):
        dotgit = os.path.join(self.path, ".git")
        return dotgit if os.path.exists(dotgit) else self.path

    def read(self, path):
        return self._git("show", f"{self.revision}:{path}")

    def list(self, folder):
        """The names of the entries directly in `folder` at the revision read."""
        return self._git("ls-tree", "--name-only", f"{self.revision}:{folder}").split()

    def exists(self, path):
        return subprocess.run(["git", "--git-dir", self._gitdir(), "cat-file", "-e", f"{self.revision}:{path}"],
                              capture_output=True).returncode == 0


def with_constraints(operator_set, constraints):
    """The operator set with `constraints` (operator: note) right after its operator list, none: no key; every other
    key stays where it was, so that a derivation rewriting the notes leaves the file's layout alone."""
    out = {}
    for k, v in operator_set.items():
        if k == "constraints":
            continue
        out[k] = v
        if k == "operators" and constraints:
            out["constraints"] = constraints
    return out


def write_or_check(operators, sources, check, what):
    """Writes operators.json and sources.json as derived; with `check`, writes nothing and exits 1 naming the files
    that differ from the derivation of `what`."""
    outputs = [("operators.json", _fmt(operators, 0) + "\n"),
               ("sources.json", json.dumps(sources, indent=2, ensure_ascii=False) + "\n")]
    if check:
        stale = []
        for name, text in outputs:
            with open(os.path.join(TARGETS, name), encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        if stale:
            raise SystemExit(f"{', '.join(stale)} differ from the derivation of {what}: run without --check")
        return
    for name, text in outputs:
        with open(os.path.join(TARGETS, name), "w", encoding="utf-8") as f:
            f.write(text)
