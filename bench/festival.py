#!/usr/bin/env python3
"""A room of simulated seats on loopback, measured (BENCHMARKS.md, issue 22).

    python3 bench/festival.py [--seats 32] [--commands 20] [--broker embedded|mosquitto]

Pairs the seats, runs `festival serve` (its embedded broker, or Debian's Mosquitto configured by
`festival mosquitto`), starts that many `play --festival --headless` seats in real time, and
then sends `start`, `pause`, `resume` and `reset` in turn to every seat through the console's API. For each command
it takes, from the console, how long each seat took to acknowledge it (sent by the operator →
the seat's ack back at the operator: the command's round trip, the seat acting on it in
between). It reports the p50 and p99 of those, the CPU and peak memory of the operator's process
(and of Mosquitto), and how many room updates the console's event stream carried in 10 s.
Needs the binary (`cargo build --release -p showrunner`, or SHOWRUNNER_BIN) and curl.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "festival"))
from venue import ROOT, Venue, cpu_s, pct, rss_mib  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seats", type=int, default=32)
    ap.add_argument("--commands", type=int, default=20)
    ap.add_argument("--broker", choices=["embedded", "mosquitto"], default="embedded")
    ap.add_argument("--bin", default=os.environ.get("SHOWRUNNER_BIN", os.path.join(ROOT, "target/release/showrunner")))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="showrunner-festival-bench-")
    names = [f"seat-{i}" for i in range(1, a.seats + 1)]
    v = Venue(a.bin, tmp, names, a.broker)
    serve, mosq, api, url, token = v.serve, v.mosquitto, v.console.api, v.url, v.console.token
    try:
        for n in names:
            v.seat(n)
        v.wait_for(a.seats)
        cpu0, t0 = cpu_s(serve.pid), time.time()
        mcpu0 = cpu_s(mosq.pid) if mosq else 0.0
        latencies, missing, by_kind = [], 0, {}
        for i in range(a.commands):
            what = ["start", "pause", "resume", "reset"][i % 4]
            before = api("/api/room")["commands"]
            prev = before[-1]["seq"] if before else -1
            api("/api/command", {"seat": None, "command": {"do": what} | ({"story": None} if what == "start" else {})})
            end, acks = time.time() + 10, []
            while time.time() < end:
                sent = api("/api/room")["commands"]
                # The console takes the command on its next round: until then it is not listed.
                if sent and sent[-1]["seq"] > prev:
                    acks = sent[-1]["acks"]
                    if len(acks) >= a.seats:
                        break
                time.sleep(0.05)
            latencies += [ms for (_, ok, ms) in acks]
            by_kind.setdefault(what, []).extend(ms for (_, ok, ms) in acks)
            missing += a.seats - len(acks)
            if len(acks) < a.seats:
                print(f"command {i} ({what}): {len(acks)} of {a.seats} acks in 10 s", file=sys.stderr)
            time.sleep(0.5)
        # The console's stream: room updates in 10 s, with every seat reporting.
        stream = subprocess.Popen(["curl", "-sN", "--max-time", "10", f"{url}/api/events?token={token}"],
                                  stdout=subprocess.PIPE, text=True)
        events = sum(1 for line in stream.stdout if line.startswith("event: room"))
        wall = time.time() - t0
        report = {
            "seats": a.seats,
            "broker": a.broker,
            "commands": a.commands,
            "acks": len(latencies),
            "missing_acks": missing,
            "ack_ms_p50": pct(latencies, 0.5),
            "ack_ms_p99": pct(latencies, 0.99),
            "ack_ms_max": max(latencies) if latencies else None,
            "ack_ms_p50_p99_by_command": {k: [pct(v, 0.5), pct(v, 0.99)] for k, v in by_kind.items()},
            "operator_cpu_pct": round(100 * (cpu_s(serve.pid) - cpu0) / wall, 1),
            "operator_peak_rss_mib": round(rss_mib(serve.pid, peak=True), 1),
            "console_updates_per_s": round(events / 10, 1),
        }
        if mosq:
            report["mosquitto_cpu_pct"] = round(100 * (cpu_s(mosq.pid) - mcpu0) / wall, 1)
            report["mosquitto_peak_rss_mib"] = round(rss_mib(mosq.pid, peak=True), 1)
        report["operator_link"] = api("/api/room")["link"]
        print(json.dumps(report))
    finally:
        v.close()


if __name__ == "__main__":
    main()
