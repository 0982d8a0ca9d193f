"""Issue 4, multi-core: an edge with `workers: 2` runs two event-loop threads on the same RTMP and
HTTP ports (SO_REUSEPORT). 40 viewers (RTMP via ffmpeg and HTTP-FLV raw sockets) land on both
threads; central still sees exactly one upstream pull for the stream; every viewer keeps 25 fps
and the ffmpeg ones decode without error; a stream published through the edge is relayed to
central, plays on both threads and survives its publisher reconnecting (on either thread); HLS
works through either thread; SIGTERM drains and exits."""
import selectors
import signal
import subprocess
import time
import urllib.error
import urllib.request

from livecdn import (Central, Edge, HttpFlvViewer, check, get_json, metric_sum, publish, run, spawn, stop,
                     wait_until)

N_FLV = 34
N_RTMP = 6
WINDOW = 6.0
RTMP_SECONDS = 14  # the RTMP viewers stay through the viewer-count and fps checks


def central_stream(c, name):
    """(edges pulling it from central, publishing) of a stream on central."""
    _, j = get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/streams")
    for s in j["streams"]:
        if s["stream"] == name:
            return s["relays"], s["publishing"]
    return 0, False


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def per_worker(e):
    m = e.metrics()
    return {w: metric_sum(m, "livecdn_worker_connections", worker=str(w)) for w in (0, 1)}


def pump_all(viewers, seconds):
    """Reads every HTTP-FLV viewer for `seconds` (one selector, non-blocking sockets)."""
    sel = selectors.DefaultSelector()
    for v in viewers:
        v.sock.setblocking(False)
        sel.register(v.sock, selectors.EVENT_READ, v)
    end = time.time() + seconds
    while time.time() < end:
        for key, _ in sel.select(timeout=0.1):
            v = key.data
            try:
                d = v.sock.recv(65536)
            except (BlockingIOError, ConnectionError):
                continue
            if not d:
                v.closed = True
                sel.unregister(v.sock)
                continue
            if v.status is None:
                v.raw += d
                v._parse_head()
                if v.status is not None:
                    v._dechunk()
            else:
                v.chunk_buf += d
                v._dechunk()
    sel.close()
    for v in viewers:
        v.sock.setblocking(True)


