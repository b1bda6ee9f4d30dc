"""Peak memory of a gunicorn worker sent one unsigned, oversized POST /slack/events.

Starts the Procfile's gunicorn command (1 worker) against a local fake Slack and an
unreachable Harvest on loopback, reads the worker's peak RSS (VmHWM) after start,
then POSTs `--mib` MiB of junk — once with Content-Length, once chunked, each on a
fresh server — and reads VmHWM again. Prints one line per variant.

    python bench/big_body.py --mib 512            # this checkout
    python bench/big_body.py --mib 512 --root ../other-checkout

Loopback only; bounded (one request per variant); exits non-zero if a server fails to start.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests.fakes.slack_api import FakeSlack  # noqa: E402

CHUNK = b"a" * (1 << 20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def start(root: Path, port: int, slack: FakeSlack, db: Path) -> subprocess.Popen:
    procfile = next(line for line in (root / "Procfile").read_text().splitlines()
                    if line.startswith("web:")).split(":", 1)[1].strip()
    argv = [a.replace("$PORT", str(port)) for a in shlex.split(procfile)]
    argv[argv.index("--workers") + 1] = "1"
    argv = [sys.executable, "-m", *argv]
    env = {**os.environ, "PYTHONPATH": str(root), "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench-secret",
           "SLACK_API_URL": slack.base_url, "GREENHOUSE_API_KEY": "bench-key",
           "GREENHOUSE_API_URL": f"http://127.0.0.1:{free_port()}/v1", "BOT_DB_PATH": str(db),
           "BOT_POLL_INTERVAL_S": "0", "PORT": str(port)}
    proc = subprocess.Popen(argv, cwd=root, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("server did not start")


def send(port: int, mib: int, chunked: bool) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(int(time.time())),
               "X-Slack-Signature": "v0=" + "0" * 64}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(mib * len(CHUNK))
    try:
        conn.putrequest("POST", "/slack/events")
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        for _ in range(mib):
            conn.send(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK)
        if chunked:
            conn.send(b"0\r\n\r\n")
        return str(conn.getresponse().status)
    except OSError as exc:  # the server may answer and close before the body is sent
        try:
            return f"{conn.getresponse().status} (after {type(exc).__name__})"
        except Exception:  # noqa: BLE001
            return f"connection closed ({type(exc).__name__})"
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--root", type=Path, default=HERE)
    args = parser.parse_args()
    slack = FakeSlack()
    try:
        for chunked in (False, True):
            port = free_port()
            db = Path(f"/tmp/big-body-{os.getpid()}-{port}.sqlite")
            proc = start(args.root.resolve(), port, slack, db)
            try:
                worker = worker_pid(proc.pid)
                before = peak_kib(worker)
                status = send(port, args.mib, chunked)
                time.sleep(0.5)
                after = peak_kib(worker)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            how = "chunked" if chunked else "content-length"
            print(f"{args.mib} MiB unsigned POST /slack/events ({how}): status {status}; "
                  f"worker peak RSS {before // 1024} MiB -> {after // 1024} MiB")
    finally:
        slack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
