"""Issue 6, signed URLs enforced on central: a push domain and a pull domain that require type A
signatures (DESIGN.md "URL signing"), signed here with Python's hashlib, independent of the C++
signer. ffmpeg publishes with a valid URL and is refused without one or with a tampered or
expired one; ffprobe plays RTMP, HTTP-FLV and HLS with valid (primary and secondary key) tokens
(HLS segments carrying the playlist's token) and is refused with expired, tampered, malformed,
wrong-type and missing ones (403 for HTTP, the reason in the body and in central's log);
/metrics counts every reason in livecdn_auth_rejections_total."""
import hashlib
import re
import socket
import time
import urllib.request

from livecdn import Central, check, ffprobe_streams, publish, run, stop, wait_until

DOMAINS = """
domains:
  - name: push.test
    type: push
    auth: {type: A, key: push-primary-key, key2: push-secondary-key, required: true}
  - name: pull.test
    type: pull
    source: push.test
    auth: {type: A, key: pull-primary-key, key2: pull-secondary-key, required: true}
"""


def auth_key(uri, key, expiry, rand="0", uid="0"):
    """Alibaba type A: auth_key=<timestamp>-<rand>-<uid>-md5("<uri>-<timestamp>-<rand>-<uid>-<key>")."""
    digest = hashlib.md5(f"{uri}-{expiry}-{rand}-{uid}-{key}".encode()).hexdigest()
    return f"auth_key={expiry}-{rand}-{uid}-{digest}"


def tamper(query):
    return query[:-1] + ("0" if query[-1] != "0" else "1")


