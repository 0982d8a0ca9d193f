"""Shared helpers for integration tests: start the real binaries on free loopback ports with
temporary configs, run real clients (ffmpeg, ffprobe), speak raw RTMP/HTTP for abuse cases, and
stop every process started, also when a test fails. Standard library only."""
import atexit
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("LIVECDN_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin")
SRC = os.environ.get("LIVECDN_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")

_procs = []


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    for p in _procs:
        try:
            p.wait(timeout=5)
        except Exception:
            pass


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def spawn(args, **kw):
    """Starts a process in its own process group; it is killed at exit whatever happens."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(args, start_new_session=True, **kw)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=5):
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    return p.returncode


def child_pids(pid, comm=None):
    """pids of the processes whose parent is `pid` (named `comm` if given), zombies included: a
    zombie child would be a bug."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and (comm is None or name == comm):
            out.append(int(p))
    return out


def free_port(host="127.0.0.1"):
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, host="127.0.0.1", timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"port {host}:{port} did not open within {timeout}s")


class Central:
    """A real central on free ports with a temp config and data dir."""

    def __init__(self, extra_yaml="", domains=True, rtmp_extra="", domains_yaml=None):
        """domains_yaml: a whole `domains:` block replacing the open push.test/pull.test pair."""
        self.dir = tempfile.mkdtemp(prefix="livecdn-central-")
        self.rtmp_port, self.http_port, self.admin_port = free_port(), free_port(), free_port()
        dom = """
domains:
  - {name: push.test, type: push}
  - name: pull.test
    type: pull
    source: push.test
""" if domains else ""
        if domains_yaml is not None:
            dom = domains_yaml
        self.config = os.path.join(self.dir, "central.yaml")
        with open(self.config, "w") as f:
            f.write(f"""node_id: central-test
rtmp: {{listen: 127.0.0.1:{self.rtmp_port}{", " + rtmp_extra if rtmp_extra else ""}}}
http: {{listen: 127.0.0.1:{self.http_port}}}
admin: {{listen: 127.0.0.1:{self.admin_port}, token: test-token}}
data_dir: {self.dir}/data
{extra_yaml}
{dom}
""")
        self.log_path = os.path.join(self.dir, "central.log")
        self.log = open(self.log_path, "w")
        self.proc = spawn([os.path.join(BIN, "central"), "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        for port in (self.rtmp_port, self.http_port, self.admin_port):
            wait_port(port)

    def restart(self, sig=signal.SIGTERM):
        """Stops the process (sig: SIGKILL for a crash) and starts it again on the same config and
        data_dir."""
        stop(self.proc, sig)
        self.proc = spawn([os.path.join(BIN, "central"), "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        for port in (self.rtmp_port, self.http_port, self.admin_port):
            wait_port(port)

    def rtmp(self, stream, vhost="push.test", app="live"):
        return f"rtmp://127.0.0.1:{self.rtmp_port}/{app}/{stream}?vhost={vhost}"

    def flv(self, stream, vhost="pull.test", app="live"):
        return f"http://127.0.0.1:{self.http_port}/{app}/{stream}.flv?vhost={vhost}"

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def metrics(self):
        return metrics_of(self.admin_port)

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        rc = stop(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def publish(url, seconds=30, size="320x240", rate=25, gop=25, extra=()):
    """ffmpeg publishing testsrc2 + sine (H.264/AAC) in real time."""
    args = ["ffmpeg", "-hide_banner", "-v", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-g", str(gop), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", *extra, "-f", "flv", url]
    return spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run(args, timeout=60):
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def ffprobe_streams(url, timeout=20):
    r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "compact=p=0:nk=0", url], timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def wait_until(pred, timeout=10, step=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


# ---- FLV over a raw socket -------------------------------------------------------------------

class FlvReader:
    """Incremental FLV parser: counts tags, video key frames, timestamps."""

    def __init__(self):
        self.buf = b""
        self.header = False
        self.tags = []  # (type, timestamp, keyframe, is_seq_header)

    def feed(self, data):
        self.buf += data
        if not self.header:
            if len(self.buf) < 13:
                return
            assert self.buf[:3] == b"FLV", "not an FLV stream"
            self.buf = self.buf[13:]
            self.header = True
        while len(self.buf) >= 11:
            ttype = self.buf[0]
            size = int.from_bytes(self.buf[1:4], "big")
            ts = int.from_bytes(self.buf[4:7], "big") | (self.buf[7] << 24)
            if len(self.buf) < 11 + size + 4:
                return
            body = self.buf[11:11 + size]
            key = ttype == 9 and size > 0 and (body[0] >> 4) == 1
            seq = (ttype == 9 and size > 1 and body[1] == 0) or (ttype == 8 and size > 1 and (body[0] >> 4) == 10 and body[1] == 0)
            self.tags.append((ttype, ts, key, seq))
            self.buf = self.buf[11 + size + 4:]

    def video_frames(self):
        return [t for t in self.tags if t[0] == 9 and not t[3]]


def http_flv_socket(port, path, host="pull.test", rcvbuf=None, addr="127.0.0.1"):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((addr, port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    return s


class HttpFlvViewer:
    """Reads an HTTP-FLV response (chunked) on a raw socket and parses the FLV inside."""

    def __init__(self, port, path, host="pull.test", addr="127.0.0.1"):
        self.sock = http_flv_socket(port, path, host, addr=addr)
        self.sock.settimeout(10)
        self.raw = b""
        self.status = None
        self.headers = {}
        self.flv = FlvReader()
        self.chunk_buf = b""
        self.closed = False
        self.started = time.time()
        self.first_video_at = None

    def _parse_head(self):
        if self.status is not None or b"\r\n\r\n" not in self.raw:
            return
        head, rest = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for l in lines[1:]:
            k, _, v = l.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.raw = b""
        self.chunk_buf = rest

    def _dechunk(self):
        while True:
            i = self.chunk_buf.find(b"\r\n")
            if i < 0:
                return
            n = int(self.chunk_buf[:i].split(b";")[0], 16)
            if n == 0:
                self.closed = True
                return
            if len(self.chunk_buf) < i + 2 + n + 2:
                return
            self.flv.feed(self.chunk_buf[i + 2:i + 2 + n])
            self.chunk_buf = self.chunk_buf[i + 2 + n + 2:]

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end and not self.closed:
            self.sock.settimeout(max(0.01, min(0.5, end - time.time())))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not d:
                self.closed = True
                break
            if self.status is None:
                self.raw += d
                self._parse_head()
                if self.status is not None:
                    self._dechunk()
            else:
                self.chunk_buf += d
                self._dechunk()
            if self.first_video_at is None and self.flv.video_frames():
                self.first_video_at = time.time()
        return self

    def close(self):
        self.sock.close()


# ---- RTMP over a raw socket (for abuse tests) ------------------------------------------------

def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(x):
    return b"\x00" + struct.pack(">d", x)


def amf_obj(d):
    out = b"\x03"
    for k, v in d.items():
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + (amf_str(v) if isinstance(v, str) else amf_num(v))
    return out + b"\x00\x00\x09"


def chunk(csid, mtype, payload, ts=0, sid=0, chunk_size=128, length=None):
    length = len(payload) if length is None else length
    out = bytes([csid]) + ts.to_bytes(3, "big") + length.to_bytes(3, "big") + bytes([mtype]) + struct.pack("<I", sid)
    first = True
    while payload or first:
        if not first:
            out += bytes([0xC0 | csid])
        out += payload[:chunk_size]
        payload = payload[chunk_size:]
        first = False
    return out


def rtmp_handshake(sock):
    c1 = struct.pack(">II", 0, 0) + bytes(random.getrandbits(8) for _ in range(1528))
    sock.sendall(b"\x03" + c1)
    need = 1 + 1536 * 2
    got = b""
    while len(got) < need:
        d = sock.recv(need - len(got))
        if not d:
            raise AssertionError("server closed during handshake")
        got += d
    sock.sendall(got[1:1537])  # C2 = S1 echo


def rtmp_connect_cmd(app="live", tc_url="rtmp://127.0.0.1/live?vhost=push.test"):
    return chunk(3, 20, amf_str("connect") + amf_num(1) + amf_obj({"app": app, "tcUrl": tc_url, "flashVer": "LNX 9,0,124,2"}))


def wait_closed(sock, timeout=5):
    """True when the server closes the socket within `timeout` (reading and discarding)."""
    sock.settimeout(0.2)
    end = time.time() + timeout
    while time.time() < end:
        try:
            d = sock.recv(65536)
            if not d:
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print("ok:", msg, flush=True)


DEFAULT_DOMAINS = """domains:
  - {name: push.test, type: push}
  - name: pull.test
    type: pull
    source: push.test
"""


class Edge:
    """A real cache-edge on free ports, pointing at one or more centrals."""

    def __init__(self, origins, name="edge-test", extra_yaml="", host="127.0.0.1", central_extra="", domains_yaml=None,
                 origin_host="127.0.0.1"):
        self.dir = tempfile.mkdtemp(prefix="livecdn-edge-")
        self.host = host
        self.rtmp_port, self.http_port, self.admin_port = free_port(host), free_port(host), free_port(host)
        self.config = os.path.join(self.dir, "edge.yaml")
        # LIVECDN_EDGE_WORKERS=N runs every test's edges with `workers: N` (the multi-core path).
        if os.environ.get("LIVECDN_EDGE_WORKERS") and "workers:" not in extra_yaml:
            extra_yaml += f"\nworkers: {int(os.environ['LIVECDN_EDGE_WORKERS'])}\n"
        origin_list = ", ".join(f"{origin_host}:{c.rtmp_port}" for c in origins)
        http_list = ", ".join(f"{origin_host}:{c.http_port}" for c in origins)
        with open(self.config, "w") as f:
            f.write(f"""node_id: {name}
region: test
rtmp: {{listen: {host}:{self.rtmp_port}}}
http: {{listen: {host}:{self.http_port}}}
admin: {{listen: {host}:{self.admin_port}, token: test-token}}
data_dir: {self.dir}/data
central:
  origins: [{origin_list}]
  http: [{http_list}]
{central_extra}
{extra_yaml}
{domains_yaml if domains_yaml is not None else DEFAULT_DOMAINS}
""")
        self.log_path = os.path.join(self.dir, "edge.log")
        self.log = open(self.log_path, "w")
        self.start()

    def start(self):
        """(Re)starts the process with the same config and data_dir (e.g. after a kill -9)."""
        self.proc = spawn([os.path.join(BIN, "cache-edge"), "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        for port in (self.rtmp_port, self.http_port, self.admin_port):
            wait_port(port, self.host)

    def metrics(self):
        return metrics_of(self.admin_port, self.host)

    def rtmp(self, stream, vhost="push.test", app="live"):
        return f"rtmp://{self.host}:{self.rtmp_port}/{app}/{stream}?vhost={vhost}"

    def flv(self, stream, vhost="pull.test", app="live"):
        return f"http://{self.host}:{self.http_port}/{app}/{stream}.flv?vhost={vhost}"

    def hls(self, stream, vhost="pull.test", app="live"):
        return f"http://{self.host}:{self.http_port}/{app}/{stream}.m3u8?vhost={vhost}"

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def close(self, sig=signal.SIGTERM, timeout=15):
        rc = stop(self.proc, sig, timeout)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc


def get_json(url, timeout=5):
    import json
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def metrics_of(port, host="127.0.0.1"):
    """Prometheus text from an admin listener as {(name, frozenset(labels)): value}."""
    import urllib.request
    out = {}
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)', line)
            if not m:
                continue
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
            out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric_sum(metrics, name, **labels):
    want = set(labels.items())
    return sum(v for (n, l), v in metrics.items() if n == name and want <= set(l))
