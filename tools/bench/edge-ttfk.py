#!/usr/bin/env python3
"""Time to first key frame through a cache-edge, cold and warm (issue 11).

One central and one edge on loopback (the integration harness's classes, so the same configs the
tests use). For each of N streams, ffmpeg publishes a 320x240 H.264/AAC stream (GOP 1 s) to central;
once central plays it, cdn-loadgen sends one viewer to the edge: the edge has never pulled that
stream, so its first viewer waits for the upstream pull (cold). Right after, 20 more viewers join
the same stream on the same edge (warm: GOP cache, shared pull). Prints p50/p90/max per protocol
(RTMP and HTTP-FLV), measured by cdn-loadgen from connect() to the first complete key frame.
Every process started here is stopped on exit; bounded in count and time.
  tools/bench/edge-ttfk.py [streams-per-protocol=5] [bin-dir=build/bin]
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
if len(sys.argv) > 2:
    os.environ["LIVECDN_BIN"] = os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from livecdn import BIN, Central, Edge, HttpFlvViewer, publish, stop, wait_until  # noqa: E402

LOADGEN = os.path.join(BIN, "cdn-loadgen")
if not 1 <= N <= 20:
    sys.exit("streams-per-protocol must be 1..20")


def loadgen(mode, url, n):
    p = subprocess.run([LOADGEN, mode, url, "-n", str(n), "--ramp", "1000", "--duration", "3", "--timeout", "5000",
                        "--json"], capture_output=True, text=True, timeout=30)
    r = json.loads(p.stdout)
    if r["failed"]:
        raise SystemExit(f"{mode} {url}: {r['failures']}")
    return r["first_keyframe_ms"]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    c = Central()
    e = Edge([c])
    pubs = []
    results = {}
    try:
        for proto, mode in (("RTMP", "--rtmp-play"), ("HTTP-FLV", "--flv-play")):
            cold, warm = [], []
            for i in range(N):
                name = f"ttfk-{proto.lower().replace('-', '')}-{i}"
                pubs.append(publish(c.rtmp(name), seconds=30, gop=25))
                probe = HttpFlvViewer(c.http_port, f"/live/{name}.flv?vhost=pull.test")
                wait_until(lambda: probe.pump(0.2).first_video_at is not None, 15, what=f"{name} plays on central")
                probe.close()
                url = e.rtmp(name, vhost="pull.test") if mode == "--rtmp-play" else e.flv(name)
                cold.append(loadgen(mode, url, 1)["p50"])
                w = loadgen(mode, url, 20)
                warm.append(w["p50"])
                stop(pubs.pop())
            results[proto] = (cold, warm)
            print(f"{proto:8s} cold edge (first viewer, upstream pull started): p50 {pct(cold, 0.5):.1f} ms, "
                  f"p90 {pct(cold, 0.9):.1f} ms, max {max(cold):.1f} ms over {N} streams", flush=True)
            print(f"{proto:8s} warm edge (20 viewers joining a pulled stream):   p50 {pct(warm, 0.5):.1f} ms "
                  f"(median of the per-run p50s), max {max(warm):.1f} ms", flush=True)
    finally:
        for p in pubs:
            stop(p)
        e.close()
        c.close()


if __name__ == "__main__":
    main()
