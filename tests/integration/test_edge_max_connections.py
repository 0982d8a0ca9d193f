"""Issues 4 and 10: `max_connections` is the node's cap, also with `workers: 2`. RTMP connections and
HTTP-FLV viewers take slots from one budget the event loops share, so the cap holds however the
kernel spreads connections over the loops (SO_REUSEPORT). Past the cap a new RTMP connection is
closed at once and an HTTP-FLV request gets 503, both counted and logged, while the viewers
already playing keep their 25 fps; a freed slot admits a new viewer at once."""
import socket
import time

from livecdn import Central, Edge, HttpFlvViewer, check, metric_sum, publish, stop, wait_until

CAP = 24
VIEWERS = 4
IDLE = CAP - VIEWERS
EXTRA = 10


def fps(viewers, seconds):
    before = [len(v.flv.video_frames()) for v in viewers]
    t0 = time.time()
    for v in viewers:
        v.pump(seconds / len(viewers))
    # a second round so that each viewer is read over the whole window
    for v in viewers:
        v.pump(0.05)
    dt = time.time() - t0
    return min((len(v.flv.video_frames()) - b) / dt for v, b in zip(viewers, before))


def refused_at_once(port, timeout=3.0):
    """Connects; True when the server closes the connection without answering (a FIN, or a reset
    when the closed socket had our unread byte)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"\x03")  # the start of an RTMP handshake
        return s.recv(16) == b""
    except ConnectionError:
        return True
    except socket.timeout:
        return False
    finally:
        s.close()


def main():
    c = Central()
    e = Edge([c], name="edge-cap", extra_yaml=f"workers: 2\nmax_connections: {CAP}\n")
    pub = publish(c.rtmp("room"), seconds=60, gop=25)
    idle = []
    viewers = []
    try:
        viewers = [HttpFlvViewer(e.http_port, "/live/room.flv") for _ in range(VIEWERS)]
        for v in viewers:
            v.pump(0.5)
        wait_until(lambda: all(v.status == 200 for v in viewers), 15, what="viewers answered")
        for v in viewers:
            v.pump(1.0)
        check(all(v.flv.video_frames() for v in viewers), f"{VIEWERS} HTTP-FLV viewers play through the edge")

        idle = [socket.create_connection(("127.0.0.1", e.rtmp_port), timeout=5) for _ in range(IDLE)]

        def conns():
            return metric_sum(e.metrics(), "livecdn_connections")

        wait_until(lambda: conns() == CAP, 5, what=f"{CAP} connections open")
        m = e.metrics()
        per_worker = {w: metric_sum(m, "livecdn_worker_connections", worker=str(w)) for w in (0, 1)}
        print(f"measure: connections per event loop at the cap: {per_worker}", flush=True)

        rej0 = metric_sum(m, "livecdn_auth_rejections_total", reason="max_connections")
        refused = sum(refused_at_once(e.rtmp_port) for _ in range(EXTRA))
        check(refused == EXTRA, f"{refused} of {EXTRA} RTMP connections past max_connections {CAP} closed at once "
              f"(both event loops share the cap)")
        late = HttpFlvViewer(e.http_port, "/live/room.flv")
        late.pump(2)
        check(late.status == 503, f"an HTTP-FLV viewer past the cap gets 503 (got {late.status})")
        late.close()
        def rejected():  # workers report their counters every tick
            return metric_sum(e.metrics(), "livecdn_auth_rejections_total", reason="max_connections") - rej0

        try:
            wait_until(lambda: rejected() >= EXTRA + 1, 3, what="rejections reported")
        except AssertionError:
            pass
        rej = rejected()
        check(rej == EXTRA + 1, f"livecdn_auth_rejections_total{{reason=\"max_connections\"}} counted {rej:.0f}")
        check(conns() == CAP, f"the node never holds more than {CAP} connections ({conns():.0f})")
        check("refused, max_connections 24 reached" in e.logs(), "each refusal is logged")

        r = fps(viewers, 3)
        check(r >= 22, f"the viewers already playing keep ~25 fps at the cap (min {r:.1f})")

        # A freed slot admits a new viewer at once.
        for s in idle[:5]:
            s.close()
        idle = idle[5:]
        wait_until(lambda: conns() <= CAP - 5, 5, what="freed slots")
        again = HttpFlvViewer(e.http_port, "/live/room.flv")
        again.pump(2)
        check(again.status == 200 and again.flv.video_frames(), f"a viewer after slots are freed plays "
              f"(status {again.status})")
        again.close()
        check(e.alive() and c.alive(), "edge and central are up")
    finally:
        for s in idle:
            s.close()
        for v in viewers:
            v.close()
        stop(pub)
        e.close()
        c.close()


if __name__ == "__main__":
    main()
