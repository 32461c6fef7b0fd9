#!/usr/bin/env python3
"""Checks Showrunner's image metrics against scikit-image.

    python3 tests/refine/check_metrics.py DIR      # DIR from `showrunner refiner eval --dump DIR`
    python3 tests/refine/check_metrics.py --cards  # golden values for engine/refine's unit test

For every NAME.reference.png in DIR it computes
skimage.metrics.peak_signal_noise_ratio and structural_similarity (defaults,
channel_axis=-1) of NAME.cheap.png and NAME.refined.png, compares them with
DIR/eval.json (written by the same command) and exits non-zero on a
difference above 1e-6. Needs numpy, pillow and scikit-image.
"""
import json
import sys
from pathlib import Path

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def card(seed):
    i = np.arange(16 * 12 * 3, dtype=np.uint64)
    v = ((i * 2654435761) & 0xFFFFFFFF) ^ ((seed * 40503) & 0xFFFFFFFF)
    return ((v >> 7) & 0xFF).astype(np.uint8).reshape(12, 16, 3)


def metrics(ref, img):
    return (
        peak_signal_noise_ratio(ref, img, data_range=255),
        structural_similarity(ref, img, channel_axis=-1, data_range=255),
    )


def main():
    if sys.argv[1:] == ["--cards"]:
        p, s = metrics(card(1), card(2))
        print(f"{p:.9f} {s:.9f}")
        return 0
    from PIL import Image

    d = Path(sys.argv[1])
    report = json.loads((d / "eval.json").read_text())
    ours = {f["name"]: f for f in report["frames"]}
    worst = 0.0
    for ref_path in sorted(d.glob("*.reference.png")):
        name = ref_path.name[: -len(".reference.png")]
        load = lambda kind: np.asarray(Image.open(d / f"{name}.{kind}.png").convert("RGB"))
        ref = load("reference")
        for kind in ("cheap", "refined"):
            p, s = metrics(ref, load(kind))
            q = ours[name][kind]
            dp, ds = abs(p - q["psnr"]), abs(s - q["ssim"])
            worst = max(worst, dp, ds)
            print(f"{name:28} {kind:8} psnr {p:8.4f} (ours {q['psnr']:8.4f})  ssim {s:.5f} (ours {q['ssim']:.5f})")
    print(f"largest difference: {worst:.2e}")
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
