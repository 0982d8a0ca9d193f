"""Issue 5, central side: ffmpeg publishes testsrc2 + sine (GOP 2 s) to central; its HLS
(/<app>/<stream>.m3u8, segments under /<app>/<stream>/) is read by ffprobe (h264 320x240 + aac)
and decoded by `ffmpeg -v error -i <m3u8> -t 10 -f null -` with zero errors; the playlist
(TARGETDURATION, MEDIA-SEQUENCE moving, ~2 s EXTINF, PROGRAM-DATE-TIME, URIs carrying the
request's query), segment headers (type, cache, CORS), Range/HEAD/416, two consecutive segments
decoding without a continuity warning, a signed playlist playing through its token, and an
EXT-X-DISCONTINUITY after the publisher reconnects, with a player decoding across it."""
import hashlib
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from livecdn import Central, check, metric_sum, publish, run, spawn, stop, wait_until

SECURE_KEY = "hls-secret"


def get(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sign_a(uri, key, ttl=3600):
    ts = int(time.time()) + ttl
    h = hashlib.md5(f"{uri}-{ts}-0-0-{key}".encode()).hexdigest()
    return f"auth_key={ts}-0-0-{h}"


def segments(playlist):
    """[(extinf seconds, uri)] and the tags of a media playlist."""
    out, lines = [], playlist.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            out.append((float(line[8:].split(",")[0]), lines[i + 1]))
    return out


def tag(playlist, name):
    m = re.search(rf"^#{name}:(.*)$", playlist, re.M)
    return m.group(1) if m else None


def main():
    domains = f"""
domains:
  - {{name: push.test, type: push}}
  - {{name: pull.test, type: pull, source: push.test}}
  - name: secure.test
    type: pull
    source: push.test
    auth: {{type: A, key: {SECURE_KEY}, required: true}}
"""
    c = Central(extra_yaml="hls: {fragment: 2s, window: 3}\npublish: {reconnect_grace: 8s}\n" + domains, domains=False)
    base = f"http://127.0.0.1:{c.http_port}"
    m3u8 = f"{base}/live/room.m3u8?vhost=pull.test"
    procs = []
    tmp = tempfile.mkdtemp(prefix="livecdn-hls-")
    try:
        t_pub = time.time()
        pub = publish(c.rtmp("room"), seconds=60, gop=50)
        procs.append(pub)
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="publish")
        # The first request waits for the first segment instead of failing.
        status, hdr, body = get(m3u8)
        check(status == 200, f"playlist served once the first segment is cut ({time.time() - t_pub:.1f}s after publish)")
        check(hdr.get("content-type") == "application/vnd.apple.mpegurl", "playlist Content-Type")
        check(hdr.get("cache-control") == "max-age=1", "playlist Cache-Control: max-age=1")
        check(hdr.get("access-control-allow-origin") == "*", "playlist CORS")

        # Decode 10 s of the live HLS while the other checks run.
        dec = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-i", m3u8, "-t", "10", "-f", "null", "-"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(dec)

        r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact=p=0:nk=0", m3u8],
                timeout=30)
        lines = set(r.stdout.split())
        check(r.returncode == 0 and "codec_name=h264|width=320|height=240" in lines and "codec_name=aac" in lines,
              f"ffprobe sees h264 320x240 + aac ({sorted(lines)}, {r.stderr.strip()[:200]!r})")

        # Playlist shape once a few segments exist.
        wait_until(lambda: len(segments(get(m3u8)[2].decode())) >= 3, 15, what="three segments")
        pl = get(m3u8)[2].decode()
        segs = segments(pl)
        print(pl, flush=True)
        check(pl.startswith("#EXTM3U\n#EXT-X-VERSION:3\n"), "playlist header")
        check(tag(pl, "EXT-X-TARGETDURATION") == "2", f"TARGETDURATION 2 ({tag(pl, 'EXT-X-TARGETDURATION')})")
        check(all(1.9 <= d <= 2.1 for d, _ in segs), f"segments last ~2 s with a 2 s GOP ({[d for d, _ in segs]})")
        check(len(re.findall(r"^#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", pl, re.M)) == len(segs),
              "PROGRAM-DATE-TIME on every segment")
        check(all(u.startswith("room/") and u.endswith(".ts?vhost=pull.test") for _, u in segs),
              f"segment URIs sit under the stream's path and carry the request's query ({segs[0][1]})")
        seq0 = int(tag(pl, "EXT-X-MEDIA-SEQUENCE"))

        # Segment: headers, Range, HEAD, 416.
        seg_url = f"{base}/live/{segs[-1][1]}"
        status, hdr, whole = get(seg_url)
        check(status == 200 and hdr.get("content-type") == "video/mp2t", "segment 200 video/mp2t")
        check(hdr.get("cache-control") == "max-age=3600, immutable", "segment Cache-Control: immutable")
        check(hdr.get("access-control-allow-origin") == "*" and hdr.get("accept-ranges") == "bytes", "segment CORS, Accept-Ranges")
        check(len(whole) % 188 == 0 and whole[0] == 0x47, f"segment is whole TS packets ({len(whole)} bytes)")
        status, hdr, part = get(seg_url, {"Range": "bytes=188-1127"})
        check(status == 206 and part == whole[188:1128] and hdr.get("content-range") == f"bytes 188-1127/{len(whole)}",
              "Range bytes=188-1127 -> 206 with Content-Range")
        status, hdr, part = get(seg_url, {"Range": "bytes=-188"})
        check(status == 206 and part == whole[-188:], "Range bytes=-188 -> the last packet")
        status, hdr, _ = get(seg_url, {"Range": f"bytes={len(whole)}-"})
        check(status == 416 and hdr.get("content-range") == f"bytes */{len(whole)}", "unsatisfiable Range -> 416")
        status, hdr, body = get(seg_url, method="HEAD")
        check(status == 200 and body == b"" and hdr.get("content-length") == str(len(whole)), "HEAD on a segment")
        status, _, _ = get(f"{base}/live/room/nope-1.ts?vhost=pull.test")
        check(status == 404, "unknown segment -> 404")

        # Two consecutive segments decode back to back with no continuity complaint.
        a = get(f"{base}/live/{segs[-2][1]}")[2]
        path = os.path.join(tmp, "two.ts")
        with open(path, "wb") as f:
            f.write(a + whole)
        r = run(["ffmpeg", "-hide_banner", "-v", "warning", "-i", path, "-f", "null", "-"], timeout=30)
        check(r.returncode == 0 and r.stderr.strip() == "", f"two consecutive segments decode cleanly ({r.stderr.strip()[:300]!r})")

        # The window slides: MEDIA-SEQUENCE grows, the playlist keeps `window` segments.
        wait_until(lambda: int(tag(get(m3u8)[2].decode(), "EXT-X-MEDIA-SEQUENCE")) > seq0, 8, what="MEDIA-SEQUENCE to grow")
        pl2 = get(m3u8)[2].decode()
        check(len(segments(pl2)) == 3 and segments(pl2)[0][1] != segs[0][1],
              f"MEDIA-SEQUENCE grows ({seq0} -> {tag(pl2, 'EXT-X-MEDIA-SEQUENCE')}) with 3 segments in the window")

        # A signed playlist plays: the token goes onto the segment URIs and is checked there.
        signed = f"{base}/live/room.m3u8?vhost=secure.test&{sign_a('/live/room.m3u8', SECURE_KEY)}"
        status, _, _ = get(f"{base}/live/room.m3u8?vhost=secure.test")
        check(status == 403, "unsigned playlist on a signed domain -> 403")
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", signed, "-t", "3", "-f", "null", "-"], timeout=30)
        check(r.returncode == 0 and r.stderr.strip() == "", f"signed playlist decodes ({r.stderr.strip()[:200]!r})")

        dec.wait(timeout=40)
        derr = dec.stderr.read().decode(errors="replace").strip()
        check(dec.returncode == 0 and derr == "", f"ffmpeg decoded 10 s of HLS with no error (exit {dec.returncode}, {derr[:300]!r})")

        # Publisher reconnect: kill -9, publish again within the grace -> EXT-X-DISCONTINUITY, and a
        # player reading across it keeps decoding.
        across = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-i", m3u8, "-t", "12", "-f", "null", "-"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(across)
        time.sleep(1)
        pub.send_signal(signal.SIGKILL)
        pub.wait()
        pub2 = publish(c.rtmp("room"), seconds=60, gop=50)
        procs.append(pub2)
        wait_until(lambda: "#EXT-X-DISCONTINUITY\n" in get(m3u8)[2].decode(), 15, what="a discontinuity")
        pl = get(m3u8)[2].decode()
        after = pl.split("#EXT-X-DISCONTINUITY\n", 1)[1]
        check(True, "EXT-X-DISCONTINUITY before the first segment of the new publisher")
        first_new = segments(after)[0][1]
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", f"{base}/live/{first_new}", "-f", "null", "-"], timeout=30)
        check(r.returncode == 0 and r.stderr.strip() == "", "the first segment after the reconnect decodes on its own")
        across.wait(timeout=40)
        aerr = across.stderr.read().decode(errors="replace").strip()
        check(across.returncode == 0 and aerr == "", f"a player decoded across the reconnect with no error ({aerr[:300]!r})")
        status, _, body = get(f"http://127.0.0.1:{c.admin_port}/metrics")
        mt = body.decode()
        hls_bytes = metric_sum(c.metrics(), "livecdn_bytes_sent_total", protocol="hls", domain="pull.test")
        check('livecdn_hls_requests_total{kind="segment",result="partial"}' in mt and hls_bytes > 100_000,
              f"HLS metrics exported (bytes sent by domain: {hls_bytes:.0f})")
        check(c.alive(), "central still running")
    finally:
        for p in procs:
            stop(p)
        c.close()


if __name__ == "__main__":
    main()
