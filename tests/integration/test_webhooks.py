"""Issue 8 "Events", done-when 4: central POSTs signed JSON webhooks on publish, unpublish,
play_stop (with bytes and duration, for billing) and record_done. A receiver in this test checks every
signature (HMAC-SHA256 over "<timestamp>.<body>"), sees a failed delivery retried, and central
counts results in livecdn_webhook_requests_total. Dead receivers (a port that refuses, one that
accepts and never answers) slow nothing: time to first frame and publish stay as fast as with a
healthy receiver, and the failures are counted, then given up or dropped (bounded queue). At
SIGTERM the last events (unpublish and play_stop of the sessions still live) are delivered before
central exits, within hooks.drain; a dead receiver holds the exit no longer than that."""
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from livecdn import Central, Edge, HttpFlvViewer, check, free_port, metric_sum, metrics_of, publish, stop, wait_until

SECRET = "whsec-test-1"
RECORDED = """
domains:
  - {name: push.test, type: push, record: true}
  - {name: pull.test, type: pull, source: push.test}
"""


class Receiver:
    """Records every POST; the first `fail_first` deliveries of an event get HTTP 500."""

    def __init__(self, fail_first=None):
        self.events = []  # (event, headers, body bytes, valid signature)
        self.fail_first = dict(fail_first or {})
        self.lock = threading.Lock()
        rec = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ts = self.headers.get("X-LiveCDN-Timestamp", "")
                sig = self.headers.get("X-LiveCDN-Signature", "")
                want = "sha256=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                ev = json.loads(body)
                with rec.lock:
                    n = rec.fail_first.get(ev["event"], 0)
                    if n > 0:
                        rec.fail_first[ev["event"]] = n - 1
                        status = 500
                    else:
                        status = 200
                        rec.events.append((ev, dict(self.headers), body, hmac.compare_digest(sig, want), time.time()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, event):
        with self.lock:
            return [e for e in self.events if e[0]["event"] == event]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Hanger:
    """Accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except (socket.timeout, OSError):
                pass

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


def hooks_yaml(urls, extra=""):
    return "hooks: {urls: [%s], secret: %s, timeout: 1500ms, retries: 2, backoff: 200ms%s}" % (
        ", ".join(urls), SECRET, extra)


def ttff(c, stream):
    """Seconds from request to the first video frame for a new HTTP-FLV viewer."""
    v = HttpFlvViewer(c.http_port, f"/live/{stream}.flv?vhost=pull.test")
    end = time.time() + 5
    while v.first_video_at is None and time.time() < end:
        v.pump(0.05)
    t = (v.first_video_at or end + 1) - v.started
    v.close()
    return t


def wait_live(c, stream, timeout=15):
    import urllib.request
    def live():
        with urllib.request.urlopen(f"http://127.0.0.1:{c.admin_port}/api/v1/streams", timeout=3) as r:
            return any(s["stream"] == stream and s["publishing"] for s in json.load(r)["streams"])
    t0 = time.time()
    wait_until(live, timeout=timeout, step=0.05, what=f"{stream} live")
    return time.time() - t0


def test_events_signed_and_retried():
    rec = Receiver(fail_first={"publish": 1})  # the first publish delivery fails: it must be retried
    c = Central(extra_yaml=hooks_yaml([f"http://127.0.0.1:{rec.port}/hook"]), domains_yaml=RECORDED)
    try:
        pub = publish(c.rtmp("hooked"), seconds=6, size="160x120", rate=15, gop=15)
        wait_live(c, "hooked")
        wait_until(lambda: rec.of("publish"), timeout=5, what="publish webhook (after one retry)")
        ev, headers, body, valid, _ = rec.of("publish")[0]
        check(valid, f"publish webhook signature verifies: {headers.get('X-LiveCDN-Signature')}")
        check(ev["domain"] == "push.test" and ev["app"] == "live" and ev["stream"] == "hooked",
              f"publish names the stream: {ev}")
        check(headers.get("Content-Type") == "application/json" and headers.get("X-LiveCDN-Event") == "publish",
              "publish headers: Content-Type and X-LiveCDN-Event")
        check(abs(int(headers["X-LiveCDN-Timestamp"]) - time.time()) < 5, "timestamp header is now")
        # A viewer watches ~2 s with curl, which reports the bytes it got.
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "2",
                            c.flv("hooked")], capture_output=True, text=True, timeout=10)
        got = int(r.stdout or 0)
        wait_until(lambda: rec.of("play_stop"), timeout=5, what="play_stop webhook")
        ev, headers, body, valid, _ = rec.of("play_stop")[0]
        check(valid, "play_stop signature verifies")
        check(ev["domain"] == "pull.test" and ev["stream_domain"] == "push.test" and ev["protocol"] == "flv",
              f"play_stop names viewer domain, stream domain and protocol: {ev}")
        check(1500 <= ev["duration_ms"] <= 3500, f"play_stop duration {ev['duration_ms']} ms (curl watched 2 s)")
        check(got > 0 and got * 0.8 - 65536 <= ev["bytes_sent"] <= got + 65536,
              f"play_stop bytes_sent {ev['bytes_sent']} ~ what curl received ({got})")
        check(ev["client"].startswith("127.0.0.1"), f"play_stop client {ev['client']}")
        pub.wait(timeout=20)
        wait_until(lambda: rec.of("unpublish"), timeout=5, what="unpublish webhook")
        ev, headers, body, valid, _ = rec.of("unpublish")[0]
        check(valid and ev["stream"] == "hooked" and ev["bytes_received"] > 10000 and ev["duration_ms"] > 3000,
              f"unpublish signed, with bytes_received {ev['bytes_received']} and duration {ev['duration_ms']} ms")
        wait_until(lambda: rec.of("record_done"), timeout=10, what="record_done webhook")
        ev, headers, body, valid, _ = rec.of("record_done")[0]
        check(valid and ev["stream"] == "hooked" and ev["format"] == "flv" and ev["bytes"] > 10000
              and 4000 <= ev["duration_ms"] <= 7500 and ev["path"].endswith(".flv"),
              f"record_done signed, with the file's path, format, bytes {ev['bytes']} and duration "
              f"{ev['duration_ms']} ms (6 s published)")
        ids = [e[0]["id"] for e in rec.events]
        check(len(ids) == len(set(ids)), f"event ids are unique ({len(ids)} events)")
        m = metrics_of(c.admin_port)
        check(metric_sum(m, "livecdn_webhook_requests_total", event="publish", result="error") == 1 and
              metric_sum(m, "livecdn_webhook_requests_total", event="publish", result="ok") == 1,
              "metrics: publish delivery failed once (500), then ok")
        check(metric_sum(m, "livecdn_webhook_requests_total", event="play_stop", result="ok") == 1 and
              metric_sum(m, "livecdn_webhook_requests_total", event="unpublish", result="ok") == 1,
              "metrics: play_stop and unpublish delivered")
    finally:
        c.close()
        rec.close()


def test_dead_receivers_slow_nothing():
    good = Receiver()
    hang = Hanger()
    refused = free_port()  # nothing listens there
    base = Central(extra_yaml=hooks_yaml([f"http://127.0.0.1:{good.port}/"]))
    dead = Central(extra_yaml=hooks_yaml([f"http://127.0.0.1:{refused}/", f"http://127.0.0.1:{hang.port}/"],
                                         ", queue: 8"))
    pubs = []
    try:
        results = {}
        for name, c in (("healthy receiver", base), ("dead receivers", dead)):
            t0 = time.time()
            pubs.append(publish(c.rtmp("fast"), seconds=25, size="160x120", rate=15, gop=15))
            live = wait_live(c, "fast")
            # Viewers come and go: each leaves a play_stop event for the (dead) receivers.
            times = [ttff(c, "fast") for _ in range(6)]
            results[name] = (time.time() - t0, max(times), sorted(times)[len(times) // 2])
            print(f"  {name}: live after {live:.2f}s, first frame median {results[name][2] * 1000:.0f} ms, "
                  f"max {results[name][1] * 1000:.0f} ms", flush=True)
        check(results["dead receivers"][1] < 0.5, f"with dead receivers every viewer's first frame < 0.5 s")
        check(results["dead receivers"][2] <= results["healthy receiver"][2] + 0.1,
              "median first frame with dead receivers within 100 ms of the healthy case")
        m = metrics_of(dead.admin_port)
        errors = metric_sum(m, "livecdn_webhook_requests_total", result="error")
        dropped = metric_sum(m, "livecdn_webhook_requests_total", result="dropped")
        check(errors >= 2, f"failed attempts counted ({errors:.0f})")
        check(dropped >= 1, f"a full queue (8) drops and counts ({dropped:.0f} dropped)")
        check(metric_sum(m, "livecdn_webhook_requests_total", result="ok") == 0, "nothing reported ok")
        wait_until(lambda: metric_sum(metrics_of(dead.admin_port), "livecdn_webhook_requests_total",
                                      result="gave_up") >= 1, timeout=10, step=0.2, what="gave_up after retries")
        check(True, "deliveries to the refusing port give up after 1 + 2 attempts")
        check(dead.alive() and base.alive(), "both centrals alive")
    finally:
        for p in pubs:
            stop(p)
        base.close()
        dead.close()
        good.close()
        hang.close()


def test_shutdown_delivers_last_events():
    rec = Receiver()
    hang = Hanger()
    c = Central(extra_yaml=hooks_yaml([f"http://127.0.0.1:{rec.port}/hook"], ", drain: 3s"))
    stuck = Central(extra_yaml=hooks_yaml([f"http://127.0.0.1:{hang.port}/"], ", drain: 1s"))
    pubs = []
    viewer = None
    try:
        for x in (c, stuck):
            pubs.append(publish(x.rtmp("last"), seconds=30, size="160x120", rate=15, gop=15))
            wait_live(x, "last")
        viewer = HttpFlvViewer(c.http_port, "/live/last.flv?vhost=pull.test")
        viewer.pump(1.5)
        check(viewer.flv.video_frames(), "a viewer plays before the shutdown")
        # SIGTERM while the publisher and the viewer are still live: their unpublish and play_stop
        # are emitted by the shutdown itself and must reach the receiver before the exit.
        t0 = time.time()
        rc = stop(c.proc, timeout=10)
        took = time.time() - t0
        check(rc == 0 and took < 3.5, f"central exits cleanly {took:.2f}s after SIGTERM (rc {rc})")
        events = {e[0]["event"] for e in rec.events if e[3]}
        check({"unpublish", "play_stop"} <= events, f"the last unpublish and play_stop arrived, signed, before the "
              f"exit ({sorted(events)})")
        t0 = time.time()
        rc = stop(stuck.proc, timeout=10)
        took = time.time() - t0
        check(rc == 0 and 0.8 <= took < 2.5, f"with a receiver that never answers, central still exits after "
              f"hooks.drain (1 s): {took:.2f}s, rc {rc}")
        check("abandoned at shutdown" in stuck.logs(), "what could not be delivered is logged as abandoned")
    finally:
        if viewer:
            viewer.close()
        for p in pubs:
            stop(p)
        c.close()
        stuck.close()
        rec.close()
        hang.close()


def test_edge_bills_its_viewers():
    """Viewers at an edge are billed by the edge (central only sees its one pull): the edge, with
    `workers: 2` so sessions on both event loops count, posts play_stop per viewer with bytes and
    duration, and delivers the last ones when it is stopped."""
    rec = Receiver()
    c = Central()
    e = Edge([c], name="edge-billing", extra_yaml="workers: 2\ndrain_timeout: 2s\n" +
             hooks_yaml([f"http://127.0.0.1:{rec.port}/edge"]))
    pub = None
    viewer = None
    try:
        pub = publish(c.rtmp("billed"), seconds=40, size="160x120", rate=15, gop=15)
        wait_live(c, "billed")
        # Four HTTP-FLV viewers watch ~2 s each (curl reports the bytes it got), one by RTMP.
        curls = [subprocess.Popen(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", "2",
                                   e.flv("billed")], stdout=subprocess.PIPE, text=True) for _ in range(4)]
        ff = subprocess.run(["ffmpeg", "-v", "error", "-i", e.rtmp("billed", vhost="pull.test"), "-t", "2", "-c", "copy",
                             "-f", "null", "-"], capture_output=True, timeout=30)
        got = sorted(int(p.communicate(timeout=10)[0] or 0) for p in curls)
        wait_until(lambda: len(rec.of("play_stop")) >= 5, timeout=5, what="5 play_stop webhooks from the edge")
        evs = [x for x in rec.of("play_stop")]
        check(all(x[3] for x in evs), "every play_stop from the edge is signed")
        flv = sorted(x[0]["bytes_sent"] for x in evs if x[0]["protocol"] == "flv")
        rtmp = [x[0] for x in evs if x[0]["protocol"] == "rtmp"]
        check(all(x[0]["node_id"] == "edge-billing" and x[0]["domain"] == "pull.test" and
                  x[0]["stream_domain"] == "push.test" and x[0]["stream"] == "billed" for x in evs),
              "play_stop names the edge, the viewer's domain and the stream")
        check(len(flv) == 4 and all(g > 0 and g * 0.8 - 65536 <= b <= g + 65536 for g, b in zip(got, flv)),
              f"4 HTTP-FLV viewers billed with the bytes they got: {flv} vs curl {got}")
        check(ff.returncode == 0 and len(rtmp) == 1 and rtmp[0]["bytes_sent"] > 10000 and
              rtmp[0]["duration_ms"] >= 1000, f"the RTMP viewer is billed too: {rtmp}")
        m = e.metrics()
        check(metric_sum(m, "livecdn_webhook_requests_total", event="play_stop", result="ok") >= 5,
              "the edge counts its webhook deliveries")
        # A viewer still watching when the edge stops: its play_stop arrives before the exit.
        viewer = HttpFlvViewer(e.http_port, "/live/billed.flv?vhost=pull.test")
        viewer.pump(1.5)
        n0 = len(rec.of("play_stop"))
        rc = stop(e.proc, timeout=15)
        check(rc == 0 and len(rec.of("play_stop")) == n0 + 1,
              f"the last viewer's play_stop is delivered before the edge exits (rc {rc})")
    finally:
        if viewer:
            viewer.close()
        if pub:
            stop(pub)
        e.close()
        c.close()
        rec.close()


def main():
    failed = 0
    for t in (test_events_signed_and_retried, test_dead_receivers_slow_nothing, test_shutdown_delivers_last_events,
              test_edge_bills_its_viewers):
        try:
            t()
            print("PASS", t.__name__, flush=True)
        except Exception:
            import traceback
            traceback.print_exc()
            print("FAIL", t.__name__, flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
