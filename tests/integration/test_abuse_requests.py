"""Issue 10, faults and abuse: hostile requests against central and an edge.

- Path traversal in HTTP paths (plain, percent-encoded, backslashes; FLV, HLS playlist and
  segment paths) answers 4xx on both nodes' public listeners and serves no file.
- Traversal in RTMP app and stream names (raw RTMP: bytes no encoder would send) is refused with
  NetStream.Publish.BadName / a closed connection, on central and on the edge; with a
  `record: true` domain nothing is written outside data_dir, and the recording of an accepted
  odd name stays under data_dir/record/.
- Huge headers (a 64 KiB header line, 10,000 headers) get a 4xx or a close; the node stays up.
- Control characters and invalid UTF-8 in app/stream names are refused, and the log has no raw
  control character or invalid UTF-8 (no forged log line); /api/v1/streams stays valid JSON.
- Central's admin API: mutating endpoints answer 401 without a token and with a wrong one (and
  change nothing); /metrics, /api and /healthz are not served on the public HTTP listeners (404).
"""
import glob
import json
import os
import re
import time
import urllib.request

from abuse_rtmp import RawPublisher, http_get, http_raw, sample_tags
from livecdn import Central, Edge, HttpFlvViewer, check, publish, stop, wait_until

DOMAINS = """domains:
  - {name: push.test, type: push, record: true}
  - name: pull.test
    type: pull
    source: push.test
"""
MARK = "pwnh5"  # in every hostile name, to look for files it might have created

TRAVERSAL_PATHS = [
    "/live/../../etc/passwd.flv",
    "/live/../../../../../../etc/passwd",
    "/../../../../etc/passwd",
    "/live/%2e%2e%2f%2e%2e%2fetc%2fpasswd.flv",
    "/live/%2E%2E/%2E%2E/etc/passwd.flv",
    "/live/..%2f..%2fx.m3u8",
    "/live/..%2f..%2f..%2fetc%2fpasswd.m3u8",
    "/live/..%5c..%5cetc%5cpasswd.flv",
    "/live/..\\..\\etc\\passwd.flv",
    "/live/%252e%252e%252fetc%252fpasswd.flv",
    "/live/../room-0.ts",
    "/live/..%2froom-0.ts",
    "/%2e%2e/%2e%2e/etc/passwd.ts",
    "/live/room/../../../etc/passwd.m3u8",
]

# (app, stream) published over raw RTMP; all must be refused.
BAD_NAMES = [
    ("live", f"../../{MARK}"),
    ("live", f"a/../../{MARK}"),
    ("live", f"..\\..\\{MARK}"),
    ("live", ".."),
    (f"../../{MARK}", "room"),
    ("..", "room"),
    ("live/../..", f"{MARK}"),
    ("live", f"{MARK}\n2026-01-01T00:00:00.000Z ERROR [central-test] forged.cc:1] forged line"),
    ("live", f"{MARK}\r\x1b[2J\x07"),
    ("live", f"{MARK}\x00nul"),
    (f"li\nve", "room"),
    ("live", (MARK + "-").encode() + b"\xff\xfe\xc0\xaf"),
    ("live", (MARK + "-").encode() + b"\xed\xa0\x80"),  # a UTF-8 encoded surrogate
    ("live", "x" * 5000),
]

# RTMP does not percent-decode names (nginx-rtmp neither): these are refused or taken literally,
# and then must not escape data_dir either (the recorder makes path components safe).
ENCODED_NAMES = [("live", f"..%2f..%2f{MARK}"), ("live", f"%2e%2e%2f%2e%2e%2f{MARK}"), ("live", f"%2e%2e%5c{MARK}")]


def files_with_mark(root):
    found = []
    for d, dirs, files in os.walk(root):
        found += [os.path.join(d, n) for n in dirs + files if MARK in n]
    return found


