#!/usr/bin/env python3
"""The shared film's beat skew with a room of simulated seats on loopback (BENCHMARKS.md,
issue 22).

    python3 bench/shared.py [--seats 32] [--films 3] [--broker embedded|mosquitto|both]

Runs `festival serve --shared` with the short fixture film (tests/fixtures/stories/shared.ink:
eleven beats of about 1.5 s, one choice) and that many `play --festival --headless` seats in
real time, presses Start for every seat `--films` times (each film to its end), and reads
from each seat's log when it presented each beat (ms since the epoch on this machine's one
clock). For each beat it takes the spread across the seats (the latest seat less the
earliest), and for each presentation how late it came after its time on the film's clock. It
reports the p50, p99 and max of both, the beats every seat presented, the operator's and
Mosquitto's CPU and peak memory. With `--broker both` (the default) it runs the embedded broker
and then Mosquitto, the baseline, in one run.
Needs the binary (`cargo build --release -p showrunner`, or SHOWRUNNER_BIN).
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "festival"))
from venue import ROOT, Venue, cpu_s, pct, rss_mib  # noqa: E402

BEAT = re.compile(r"shared film (\d+) beat (\d+) at (\d+) ms \((-?\d+) ms after its time(; staged)?")


def run(a, broker):
    tmp = tempfile.mkdtemp(prefix="showrunner-shared-bench-")
    names = [f"seat-{i}" for i in range(1, a.seats + 1)]
    v = Venue(a.bin, tmp, names, broker, ["--shared", "--story", a.story])
    try:
        for i, n in enumerate(names):
            v.seat(n, "--seed", str(i))
        v.wait_for(a.seats)
        cpu0, t0 = cpu_s(v.serve.pid), time.time()
        mcpu0 = cpu_s(v.mosquitto.pid) if v.mosquitto else 0.0
        for film in range(1, a.films + 1):
            v.console.command(None, {"do": "start", "story": None})
            v.wait_for(a.seats, "playing", 30)
            v.wait_for(a.seats, "waiting", 120)
        wall = time.time() - t0
        report = {
            "broker": broker,
            "operator_cpu_pct": round(100 * (cpu_s(v.serve.pid) - cpu0) / wall, 1),
            "operator_peak_rss_mib": round(rss_mib(v.serve.pid, peak=True), 1),
        }
        if v.mosquitto:
            report["mosquitto_cpu_pct"] = round(100 * (cpu_s(v.mosquitto.pid) - mcpu0) / wall, 1)
            report["mosquitto_peak_rss_mib"] = round(rss_mib(v.mosquitto.pid, peak=True), 1)
    finally:
        v.close()
    at, late = {}, []
    for n in names:
        for m in BEAT.finditer(open(os.path.join(tmp, f"{n}.log")).read()):
            film, beat, ms, after, staged = m.groups()
            if staged:
                continue  # a catch-up, not a beat presented on time
            at.setdefault((int(film), int(beat)), []).append(int(ms))
            late.append(int(after))
    spread = [max(ms) - min(ms) for ms in at.values()]
    whole = sum(1 for ms in at.values() if len(ms) == a.seats)
    report |= {
        "seats": a.seats,
        "films": a.films,
        "beats": len(at),
        "beats_every_seat_presented": whole,
        "skew_ms_p50": pct(spread, 0.5),
        "skew_ms_p99": pct(spread, 0.99),
        "skew_ms_max": max(spread) if spread else None,
        "late_ms_p50": pct(late, 0.5),
        "late_ms_p99": pct(late, 0.99),
        "late_ms_max": max(late) if late else None,
    }
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seats", type=int, default=32)
    ap.add_argument("--films", type=int, default=3)
    ap.add_argument("--broker", choices=["embedded", "mosquitto", "both"], default="both")
    ap.add_argument("--story", default=os.path.join(ROOT, "tests/fixtures/stories/shared.ink"))
    ap.add_argument("--bin", default=os.environ.get("SHOWRUNNER_BIN", os.path.join(ROOT, "target/release/showrunner")))
    a = ap.parse_args()
    brokers = ["embedded", "mosquitto"] if a.broker == "both" else [a.broker]
    reports = [run(a, b) for b in brokers]
    for r in reports:
        print(json.dumps(r))
    if len(reports) == 2 and reports[1]["skew_ms_p99"]:
        print(json.dumps({"skew_p99_embedded_over_mosquitto":
                          round(reports[0]["skew_ms_p99"] / max(1, reports[1]["skew_ms_p99"]), 2)}))


if __name__ == "__main__":
    main()
