"""The litert-xnnpack operator table (derived from LiteRT's xnnpack_delegate.cc by scripts/catalogue/derive_xnnpack.py)
against the XNNPACK delegate that ai-edge-litert applies by default, on the committed TFLite fixtures and on the
corpus's TFLite models when SLIPWAY_CORPUS_DIR (or .cache/corpus) has them.

Which original nodes the delegate took is read from the interpreter after allocate_tensors(): `_get_ops_details()`
lists every original node and one DELEGATE node per partition, whose inputs and outputs are the partition's
boundary. A partition's nodes are the largest set whose inputs all come from that boundary or from each other, whose
outputs leave only through the DELEGATE node's outputs (never feeding its inputs), and that touch a tensor of the
partition (CALL_ONCE, with no tensors, does not); every DELEGATE output must be produced by one of them and no node
may be in two partitions. (TFLite logs "Replacing N out of M node(s)" only at VERBOSE, which the wheel does not print.)

Every node Slipway's estimate says the delegate refuses (`refused_nodes`) must be one the runtime left to the builtin
kernels; nodes the runtime refused for a reason the table cannot express are listed in EXCEPTIONS with the reason.
"""
import json
import os
import pathlib
import shutil

import pytest

from ai_edge_litert.interpreter import Interpreter, OpResolverType

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = sorted(p for p in (REPO / "Tests" / "Fixtures").rglob("*.tflite"))


def corpus_models():
    folder = pathlib.Path(os.environ.get("SLIPWAY_CORPUS_DIR", REPO / ".cache" / "corpus"))
    return sorted(folder.glob("*.tflite")) if folder.is_dir() else []


# (file name, node index, operator): refused by the runtime, taken by Slipway's table, and why the table cannot say.
EXCEPTIONS = {
    # None now: the quantization parameters VisitBatchMatMulNode (a statically quantized right-hand side's zero
    # point) and VisitUnaryNode's QUANTIZE (int8 -> uint8) refuse are derived checks (test_xnnpack_quantization.py).
}


def delegated_nodes(path):
    """{original node: DELEGATE node} for the nodes the default XNNPACK delegate took; None if the runtime cannot
    load the model (Select TF ops, CALL)."""
    try:
        it = Interpreter(model_path=str(path))
        it.allocate_tensors()
    except (RuntimeError, ValueError):
        return None, []
    ops = it._get_ops_details()
    originals = [o for o in ops if o["op_name"] != "DELEGATE"]
    delegates = [o for o in ops if o["op_name"] == "DELEGATE"]
    ins = {o["index"]: [int(t) for t in o["inputs"] if t >= 0] for o in originals}
    outs = {o["index"]: [int(t) for t in o["outputs"] if t >= 0] for o in originals}
    consumers = {}
    for n, ts in ins.items():
        for t in ts:
            consumers.setdefault(t, set()).add(n)
    graph_outputs = {int(t) for t in it._interpreter.OutputIndices()}
    owner = {}
    for d in delegates:
        d_in, d_out = {int(t) for t in d["inputs"]}, {int(t) for t in d["outputs"]}
        members = set(ins)
        while True:
            produced = {t for n in members for t in outs[n]}
            keep = {n for n in members
                    if all(t in d_in or t in produced for t in ins[n])
                    and not any(t in d_in for t in outs[n])
                    and not any(t not in d_out and ((consumers.get(t, set()) - members) or t in graph_outputs)
                                for t in outs[n])
                    and any(t in d_in or t in d_out or t in produced for t in ins[n] + outs[n])}
            if keep == members:
                break
            members = keep
        assert d_out <= {t for n in members for t in outs[n]}, f"{path.name}: DELEGATE {d['index']} not explained"
        for n in members:
            assert n not in owner, f"{path.name}: node {n} in two partitions"
            owner[n] = d["index"]
    return owner, originals


def slipway_verdict(run, tmp_path, model):
    shutil.copy(model, tmp_path / "m.tflite")
    (tmp_path / "m.slipway.yaml").write_text(
        "slipway: 1\nname: x\nmodel:\n  path: m.tflite\n"
        "targets:\n  cpu: {runtime: litert, delegate: xnnpack, format: tflite}\n")
    r = run("estimate", str(tmp_path / "m.slipway.yaml"), "--json", "--no-cache")
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)["targets"][0]


