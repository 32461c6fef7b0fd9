#!/usr/bin/env python3
"""A venue's day, unattended, on a fast clock (issue 22, item 6).

    python3 tests/festival/soak.py [--hours 12] [--seats 8] [--broker embedded|mosquitto]

Runs `festival serve` and SEATS `play --festival --headless --fast` seats on this machine. Each
seat screens the sample back to back (the driver presses Start through the console's API
whenever a seat waits) until it has played HOURS of film on its simulated clock. Meanwhile:
seats are killed (SIGKILL) and restarted, the broker is restarted (embedded: `festival serve`
itself; with `--broker mosquitto`, the test's own Mosquitto), and one seat's network is cut
for a while (that seat runs in its own network namespace, reached over a veth pair whose
host end is taken down and up; needs root and `ip`, else that fault is skipped and said so).

At the end it checks, and exits 1 naming what failed:
- every seat waits (none is left stuck), and none stayed in one screening past a minute;
- the operator's record (record.jsonl) holds every screening of every seat's run once, each
  numbered run 1..N without a gap, each with an outcome; `lost` only for seats killed
  mid-film, at most one per kill;
- every seat played its HOURS;
- memory: the resident size of the operator and of a seat never killed, after the first
  screenings and at the end (printed; a growth past 2x + 32 MiB fails).
Prints one JSON line with the figures (BENCHMARKS.md records the 12-hour run's).
Needs the binary (target/debug/showrunner by default, or --bin / SHOWRUNNER_BIN) and, with
`--broker mosquitto`, Debian's mosquitto.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from venue import ROOT, Console, free_port, pair_seats, rss_mib


class NetNs:
    """One seat's own network: a namespace joined to this host by a veth pair."""

    def __init__(self, tag):
        self.ns, self.host_if, self.seat_if = f"srsoak{tag}", f"srh{tag}", f"srs{tag}"
        # A subnet of its own, so two soaks side by side (the tests run both brokers) do not meet.
        net = f"10.213.{tag % 256}"
        self.host_ip, self.seat_ip = f"{net}.1", f"{net}.2"
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        self.close()
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.seat_if)
        run("ip", "link", "set", self.seat_if, "netns", self.ns)
        run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        run("ip", "link", "set", self.host_if, "up")
        run("ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.seat_ip}/30", "dev", self.seat_if)
        run("ip", "netns", "exec", self.ns, "ip", "link", "set", self.seat_if, "up")
        run("ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up")

    def link(self, up):
        subprocess.run(["ip", "link", "set", self.host_if, "up" if up else "down"], check=True)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)

    @staticmethod
    def possible():
        if os.geteuid() != 0:
            return "not root"
        if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
            return "`ip netns` does not work here"
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=12.0, help="film time each seat plays")
    ap.add_argument("--seats", type=int, default=8)
    ap.add_argument("--broker", choices=["embedded", "mosquitto"], default="embedded")
    ap.add_argument("--bin", default=os.environ.get("SHOWRUNNER_BIN", os.path.join(ROOT, "target/debug/showrunner")))
    ap.add_argument("--no-netns", action="store_true", help="skip the network cut")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, record)")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"soak: {a.bin} is missing: run `cargo build -p showrunner` (or pass --bin)")
    tmp = tempfile.mkdtemp(prefix="showrunner-soak-")
    op, state = os.path.join(tmp, "op"), os.path.join(tmp, "state")
    env = dict(os.environ, SHOWRUNNER_STATE_DIR=state)
    names = [f"seat-{i}" for i in range(1, a.seats + 1)]
    token = pair_seats(a.bin, op, names, env)
    mqtt, http = free_port(), free_port()
    url = f"http://127.0.0.1:{http}"
    why_not = "--no-netns" if a.no_netns else NetNs.possible()
    ns = None
    if why_not is None:
        ns = NetNs(os.getpid() % 10000)
    else:
        print(f"soak: the network cut is skipped ({why_not})", file=sys.stderr)
    # The cut seat reaches the broker over the veth pair: the broker listens everywhere then.
    listen = "0.0.0.0" if ns else "127.0.0.1"
    procs = {}
    logs = {}

    def spawn(key, args, prefix=()):
        log = open(os.path.join(tmp, f"{key}.log"), "a")
        logs[key] = log.name
        procs[key] = subprocess.Popen(list(prefix) + args, env=env, cwd=ROOT, stdout=log, stderr=log)

    mosq_conf = None
    if a.broker == "mosquitto":
        subprocess.run([a.bin, "festival", "mosquitto", "--dir", op, "--out", os.path.join(tmp, "mosq"),
                        "--listen", f"{listen}:{mqtt}"], check=True, env=env, cwd=ROOT, capture_output=True)
        mosq_conf = os.path.join(tmp, "mosq", "mosquitto.conf")

    def start_broker():
        if mosq_conf:
            spawn("mosquitto", ["mosquitto", "-c", mosq_conf])

    def start_serve():
        args = [a.bin, "festival", "serve", "--dir", op, "--http", f"127.0.0.1:{http}"]
        args += ["--broker", f"mqtt://127.0.0.1:{mqtt}"] if mosq_conf else ["--mqtt", f"{listen}:{mqtt}"]
        spawn("serve", args)

    def start_seat(n):
        host = ns.host_ip if (ns and n == names[0]) else "127.0.0.1"
        prefix = ("ip", "netns", "exec", ns.ns) if (ns and n == names[0]) else ()
        spawn(n, [a.bin, "play", "--festival", f"mqtt://{host}:{mqtt}", "--seat", n, "--pairing",
                  os.path.join(op, f"{n}.pairing.json"), "--headless", "--fast", "--consent", "given"], prefix)

    api = Console(url, token).api

    def room():
        try:
            return api("/api/room")
        except Exception:
            return None  # the operator is restarting

    def record():
        path = os.path.join(op, "record.jsonl")
        if not os.path.exists(path):
            return []
        return [json.loads(line) for line in open(path) if line.strip()]

    def until_playing(who):
        """Starts `who` if it waits, and waits (10 s at most) until it plays: a fault lands
        mid-film where it can."""
        st, end = {}, time.time() + 10
        while time.time() < end:
            st = next((x.get("status") or {} for x in (room() or {}).get("seats", [])
                       if x["name"] == who), {})
            if st.get("state") == "playing":
                break
            if st.get("state") == "waiting" and time.time() - last_start.get(who, 0) > 3:
                last_start[who] = time.time()
                try:
                    api("/api/command", {"seat": who, "command": {"do": "start", "story": None}})
                except Exception:
                    pass
            time.sleep(0.02)
        return st

    failures = []
    last_start = {}
    t0 = time.time()
    try:
        start_broker()
        time.sleep(0.3)
        start_serve()
        for n in names:
            start_seat(n)
        target_s = a.hours * 3600
        faults = [  # (share of the day, what)
            (0.15, "kill", names[1 % a.seats]),
            (0.30, "broker", None),
            (0.45, "cut", names[0]),
            (0.60, "kill", names[2 % a.seats]),
            (0.75, "broker", None),
            (0.90, "kill", names[1 % a.seats]),
        ]
        kills, done_faults, killed = 0, [], set()
        since = {}  # seat -> (boot, screening, first seen at)
        stuck = []
        rss = {}
        rss_due = time.time() + 3
        watched = names[-1]  # never killed, never cut
        while True:
            r = room()
            rec = record()
            played = {n: 0.0 for n in names}
            for s in rec:
                played[s["seat"]] = played.get(s["seat"], 0.0) + s.get("played_s", 0.0)
            # The day's progress: film played by every seat together (faults fall between
            # screenings, not all at one seat's last one).
            progress = sum(min(p, target_s) for p in played.values()) / (target_s * a.seats)
            if r:
                seats = {s["name"]: s for s in r["seats"]}
                for n in names:
                    st = (seats.get(n) or {}).get("status") or {}
                    key = (seats.get(n, {}).get("boot"), st.get("screening"), st.get("state"))
                    if st.get("state") in ("playing", "paused", "consent"):
                        first = since.setdefault(n, (key, time.time()))
                        if first[0] != key:
                            since[n] = (key, time.time())
                        elif time.time() - first[1] > 60 and n not in stuck:
                            stuck.append(n)
                    else:
                        since.pop(n, None)
                    if st.get("state") == "waiting" and played[n] < target_s \
                            and time.time() - last_start.get(n, 0) > 3:
                        last_start[n] = time.time()
                        try:
                            api("/api/command", {"seat": n, "command": {"do": "start", "story": None}})
                        except Exception:
                            pass
                # Memory after the first screenings (and the operator's again once it has run
                # for a few seconds after each restart).
                if "seat" not in rss and len(rec) >= a.seats:
                    rss["seat"] = [rss_mib(procs[watched].pid)]
                if rss_due is not None and time.time() >= rss_due and len(rec) >= a.seats:
                    rss["serve"] = [rss_mib(procs["serve"].pid)]
                    rss_due = None
                if all(played[n] >= target_s for n in names) and all(
                        (seats.get(n) or {}).get("status", {}).get("state") == "waiting" for n in names):
                    break
            for f in faults:
                if f in done_faults or progress < f[0]:
                    continue
                done_faults.append(f)
                _, what, who = f
                if what == "kill":
                    st = until_playing(who)
                    print(f"soak: {progress:.0%}: killing {who} ({st.get('state')})", file=sys.stderr)
                    procs[who].send_signal(signal.SIGKILL)
                    procs[who].wait()
                    kills += 1
                    killed.add(who)
                    time.sleep(1)
                    start_seat(who)
                elif what == "broker":
                    key = "mosquitto" if mosq_conf else "serve"
                    print(f"soak: {progress:.0%}: restarting the broker ({key})", file=sys.stderr)
                    procs[key].send_signal(signal.SIGTERM)
                    procs[key].wait()
                    time.sleep(1)
                    (start_broker if mosq_conf else start_serve)()
                    if key == "serve":
                        rss_due = time.time() + 3
                elif what == "cut":
                    if ns is None:
                        continue
                    st = until_playing(who)
                    print(f"soak: {progress:.0%}: cutting {who}'s network for 8 s ({st.get('state')})",
                          file=sys.stderr)
                    ns.link(False)
                    time.sleep(8)
                    ns.link(True)
            if time.time() - t0 > max(600, a.hours * 3600 / 20):
                failures.append(f"the day did not finish in {time.time() - t0:.0f} s (progress {progress:.0%})")
                break
            time.sleep(0.1)
        for who, key in (("serve", "serve"), ("seat", watched)):
            if who in rss:
                rss[who].append(rss_mib(procs[key].pid))
        time.sleep(1.5)  # the last records
        rec = record()
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        if ns:
            ns.close()

    # The record: every screening of every run once, numbered 1..N, each with an outcome.
    runs = {}
    for s in rec:
        runs.setdefault((s["seat"], s["boot"]), []).append(s["number"])
    for (seat, boot), numbers in sorted(runs.items()):
        if sorted(numbers) != list(range(1, max(numbers) + 1)):
            dup = sorted({x for x in numbers if numbers.count(x) > 1})
            failures.append(f"{seat} run {boot}: screenings {sorted(numbers)} (missing or twice: {dup})")
    outcomes = {}
    for s in rec:
        outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
    if outcomes.get("lost", 0) > kills:
        failures.append(f"{outcomes.get('lost')} screenings lost for {kills} seats killed: {outcomes}")
    lost_seats = {s["seat"] for s in rec if s["outcome"] == "lost"}
    if lost_seats - killed:
        failures.append(f"screenings lost by seats never killed (a cut seat must play on): {sorted(lost_seats - killed)}")
    if set(outcomes) - {"ended", "lost"}:
        failures.append(f"outcomes other than ended and lost: {outcomes}")
    played = {}
    for s in rec:
        played[s["seat"]] = played.get(s["seat"], 0.0) + s.get("played_s", 0.0)
    short = {n: round(played.get(n, 0) / 3600, 2) for n in names if played.get(n, 0) < a.hours * 3600}
    if short:
        failures.append(f"seats short of {a.hours} h of film: {short}")
    if stuck:
        failures.append(f"seats stuck in one screening for over a minute: {stuck}")
    for who, pair in ((k, v) for k, v in rss.items() if isinstance(v, list)):
        if len(pair) == 2 and None not in pair and pair[1] > 2 * pair[0] + 32:
            failures.append(f"{who}'s memory grew from {pair[0]:.1f} to {pair[1]:.1f} MiB")
    report = {
        "hours_per_seat": a.hours,
        "seats": a.seats,
        "broker": a.broker,
        "wall_s": round(time.time() - t0, 1),
        "screenings": len(rec),
        "outcomes": outcomes,
        "kills": kills,
        "broker_restarts": sum(1 for f in done_faults if f[1] == "broker"),
        "network_cut": ns is not None,
        "film_hours": round(sum(played.values()) / 3600, 2),
        "rss_mib": {k: [round(x, 1) for x in v if x is not None] for k, v in rss.items() if isinstance(v, list)},
    }
    print(json.dumps(report))
    for f in failures:
        print(f"soak: FAILED: {f}", file=sys.stderr)
    if failures:
        print(f"soak: logs and the record are in {tmp}", file=sys.stderr)
    elif not a.keep:
        subprocess.run(["rm", "-rf", tmp])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
