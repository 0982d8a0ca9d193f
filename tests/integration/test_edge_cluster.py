"""Issue 4, done-when 1 and 2: ffmpeg publishes to edge A (relayed to central); ffprobe plays
it from edge B over RTMP and HTTP-FLV with zero decode errors; 100 viewers on edge B make
exactly one upstream connection to central for that stream. Measures time to first frame on a
cold edge (upstream not yet pulled) and a warm one. Also: a stream that exists nowhere, asked of
an edge, is 404 (HTTP-FLV) / NetStream.Play.StreamNotFound (RTMP) after the edge's `play.wait`,
never a hang; the edge's /healthz while viewers play (connections by protocol, egress, streams,
configured capacity, not draining)."""
import selectors
import socket
import subprocess
import time

from livecdn import (Central, Edge, HttpFlvViewer, amf_num, amf_obj, amf_str, check, chunk, ffprobe_streams, get_json,
                     publish, rtmp_handshake, run, spawn, stop, wait_until)

EDGE_WAIT_S = 3  # edge B's play.wait
EDGE_CAPACITY_BPS = 3_000_000_000  # edge B's capacity: 3Gbps


def rtmp_play_status(port, name, vhost="pull.test", timeout=10.0):
    """Plays `name` with a raw RTMP client (connect, createStream, play) and reads until the
    server's answer: ("StreamNotFound" | "Play.Start" | "closed" | "timeout", seconds)."""
    t0 = time.time()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        rtmp_handshake(sock)
        tc_url = f"rtmp://127.0.0.1/live?vhost={vhost}"
        sock.sendall(chunk(3, 20, amf_str("connect") + amf_num(1) + amf_obj({"app": "live", "tcUrl": tc_url}))
                     + chunk(3, 20, amf_str("createStream") + amf_num(2) + b"\x05")
                     + chunk(8, 20, amf_str("play") + amf_num(0) + b"\x05" + amf_str(name), sid=1))
        sock.settimeout(0.2)
        got = b""
        while time.time() - t0 < timeout:
            # The server's chunk size is raised before its status messages, so the code is whole.
            if b"NetStream.Play.StreamNotFound" in got:
                return "StreamNotFound", time.time() - t0
            if b"NetStream.Play.Start" in got:
                return "Play.Start", time.time() - t0
            try:
                d = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                d = b""
            if not d:
                return "closed", time.time() - t0
            got += d
        return "timeout", time.time() - t0
    finally:
        sock.close()


def central_viewers(c, name="room"):
    """(viewers, publishing, relays: edges pulling it) of a stream on central."""
    _, j = get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/streams")
    for s in j["streams"]:
        if s["stream"] == name:
            return s["viewers"], s["publishing"], s["relays"]
    return 0, False, 0


def main():
    c = Central()
    # Edge A names central by hostname: resolved with c-ares on the edge's loop.
    a = Edge([c], name="edge-a", origin_host="localhost")
    b = Edge([c], name="edge-b", extra_yaml=f"play: {{wait: {EDGE_WAIT_S}s}}\ncapacity: 3Gbps\n")
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
        n, _, pulls = central_viewers(c)
        check(pulls == 1 and n == 0, f"central sees exactly one upstream connection (edge B's pull, a relay, not a "
              f"viewer) for the stream ({pulls} relays, {n} viewers)")
        _, hb = get_json(f"http://127.0.0.1:{b.admin_port}/healthz")
        check(hb["connections"] >= 100 and hb["status"] == "ok", f"edge B /healthz counts its viewers ({hb['connections']})")
        for v in viewers:
            v.close()

        # /healthz on edge B while an HTTP-FLV and an RTMP viewer play.
        fv = HttpFlvViewer(b.http_port, "/live/room.flv").pump(1)
        rv = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-i", b.rtmp("room", vhost="pull.test"), "-t", "20",
                    "-f", "null", "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def healthy():
                fv.pump(0.1)
                code, h = get_json(f"http://127.0.0.1:{b.admin_port}/healthz")
                by = h.get("connections_by_protocol", {})
                return code == 200 and by.get("rtmp", 0) >= 1 and by.get("flv", 0) >= 1 and h.get("egress_bps", 0) > 0
            wait_until(healthy, 10, what="edge B /healthz sees an RTMP and an HTTP-FLV viewer and egress")
            code, h = get_json(f"http://127.0.0.1:{b.admin_port}/healthz")
            print(f"measure: edge B /healthz with viewers: {h}", flush=True)
            by = h["connections_by_protocol"]
            check(code == 200 and set(by) >= {"rtmp", "flv"} and by["rtmp"] >= 1 and by["flv"] >= 1,
                  f"/healthz: connections by protocol ({by})")
            check(h["connections"] == by["rtmp"] + by["flv"], "/healthz: connections = rtmp + flv")
            check(h["egress_bps"] > 0, f"/healthz: egress bits/s > 0 ({h['egress_bps']})")
            check(h["streams"] >= 1, f"/healthz: streams >= 1 ({h['streams']})")
            check(h["capacity_bps"] == EDGE_CAPACITY_BPS, f"/healthz: configured capacity ({h['capacity_bps']})")
            # Draining is the status (and a 503); not draining: "ok" and 200.
            check(h["status"] == "ok", f"/healthz: not draining (status {h['status']!r})")
        finally:
            stop(rv)
            fv.close()

        # A stream that exists nowhere, asked of an edge: 404 / StreamNotFound after the edge's
        # play.wait (the edge's pull to central finds nothing), never a hang.
        limit = EDGE_WAIT_S + 3
        t0 = time.time()
        v = HttpFlvViewer(b.http_port, "/live/nowhere.flv")
        while v.status is None and not v.closed and time.time() - t0 < limit + 2:
            v.pump(0.05)
        dt = time.time() - t0
        print(f"measure: HTTP-FLV of a stream that exists nowhere, via an edge: {v.status} after {dt:.2f} s", flush=True)
        check(v.status == 404, f"edge answers 404 for a stream that exists nowhere (got {v.status})")
        check(dt < limit, f"404 within play.wait {EDGE_WAIT_S} s + margin ({dt:.1f}s)")
        v.close()
        what, dt = rtmp_play_status(b.rtmp_port, "nowhere2", timeout=limit + 2)
        print(f"measure: RTMP play of a stream that exists nowhere, via an edge: {what} after {dt:.2f} s", flush=True)
        check(what == "StreamNotFound", f"edge answers NetStream.Play.StreamNotFound (got {what})")
        check(dt < limit, f"StreamNotFound within play.wait {EDGE_WAIT_S} s + margin ({dt:.1f}s)")
        check(a.alive() and b.alive() and c.alive(), "all nodes alive")
    finally:
        if pub:
            stop(pub)
        b.close()
        a.close()
        c.close()


if __name__ == "__main__":
    main()
