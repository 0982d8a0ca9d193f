"""Issue 8: HLS viewers are viewers. HLS has no connection per viewer, so a viewer is a session
(client IP + player + the URL's query) that ends after `play.hls_session_timeout` of quiet. An edge
with `workers: 2` and central both count them in livecdn_viewers and /api/v1/streams (also for a
stream the edge only serves over HLS), and each ended session posts a signed play_stop webhook
(protocol "hls") with the bytes the viewer got and how long it watched, for billing. An edge's cache
fills are no viewers of central."""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

from livecdn import Central, Edge, check, get_json, metric_sum, publish, stop, wait_until
from test_webhooks import Receiver, hooks_yaml

N_EDGE = 3
WATCH = 7.0


def fetch(url, ua):
    req = urllib.request.Request(url, headers={"User-Agent": ua})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Player(threading.Thread):
    """Polls a live playlist like a player (every second) and fetches each new segment once."""

    def __init__(self, url, ua, base):
        super().__init__(daemon=True)
        self.url, self.ua, self.base = url, ua, base
        self.bytes = 0
        self.segments = 0
        self.errors = []
        self.stop_at = time.time() + WATCH

    def run(self):
        got = set()
        while time.time() < self.stop_at:
            st, body = fetch(self.url, self.ua)
            if st != 200:
                self.errors.append(f"playlist {st}")
                time.sleep(0.5)
                continue
            self.bytes += len(body)
            for u in [l for l in body.decode().splitlines() if l and not l.startswith("#")][-2:]:
                if u in got:
                    continue
                st, data = fetch(self.base + u, self.ua)
                if st != 200:
                    self.errors.append(f"segment {st}")
                    continue
                self.bytes += len(data)
                self.segments += 1
                got.add(u)
            time.sleep(1.0)


def main():
    rec = Receiver()
    hooks = hooks_yaml([f"http://127.0.0.1:{rec.port}/hls"], ", events: [play_stop]")
    c = Central(extra_yaml="play: {hls_session_timeout: 2s}\nhls: {fragment: 1s}\n" + hooks)
    e = Edge([c], name="edge-hlsv", extra_yaml="workers: 2\nplay: {hls_session_timeout: 2s}\n" + hooks)
    pub = None
    try:
        pub = publish(c.rtmp("hv"), seconds=60, size="320x240", gop=25)
        wait_until(lambda: fetch(e.hls("hv"), "probe")[0] == 200, 20, step=0.5, what="edge playlist")
        def edge_stops():
            return [x for x in rec.of("play_stop") if x[0]["node_id"] == "edge-hlsv" and x[0]["protocol"] == "hls"]

        # The probe was a viewer too: its session ends after the quiet spell, with its play_stop.
        wait_until(lambda: len(edge_stops()) == 1, 6, step=0.25, what="the probe's play_stop")
        n0 = len(edge_stops())
        players = [Player(e.hls("hv") + f"&uid={i}", f"player-{i}", f"http://127.0.0.1:{e.http_port}/live/")
                   for i in range(N_EDGE)]
        direct = Player(f"http://127.0.0.1:{c.http_port}/live/hv.m3u8?vhost=pull.test", "direct-player",
                        f"http://127.0.0.1:{c.http_port}/live/")
        for p in players + [direct]:
            p.start()
        time.sleep(3)

        def edge_view():
            _, j = get_json(f"http://127.0.0.1:{e.admin_port}/api/v1/streams")
            api = [s for s in j["streams"] if s["stream"] == "hv"]
            return metric_sum(e.metrics(), "livecdn_viewers", stream="hv"), api[0]["viewers"] if api else None

        got = edge_view()
        check(got == (N_EDGE, N_EDGE), f"the edge counts its {N_EDGE} HLS viewers of a stream it only serves over "
              f"HLS, in livecdn_viewers and /api/v1/streams ({got})")
        check(metric_sum(e.metrics(), "livecdn_hls_viewers") == N_EDGE, "livecdn_hls_viewers on the edge")
        # Central: the direct viewer; the edge's cache fills name the edge (User-Agent) and are not
        # viewers, as an edge's RTMP pull is a relay.
        cv = metric_sum(c.metrics(), "livecdn_viewers", stream="hv")
        check(cv == 1, f"central counts its direct HLS viewer only, not the edge's cache fills ({cv:.0f})")
        for p in players + [direct]:
            p.join(timeout=WATCH + 10)
        check(not any(p.errors for p in players + [direct]), f"no player error {[p.errors[:2] for p in players]}")
        check(all(p.segments >= 3 for p in players), f"every player fetched segments {[p.segments for p in players]}")

        # Quiet for hls_session_timeout: the sessions end, play_stop per viewer.
        wait_until(lambda: edge_view()[0] == 0, 6, step=0.25, what="edge HLS viewers gone")
        check(True, "the edge's HLS viewers end after the session timeout")
        wait_until(lambda: len(edge_stops()) >= n0 + N_EDGE, 5, what="play_stop from the edge")
        evs = edge_stops()[n0:]
        check(len(evs) == N_EDGE and all(x[3] for x in evs), f"{len(evs)} signed play_stop (hls) from the edge")
        by_client = sorted(x[0]["bytes_sent"] for x in evs)
        want = sorted(p.bytes for p in players)
        check(by_client == want, f"each play_stop carries the bytes its player got: {by_client} vs {want}")
        durations = [x[0]["duration_ms"] for x in evs]
        check(all(WATCH * 1000 - 2500 <= d <= WATCH * 1000 + 1000 for d in durations),
              f"durations run from the first to the last request ({durations} ms, watched ~{WATCH:.0f} s)")
        check(all(x[0]["domain"] == "pull.test" and x[0]["stream_domain"] == "push.test" and x[0]["stream"] == "hv"
                  for x in evs), "play_stop names the viewer's domain and the stream")
        wait_until(lambda: any(x[0]["node_id"] == "central-test" and x[0]["protocol"] == "hls" and
                               x[0]["bytes_sent"] == direct.bytes for x in rec.of("play_stop")), 5,
                   what="central's play_stop for its direct HLS viewer")
        check(True, f"central posts play_stop for its direct HLS viewer ({direct.bytes} bytes)")
        check(e.alive() and c.alive(), "edge and central alive")
    finally:
        if pub:
            stop(pub)
        e.close()
        c.close()
        rec.close()


if __name__ == "__main__":
    main()
