#!/usr/bin/env python3
"""Writes a small TorchScript CNN (torch.jit.trace, then torch.jit.save) for the Core ML conversion tests, or, for
an output named `.pt2`, the same CNN as an ExportedProgram (torch.export.export, then torch.export.save, with its
example inputs).

Run with the Core ML venv's interpreter (`.venv-coreml/bin/python scripts/make_torchscript_fixture.py OUT.pt`):
the tests make it at run time rather than commit a binary tied to one torch version. The second convolution
has 36,864 weights, above coremltools' default 2,048-element threshold for weight compression.
"""
import sys

import torch


class TinyCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 64, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(64, 64, 3, padding=1)
        self.fc = torch.nn.Linear(64, 10)

    def forward(self, x):
        y = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(y.mean((2, 3)))


def main():
    torch.manual_seed(20261129)
    model = TinyCNN().eval()
    example = torch.randn(1, 3, 32, 32)
    if sys.argv[1].endswith(".pt2"):
        torch.export.save(torch.export.export(model, (example,)), sys.argv[1])
    else:
        torch.jit.save(torch.jit.trace(model, example), sys.argv[1])


if __name__ == "__main__":
    main()