def compare(run, tmp_path, model):
    owner, originals = delegated_nodes(model)
    if owner is None:
        pytest.skip(f"{model.name}: the installed LiteRT does not load it")
    row = slipway_verdict(run, tmp_path, model)
    refused = {x["node"]: x for x in row["refused_nodes"]}
    runtime_refused = {o["index"]: o["op_name"] for o in originals if o["index"] not in owner}
    # Slipway's fallback verdicts are all true: each node it names runs on the builtin kernels.
    wrong = {n: x for n, x in refused.items() if n in owner}
    assert not wrong, f"{model.name}: Slipway says XNNPACK refuses nodes the runtime delegated: {wrong}"
    # The reverse: nodes the runtime refused that the table lets through, each a documented exception.
    missed = {(model.name, n, op) for n, op in runtime_refused.items() if n not in refused}
    undocumented = missed - set(EXCEPTIONS)
    assert not undocumented, f"{model.name}: refused by XNNPACK, taken by the table: {sorted(undocumented)}"
    return len(originals), len(runtime_refused), len(refused), len(missed)


@pytest.mark.parametrize("model", FIXTURES, ids=[str(p.relative_to(REPO / "Tests" / "Fixtures")) for p in FIXTURES])
def test_fixture_fallback_matches_the_runtime(run, tmp_path, model):
    compare(run, tmp_path, model)


def test_corpus_fallback_matches_the_runtime(run, tmp_path):
    models = corpus_models()
    if not models:
        pytest.skip("no corpus TFLite models (make corpus, or set SLIPWAY_CORPUS_DIR)")
    report = []
    for i, model in enumerate(models):
        d = tmp_path / str(i)
        d.mkdir()
        owner, _ = delegated_nodes(model)
        if owner is None:
            continue
        nodes, by_runtime, by_slipway, missed = compare(run, d, model)
        report.append(f"{model.name}: {nodes} nodes, {by_runtime} refused by XNNPACK, {by_slipway} named by Slipway, "
                      f"{missed} documented exceptions")
    assert report
    print("\n".join(report))


def test_the_tflite_ops_fixture_agrees_node_for_node(run, tmp_path):
    """The fixture with shape arithmetic (SHAPE, GATHER, PACK, computed RESHAPE shapes) and a TRANSPOSE_CONV with
    a computed output shape: every node the runtime leaves to the builtin kernels is one Slipway names."""
    model = REPO / "Tests" / "Fixtures" / "targets" / "tflite_ops.tflite"
    owner, originals = delegated_nodes(model)
    row = slipway_verdict(run, tmp_path, model)
    assert {x["node"] for x in row["refused_nodes"]} == {o["index"] for o in originals if o["index"] not in owner}
    assert 0 < len(owner) < len(originals)


def loads(path, **kw):
    """Whether the installed LiteRT prepares the model (`kw`: the interpreter's options)."""
    try:
        Interpreter(model_path=str(path), **kw).allocate_tensors()
        return True
    except (RuntimeError, ValueError):
        return False


@pytest.mark.parametrize("model", FIXTURES, ids=[str(p.relative_to(REPO / "Tests" / "Fixtures")) for p in FIXTURES])
def test_check_refuses_exactly_the_models_xnnpack_fails_to_prepare(run, tmp_path, model):
    """XNNPACK takes some operators whatever their rank (CONCATENATION, SOFTMAX …) and fails to prepare a node with
    a tensor above XNN_MAX_TENSOR_DIMS (6), so LiteRT refuses the model with its default delegate and runs it on the
    builtin kernels alone: `check` on a LiteRT target that names no delegate errs (litert.xnnpack-prepare) exactly on
    the fixtures the default interpreter refuses and the builtin kernels run."""
    if not loads(model, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES):
        pytest.skip(f"{model.name}: the builtin kernels do not run it either")
    shutil.copy(model, tmp_path / "m.tflite")
    (tmp_path / "m.slipway.yaml").write_text(
        "slipway: 1\nname: x\nmodel:\n  path: m.tflite\ntargets:\n  cpu: {runtime: litert}\n")
    r = run("check", str(tmp_path / "m.slipway.yaml"), "--format", "json")
    refusals = [d for d in json.loads(r.stdout) if d["severity"] == "error" and "the delegate fails to prepare" in d["message"]]
    assert bool(refusals) == (not loads(model)), refusals


def test_the_xnnpack_rank_fixtures_are_refused_as_measured():
    """The committed measurement: ai-edge-litert refuses the 7-D CONCATENATION with its default delegate only, and
    runs the 7-D ADD (left to the builtin kernels), the 6-D CONCATENATION (delegated) and the 7-D int32 one (refused by
    type first)."""
    ranks = REPO / "Tests" / "Fixtures" / "targets" / "xnnpack_ranks"
    builtin = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    assert [loads(ranks / "concatenation_7d.tflite"), loads(ranks / "concatenation_7d.tflite", **builtin)] == [False, True]
    assert loads(ranks / "add_7d.tflite") and loads(ranks / "concatenation_6d.tflite") and loads(ranks / "expand_dims_6d_to_7d.tflite")
    # XNNPACK refuses an int32 CONCATENATION by its type before its rank matters.
    assert loads(ranks / "concatenation_7d_int32.tflite")
