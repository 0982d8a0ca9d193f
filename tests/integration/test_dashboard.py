"""Issue 8, done-when 2: headless Chromium (Debian chromium via playwright-core) opens central's
built-in /dashboard while ffmpeg publishes, curl viewers watch on central and HTTP-FLV viewers
watch through a real cache-edge: the stream is listed with its CDN-wide viewers (the edge's
viewers, summed by central from the edge's /api/v1/streams, plus central's direct viewers: its
own count less the edge's pull) and ingest bitrate, the edge table shows healthy edges and a dead one, the DNS table
counts dig queries per region (read by central from the scheduler), uPlot charts are drawn, and
the hls.js preview plays (video.currentTime advances). A screenshot is kept in
<build>/test-artifacts/. Then the page must still load, without charts, when the npm assets are
missing. Skipped without chromium/node/playwright-core (tools/deps installs them); in CI, a failure."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request

from livecdn import BIN, Central, Edge, HttpFlvViewer, check, free_port, get_json, publish, spawn, stop, wait_until
from dns_harness import FakeEdge, Scheduler, dig
from test_browser_hls import BROWSER_DIR, CHROMIUM, kill_leftover_chromium, missing_deps

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(BIN)), "test-artifacts")
ADVANCE_S = 3
EDGE_VIEWERS = 3


def browse(url, stream, name, seconds, timeout=45):
    """Runs browser/dashboard.js; returns (rc, [json lines], screenshot path)."""
    tmp = tempfile.mkdtemp(prefix="livecdn-dash-")
    profile = os.path.join(tmp, "profile")
    os.mkdir(profile)
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, name + ".png")
    log = os.path.join(tmp, "out.jsonl")
    driver = None
    try:
        with open(log, "w") as out:
            driver = spawn(["node", os.path.join(BROWSER_DIR, "dashboard.js"), url, stream, shot, profile,
                            str(seconds), str(timeout), CHROMIUM], stdout=out, stderr=subprocess.STDOUT, cwd=BROWSER_DIR)
            try:
                rc = driver.wait(timeout=timeout + 25)
            except subprocess.TimeoutExpired:
                rc = stop(driver)
        lines = []
        with open(log) as f:
            for raw in f:
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    print("dashboard.js:", raw.rstrip())
        return rc, lines, shot
    finally:
        if driver:
            stop(driver)
        kill_leftover_chromium(profile)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    missing = missing_deps()
    if missing:
        if os.environ.get("CI") == "true":
            print("FAIL: missing " + "; ".join(missing) + " (tools/deps installs them)")
            sys.exit(1)
        print("SKIP: missing " + "; ".join(missing))
        sys.exit(0)
    north = FakeEdge("127.0.1.10", "edge-north-1")
    dead_edge = f"http://127.0.2.10:{free_port('127.0.2.10')}"  # nothing listens: shown as down
    sched = Scheduler(f"""node_id: dns-dash
listen: [127.0.0.1:{free_port()}]
admin: {{listen: 127.0.0.1:0}}
zone: livecdn.test
regions:
  - {{cidr: 127.0.1.0/24, region: north}}
  - {{cidr: 127.0.2.0/24, region: south}}
edges:
  - {{id: edge-north-1, address: 127.0.1.10, region: north, lat: 39.9, lon: 116.4, health: {north.url}}}
  - {{id: edge-south-1, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1, health: {dead_edge}/healthz}}
health: {{interval: 500ms, fall: 2, rise: 1}}
domains: [pull.test]
""").start()
    dash = f"dashboard: {{edges: [http://127.0.1.10:{north.port}, {dead_edge}], scheduler: http://127.0.0.1:{sched.admin_port}, poll: 500ms}}"
    c = Central(extra_yaml=dash)
    # A real edge pulling from c; c's dashboard learns its admin URL by a restart (the edge's
    # ports are known only once it exists, and it needs c's).
    edge = Edge([c], name="edge-dash-1")
    with open(c.config) as f:
        conf = f.read()
    with open(c.config, "w") as f:
        f.write(conf.replace(f"{dead_edge}]", f"{dead_edge}, http://127.0.0.1:{edge.admin_port}]"))
    c.restart()
    bare = Central(extra_yaml="dashboard: {assets: /nonexistent/livecdn-assets}", domains_yaml="""
