"""Markdown operator tables read from a source repository, for the derivation scripts that turn them into operator sets.

A source is either a checkout (or bare git directory, as the `fetch` tool leaves it) read at HEAD, or a folder of
committed copies at the same paths with a revisions.json saying what each copy is (Tests/Fixtures/catalogue/<repo>):

    {"repository": "owner/name", "files": {"<path>": "<commit>" | {"commit": ..., "ref": ..., "read": ..., "sha256": ...}}}

A copy whose commit is unknown (a file only a code index had, without its commit) names the branch it was read from
(`ref`), the date (`read`) and the digest of the text read (`sha256`), which the reader verifies.

Tables are parsed strictly: a row that does not read as an operator is an error, never skipped.
"""
import hashlib
import json
import os
import re

import catalogue_json as cj

SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class TableError(Exception):
    pass


class Copies:
    """Committed copies of a repository's files, each with what revisions.json says of it."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "revisions.json"), encoding="utf-8") as f:
            meta = json.load(f)
        self.repository = meta["repository"]
        self.files = meta["files"]

    def read(self, name):
        with open(os.path.join(self.path, name), encoding="utf-8") as f:
            text = f.read()
        info = self.info(name)
        if "sha256" in info:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest != info["sha256"]:
                raise TableError(f"{name}: sha256 {digest} is not the {info['sha256']} recorded in revisions.json")
        return text

    def info(self, name):
        v = self.files[name]
        return {"commit": v} if isinstance(v, str) else v


class Repository:
    """A checkout read at HEAD: every file at the one commit."""

    def __init__(self, path, repository):
        self.checkout = cj.Checkout(path)
        self.repository = repository

    def read(self, name):
        return self.checkout.read(name)

    def info(self, name):
        return {"commit": self.checkout.revision, "date": self.checkout.date}


def open_source(path, repository):
    """A folder with revisions.json is committed copies; anything else is a checkout of `repository`."""
    if os.path.exists(os.path.join(path, "revisions.json")):
        copies = Copies(path)
        if copies.repository != repository:
            raise TableError(f"{path}: copies of {copies.repository}, not {repository}")
        return copies
    return Repository(path, repository)


def cite(source, name):
    """(revision, url) for sources.json: owner/name@commit where the commit is known, else the branch and the date."""
    info = source.info(name)
    if info.get("commit"):
        revision = f"{source.repository}@{info['commit']}" + (f" ({info['date']})" if info.get("date") else "")
        return revision, f"https://github.com/{source.repository}/blob/{info['commit']}/{name}"
    revision = f"{source.repository} {info['ref']} (read {info['read']}; commit unknown, sha256 {info['sha256'][:16]}…)"
    return revision, f"https://github.com/{source.repository}/blob/{info['ref']}/{name}"


def section(text, heading):
    """The lines under the markdown heading `heading` up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    for i, line in enumerate(lines):
        if line.strip() == heading:
            out = []
            for rest in lines[i + 1:]:
                m = re.match(r"^(#+)\s", rest)
                if m and len(m.group(1)) <= level:
                    break
                out.append(rest)
            return out
    raise TableError(f"no heading {heading!r}")


def rows(lines):
    """The body rows of the first table in `lines`, each a list of its cells (stripped, `\\|` unescaped). A row may
    leave off its closing `|` (onnx-tensorrt's do)."""
    out, header = [], None
    for line in lines:
        s = line.strip()
        if not s.startswith("|"):
            if header is not None:
                break
            continue
        if header is None:
            header = s
            continue
        if SEPARATOR.match(s):
            continue
        cells = re.split(r"(?<!\\)\|", s)[1:]
        if cells and cells[-1].strip() == "" and s.endswith("|"):
            cells = cells[:-1]
        out.append([c.strip().replace("\\|", "|") for c in cells])
    if header is None:
        raise TableError("no table")
    return out


def note(cell):
    """A table's note as one line: `<br/>` breaks become spaces."""
    return re.sub(r"\s+", " ", BREAK.sub(" ", cell)).strip()
