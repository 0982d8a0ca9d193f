"""Issue 5 (edge side), done-when 1, 3 and 4:
 1) ffmpeg publishes to central; ffprobe and ffmpeg decode the edge's HLS with zero errors;
 3) 200 concurrent HLS viewers on one edge: central receives exactly one request per segment
    and about one per playlist refresh interval from that edge; hit ratio >= 99%;
 4) kill -9 the edge and restart it with central stopped: cached segments come from disk.
Also Range and HEAD on a cached segment, CORS, and a playlist whose URIs carry the viewer's query."""
import re
import signal
import threading
import time
import urllib.error
import urllib.request

from livecdn import (Central, Edge, check, metric_sum, publish, run, stop, wait_until)

N_VIEWERS = 200
WINDOW = 12.0


def fetch(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def segment_uris(playlist):
    return [l for l in playlist.splitlines() if l and not l.startswith("#")]


def main():
    c = Central()
    e = Edge([c], name="edge-hls")
    pub = None
    try:
        pub = publish(c.rtmp("room"), seconds=120, size="640x360", gop=50, extra=("-b:v", "800k"))
        base = f"http://127.0.0.1:{e.http_port}/live/"
        wait_until(lambda: fetch(e.hls("room"))[0] == 200 and len(segment_uris(fetch(e.hls("room"))[2].decode())) >= 2,
                   20, step=0.5, what="edge playlist with segments")
        # 1) real clients.
        r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact=p=0", e.hls("room")])
        check(r.returncode == 0 and "codec_name=h264|width=640|height=360" in r.stdout and "aac" in r.stdout,
              f"ffprobe sees h264 640x360 + aac on the edge's HLS ({r.stdout.strip()!r})")
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", e.hls("room"), "-t", "10", "-f", "null", "-"], timeout=60)
        check(r.returncode == 0 and r.stderr.strip() == "", f"ffmpeg decodes 10 s of the edge's HLS with no error ({r.stderr.strip()[:200]!r})")
        status, headers, body = fetch(e.hls("room"))
        uris = segment_uris(body.decode())
        check(all(u.endswith("?vhost=pull.test") for u in uris), f"segment URIs carry the viewer's query ({uris[0]})")
        check(headers.get("Access-Control-Allow-Origin") == "*", "playlist has CORS headers")
        seg_url = base + uris[-1]
        s1, h1, full = fetch(seg_url)
        check(s1 == 200 and h1.get("Content-Type") == "video/mp2t" and full[:1] == b"\x47", "segment is MPEG-TS")
        s2, h2, part = fetch(seg_url, {"Range": "bytes=188-375"})
        check(s2 == 206 and part == full[188:376] and h2.get("Content-Range") == f"bytes 188-375/{len(full)}", "Range answers 206 with the right bytes")
        s3, h3, nothing = fetch(seg_url, method="HEAD")
        check(s3 == 200 and nothing == b"" and int(h3.get("Content-Length", -1)) == len(full), "HEAD answers the length, no body")

        # 3) 200 viewers polling like players for WINDOW seconds.
        m0_c, m0_e = c.metrics(), e.metrics()
        seen = set()
        lock = threading.Lock()
        errors = []
        requests = [0]
        stop_at = time.time() + WINDOW

        def viewer(i):
            got = set()
            time.sleep(i * 0.005)
            while time.time() < stop_at:
                st, _, pl = fetch(e.hls("room"))
                n = 1
                if st != 200:
                    errors.append(f"playlist {st}")
                    time.sleep(1)
                    continue
                for u in segment_uris(pl.decode())[-2:]:
                    if u in got:
                        continue
                    st, _, data = fetch(base + u)
                    n += 1
                    if st != 200 or data[:1] != b"\x47":
                        errors.append(f"segment {st}")
                    got.add(u)
                with lock:
                    seen.update(got)
                    requests[0] += n
                time.sleep(1.0)

        threads = [threading.Thread(target=viewer, args=(i,)) for i in range(N_VIEWERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        m1_c, m1_e = c.metrics(), e.metrics()
        seg_at_central = metric_sum(m1_c, "livecdn_hls_requests_total", kind="segment") - metric_sum(m0_c, "livecdn_hls_requests_total", kind="segment")
        pl_at_central = metric_sum(m1_c, "livecdn_hls_requests_total", kind="playlist") - metric_sum(m0_c, "livecdn_hls_requests_total", kind="playlist")
        upstream = seg_at_central + pl_at_central
        hit_ratio = 1 - upstream / requests[0]
        new_segments = len({u.split("?")[0] for u in seen})
        print(f"measure: {N_VIEWERS} HLS viewers, {requests[0]} requests in {WINDOW:.0f}s; central saw {seg_at_central:.0f} segment "
              f"and {pl_at_central:.0f} playlist requests for {new_segments} distinct segments; request hit ratio {hit_ratio * 100:.2f}%", flush=True)
        check(not errors, f"no viewer error ({errors[:3]})")
        check(seg_at_central <= new_segments, f"central got at most one request per segment ({seg_at_central:.0f} for {new_segments})")
        check(pl_at_central <= WINDOW / 1.0 + 3, f"about one playlist request per refresh interval ({pl_at_central:.0f} in {WINDOW:.0f}s, max-age 1s)")
        check(hit_ratio >= 0.99, f"hit ratio >= 99% ({hit_ratio * 100:.2f}%)")
        served_mem = metric_sum(m1_e, "livecdn_cache_served_bytes_total", tier="memory")
        stored = {t: metric_sum(m1_e, "livecdn_cache_bytes", tier=t) for t in ("memory", "disk")}
        print(f"measure: edge cache served {served_mem / 1e6:.1f} MB from memory, "
              f"{metric_sum(m1_e, 'livecdn_cache_served_bytes_total', tier='upstream') / 1e6:.2f} MB fetched; stored "
              f"{stored['memory'] / 1e6:.2f} MB in memory, {stored['disk'] / 1e6:.2f} MB on disk", flush=True)
        check(served_mem > 100 * 100_000, f"cache bytes by tier: served from memory {served_mem / 1e6:.1f} MB")
        check(stored["memory"] > 0 and stored["disk"] > 0 and stored["disk"] <= metric_sum(
            m1_e, "livecdn_cache_capacity_bytes", tier="disk"), f"cache bytes stored by tier {stored}")

        # 4) kill -9 the edge, stop central, restart the edge: segments come from the disk tier.
        cached = [base + u for u in sorted(seen)][:5]
        e.proc.send_signal(signal.SIGKILL)
        e.proc.wait()
        stop(pub)
        pub = None
        c.close()
        e.start()
        ok = 0
        for url in cached:
            st, h, data = fetch(url)
            ok += st == 200 and data[:1] == b"\x47" and "disk" in h.get("X-Cache", "")
        check(ok == len(cached), f"after kill -9 and with central down, {ok}/{len(cached)} cached segments served from the disk tier")
        m = e.metrics()
        check(metric_sum(m, "livecdn_cache_requests_total", tier="disk", result="hit") >= len(cached), "metrics count the disk hits")
        check(metric_sum(m, "livecdn_cache_served_bytes_total", tier="disk") > len(cached) * 10_000,
              "and the bytes served from the disk tier")
        st, _, _ = fetch(e.hls("room"))
        check(st in (502, 504, 404), f"the live playlist itself is unavailable with central down ({st}), not a crash")
        check(e.alive(), "edge alive")
    finally:
        if pub:
            stop(pub)
        e.close()
        try:
            c.close()
        except Exception:
            pass


if __name__ == "__main__":
    main()