domains:
  - {name: push.test, type: push}
  - {name: pull.test, type: pull, source: push.test}
  - {name: sec.test, type: push, auth: {type: A, key: sec-key, required: true}}
""")
    procs = []
    viewers = []
    reading = threading.Event()

    def read_viewers():  # keeps the edge's viewers drained (no slow-viewer kicks while the browser runs)
        while not reading.is_set():
            for v in list(viewers):
                v.pump(0.05)

    reader = threading.Thread(target=read_viewers, daemon=True)
    try:
        procs.append(publish(c.rtmp("dash1"), seconds=90, size="320x240", gop=25))
        procs.append(publish(bare.rtmp("dash2"), seconds=90, size="160x120", rate=15, gop=15))
        for cc, s in ((c, "dash1"), (bare, "dash2")):
            wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{cc.admin_port}/api/v1/streams").read().find(
                f'"stream": "{s}", "publishing": true'.encode()) >= 0, timeout=15, step=0.2, what=f"{s} live")
        for _ in range(2):
            procs.append(spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "90", c.flv("dash1")]))
        procs.append(spawn(["curl", "-s", "-o", "/dev/null", "--max-time", "90", bare.flv("dash2")]))
        for _ in range(EDGE_VIEWERS):
            viewers.append(HttpFlvViewer(edge.http_port, "/live/dash1.flv?vhost=pull.test"))
        reader.start()
        wait_until(lambda: all(v.first_video_at for v in viewers), timeout=15, step=0.2, what="edge viewers get video")
        # The JSON API: the edge's viewers summed per stream, and the edge counted as pulling it.
        cluster_url = f"http://127.0.0.1:{c.admin_port}/dashboard/api/cluster"

        def dash1_on_edges():
            for st in get_json(cluster_url)[1].get("streams", []):
                if (st["vhost"], st["app"], st["stream"]) == ("push.test", "live", "dash1"):
                    return st
            return None

        # Central polls the edges: a poll taken while the edge's viewers waited for its pull shows
        # them without the pull, the next one with it.
        try:
            wait_until(lambda: (lambda st: st.get("edge_viewers") == EDGE_VIEWERS and st.get("edges_pulling") == 1)(
                dash1_on_edges() or {}), timeout=10, step=0.2, what="cluster API sums the edge's viewers")
        except AssertionError:
            pass
        st = dash1_on_edges()
        check(st["edges_pulling"] == 1 and [e["edge"] for e in st["edges"]] == ["edge-dash-1"],
              f"cluster API: dash1 on edges: {st}; edge log: "
              + " | ".join(l[-160:] for l in edge.logs().splitlines() if " pull " in l or "WARN" in l)[-1500:])
        on_central = [s for s in get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/streams")[1]["streams"]
                      if s["stream"] == "dash1"][0]
        check(on_central["viewers"] == 2 and on_central["relays"] == 1,
              f"central counts its 2 direct viewers, and the edge's pull as a relay: {on_central}")
        for _ in range(3):
            dig(sched.port, "pull.test.livecdn.test", source="127.0.1.9")
        dig(sched.port, "pull.test.livecdn.test", source="127.0.2.9")

        rc, lines, shot = browse(f"http://127.0.0.1:{c.admin_port}/dashboard?preview=dash1", "dash1", "dashboard",
                                 ADVANCE_S)
        for l in lines:
            if "pageerror" in l or "console" in l:
                print("page:", l)
        states = [l for l in lines if "row" in l]
        last = states[-1] if states else {}
        print("last state:", json.dumps(last)[:800])
        print("currentTime each second:", [round(l["currentTime"], 2) for l in states])
        check(lines and lines[0].get("status") == 200, "GET /dashboard: 200")
        row = last.get("row") or {}
        # Central direct: the 2 curl viewers (3 where central counts the page's own HLS preview).
        direct = row.get("centralViewers")
        cdn = EDGE_VIEWERS + (direct if direct in (2, 3) else 2)
        check(row.get("viewers") == cdn and row.get("edgeViewers") == EDGE_VIEWERS and direct in (2, 3),
              f"dash1 listed with its CDN-wide viewers {cdn} = {EDGE_VIEWERS} on the edge + 2 on central "
              f"({row.get('viewers')} = {row.get('edgeViewers')} + {direct}): {row.get('text')}")
        check(last.get("viewersKpi") == cdn, f"header: {cdn} viewers CDN-wide ({last.get('viewersKpi')})")
        check(all(not v.closed for v in viewers), "the edge's viewers stayed connected")
        check(row.get("bps", 0) > 50_000, f"dash1 listed with its ingest bitrate ({row.get('bps')} bit/s)")
        check(last.get("charts") and last.get("canvases", 0) >= 2, f"uPlot charts drawn ({last.get('canvases')} canvases)")
        edges = last.get("edges", [])
        check(any("edge-north-1" in e and " ok " in f" {e} " for e in edges) and any("down" in e for e in edges)
              and any("edge-dash-1" in e and " ok " in f" {e} " for e in edges),
              f"edge table: two healthy, one down: {edges}")
        # The south query falls over to north (the south edge is down): counted by the chosen region.
        check(last.get("regions", {}).get("north", 0) == 4,
              f"DNS decisions per region from the scheduler (3 north + 1 south failed over): {last.get('regions')}")
        check(rc == 0 and last.get("advanced", 0) >= ADVANCE_S,
              f"hls.js preview plays: currentTime advanced {last.get('advanced', 0):.1f}s ({last.get('preview')})")
        check(os.path.getsize(shot) > 10_000, f"screenshot saved: {shot}")

        try:
            urllib.request.urlopen(f"http://127.0.0.1:{bare.admin_port}/dashboard/assets/uPlot.iife.min.js", timeout=5)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        check(status == 404, "without bundled assets uPlot is a 404")
        rc, lines, shot = browse(f"http://127.0.0.1:{bare.admin_port}/dashboard", "dash2", "dashboard-no-assets", 0, 25)
        last = [l for l in lines if "row" in l][-1] if any("row" in l for l in lines) else {}
        check(rc == 0 and (last.get("row") or {}).get("viewers") == 1 and last.get("charts") is False,
              f"without npm assets the page still lists dash2 (no charts): {json.dumps(last)[:300]}")
        check(not any("pageerror" in l for l in lines), "no page errors without assets")
        # Signed previews: a domain that requires signed URLs needs the admin token, and the path
        # central returns carries a valid signature.
        api = f"http://127.0.0.1:{bare.admin_port}/dashboard/api/preview?stream=sec.test/live/room"
        try:
            urllib.request.urlopen(api, timeout=5)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        check(status == 401, f"preview of an auth-required domain without the token: {status}")
        req = urllib.request.Request(api, headers={"Authorization": "Bearer test-token"})
        path = json.load(urllib.request.urlopen(req, timeout=5))["path"]
        r = subprocess.run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{bare.admin_port}", "--token",
                            "test-token", "verify", f"http://127.0.0.1:{bare.http_port}{path}"],
                           capture_output=True, text=True, timeout=20)
        check(path.startswith("/live/room.m3u8?vhost=sec.test&auth_key=") and r.returncode == 0,
              f"the signed preview path verifies: {path} -> {r.stdout.strip()} {r.stderr.strip()}")
        check(c.alive() and bare.alive(), "centrals alive")
    finally:
        reading.set()
        if reader.is_alive():
            reader.join(timeout=5)
        for v in viewers:
            v.close()
        for p in procs:
            stop(p)
        edge.close()
        c.close()
        bare.close()
        sched.cleanup()
        north.close()
    print("PASS test_dashboard")


if __name__ == "__main__":
    main()
