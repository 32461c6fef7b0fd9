#!/usr/bin/env python3
"""Makes the HRV reference data the Rust tests compare against. Run once, by hand:

    python3 -m venv /tmp/pyhrv-venv && /tmp/pyhrv-venv/bin/pip install pyhrv==0.5.0 peakutils nolds==0.5.2
    /tmp/pyhrv-venv/bin/python tests/data/hrv/make_reference.py

(pyhrv 0.5.0 imports biosppy, which needs peakutils, and nolds, whose 0.6 release
breaks on import; the versions above were used for the stored output.)

Input: `pyhrv/files/SampleNNISeriesShort.npy` from the pyhrv 0.5.0 wheel on PyPI
(a real ~5-minute NN interval series in ms; pyhrv is BSD-3-Clause, see
LICENSE-pyhrv.txt beside this script).

Output, beside this script:
- `pyhrv-sample-short.csv`: the same series in Showrunner's heart recording
  format (docs/heart-format.md): one row per beat, `t` the beat's time in s
  (cumulative sum of the intervals), `rr` the interval in ms, no `hr`.
- `pyhrv-sample-short.reference.json`: pyhrv's own time-domain results on it.
"""
import json
import os
import sys

import numpy as np
import pyhrv
import pyhrv.time_domain as td

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(pyhrv.__file__), "files", "SampleNNISeriesShort.npy")

nni = np.load(SRC)
nni = pyhrv.utils.nn_format(nni)  # pyhrv's own unit handling (ms)

with open(os.path.join(HERE, "pyhrv-sample-short.csv"), "w") as f:
    f.write("# Showrunner heart recording v1\n")
    f.write("# Source: pyhrv 0.5.0 (PyPI), pyhrv/files/SampleNNISeriesShort.npy, BSD-3-Clause,\n")
    f.write("# (c) Pedro Gomes; see LICENSE-pyhrv.txt. Converted by make_reference.py.\n")
    f.write("t,hr,rr,contact\n")
    t = 0.0
    for x in nni:
        t += x / 1000.0
        f.write(f"{t:.4f},,{x:.4f},\n")

ref = {
    "source": "pyhrv 0.5.0 time_domain on pyhrv/files/SampleNNISeriesShort.npy",
    "pyhrv_version": pyhrv.__version__,
    "numpy_version": np.__version__,
    "nni_counter": int(td.nni_parameters(nni)["nni_counter"]),
    "nni_mean": float(td.nni_parameters(nni)["nni_mean"]),
    "nni_min": float(td.nni_parameters(nni)["nni_min"]),
    "nni_max": float(td.nni_parameters(nni)["nni_max"]),
    "hr_mean": float(td.hr_parameters(nni)["hr_mean"]),
    "sdnn": float(td.sdnn(nni)["sdnn"]),
    "rmssd": float(td.rmssd(nni)["rmssd"]),
    "sdsd": float(td.sdsd(nni)["sdsd"]),
    "nn50": int(td.nn50(nni)["nn50"]),
    "pnn50": float(td.nn50(nni)["pnn50"]),
}
with open(os.path.join(HERE, "pyhrv-sample-short.reference.json"), "w") as f:
    json.dump(ref, f, indent=2)
    f.write("\n")
json.dump(ref, sys.stdout, indent=2)
print()
