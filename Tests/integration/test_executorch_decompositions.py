"""ExecuTorch's XNNPACK check reads a .pt2's operators before to_edge's decompositions (aten.conv2d, aten.batch_norm,
aten.hardtanh_, aten.flatten) and judges each by the Edge operators to_edge makes of it (aten_to_edge, measured by
scripts/catalogue/measure_aten_decompositions.py). Real architectures, exported here with torch: a MobileNetV2 and a
ResNet built from their papers' blocks, made only of layers the partitioner takes, have no portable-kernel fallback;
the same network with nearest-neighbour upsampling (upsample_nearest2d, which the partitioner's configs lack) has one,
naming it."""
import json
import os
import subprocess
import textwrap

import pytest

from conftest import REPO

COREML_PYTHON = os.environ.get("SLIPWAY_COREML_PYTHON", str(REPO / ".venv-coreml/bin/python"))

# MobileNetV2 (Sandler et al. 2018, table 2, width 0.5 to keep the export quick) and ResNet-18's basic blocks
# (He et al. 2016), in eval mode as deployed; `upsample` adds FPN-style nearest-neighbour upsampling to the ResNet.
EXPORT = textwrap.dedent('''
    import sys, torch
    from torch import nn

    def cbr(i, o, k=3, s=1, g=1, act=True):
        layers = [nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o)]
        return layers + [nn.ReLU6(inplace=True)] if act else layers

    class InvertedResidual(nn.Module):
        def __init__(self, i, o, s, t):
            super().__init__()
            h = i * t
            self.res = s == 1 and i == o
            self.body = nn.Sequential(*(cbr(i, h, 1) if t != 1 else []), *cbr(h, h, 3, s, h), *cbr(h, o, 1, act=False))
        def forward(self, x):
            return x + self.body(x) if self.res else self.body(x)

    def mobilenet_v2(width=0.5, classes=10):
        c = lambda n: max(8, int(n * width))
        layers, i = cbr(3, c(32), 3, 2), c(32)
        for t, n, s, o in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for k in range(s):
                layers.append(InvertedResidual(i, c(n), o if k == 0 else 1, t))
                i = c(n)
        layers += cbr(i, 1280, 1)
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, classes))

    class Basic(nn.Module):
        def __init__(self, i, o, s):
            super().__init__()
            self.a = nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                   nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o))
            self.down = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o)) if s != 1 or i != o else nn.Identity()
            self.relu = nn.ReLU(inplace=True)
        def forward(self, x):
            return self.relu(self.a(x) + self.down(x))

    class ResNet18(nn.Module):
        def __init__(self, upsample=False, classes=10):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
            blocks, i = [], 64
            for o, s in [(64, 1), (128, 2), (256, 2), (512, 2)]:
                blocks += [Basic(i, o, s), Basic(o, o, 1)]
                i = o
            self.blocks = nn.Sequential(*blocks)
            self.upsample = nn.Upsample(scale_factor=2, mode="nearest") if upsample else nn.Identity()
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))
        def forward(self, x):
            return self.head(self.upsample(self.blocks(self.stem(x))))

    out = sys.argv[1]
    x = (torch.randn(1, 3, 96, 96),)
    for name, m in [("mobilenet_v2", mobilenet_v2()), ("resnet18", ResNet18()), ("resnet18_upsample", ResNet18(True))]:
        torch.export.save(torch.export.export(m.eval(), x), f"{out}/{name}.pt2")
''')


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    if not os.path.exists(COREML_PYTHON):
        pytest.fail(f"no Python with torch at {COREML_PYTHON}: run `make venv-coreml` (or set SLIPWAY_COREML_PYTHON)")
    out = tmp_path_factory.mktemp("pt2")
    r = subprocess.run([COREML_PYTHON, "-c", EXPORT, str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def check(run, folder, model):
    manifest = folder / f"{model}.slipway.yaml"
    manifest.write_text(f"slipway: 1\nmodel: {{path: {model}.pt2}}\n"
                        "targets:\n  phone: {runtime: executorch@1.4.1, delegate: xnnpack}\n")
    r = run("check", str(manifest), "--format", "json", "--no-cache")
    ds = json.loads(r.stdout)
    # The one error: Slipway writes no .pte (SW4018, where convert refuses); the operator check is what is tested.
    assert [d["code"] for d in ds if d["severity"] == "error"] == ["SW4018"], ds
    return ds


def operators(model):
    """The operators of the saved program, as Slipway reads them."""
    import zipfile
    with zipfile.ZipFile(model) as z:
        entry = next(n for n in z.namelist() if n.endswith("serialized_exported_program.json"))
        nodes = json.loads(z.read(entry))["graph_module"]["graph"]["nodes"]
    return {n["target"].removeprefix("torch.ops.") for n in nodes}


@pytest.mark.parametrize("model", ["mobilenet_v2", "resnet18"])
def test_a_network_of_partitioner_layers_has_no_portable_kernel_fallback(run, models, model):
    ops = operators(models / f"{model}.pt2")
    # The exported names the partitioner's list does not hold: without the measured decompositions each was a fallback.
    assert {"aten.conv2d.default", "aten.batch_norm.default", "aten.adaptive_avg_pool2d.default",
            "aten.flatten.using_ints", "aten.linear.default"} <= ops
    assert ("aten.hardtanh_.default" in ops) == (model == "mobilenet_v2")
    assert ("aten.max_pool2d.default" in ops and "aten.relu_.default" in ops) == (model == "resnet18")
    ds = check(run, models, model)
    assert not [d for d in ds if d["code"] == "SW4005"], ds


def test_a_layer_the_partitioner_lacks_falls_back_to_the_portable_kernels_by_name(run, models):
    ds = check(run, models, "resnet18_upsample")
    fallback = [d for d in ds if d["code"] == "SW4005"]
    assert len(fallback) == 1, ds
    assert fallback[0]["severity"] == "information"
    message = fallback[0]["message"]
    assert "1 of " in message and "to the portable CPU kernels" in message, message
    assert "aten.upsample_nearest2d.vec 'upsample_nearest2d' (not in the ExecuTorch XNNPACK partitioner's configs)" in message


def test_the_committed_table_is_what_the_installed_torch_measures():
    r = subprocess.run([COREML_PYTHON, str(REPO / "scripts/catalogue/measure_aten_decompositions.py"), "--check"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
