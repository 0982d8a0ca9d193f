"""A small live topology for the observability tests (stdlib only): central, edges on
127.0.1.x / 127.0.2.x, a dns-scheduler that probes the edges' real /healthz, ffmpeg publishers
and curl viewers (real clients that keep reading), and dig queries from per-region sources.
Everything started is stopped by close() (and by livecdn's atexit hook)."""
import os
import subprocess
import time
import urllib.request

from livecdn import Central, Edge, free_port, publish, spawn, stop, wait_until
from dns_harness import Scheduler, dig


def fetch(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class Topology:
    def __init__(self, central_yaml="", edges=(("edge-north-1", "north", "127.0.1.10"),
                                               ("edge-south-1", "south", "127.0.2.10")),
                 scheduler=True):
        self.procs = []
        self.central = Central(extra_yaml=central_yaml)
        self.edges = []
        for name, region, host in edges:
            e = Edge([self.central], name=name, host=host)
            e.region = region
            self.edges.append(e)
        self.sched = None
        if scheduler:
            edge_lines = "\n".join(
                f"  - {{id: {n}, address: {e.host}, region: {r}, "
                f"lat: {lat}, lon: {lon}, capacity: 10Gbps, health: http://{e.host}:{e.admin_port}/healthz}}"
                for e, (n, r, _), (lat, lon) in zip(self.edges, edges, [(39.9, 116.4), (22.5, 114.1)] * 8))
            # An explicit port that TCP can bind too (port 0 picks a UDP port whose TCP twin may be
            # in TIME-WAIT on a busy machine).
            cfg = f"""node_id: dns-obs
listen: [127.0.0.1:{free_port()}]
admin: {{listen: 127.0.0.1:0}}
zone: livecdn.test
answers: 1
regions:
  - {{cidr: 127.0.1.0/24, region: north}}
  - {{cidr: 127.0.2.0/24, region: south}}
default_region: north
edges:
{edge_lines}
health: {{interval: 500ms, fall: 2, rise: 1}}
domains: [pull.test, push.test]
"""
            self.sched = Scheduler(cfg).start()

    # ---- traffic -------------------------------------------------------------------------------
    def publish(self, stream, seconds=60, **kw):
        p = publish(self.central.rtmp(stream), seconds=seconds, **kw)
        self.procs.append(p)
        return p

    def viewer(self, url):
        """curl reading an HTTP-FLV stream until stopped."""
        p = spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "120", url],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def wait_live(self, stream, timeout=15):
        import json
        def live():
            try:
                j = json.loads(fetch(f"http://127.0.0.1:{self.central.admin_port}/api/v1/streams"))
            except OSError:
                return False
            return any(s["stream"] == stream and s["publishing"] for s in j["streams"])
        wait_until(live, timeout=timeout, step=0.2, what=f"stream {stream} live on central")

    def dig(self, source, n=1, name="pull.test.livecdn.test"):
        out = []
        for _ in range(n):
            out.append(dig(self.sched.port, name, source=source))
        return out

    # ---- scrape targets ------------------------------------------------------------------------
    def targets(self):
        """[(job, instance label, host:port)] of every admin listener."""
        t = [("central", "central", f"127.0.0.1:{self.central.admin_port}")]
        for e, name in zip(self.edges, ("edge-north-1", "edge-south-1", "edge-3", "edge-4")):
            t.append(("edge", name, f"{e.host}:{e.admin_port}"))
        if self.sched:
            t.append(("dns", "dns-1", f"127.0.0.1:{self.sched.admin_port}"))
        return t

    def close(self):
        for p in self.procs:
            stop(p)
        for e in self.edges:
            e.close()
        if self.sched:
            self.sched.cleanup()
        self.central.close()
