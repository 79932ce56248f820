"""A diagnostic may name a source only if the catalogue lists it: every file name (runtime_version.cc,
model_builder.cc, coreml_supported_ops.md, ...) or URL in a rule's text, a citation's section, an operator check's
text, or a message the target checks write (Sources/Targets/*.swift) must appear in the title or URL of a source in
Schemas/targets/sources.json, so each one a user reads can be followed to where it was read."""
import json
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGETS = REPO / "Schemas" / "targets"
NAMED = re.compile(r"https?://[^\s)\"'`]+|\b[\w/.-]+\.(?:cc|cpp|h|fbs|md|py|proto)\b")


def sources():
    return json.loads((TARGETS / "sources.json").read_text())["sources"]


def listed_text():
    return "\n".join(s["title"] + " " + s["url"] for s in sources().values())


def cited_texts():
    """(where, text) for every text the catalogue shows next to a diagnostic."""
    rules = json.loads((TARGETS / "rules.json").read_text())["rules"]
    out = []
    for r in rules:
        out.append((f"rules.json {r['id']} text", r["text"]))
        for key in ("source", "also"):
            if key in r:
                out.append((f"rules.json {r['id']} {key}.section", r[key]["section"]))
    ops = json.loads((TARGETS / "operators.json").read_text())
    for s in ops["operator_sets"]:
        out.append((f"operators.json {s['id']} source.section", s["source"]["section"]))
        for c in s.get("checks", []):
            out.append((f"operators.json {c['id']} text", c["text"]))
            if "source" in c:
                out.append((f"operators.json {c['id']} source.section", c["source"]["section"]))
    for swift in sorted((REPO / "Sources" / "Targets").glob("*.swift")):
        # Generated embeds of data files (the catalogue, Schemas/analysis/transformers.json) carry their data's
        # own citations, not diagnostic text.
        if swift.name.startswith("Embedded"):
            continue
        for n, line in enumerate(swift.read_text().splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', line):
                out.append((f"{swift.relative_to(REPO)}:{n}", literal))
    return out


def unlisted(texts, listed):
    missing = []
    project_docs = {p.name for p in (REPO / "docs").glob("*.md")}  # links within Slipway's own documentation
    for where, text in texts:
        for name in NAMED.findall(text):
            if name in project_docs:
                continue
            base = name.rstrip(".,;").split("/")[-1] if not name.startswith("http") else name.rstrip(".,;")
            if base not in listed:
                missing.append(f"{where}: {name}")
    return missing


def test_every_source_a_diagnostic_names_is_in_the_catalogue():
    assert unlisted(cited_texts(), listed_text()) == []


def test_the_check_catches_a_source_the_catalogue_does_not_list():
    texts = [("made up", "as delegate_registry.cc says (see https://example.org/unlisted)")]
    assert unlisted(texts, listed_text()) == ["made up: delegate_registry.cc", "made up: https://example.org/unlisted"]


def test_every_citation_names_a_listed_source():
    ids = set(sources())
    rules = json.loads((TARGETS / "rules.json").read_text())["rules"]
    cited = [(r["id"], r[k]["id"]) for r in rules for k in ("source", "also") if k in r]
    assert [c for c in cited if c[1] not in ids] == []
