#!/usr/bin/env python3
"""Writes the PyTorch fixtures of Tests/Fixtures/models/pytorch/ with torch itself, and what torch reads back
from each (`expected.json`: every tensor's name, dtype, shape and the SHA-256 of its little-endian bytes; the
ExportedProgram's ATen calls), so
the reader's specs compare bit for bit against torch without torch at test time.

Run with the Core ML venv's interpreter (torch is pinned there):
  .venv-coreml/bin/python scripts/make_pytorch_fixtures.py Tests/Fixtures/models/pytorch [--recurrent | --torchscript]
(--recurrent writes recurrent.pt2 and recurrent.onnx alone; --torchscript the TorchScript analysis fixtures alone;
--scripted-rate scripted_rate.pt alone; --traced-constant traced_constant.pt and .onnx alone; --unmeasured unmeasured.pt2 alone; --scripted-while scripted_while.pt alone; --scripted-cell scripted_cell.pt alone.)
"""
import hashlib
import json
import pathlib
import sys

import numpy
import torch


class Net(torch.nn.Module):
    """A little of everything a state dict holds: conv, batch norm (an int64 counter), linear, an embedding tied
    to the output layer (one storage, two names) and a float16 buffer."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.bn = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8, 4)
        self.emb = torch.nn.Embedding(10, 8)
        self.head = torch.nn.Linear(8, 10, bias=False)
        self.head.weight = self.emb.weight  # tied: one storage, two names in the state dict
        self.register_buffer("scale16", torch.linspace(0, 1, 6, dtype=torch.float16))

    def forward(self, x):
        y = self.bn(self.conv(x)).mean((2, 3))
        return self.fc(y), self.head(y)


def describe(tensors):
    out = []
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = t.numpy().tobytes()
        out.append({"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                    "sha256": hashlib.sha256(raw).hexdigest()})
    return out


class Recurrent(torch.nn.Module):
    """A two-layer bidirectional LSTM, a GRU on its outputs and a Linear on the last step."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(4, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = torch.nn.GRU(16, 6, batch_first=True)
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        y, _ = self.lstm(x)
        z, _ = self.gru(y)
        return self.fc(z[:, -1])


def recurrent(out):
    """recurrent.pt2 (aten.lstm.input, aten.gru.input) and the same module through torch.onnx.export
    (recurrent.onnx, ONNX LSTM/GRU): Slipway's figures for both must agree."""
    torch.manual_seed(20261204)
    net = Recurrent().eval()
    x = torch.randn(1, 10, 4)
    torch.export.save(torch.export.export(net, (x,)), out / "recurrent.pt2")
    torch.onnx.export(net, (x,), str(out / "recurrent.onnx"), dynamo=False, opset_version=17, input_names=["x"])


