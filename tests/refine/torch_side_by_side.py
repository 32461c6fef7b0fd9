#!/usr/bin/env python3
"""The refiner's network in PyTorch, side by side with burn.

    python3 tests/refine/torch_side_by_side.py [--bin target/debug/showrunner] [--weights W] [--runs N]
        [--size 128] [--burn-backend ndarray|wgpu]

In one run it:
1. exports the weights and a probe (x_t, cheap, t and burn-ndarray's output)
   with `showrunner refiner export`;
2. builds the same UNet in PyTorch, loads the same weights, runs the probe
   and checks the outputs agree within 1e-3 (max |difference|);
3. times one --size x --size (128) refinement step in PyTorch (CPU here, CUDA
   where there is a GPU) and the same step in burn with `showrunner refiner
   bench` (burn-ndarray, or with --burn-backend wgpu burn on the GPU through
   Vulkan), and prints both with their ratio as JSON.

Needs numpy and torch (PyPI's wheel works on the CPU).
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)

    def forward(self, x):
        x = F.silu(self.norm1(self.conv1(x)))
        return F.silu(self.norm2(self.conv2(x)))


class Unet(nn.Module):
    """engine/refine/src/model.rs, layer for layer."""

    def __init__(self, channels, groups, colour, guide):
        super().__init__()
        c0, c1, c2, c3 = channels
        down = lambda a, b: nn.Conv2d(a, b, 3, stride=2, padding=1)
        self.enc0 = Block(7 + guide, c0, groups)  # x_t, cheap, guide, t
        self.down1 = down(c0, c1)
        self.enc1 = Block(c1, c1, groups)
        self.down2 = down(c1, c2)
        self.enc2 = Block(c2, c2, groups)
        self.down3 = down(c2, c3)
        self.mid = Block(c3, c3, groups)
        self.dec2 = Block(c3 + c2, c2, groups)
        self.dec1 = Block(c2 + c1, c1, groups)
        self.dec0 = Block(c1 + c0, c0, groups)
        self.out = nn.Conv2d(c0, 3, 3, padding=1)
        self.colour = colour
        if colour:
            # The colour path: cheap RGB + guide beside the decoder, no norm.
            self.colour1 = nn.Conv2d(c0 + 3 + guide, colour, 3, padding=1)
            self.colour2 = nn.Conv2d(colour, 3, 1)

    def forward(self, x_t, cheap, guide, t):
        n, _, h, w = cheap.shape
        tmap = torch.full((n, 1, h, w), t, dtype=cheap.dtype, device=cheap.device)
        up = lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest")
        h0 = self.enc0(torch.cat([x_t, cheap, guide, tmap], 1))
        h1 = self.enc1(F.silu(self.down1(h0)))
        h2 = self.enc2(F.silu(self.down2(h1)))
        h3 = self.mid(F.silu(self.down3(h2)))
        u2 = self.dec2(torch.cat([up(h3), h2], 1))
        u1 = self.dec1(torch.cat([up(u2), h1], 1))
        u0 = self.dec0(torch.cat([up(u1), h0], 1))
        out = cheap + self.out(u0)
        if self.colour:
            x = torch.cat([u0, cheap, guide], 1)
            out = out + self.colour2(F.silu(self.colour1(x)))
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/showrunner")
    ap.add_argument("--weights", default="assets/refiner/refiner.bpk")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--burn-backend", choices=["ndarray", "wgpu"], default="ndarray")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([args.bin, "refiner", "export", "--weights", args.weights, "--out", d, "--size", str(args.size)], check=True)
        index = json.loads((Path(d) / "index.json").read_text())
        blob = np.fromfile(Path(d) / "tensors.f32", dtype="<f4")
    tensors = {}
    for t in index["tensors"]:
        n = int(np.prod(t["shape"]))
        tensors[t["name"]] = torch.from_numpy(blob[t["offset"] : t["offset"] + n].reshape(t["shape"]).copy())

    guide_channels = tensors["probe.guide"].shape[1]  # disparity, occlusion
    model = Unet(index["channels"], index["groups"], index.get("colour", 0), guide_channels).eval()
    state = {k: v for k, v in tensors.items() if not k.startswith("probe.")}
    missing, unexpected = model.load_state_dict(state, strict=True), None
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device)
    x_t, cheap, guide, want = (tensors[f"probe.{k}"].to(device) for k in ("x_t", "cheap", "guide", "out"))
    with torch.no_grad():
        got = model(x_t, cheap, guide, index["t"])
    diff = (got - want).abs().max().item()

    times = []
    with torch.no_grad():
        for k in range(args.runs + 1):
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            # One refinement step as `refiner bench` times it: SDEdit noising,
            # the network, the clamp.
            x = cheap * 0.89 + x_t * 0.46
            model(x, cheap, guide, index["t"]).clamp(0.0, 1.0)
            if device == "cuda":
                torch.cuda.synchronize()
            if k > 0:
                times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    bench = subprocess.run(
        [args.bin, "refiner", "bench", "--backend", args.burn_backend, "--sizes", str(args.size), "--runs", str(args.runs)],
        check=True, capture_output=True, text=True,
    )
    burn = json.loads(bench.stdout)["rows"][0]
    torch_median = statistics.median(times)
    torch_p99 = times[min(len(times) - 1, int(np.ceil(0.99 * len(times))) - 1)]
    report = {
        "max_abs_difference": diff,
        "within_1e-3": diff <= 1e-3,
        "torch": {"device": device, "version": torch.__version__, "threads": torch.get_num_threads(),
                  "median_ms": torch_median, "p99_ms": torch_p99},
        f"burn_{args.burn_backend}": {"median_ms": burn["median_ms"], "p99_ms": burn["p99_ms"]},
        "burn_over_torch_median": burn["median_ms"] / torch_median,
        "size": args.size,
        "runs": args.runs,
    }
    print(json.dumps(report, indent=1))
    return 0 if diff <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
