#!/usr/bin/env python3
"""The refiner's network in PyTorch, side by side with burn.

    python3 tests/refine/torch_side_by_side.py [--bin target/debug/showrunner] [--weights W] [--runs N]
        [--size 128] [--burn-backend cpu|ndarray|wgpu] [--train-runs N]

In one run it:
1. exports the weights and a probe (x_t, cheap, t and burn-flex's output)
   with `showrunner refiner export`;
2. builds the same UNet in PyTorch, loads the same weights, runs the probe
   and checks the outputs agree within 1e-3 (max |difference|);
3. times one --size x --size (128) refinement step in PyTorch (CPU here, CUDA
   where there is a GPU) and the same step in burn with `showrunner refiner
   bench` (burn-flex; burn-ndarray with --burn-backend ndarray; burn on the
   GPU through Vulkan with --burn-backend wgpu), and prints both with their
   ratio as JSON;
4. times one training step as `showrunner refiner train` takes it (a batch of
   4 crops of 64 x 64, noised, forward, MSE + 0.1 x gradient L1 + (1 - SSIM),
   backward, Adam) in PyTorch and in burn (`refiner bench --train`, burn's
   CPU backends: burn-flex, which trains, and burn-ndarray, which trained
   before it), and reports burn's step rate as a share of PyTorch's
   (--train-runs 0 skips it).

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


def box7(t):
    return F.avg_pool2d(t, 7, stride=1)


def ssim(x, y):
    """engine/refine/src/train.rs `ssim`: 7 x 7 uniform windows, sample covariance."""
    c1, c2, norm = 0.01**2, 0.03**2, 49 / 48
    mx, my = box7(x), box7(y)
    vx = (box7(x * x) - mx * mx) * norm
    vy = (box7(y * y) - my * my) * norm
    vxy = (box7(x * y) - mx * my) * norm
    return (((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))).mean()


def gradient_l1(p, r):
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    return (dx(p) - dx(r)).abs().mean() + (dy(p) - dy(r)).abs().mean()


def train_steps(channels, groups, colour, guide, runs, batch=4, crop=64):
    """Times `runs` training steps (after one warm-up) as `Trainer::step` takes them:
    the batch made on the host, noised, forward, loss, backward, Adam."""
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    model = Unet(channels, groups, colour, guide).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, eps=1e-8)
    side = 128
    cheap_img = rng.random((3, side, side), dtype=np.float32)
    ref_img = (cheap_img * cheap_img * 0.9).astype(np.float32)
    guide_img = rng.random((guide, side, side), dtype=np.float32)
    times = []
    for k in range(runs + 1):
        t0 = time.perf_counter()
        cs, rs, gs = [], [], []
        for _ in range(batch):
            x0, y0 = rng.integers(0, side - crop + 1, 2)
            window = (slice(None), slice(y0, y0 + crop), slice(x0, x0 + crop))
            cs.append(cheap_img[window])
            rs.append(ref_img[window])
            gs.append(guide_img[window])
        cheap = torch.from_numpy(np.stack(cs))
        ref = torch.from_numpy(np.stack(rs))
        g = torch.from_numpy(np.stack(gs))
        t = float(rng.uniform(0.02, 0.3))
        ab = np.cos(t * np.pi / 2) ** 2
        x_t = cheap * np.sqrt(ab) + torch.randn_like(cheap) * np.sqrt(1 - ab)
        pred = model(x_t, cheap, g, t)
        loss = ((pred - ref) ** 2).mean() + 0.1 * gradient_l1(pred, ref) + (1 - ssim(pred, ref))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if k > 0:
            times.append((time.perf_counter() - t0) * 1e3)
    return times


def summary(times):
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(np.ceil(0.99 * len(times))) - 1)]
    return {"median_ms": statistics.median(times), "p99_ms": p99}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/showrunner")
    ap.add_argument("--weights", default="assets/refiner/refiner.bpk")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--burn-backend", choices=["cpu", "ndarray", "wgpu"], default="cpu")
    ap.add_argument("--train-runs", type=int, default=10, help="timed training steps (0: none)")
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
    bench = subprocess.run(
        [args.bin, "refiner", "bench", "--backend", args.burn_backend, "--sizes", str(args.size), "--runs", str(args.runs)],
        check=True, capture_output=True, text=True,
    )
    burn = json.loads(bench.stdout)["rows"][0]
    torch_step = summary(times)
    report = {
        "max_abs_difference": diff,
        "within_1e-3": diff <= 1e-3,
        "torch": {"device": device, "version": torch.__version__, "threads": torch.get_num_threads(),
                  **torch_step},
        f"burn_{args.burn_backend}": {"median_ms": burn["median_ms"], "p99_ms": burn["p99_ms"]},
        "burn_over_torch_median": burn["median_ms"] / torch_step["median_ms"],
        "size": args.size,
        "runs": args.runs,
    }
    if args.train_runs > 0:
        torch_train = summary(
            train_steps(index["channels"], index["groups"], index.get("colour", 0), guide_channels, args.train_runs)
        )
        bench = subprocess.run(
            [args.bin, "refiner", "bench", "--train", "--runs", str(args.train_runs)],
            check=True, capture_output=True, text=True,
        )
        rows = {r["backend"]: r for r in json.loads(bench.stdout)["rows"]}
        report["train"] = {
            "step": "batch 4 x 64 x 64: noise, forward, MSE + 0.1 gradient L1 + (1 - SSIM), backward, Adam",
            "runs": args.train_runs,
            "torch": torch_train,
            **{f"burn_{name}": {"median_ms": r["median_ms"], "p99_ms": r["p99_ms"],
                                "step_rate_over_torch": torch_train["median_ms"] / r["median_ms"]}
               for name, r in rows.items()},
        }
    print(json.dumps(report, indent=1))
    return 0 if diff <= 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