def http_get(port, path, host="pull.test"):
    """Status line and body of a GET (only for answers that end: 403/404)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("latin1")


def main():
    # The Python signer reproduces the published vector before anything else relies on it.
    check(hashlib.md5(b"/video/standard/1K.html-1444435200-0-0-aliyuncdnexp1234").hexdigest()
          == "80cd3862d699b7118eed99103f2a3a4f", "Python type A signer matches Alibaba's test vector")
    t0 = time.time()
    c = Central(domains_yaml=DOMAINS)
    pub = None
    try:
        now = int(time.time())
        base = f"rtmp://127.0.0.1:{c.rtmp_port}/live/room?vhost=push.test"
        good = auth_key("/live/room", "push-primary-key", now + 600, rand="477b3bbc253f467b8def6711128c7bec")

        # Publishes refused: no token, tampered hash, expired, signed for another stream.
        refused = [("missing", base),
                   ("bad_hash", f"{base}&{tamper(good)}"),
                   ("expired", f"{base}&{auth_key('/live/room', 'push-primary-key', now - 5)}"),
                   ("bad_hash", f"{base}&{auth_key('/live/other', 'push-primary-key', now + 600)}")]
        for reason, url in refused:
            p = publish(url, seconds=5)
            try:
                _, err = p.communicate(timeout=15)
            finally:
                stop(p)
            err = err.decode(errors="replace")
            check(p.returncode != 0 and reason in err, f"ffmpeg publish refused ({reason}): {err.strip()[-160:]!r}")
        logs = c.logs()
        for reason in ("missing", "bad_hash", "expired"):
            check(f"publish rejected ({reason})" in logs, f"central's log says publish rejected ({reason})")

        # A valid signature publishes.
        pub = publish(f"{base}&{good}", seconds=40)
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="signed publisher accepted")
        check(True, "ffmpeg publishes with a valid type A URL")

        # Plays with valid tokens: RTMP (primary key, token on the stream name), FLV (secondary key).
        rtmp_url = (f"rtmp://127.0.0.1:{c.rtmp_port}/live/room?vhost=pull.test&"
                    + auth_key("/live/room", "pull-primary-key", now + 600))
        rc, out, err = ffprobe_streams(rtmp_url)
        check(rc == 0 and "codec_name=h264" in out, f"ffprobe plays signed RTMP ({err.strip()[:200]!r})")
        flv_url = (f"http://127.0.0.1:{c.http_port}/live/room.flv?vhost=pull.test&"
                   + auth_key("/live/room.flv", "pull-secondary-key", now + 600))
        rc, out, err = ffprobe_streams(flv_url)
        check(rc == 0 and "codec_name=h264" in out, f"ffprobe plays signed HTTP-FLV with the secondary key ({err.strip()[:200]!r})")

        # HLS: the signed playlist plays the whole stream; its segment URIs carry the same token,
        # and a segment without it is refused.
        hls_url = (f"http://127.0.0.1:{c.http_port}/live/room.m3u8?vhost=pull.test&"
                   + auth_key("/live/room.m3u8", "pull-primary-key", now + 600))
        rc, out, err = ffprobe_streams(hls_url, timeout=30)
        check(rc == 0 and "codec_name=h264" in out, f"ffprobe plays signed HLS, segments included ({err.strip()[:200]!r})")
        with urllib.request.urlopen(hls_url, timeout=10) as resp:
            playlist = resp.read().decode()
        seg = next(l for l in playlist.splitlines() if l and not l.startswith("#"))
        check("auth_key=" in seg, f"segment URIs carry the playlist's token ({seg})")
        status, _ = http_get(c.http_port, "/live/" + seg)
        check(status == 200, f"the segment with the carried token answers 200 (got {status})")
        status, body = http_get(c.http_port, "/live/" + seg.split("?")[0] + "?vhost=pull.test")
        check(status == 403 and body.startswith("missing"), f"the segment without a token answers 403 ({body.strip()[:80]!r})")

        # Refused plays.
        expired_rtmp = (f"rtmp://127.0.0.1:{c.rtmp_port}/live/room?vhost=pull.test&"
                        + auth_key("/live/room", "pull-primary-key", now - 5))
        r = run(["ffprobe", "-v", "error", expired_rtmp], timeout=20)
        check(r.returncode != 0, "ffprobe of an expired RTMP URL fails")
        check("play rejected (expired)" in c.logs(), "central's log says play rejected (expired)")

        flv = "/live/room.flv?vhost=pull.test"
        cases = [
            ("expired", flv + "&" + auth_key("/live/room.flv", "pull-primary-key", now - 5), 403),
            ("bad_hash", flv + "&" + tamper(auth_key("/live/room.flv", "pull-primary-key", now + 600)), 403),
            ("bad_hash", flv + "&" + auth_key("/live/room", "pull-primary-key", now + 600), 403),  # RTMP's URI
            ("bad_hash", flv + "&" + auth_key("/live/room.flv", "push-primary-key", now + 600), 403),  # wrong key
            ("missing", flv, 403),
            ("malformed", flv + "&auth_key=12345-0-0-nothex", 403),
            ("wrong_type", "/201508150800/9044548ef1527deadafa49a890a377f0/live/room.flv?vhost=pull.test", 403),
            ("unknown_domain", "/live/room.flv?vhost=evil.test", 404),
        ]
        for reason, path, want in cases:
            status, body = http_get(c.http_port, path)
            check(status == want and body.startswith(reason), f"FLV {reason}: {status} {body.strip()[:100]!r}")
        check("flv" in c.logs() and "rejected (expired)" in c.logs(), "central's log has the FLV refusal reason")
        # The expiry is reported with its time.
        check(re.search(r"expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c.logs()) is not None, "the log says when it expired")

        # Metrics count each reason.
        with urllib.request.urlopen(f"http://127.0.0.1:{c.admin_port}/metrics", timeout=5) as resp:
            metrics = resp.read().decode()
        by_action = {(m.group(1), m.group(2)): float(m.group(3)) for m in re.finditer(
            r'^livecdn_auth_rejections_total\{action="([a-z]+)",reason="([a-z_]+)"\} ([0-9.e+]+)$', metrics, re.M)}
        counts = {}
        for (_, reason), n in by_action.items():
            counts[reason] = counts.get(reason, 0) + n
        print("rejections:", by_action, flush=True)
        check(by_action.get(("publish", "missing"), 0) >= 1 and by_action.get(("play", "missing"), 0) >= 1,
              "rejections say whether a publish or a play was refused (action label)")
        for reason, at_least in (("missing", 3), ("bad_hash", 5), ("expired", 3), ("malformed", 1), ("wrong_type", 1),
                                 ("unknown_domain", 1)):
            check(counts.get(reason, 0) >= at_least, f"livecdn_auth_rejections_total{{reason=\"{reason}\"}} >= {at_least}")
        check(pub.poll() is None, "the signed publisher is still live")
        check(c.alive(), "central still running")
    finally:
        if pub:
            stop(pub)
        rc = c.close()
    check(rc == 0, f"central exits 0 on SIGTERM (got {rc})")
    check(time.time() - t0 < 60, f"test took {time.time() - t0:.1f}s (< 60 s)")


if __name__ == "__main__":
    main()
