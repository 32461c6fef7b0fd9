"""What the venue's scripts share (tests/festival/soak.py, bench/festival.py): ports, the
processes' CPU and memory from /proc, pairing seats, and the console's API."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    """A TCP port free on this machine now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_s(pid):
    """User + system CPU seconds of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid, peak=False):
    """A process's resident memory now (or its peak), MiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:" if peak else "VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def pct(xs, q):
    """The q-quantile of xs (nearest rank); NaN for none."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round((len(xs) - 1) * q))] if xs else float("nan")


def pair_seats(binary, op, names, env):
    """Pairs each seat in `names` with the operator whose folder is `op`; returns its
    console's token."""
    for n in names:
        subprocess.run([binary, "festival", "pair", "--seat", n, "--dir", op], check=True, env=env,
                       stdout=subprocess.DEVNULL, cwd=ROOT)
    return json.load(open(os.path.join(op, "operator.json")))["console_token"]


class Console:
    """The console's API at `url`, with its token."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def api(self, path, body=None):
        """GET `path` as JSON, or POST `body` and return the status code."""
        req = urllib.request.Request(
            self.url + path, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read()) if body is None else r.status

    def command(self, seat, command):
        """Sends `command` ({"do": ...}) to `seat` (None: every seat)."""
        return self.api("/api/command", {"seat": seat, "command": command})


class Venue:
    """A venue on loopback for the benchmarks: `names` paired, `festival serve` (with
    `serve_args` more) on its embedded broker or on Debian's Mosquitto configured by `festival
    mosquitto`, its console answering. `seat(name, *args)` starts a real-time headless seat
    whose output goes to `tmp/NAME.log`; `close()` kills everything."""

    def __init__(self, binary, tmp, names, broker="embedded", serve_args=()):
        self.bin, self.tmp = binary, tmp
        self.op, state = os.path.join(tmp, "op"), os.path.join(tmp, "state")
        self.env = dict(os.environ, SHOWRUNNER_STATE_DIR=state)
        token = pair_seats(binary, self.op, names, self.env)
        self.mqtt, http = free_port(), free_port()
        self.procs, self.mosquitto = [], None
        args = [binary, "festival", "serve", "--dir", self.op, "--http", f"127.0.0.1:{http}", *serve_args]
        if broker == "mosquitto":
            subprocess.run([binary, "festival", "mosquitto", "--dir", self.op, "--out", os.path.join(tmp, "mosq"),
                            "--listen", f"127.0.0.1:{self.mqtt}"], check=True, env=self.env, cwd=ROOT,
                           capture_output=True)
            self.mosquitto = subprocess.Popen(["mosquitto", "-c", os.path.join(tmp, "mosq", "mosquitto.conf")],
                                              stderr=subprocess.DEVNULL)
            self.procs.append(self.mosquitto)
            time.sleep(0.5)
            args += ["--broker", f"mqtt://127.0.0.1:{self.mqtt}"]
        else:
            args += ["--mqtt", f"127.0.0.1:{self.mqtt}"]
        self.serve = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=open(os.path.join(tmp, "serve.log"), "w"),
                                      stderr=subprocess.STDOUT)
        self.procs.append(self.serve)
        self.url = f"http://127.0.0.1:{http}"
        self.console = Console(self.url, token)
        for _ in range(100):
            try:
                self.console.api("/api/room")
                break
            except Exception:
                time.sleep(0.1)

    def seat(self, name, *args):
        """Starts the seat `name` (headless, real time, consent given)."""
        self.procs.append(subprocess.Popen(
            [self.bin, "play", "--festival", f"mqtt://127.0.0.1:{self.mqtt}", "--seat", name, "--pairing",
             os.path.join(self.op, f"{name}.pairing.json"), "--headless", "--consent", "given", *args],
            env=self.env, cwd=ROOT, stdout=open(os.path.join(self.tmp, f"{name}.log"), "w"),
            stderr=subprocess.STDOUT))

    def wait_for(self, n, state="waiting", within=60):
        """Waits until `n` seats are in `state`; exits naming how many came."""
        end = time.time() + within
        while time.time() < end:
            room = self.console.api("/api/room")
            if sum(1 for s in room["seats"] if (s["status"] or {}).get("state") == state) == n:
                return room
            time.sleep(0.2)
        sys.exit(f"not every seat is {state}: {len(room['seats'])} of {n} reported")

    def close(self):
        for p in reversed(self.procs):
            p.kill()
            p.wait()
