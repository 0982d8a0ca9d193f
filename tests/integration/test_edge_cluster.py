"""Issue 4, done-when 1 and 2: ffmpeg publishes to edge A (relayed to central); ffprobe plays
it from edge B over RTMP and HTTP-FLV with zero decode errors; 100 viewers on edge B make
exactly one upstream connection to central for that stream. Measures time to first frame on a
cold edge (upstream not yet pulled) and a warm one."""
import selectors
import time

from livecdn import (Central, Edge, HttpFlvViewer, check, ffprobe_streams, get_json, publish, run, stop, wait_until)


def central_viewers(c, name="room"):
    _, j = get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/streams")
    for s in j["streams"]:
        if s["stream"] == name:
            return s["viewers"], s["publishing"]
    return 0, False


def main():
    c = Central()
    # Edge A names central by hostname: resolved with c-ares on the edge's loop.
    a = Edge([c], name="edge-a", origin_host="localhost")
    b = Edge([c], name="edge-b")
    pub = None
    try:
        pub = publish(a.rtmp("room"), seconds=60, size="640x360", gop=50)
        wait_until(lambda: "relaying to" in a.logs(), 10, what="edge A relays upstream")
        wait_until(lambda: central_viewers(c)[1], 10, what="central sees the relayed stream")
        check(True, "publish on edge A is relayed to central")
        check("resolve localhost: 127.0.0.1" in a.logs(), "edge A resolved central's hostname with c-ares")
        # Cold edge B: first viewer triggers the pull.
        v = HttpFlvViewer(b.http_port, "/live/room.flv").pump(4)
        check(v.status == 200, "edge B serves HTTP-FLV")
        cold = v.first_video_at - v.started
        print(f"measure: time to first frame on a cold edge (pull starts): {cold * 1000:.0f} ms", flush=True)
        v2 = HttpFlvViewer(b.http_port, "/live/room.flv").pump(2)
        warm = v2.first_video_at - v2.started
        print(f"measure: time to first frame on a warm edge: {warm * 1000:.1f} ms", flush=True)
        check(v2.flv.video_frames()[0][2], "warm viewer starts on a key frame")
        v.close()
        v2.close()
        for url in (b.rtmp("room", vhost="pull.test"), b.flv("room")):
            rc, out, err = ffprobe_streams(url)
            check(rc == 0 and "codec_name=h264|width=640|height=360" in out and "aac" in out, f"ffprobe via edge B: {url}")
            r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", url, "-t", "4", "-f", "null", "-"], timeout=30)
            check(r.returncode == 0 and r.stderr.strip() == "", f"zero decode errors via edge B ({r.stderr.strip()[:200]!r})")

        # Added latency of the edge hop: the same frames seen by a viewer on central and one on
        # edge B, arrival times compared per timestamp (read in one loop, both warm).
        vc = HttpFlvViewer(c.http_port, "/live/room.flv")
        ve = HttpFlvViewer(b.http_port, "/live/room.flv")
        arrivals = {"c": {}, "e": {}}
        vc.pump(0.5)
        ve.pump(0.5)
        vc.sock.setblocking(False)
        ve.sock.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(vc.sock, selectors.EVENT_READ, ("c", vc))
        sel.register(ve.sock, selectors.EVENT_READ, ("e", ve))
        t_end = time.time() + 4
        while time.time() < t_end:
            for key, _ in sel.select(timeout=0.1):
                tag, v = key.data
                now = time.time()
                n = len(v.flv.tags)
                try:
                    d = v.sock.recv(65536)
                except BlockingIOError:
                    continue
                v.chunk_buf += d
                v._dechunk()
                for t in v.flv.tags[n:]:
                    if t[0] == 9 and not t[3]:
                        arrivals[tag].setdefault(t[1], now)
        sel.close()
        common = sorted(set(arrivals["c"]) & set(arrivals["e"]))[25:]  # skip the GOP burst at join
        deltas = sorted((arrivals["e"][ts] - arrivals["c"][ts]) * 1000 for ts in common)
        if deltas:
            print(f"measure: edge hop adds {deltas[len(deltas) // 2]:.2f} ms median, {deltas[int(len(deltas) * 0.9)]:.2f} ms p90 "
                  f"({len(deltas)} frames, central viewer vs edge viewer)", flush=True)
        check(len(deltas) > 50, "edge and central viewers see the same frames")
        vc.close()
        ve.close()

        # 100 viewers on edge B: exactly one upstream connection to central for the stream.
        viewers = [HttpFlvViewer(b.http_port, "/live/room.flv") for _ in range(100)]
        for v in viewers:
            v.pump(0.02)
        t_end = time.time() + 4
        while time.time() < t_end:
            for v in viewers:
                v.pump(0.005)
        ok = sum(1 for v in viewers if v.status == 200 and len(v.flv.video_frames()) > 10)
        check(ok == 100, f"100 viewers on edge B play ({ok})")
        n, _ = central_viewers(c)
        check(n == 1, f"central sees exactly one viewer (edge B's pull) for the stream ({n})")
        _, hb = get_json(f"http://127.0.0.1:{b.admin_port}/healthz")
        check(hb["connections"] >= 100 and hb["status"] == "ok", f"edge B /healthz counts its viewers ({hb['connections']})")
        for v in viewers:
            v.close()
        check(a.alive() and b.alive() and c.alive(), "all nodes alive")
    finally:
        if pub:
            stop(pub)
        b.close()
        a.close()
        c.close()


if __name__ == "__main__":
    main()
