#!/usr/bin/env python3
"""Copies a few real photographs (no one on this project made them) from the
scikit-image wheel on PyPI, downscaled to 160 px wide PNG, for the room-light
estimator's plausibility tests. Run once, by hand:

    pip download --no-deps scikit-image==0.26.0 -d /tmp/skw && cd /tmp/skw && unzip -o *.whl 'skimage/data/*'
    /tmp/pyhrv-venv/bin/python tests/data/photos/make_photos.py /tmp/skw/skimage/data

Provenance and licences (from scikit-image 0.26.0, skimage/data/_fetchers.py):
- coffee.png: a cup of coffee, courtesy of Pikolo Espresso Bar; CC0 by the photographer (Rachel Michetti).
- chelsea.png: Chelsea the cat; CC0 by the photographer (Stefan van der Walt).
- rocket.jpg: launch of DSCOVR on Falcon 9, by SpaceX, released into the public domain.
- astronaut.png: Eileen Collins (NASA); no known copyright restrictions, public domain.
"""
import os
import sys

from PIL import Image

SRC = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
for name in ["coffee.png", "chelsea.png", "rocket.jpg", "astronaut.png"]:
    im = Image.open(os.path.join(SRC, name)).convert("RGB")
    w = 160
    im = im.resize((w, round(im.height * w / im.width)), Image.LANCZOS)
    out = os.path.join(HERE, os.path.splitext(name)[0] + ".png")
    im.save(out, optimize=True)
    print(out, im.size)