class TracedCNN(torch.nn.Module):
    """What torch.jit.trace prints for a vision model: _convolution (a strided, a depthwise and a pointwise one),
    batch_norm, relu/hardtanh_, max_pool2d, a residual add, adaptive_avg_pool2d, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), torch.nn.BatchNorm2d(8),
                                        torch.nn.ReLU())
        self.pool = torch.nn.MaxPool2d(3, stride=2, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = torch.nn.Conv2d(8, 8, 1)
        self.act = torch.nn.ReLU6(inplace=True)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        y = self.pool(self.stem(x))
        y = y + self.act(self.pw(self.dw(y)))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1))


class ScriptedBranches(torch.nn.Module):
    """torch.jit.script keeps control flow: an `if` on a module attribute (data.pkl's `use_norm`), an `if` on the
    input's shape, a `for` over a constant range and a size computed from the input."""

    def __init__(self):
        super().__init__()
        self.use_norm = True
        self.conv = torch.nn.Conv1d(4, 6, 3)
        self.norm = torch.nn.BatchNorm1d(6)
        self.fc = torch.nn.Linear(6, 2)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(0)
        y = self.conv(x)
        if self.use_norm:
            y = self.norm(y)
        for _ in range(3):
            y = torch.relu(y) * 0.5
        n = y.size(0)
        return self.fc(y.mean(2).view(n, -1))


class ScriptedRate(torch.nn.Module):
    """A forward that branches on an int parameter, as silero-vad's `forward(x, sr: int)` does: the manifest's
    `sr: 16000` under model.inputs picks the 16 kHz convolution (wider) or the 8 kHz one."""

    def __init__(self):
        super().__init__()
        self.wide = torch.nn.Conv1d(1, 8, 5)
        self.narrow = torch.nn.Conv1d(1, 4, 3)

    def forward(self, x, sr: int):
        if sr == 16000:
            y = self.wide(x)
        else:
            y = self.narrow(x)
        return torch.relu(y)


class TracedConstant(torch.nn.Module):
    """A forward that builds a tensor of its own from numpy (a window, a mel basis): torch.jit.trace stores it in
    constants.pkl (`CONSTANTS.c0`, read through `aten::lift_fresh`), torch.onnx.export writes it as an initializer."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(64, 8)

    def forward(self, x):
        window = torch.from_numpy(numpy.hanning(64).astype(numpy.float32))
        return self.fc(x * window)


def traced_constant(out):
    """traced_constant.pt (torch.jit.trace at 1×64) and traced_constant.onnx (the same module through
    torch.onnx.export): Slipway's figures for both must agree, the constant a weight in both."""
    torch.manual_seed(20261207)
    m = TracedConstant().eval()
    x = torch.randn(1, 64)
    torch.jit.save(torch.jit.trace(m, x), out / "traced_constant.pt")
    torch.onnx.export(m, (x,), str(out / "traced_constant.onnx"), dynamo=False, opset_version=17, input_names=["x"])


class Unmeasured(torch.nn.Module):
    """A Linear then a cumulative sum: cumsum is no call of measure_aten_onnx.py's modules, so what the exporters
    write for it is not in the aten_to_onnx table."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return torch.cumsum(self.fc(x), dim=1)


def unmeasured(out):
    """unmeasured.pt2 (torch.export at 1×8): a call the ATen → ONNX table has not measured."""
    torch.manual_seed(20261208)
    torch.export.save(torch.export.export(Unmeasured().eval(), (torch.randn(1, 8),)), out / "unmeasured.pt2")


class ScriptedWhile(torch.nn.Module):
    """Two while loops as TorchScript prints them (`while _0:` on a local the body updates): three Linear + ReLU
    steps on a counter, then halving the batch size until 1 (a shape decides the trip count); and a loop on a
    tensor's value, which no shape decides."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        i = 0
        while i < 3:
            x = torch.relu(self.fc(x))
            i += 1
        n = x.size(0)
        while n > 1:
            n = n // 2
            x = x * 2
        while bool(x.sum() > 100.0):
            x = x - 1.0
        return x


def scripted_while(out):
    """scripted_while.pt (torch.jit.script of ScriptedWhile): its figures are checked by hand."""
    torch.manual_seed(20261209)
    torch.jit.save(torch.jit.script(ScriptedWhile().eval()), out / "scripted_while.pt")


class ScriptedCell(torch.nn.Module):
    """An LSTM cell stepped over the sequence in scripted code: `lstm_cell`, which only scripted code calls (a trace
    records what it decomposes into), once per time step."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.LSTMCell(8, 16)

    def forward(self, x):
        h = torch.zeros(x.size(0), 16)
        c = torch.zeros(x.size(0), 16)
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
        return h


def scripted_cell(out):
    """scripted_cell.pt (torch.jit.script of ScriptedCell): its ONNX export is judged by the lstm_cell row."""
    torch.manual_seed(20261210)
    torch.jit.save(torch.jit.script(ScriptedCell().eval()), out / "scripted_cell.pt")


def scripted_rate(out):
    """scripted_rate.pt: torch.jit.script of ScriptedRate (no ONNX export: its figures are checked by hand)."""
    torch.manual_seed(20261206)
    torch.jit.save(torch.jit.script(ScriptedRate().eval()), out / "scripted_rate.pt")


def torchscript(out):
    """traced_cnn.pt (torch.jit.trace at 1×3×32×32) and scripted_branches.pt (torch.jit.script), each with the same
    module through torch.onnx.export (batch norm kept, not folded into the convolution): Slipway's figures for the
    TorchScript code at those input shapes and for the ONNX graph must agree."""
    torch.manual_seed(20261205)
    onnx_args = dict(dynamo=False, opset_version=17, input_names=["x"], do_constant_folding=False,
                     training=torch.onnx.TrainingMode.PRESERVE)
    cnn = TracedCNN().eval()
    x = torch.randn(1, 3, 32, 32)
    torch.jit.save(torch.jit.trace(cnn, x), out / "traced_cnn.pt")
    torch.onnx.export(cnn, (x,), str(out / "traced_cnn.onnx"), **onnx_args)
    branches = ScriptedBranches().eval()
    x = torch.randn(1, 4, 16)
    torch.jit.save(torch.jit.script(branches), out / "scripted_branches.pt")
    torch.onnx.export(branches, (x,), str(out / "scripted_branches.onnx"), **onnx_args)


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    if "--torchscript" in sys.argv:
        torchscript(out)
        scripted_rate(out)
        return
    if "--scripted-rate" in sys.argv:
        scripted_rate(out)
        return
    if "--traced-constant" in sys.argv:
        traced_constant(out)
        return
    if "--unmeasured" in sys.argv:
        unmeasured(out)
        return
    if "--scripted-while" in sys.argv:
        scripted_while(out)
        return
    if "--scripted-cell" in sys.argv:
        scripted_cell(out)
        return
    recurrent(out)
    if "--recurrent" in sys.argv:
        return
    torchscript(out)
    scripted_rate(out)
    traced_constant(out)
    unmeasured(out)
    scripted_while(out)
    scripted_cell(out)
    torch.manual_seed(20261204)
    net = Net().eval()
    sd = net.state_dict()
    torch.save(sd, out / "state_dict.pt")
    # A training checkpoint: the state dict nested under "model", with an optimizer's plain values.
    base = torch.arange(24, dtype=torch.float32)
    torch.save({"model": sd, "epoch": 7, "lr": 0.001, "window": base[4:16].view(3, 4), "tags": ["a", "b"]},
               out / "checkpoint.pth")
    script = torch.jit.trace(net, torch.randn(1, 3, 8, 8))
    torch.jit.save(script, out / "torchscript.pt")
    # An ExportedProgram (torch.export.save): the graph of ATen calls, and the state dict stored inside.
    program = torch.export.export(net, (torch.randn(1, 3, 8, 8),))
    torch.export.save(program, out / "exported.pt2")
    # A whole pickled module: its class is code, refused by name.
    torch.save(net, out / "whole_module.pt")
    expected = {
        "torch": torch.__version__,
        "state_dict.pt": describe(torch.load(out / "state_dict.pt")),
        "checkpoint.pth": describe({"model." + k: v for k, v in torch.load(out / "checkpoint.pth")["model"].items()}
                                   | {"window": torch.load(out / "checkpoint.pth")["window"]}),
        "torchscript.pt": describe(dict(torch.jit.load(out / "torchscript.pt").state_dict())),
        "exported.pt2": describe(dict(torch.export.load(out / "exported.pt2").state_dict)),
        "exported.pt2 operators": sorted(str(n.target) for n in torch.export.load(out / "exported.pt2").graph.nodes
                                         if n.op == "call_function"),
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
