"""What the venue's scripts share (tests/festival/soak.py, bench/festival.py): ports, the
processes' CPU and memory from /proc, pairing seats, and the console's API."""
import json
import os
import socket
import subprocess
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
