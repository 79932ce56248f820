"""`slipway serve` driven by pytest-lsp with the capabilities of real editors (VS Code 1.65, Neovim 0.7 and
the latest Neovim it knows). Every response is checked against what that client declared it supports, and
a violation fails the test (see pytest.ini)."""
import asyncio
import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = pathlib.Path(__file__).resolve().parents[2]
SLIPWAY = os.environ.get("SLIPWAY_BIN", str(REPO / ".build" / "debug" / "slipway"))
EXAMPLE = REPO / "examples" / "kws-mcu" / "kws.slipway.yaml"
BROKEN = ("slipway: 1\nmodel:\n  pth: models/ds_cnn_kws.onnx\noptimize:\n"
          "  quantize: {weights: int8, activations: int8, calibration: data/calib/}\ntargets: {mcu: {runtime: tflite-micro}}\n")


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim@v0.7.0", "neovim"],
    config=ClientServerConfig(server_command=[SLIPWAY, "serve"]),
)
async def client(request, lsp_client: LanguageClient):
    # The test client does not implement dynamic registration; an editor would accept the file watchers.
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params):
        return None

    # Nor lens refreshes (sent when background model work ends); an editor would ask for the lenses again.
    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh_lenses(params):
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        workspace_folders=[types.WorkspaceFolder(uri=(REPO / "examples").as_uri(), name="examples")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def open_doc(client, text, path=EXAMPLE.parent / "probe.slipway.yaml"):
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    return uri


async def diagnostics(client: LanguageClient, uri: str, expect=None, timeout=30.0):
    """Pulled from clients that pull (Neovim 0.10+), pushed to the others. With `expect` (codes), waits until
    the diagnostics have those codes: the server shows the manifest's own findings first when model work is
    slow, and the model's follow (docs/language-server.md)."""
    td = client.capabilities.text_document
    pulls = td is not None and td.diagnostic is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if pulls:
            report = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
            found = list(report.items)
        else:
            if uri not in client.diagnostics:
                await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            found = list(client.diagnostics.get(uri, []))
        if expect is None or [d.code for d in found] == expect or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_diagnostics_for_a_typo(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    diags = await diagnostics(client, uri)
    assert [d.code for d in diags] == ["SW2001"]
    assert diags[0].range == types.Range(start=types.Position(line=2, character=2), end=types.Position(line=2, character=5))


async def test_hover_and_completion(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    await diagnostics(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=26)))
    assert hover is not None
    value = hover.contents.value if hasattr(hover.contents, "value") else str(hover.contents)
    assert "8-bit signed integers" in value
    items = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=4, character=26)))
    labels = [i.label for i in (items.items if hasattr(items, "items") else items)]
    assert labels == ["int8"]


async def test_code_actions_fix_the_typo(client: LanguageClient):
    uri = open_doc(client, BROKEN)
    diag = (await diagnostics(client, uri))[0]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag])))
    titles = [a.title for a in actions]
    assert "Change 'pth' to 'path'" in titles


async def test_outline_and_folding(client: LanguageClient):
    uri = EXAMPLE.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=EXAMPLE.read_text())))
    # The kws example is clean, as `slipway check examples/kws-mcu` says.
    assert [d.code for d in await diagnostics(client, uri, expect=[])] == []
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    names = [s.name for s in symbols]
    assert names[:4] == ["slipway", "name", "description", "model"]
    folds = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert len(folds) >= 4
    # The model's lens (format, size) replaces the plain Inspect lens once the model work is done.
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        if (lenses and lenses[0].command.title.startswith("ONNX")) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert lenses and lenses[0].command.title.startswith("ONNX")
