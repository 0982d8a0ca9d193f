"""Shared helpers for the dns-scheduler integration tests (stdlib only).

Starts build/bin/dns-scheduler on ephemeral ports (it binds port 0 and logs the port), runs dig
and the c-ares client against it, and always stops what it started.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN = os.path.abspath(os.environ.get("LIVECDN_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin")))
SOURCE = os.path.abspath(os.environ.get("LIVECDN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
GEOIP_DIR = os.environ.get(
    "LIVECDN_GEOIP_DIR", os.path.join(SOURCE, "build-deps", "node_modules", "@ip-location-db", "dbip-city-mmdb"))


class Scheduler:
    """A dns-scheduler process with a config written to a temp dir."""

    def __init__(self, config_text, workdir=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="dns-sched-")
        self.config = os.path.join(self.dir, "dns.yaml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.port = None
        self.admin_port = None

    def start(self, timeout=5.0):
        self.log = open(self.log_path, "ab")
        offset = os.path.getsize(self.log_path)
        self.proc = subprocess.Popen([os.path.join(BIN, "dns-scheduler"), "-c", self.config],
                                     stdout=self.log, stderr=self.log, cwd=self.dir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.read_log()[offset:]
            m = re.search(r"DNS on \S+:(\d+) ", text)
            a = re.search(r"admin on \S+?:(\d+)\b", text)
            if m and (a or "admin:" not in open(self.config).read()):
                self.port = int(m.group(1))
                self.admin_port = int(a.group(1)) if a else None
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("dns-scheduler exited: " + text)
            time.sleep(0.02)
        raise RuntimeError("dns-scheduler did not start: " + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def admin(self, path, method="GET", token=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.admin_port, path), method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=3) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


class DigResult:
    def __init__(self, text):
        self.text = text
        m = re.search(r"status: (\w+)", text)
        self.status = m.group(1) if m else None
        m = re.search(r";; flags: ([a-z ]+);", text)
        self.flags = m.group(1).split() if m else []
        self.answer = []  # (name, ttl, type, data)
        self.authority = []
        section = None
        for line in text.splitlines():
            if line.startswith(";; ANSWER SECTION"):
                section = self.answer
            elif line.startswith(";; AUTHORITY SECTION"):
                section = self.authority
            elif line.startswith(";;") or not line.strip():
                if not line.strip():
                    section = None
            elif section is not None and not line.startswith(";"):
                parts = line.split()
                if len(parts) >= 5:
                    section.append((parts[0], int(parts[1]), parts[3], " ".join(parts[4:])))
        m = re.search(r"CLIENT-SUBNET: ([0-9a-f.:]+)/(\d+)/(\d+)", text)
        self.ecs = (m.group(1), int(m.group(2)), int(m.group(3))) if m else None

    def addresses(self):
        return [a[3] for a in self.answer if a[2] in ("A", "AAAA")]

    def types(self):
        return [a[2] for a in self.answer]


def dig(port, name, qtype="A", source=None, extra=(), timeout=3):
    cmd = ["dig", "@127.0.0.1", "-p", str(port), name, qtype, "+norec", "+time=1", "+tries=2"]
    if source:
        cmd += ["-b", source]
    cmd += list(extra)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return DigResult(out.stdout)


def cares(port, name, source=None):
    cmd = [os.path.join(BIN, "dns-cares-client"), "--server", "127.0.0.1:%d" % port, name]
    if source:
        cmd += ["--source", source]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    return out.returncode, out.stdout


class FakeEdge:
    """An edge's admin /healthz, scriptable: ok, draining (503), hang, or closed."""

    def __init__(self, host, node_id, port=0):
        self.state = {"mode": "ok", "egress_bps": 0, "capacity_bps": 10_000_000_000}
        self.node_id = node_id
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                mode = edge.state["mode"]
                if mode == "hang":
                    time.sleep(3)
                    return
                body = json.dumps({"status": "draining" if mode == "draining" else "ok", "node_id": edge.node_id,
                                   "connections": 3, "egress_bps": edge.state["egress_bps"],
                                   "capacity_bps": edge.state["capacity_bps"], "streams": 1}).encode()
                self.send_response(503 if mode == "draining" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        deadline = time.time() + 3
        while True:  # a restarted edge rebinds its old port
            try:
                self.server = ThreadingHTTPServer((host, port), Handler)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d/healthz" % (host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_tests(tests):
    """Runs test functions, prints one line each and the closing 'N passed, N failed' line."""
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            passed += 1
            print("PASS %s (%.2fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s (%.2fs)" % (t.__name__, time.time() - start), flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


def wait_until(predicate, timeout, step=0.05):
    """Polls predicate (bounded by timeout); returns seconds taken or None."""
    start = time.time()
    while time.time() - start < timeout:
        if predicate():
            return time.time() - start
        time.sleep(step)
    return None