def log_is_clean(path):
    """No raw control character (other than the line ends) and only valid UTF-8 in the log."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return False, f"invalid UTF-8 at byte {e.start}: {raw[max(0, e.start - 60):e.start + 10]!r}"
    bad = re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text)
    if bad:
        return False, f"raw control character: {text[max(0, bad.start() - 60):bad.start() + 10]!r}"
    forged = [l for l in text.splitlines() if "forged.cc" in l and not re.match(r"\d{4}-.* (INFO|WARN) \[(central|edge)-test\] (rtmp|flv)", l)]
    if forged:
        return False, f"a forged line: {forged[0]!r}"
    return True, ""


def node_checks(name, node, flv_ok_path):
    """The public-listener checks both nodes share."""
    for path in TRAVERSAL_PATHS:
        status, body = http_get(node.http_port, path + ("&" if "?" in path else "?") + "vhost=pull.test")
        check(status is not None and 400 <= status < 500 and b"root:" not in body,
              f"{name} HTTP {path} -> {status}")
        status, body = http_get(node.http_port, path)  # no vhost: the Host header names the domain
        check(status is not None and 400 <= status < 500 and b"root:" not in body,
              f"{name} HTTP {path} (Host: pull.test) -> {status}")
    for path in ("/metrics", "/api/v1/streams", "/api/v1/domains", "/api/v1/records", "/healthz", "/dashboard"):
        status, body = http_get(node.http_port, path)
        check(status == 404 and b"livecdn_" not in body, f"{name}: {path} is not served on the public listener ({status})")

    # Huge headers: a 64 KiB header line, then 10,000 headers.
    status, _ = http_raw(node.http_port, b"GET " + flv_ok_path.encode() + b" HTTP/1.1\r\nHost: pull.test\r\nX-Big: "
                         + b"a" * 65536 + b"\r\n\r\n")
    check(status is None or 400 <= status < 500, f"{name}: a 64 KiB header line -> {status or 'closed'}")
    status, _ = http_raw(node.http_port, b"GET " + flv_ok_path.encode() + b" HTTP/1.1\r\nHost: pull.test\r\n"
                         + b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) + b"\r\n")
    check(status is None or 400 <= status < 500, f"{name}: 10,000 headers -> {status or 'closed'}")
    status, _ = http_raw(node.http_port, b"GET /" + b"a" * 70000 + b".flv HTTP/1.1\r\nHost: pull.test\r\n\r\n")
    check(status is None or 400 <= status < 500, f"{name}: a 70 KB request line -> {status or 'closed'}")
    # Control characters and invalid UTF-8 in HTTP paths.
    for path in (b"/live/" + MARK.encode() + b"%0d%0aX-Injected:%201.flv", b"/live/%ff%fe" + MARK.encode() + b".flv",
                 b"/live/" + MARK.encode() + b"%00.flv", b"/live/%1b%5b2J" + MARK.encode() + b".m3u8"):
        status, body = http_raw(node.http_port, b"GET " + path + b"?vhost=pull.test HTTP/1.1\r\nHost: pull.test\r\n"
                                b"Connection: close\r\n\r\n")
        check(status is not None and 400 <= status < 500 and b"X-Injected" not in body.split(b"\r\n\r\n")[0],
              f"{name}: {path.decode()} -> {status}")
    viewer = HttpFlvViewer(node.http_port, flv_ok_path).pump(3)
    check(viewer.status == 200 and len(viewer.flv.video_frames()) > 10, f"{name}: still plays after all of that")
    viewer.close()


def main():
    t0 = time.time()
    tags = sample_tags()
    # A short play wait: requests for streams that do not exist answer 404 after it.
    c = Central(domains_yaml=DOMAINS, extra_yaml="play: {wait: 1s}")
    e = Edge([c], extra_yaml="play: {wait: 1s}")
    pub = None
    try:
        pub = publish(c.rtmp("room"), seconds=50)
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="publisher on central")

        # RTMP names, on central (records) and on the edge (relays to central).
        for node_name, node in (("central", c), ("edge", e)):
            for app, name in BAD_NAMES:
                p = RawPublisher(node.rtmp_port, app, name)
                if p.accepted:
                    p.send_tags(tags)
                p.close()
                check(not p.accepted, f"{node_name} refuses to publish {app!r}/{name!r:.60}")
        for app, name in ENCODED_NAMES:
            p = RawPublisher(c.rtmp_port, app, name)
            if p.accepted:
                p.send_tags(tags)
            time.sleep(0.2)
            p.close()
            check(True, f"central {'takes literally' if p.accepted else 'refuses'} {app!r}/{name!r}")
        # An odd but harmless name is accepted, and its recording lands under data_dir/record/.
        odd = f"{MARK} odd%name.é"
        p = RawPublisher(c.rtmp_port, "live", odd)
        check(p.accepted, f"central accepts the harmless name {odd!r}")
        p.send_tags(tags)
        time.sleep(0.3)
        p.close()
        data_dir = os.path.realpath(os.path.join(c.dir, "data"))
        wait_until(lambda: any("odd_name" in f for f in files_with_mark(data_dir)), 10, what="the odd name's recording")
        marked = files_with_mark(c.dir) + files_with_mark(e.dir)
        outside = [f for f in marked if not os.path.realpath(f).startswith(data_dir + "/record/")]
        check(not outside, f"nothing with the hostile marker outside data_dir/record/ ({outside[:3]})")
        check(all(os.path.realpath(f).startswith(data_dir + "/record/push.test/live/") for f in marked),
              f"the recordings are under data_dir/record/push.test/live/: "
              f"{sorted({os.path.relpath(os.path.dirname(f), data_dir) for f in marked})}")
        stray = [f for pattern in ("/tmp/*" + MARK + "*", "/tmp/*/" + MARK + "*", "/tmp/*/*/" + MARK + "*",
                                   "/*" + MARK + "*", "/etc/*" + MARK + "*") for f in glob.glob(pattern)
                 if not f.startswith((c.dir, e.dir))]
        check(not stray, f"no file named after a hostile name anywhere else ({stray[:3]})")

        # The hub's stream list is valid JSON (no invalid UTF-8 stream got in).
        for node_name, node in (("central", c), ("edge", e)):
            with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/api/v1/streams", timeout=5) as r:
                raw = r.read()
            json.loads(raw.decode("utf-8"))
            check(True, f"{node_name}: /api/v1/streams is valid UTF-8 JSON ({len(raw)} bytes)")

        node_checks("central", c, "/live/room.flv?vhost=pull.test")
        node_checks("edge", e, "/live/room.flv?vhost=pull.test")

        # Admin API: mutating endpoints need the token.
        def admin(method, path, token=None, body=None):
            req = urllib.request.Request(f"http://127.0.0.1:{c.admin_port}{path}", method=method,
                                         data=body.encode() if body is not None else None)
            if token is not None:
                req.add_header("Authorization", token)
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as err:
                return err.code

        mutating = [("POST", "/api/v1/domains", '{"name": "evil.test", "type": "push"}'),
                    ("DELETE", "/api/v1/domains/push.test", None),
                    ("POST", "/api/v1/domains/push.test/key", '{"key": "attacker-key"}'),
                    ("PUT", "/api/v1/domains/push.test/key", '{"key": "attacker-key"}'),
                    ("POST", "/api/v1/kick", '{"domain": "push.test", "app": "live", "stream": "room"}'),
                    ("GET", "/api/v1/records", None)]
        for token in (None, "Bearer wrong-token", "Bearer test-toke", "Bearer test-token-and-more", "test-token",
                      "Bearer ", "Basic dGVzdC10b2tlbg=="):
            for method, path, body in mutating:
                st = admin(method, path, token, body)
                check(st == 401, f"admin {method} {path} with {token or 'no token'!r} -> {st}")
        check(admin("GET", "/api/v1/domains/push.test") == 200 and admin("GET", "/api/v1/domains/evil.test") == 404,
              "the domain table is unchanged")
        check(admin("GET", "/api/v1/records", "Bearer test-token") == 200, "the right token is accepted (control)")
        n0 = len(c.logs())
        viewer = HttpFlvViewer(c.http_port, "/live/room.flv").pump(2)
        check(viewer.status == 200 and len(viewer.flv.video_frames()) > 10 and pub.poll() is None,
              "the publisher was not kicked by the refused calls")
        viewer.close()
        check("refused: bad or missing token" in c.logs()[:n0], "refused admin calls are logged")

        for node_name, node in (("central", c), ("edge", e)):
            ok, why = log_is_clean(node.log_path)
            check(ok, f"{node_name}'s log has no raw control character, invalid UTF-8 or forged line {why}")
        check(c.alive() and e.alive(), "central and edge survived all of it")
    finally:
        if pub:
            stop(pub)
        e.close()
        c.close()
    check(time.time() - t0 < 60, f"test took {time.time() - t0:.1f}s (< 60 s)")


if __name__ == "__main__":
    main()