def rtmp_viewer(url, seconds):
    # Decodes `seconds` of the stream; -progress reports the frame count on stdout.
    return spawn(["ffmpeg", "-hide_banner", "-nostats", "-v", "error", "-i", url, "-t", str(seconds), "-map", "0:v",
                  "-f", "null", "-", "-progress", "pipe:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    c = Central()
    e = Edge([c], name="edge-workers", extra_yaml="workers: 2\ndrain_timeout: 3s")
    pubs = []
    rtmps = []
    viewers = []
    try:
        check("2 worker(s)" in e.logs(), "edge starts 2 event-loop workers")
        pubs.append(publish(c.rtmp("room"), seconds=90, gop=25))
        wait_until(lambda: central_stream(c, "room")[1], 15, what="central has the stream")

        # 40 viewers: RTMP (ffmpeg decoding) and HTTP-FLV (raw sockets), each on a new connection.
        rtmps = [rtmp_viewer(e.rtmp("room", vhost="pull.test"), RTMP_SECONDS) for _ in range(N_RTMP)]
        viewers = [HttpFlvViewer(e.http_port, "/live/room.flv") for _ in range(N_FLV)]
        pump_all(viewers, 3)  # start-up: GOP burst
        check(all(v.status == 200 for v in viewers), f"{N_FLV} HTTP-FLV viewers answered 200 "
              f"({sum(v.status == 200 for v in viewers)})")
        # Per-stream viewers count the workers' viewers, not one per bridge (workers report
        # each tick).
        def edge_viewers():
            _, j = get_json(f"http://127.0.0.1:{e.admin_port}/api/v1/streams")
            api = sum(s["viewers"] for s in j["streams"] if s["stream"] == "room")
            return metric_sum(e.metrics(), "livecdn_viewers", stream="room"), api

        try:
            wait_until(lambda: edge_viewers() == (N_FLV + N_RTMP,) * 2, 3, what="edge viewer count")
        except AssertionError:
            pass
        got = edge_viewers()
        check(got == (N_FLV + N_RTMP,) * 2, f"the edge counts {N_FLV + N_RTMP} viewers of the stream across both "
              f"workers in livecdn_viewers and /api/v1/streams ({got})")
        pump_all(viewers, 1)
        before = [len(v.flv.video_frames()) for v in viewers]
        t0 = time.time()
        pump_all(viewers, WINDOW)
        dt = time.time() - t0
        rates = sorted((len(v.flv.video_frames()) - b) / dt for v, b in zip(viewers, before))
        print(f"measure: HTTP-FLV viewers' video fps over {dt:.1f}s: min {rates[0]:.1f}, median {rates[len(rates) // 2]:.1f}",
              flush=True)
        check(rates[0] >= 22, f"every HTTP-FLV viewer keeps ~25 fps (min {rates[0]:.1f})")
        ts_ok = all(all(b[1] >= a[1] for a, b in zip(v.flv.video_frames(), v.flv.video_frames()[1:])) for v in viewers)
        check(ts_ok, "video timestamps never go backwards on any viewer")

        w = per_worker(e)
        print(f"measure: connections per worker: {w}", flush=True)
        check(w[0] > 0 and w[1] > 0, f"both workers serve viewers ({w})")
        check(w[0] + w[1] >= N_FLV + N_RTMP, f"all {N_FLV + N_RTMP} viewers counted ({w[0] + w[1]})")
        m = e.metrics()
        check(metric_sum(m, "livecdn_worker_bridges") >= 1, "the stream is bridged to the worker thread")
        n, _ = central_stream(c, "room")
        check(n == 1, f"central sees exactly one pull (the edge's) for the stream ({n})")
        _, h = get_json(f"http://127.0.0.1:{e.admin_port}/healthz")
        check(h["connections"] >= N_FLV + N_RTMP, f"/healthz sums both workers ({h['connections']})")

        for p in rtmps:
            out, err = p.communicate(timeout=30)
            frames = [int(l.split("=")[1]) for l in out.splitlines() if l.startswith("frame=")]
            got = frames[-1] if frames else 0
            check(p.returncode == 0 and err.strip() == "" and got >= 0.9 * 25 * RTMP_SECONDS,
                  f"RTMP viewer decodes {RTMP_SECONDS} s with no error ({got} frames, rc {p.returncode}, {err.strip()[:120]!r})")
        rtmps = []

        # Publish through the edge: relayed to central once, played on both threads.
        pubs.append(publish(e.rtmp("room2"), seconds=60, gop=25))
        wait_until(lambda: central_stream(c, "room2")[1], 15, what="central receives the edge's relay")
        check(True, "a publish on the edge is relayed to central")
        v2 = [HttpFlvViewer(e.http_port, "/live/room2.flv") for _ in range(8)]
        pump_all(v2, 3)
        b2 = [len(v.flv.video_frames()) for v in v2]
        t0 = time.time()
        pump_all(v2, 4)
        dt = time.time() - t0
        r2 = min((len(v.flv.video_frames()) - b) / dt for v, b in zip(v2, b2))
        check(all(v.status == 200 for v in v2) and r2 >= 22, f"8 viewers of the edge-published stream keep 25 fps (min {r2:.1f})")
        check(central_stream(c, "room2")[0] == 0, "no pull to central for a stream published on this edge")
        # The publisher drops and comes back within the grace, on whichever thread the kernel
        # picks (twice): viewers on both threads stay connected and keep playing.
        # A viewer arriving during the grace must not make the edge pull its own relayed stream
        # back from central (that would loop the stream's packets through central).
        for attempt in range(2):
            pubs[-1].send_signal(signal.SIGKILL)
            pubs[-1].wait()
            v2.append(HttpFlvViewer(e.http_port, "/live/room2.flv"))  # arrives during the grace
            time.sleep(1)
            pubs.append(publish(e.rtmp("room2"), seconds=60, gop=25))
            n1 = [len(v.flv.video_frames()) for v in v2]
            pump_all(v2, 5)
            more = [len(v.flv.video_frames()) - n for v, n in zip(v2, n1)]
            check(not any(v.closed for v in v2) and 50 < min(more) and max(more) < 200,
                  f"viewers keep playing at 25 fps across publisher reconnect {attempt + 1} "
                  f"(new frames per viewer in 5 s: {min(more)}..{max(more)})")
            check(central_stream(c, "room2")[0] == 0, "the edge never pulls back the stream it relays")
        ts_ok = all(all(b[1] >= a[1] for a, b in zip(v.flv.video_frames(), v.flv.video_frames()[1:])) for v in v2)
        check(ts_ok, "timestamps stay monotonic across the reconnects")
        for v in v2:
            v.close()

        # HLS through either thread (each fetch is a new connection).
        pl = lambda: fetch(e.hls("room"))
        wait_until(lambda: pl()[0] == 200 and b".ts" in pl()[2], 20, step=0.5, what="edge HLS playlist with segments")
        codes = []
        for _ in range(8):
            st, hd, body = pl()
            uris = [l for l in body.decode().splitlines() if l and not l.startswith("#")]
            s1, _, seg = fetch(f"http://127.0.0.1:{e.http_port}/live/{uris[-1]}")
            s2, _, part = fetch(f"http://127.0.0.1:{e.http_port}/live/{uris[-1]}", {"Range": "bytes=188-375"})
            codes.append((st, s1, s2, seg[:1] == b"\x47" and part == seg[188:376]))
        check(all(x == (200, 200, 206, True) for x in codes), f"HLS playlist, segment and Range work on every connection ({codes})")
        r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", e.hls("room")])
        check(r.returncode == 0 and "h264" in r.stdout, f"ffprobe plays the edge's HLS ({r.stdout.strip()!r})")

        # SIGTERM: draining at once, viewers ended cleanly, exit within the drain timeout.
        e.proc.send_signal(signal.SIGTERM)
        t0 = time.time()
        time.sleep(0.3)
        code, h = get_json(f"http://127.0.0.1:{e.admin_port}/healthz")
        check(code == 503 and h["status"] == "draining", f"/healthz says draining at once ({code})")
        pump_all(viewers, 5)
        e.proc.wait(timeout=10)
        dt = time.time() - t0
        check(e.proc.returncode == 0 and dt < 6, f"edge exits 0 within the 3 s drain timeout (+margin) ({e.proc.returncode}, {dt:.1f}s)")
        clean = sum(1 for v in viewers if v.flv.buf == b"" and v.chunk_buf in (b"", b"0\r\n\r\n"))
        check(clean == len(viewers), f"no viewer got a truncated FLV tag ({clean}/{len(viewers)})")
        logs = e.logs()
        check("stopped" in logs and "ERROR" not in logs, "clean shutdown, no errors logged")
    except BaseException:
        print("edge alive:", e.alive(), "rc:", e.proc.poll(), "\n--- edge log (tail) ---\n" + e.logs()[-4000:], flush=True)
        raise
    finally:
        for p in rtmps + pubs:
            stop(p)
        for v in viewers:
            v.close()
        e.close()
        c.close()


if __name__ == "__main__":
    main()
