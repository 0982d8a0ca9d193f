"""Issue 8, done-when 1 and 3: a real Prometheus (Debian `prometheus`, started here on a free port
with a temp config and TSDB, scraping every second) scrapes central, two edges and the
dns-scheduler while ffmpeg publishes, curl viewers watch through the edges and dig asks the
scheduler from the north and south source ranges. Its HTTP API must show a nonzero egress rate,
the right viewer count per stream and edge, and DNS query counts per region. Then the Grafana
dashboard (configs/grafana/livecdn.json) must parse, every metric it queries must be exported by
some service, and every panel expression must evaluate without error in this Prometheus. The
repo's scrape config (configs/prometheus.yml) must pass `promtool check config`."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from livecdn import SRC, check, free_port, spawn, stop, wait_until
from observability import Topology, fetch

DASHBOARD = os.path.join(SRC, "configs", "grafana", "livecdn.json")
PROM_CONFIG = os.path.join(SRC, "configs", "prometheus.yml")


def check_repo_config():
    """configs/prometheus.yml (the one users start Prometheus with) is a valid config."""
    r = subprocess.run(["promtool", "check", "config", PROM_CONFIG], capture_output=True, text=True, timeout=30)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and "SUCCESS" in out, f"promtool check config {PROM_CONFIG}: {out.splitlines()[-1].strip() if out else 'no output'}")


class Prometheus:
    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="livecdn-prom-")
        self.port = free_port()
        jobs = {}
        for job, inst, addr in targets:
            jobs.setdefault(job, []).append((inst, addr))
        lines = ["global: {scrape_interval: 1s, evaluation_interval: 1s}", "scrape_configs:"]
        for job, items in jobs.items():
            lines.append(f"  - job_name: {job}")
            lines.append("    static_configs:")
            for inst, addr in items:
                lines.append(f"      - targets: ['{addr}']")
                lines.append(f"        labels: {{node: {inst}}}")
        self.config = os.path.join(self.dir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = spawn(["prometheus", f"--config.file={self.config}", f"--storage.tsdb.path={self.dir}/tsdb",
                           f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                          stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self.ready, timeout=20, step=0.2, what="prometheus ready")

    def ready(self):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1).status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            return json.loads(e.read() or b"{}")

    def query(self, expr):
        """[(labels, value)] of an instant vector; raises on a query error."""
        j = self.api("query", query=expr)
        if j.get("status") != "success":
            raise AssertionError(f"query {expr!r} failed: {j}")
        return [(r["metric"], float(r["value"][1])) for r in j["data"]["result"]]

    def value(self, expr, **labels):
        for m, v in self.query(expr):
            if all(m.get(k) == w for k, w in labels.items()):
                return v
        return None

    def close(self):
        stop(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def metric_names(expr):
    """Metric names a PromQL expression selects (identifiers that are not functions, keywords,
    label names or durations)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # string literals
    expr = re.sub(r"\{[^}]*\}", "{}", expr)                      # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)                       # range / subquery selectors
    expr = re.sub(r"(?<![\w.])\d+(\.\d+)?([eE][-+]?\d+)?", "0", expr)  # numbers (1e-9)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        tail = expr[m.end():].lstrip()
        if tail.startswith("("):
            continue  # a function or aggregation
        if m.group(0) in ("by", "without", "on", "ignoring", "bool", "and", "or", "unless", "offset", "inf", "nan",
                          "group_left", "group_right"):
            continue
        names.add(m.group(0))
    return names


def exported(targets):
    names = set()
    for _, _, addr in targets:
        for line in fetch(f"http://{addr}/metrics").splitlines():
            if line and not line.startswith("#"):
                names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def panel_exprs(dash):
    out = []
    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((p.get("title", "?"), t["expr"]))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    return out


def hls_segment(edge):
    """Fetches the playlist and its first segment through an edge; the segment's size or None."""
    try:
        playlist = fetch(edge.hls("p1"))
        seg = next(l for l in playlist.splitlines() if l and not l.startswith("#"))
        base = edge.hls("p1").rsplit("/", 1)[0]
        url = seg if seg.startswith("http") else base + "/" + seg
        if "vhost=" not in url:
            url += ("&" if "?" in url else "?") + "vhost=pull.test"
        with urllib.request.urlopen(url, timeout=5) as r:
            return len(r.read())
    except (OSError, StopIteration):
        return None


def check_dashboard(prom, targets):
    with open(DASHBOARD) as f:
        dash = json.load(f)  # parses
    check(dash.get("title") and dash.get("panels"), f"{DASHBOARD} parses: {len(dash['panels'])} panels")
    exprs = panel_exprs(dash)
    have = exported(targets)
    used = set()
    for title, e in exprs:
        used |= metric_names(e)
    missing = sorted(n for n in used if n not in have)
    check(not missing, f"all {len(used)} metric names the dashboard queries are exported (missing: {missing})")
    titles = " | ".join(t for t, _ in exprs)
    for want in ("Bandwidth", "viewers", "Streams", "fps", "bitrate", "hit ratio", "DNS", "health", "first frame"):
        check(want.lower() in titles.lower(), f"dashboard has a panel about {want!r}")
    bad = []
    for title, e in exprs:
        q = e.replace("$__rate_interval", "10s").replace("$__interval", "5s").replace("$__range", "1m")
        j = prom.api("query", query=q)
        if j.get("status") != "success":
            bad.append((title, e, j.get("error")))
    check(not bad, f"every dashboard expression ({len(exprs)}) evaluates in Prometheus: {bad}")


def main():
    check_repo_config()
    topo = Topology()
    prom = None
    try:
        c, north, south = topo.central, topo.edges[0], topo.edges[1]
        topo.publish("p1", size="160x120", rate=15, gop=15)
        topo.publish("p2", size="160x120", rate=15, gop=15)
        topo.wait_live("p1")
        topo.wait_live("p2")
        prom = Prometheus(topo.targets())
        for _ in range(2):
            topo.viewer(north.flv("p1"))
        topo.viewer(south.flv("p1"))
        topo.viewer(south.flv("p2"))
        topo.dig("127.0.1.7", 4)
        # An HLS viewer on the north edge (cache miss, then hits) and one refused play.
        wait_until(lambda: hls_segment(north) is not None, timeout=20, step=0.5, what="HLS segment via the edge")
        hls_segment(north)
        try:
            fetch(north.flv("p1", vhost="unknown.test"))
        except OSError:
            pass
        topo.dig("127.0.2.7", 3)

        def up():
            r = prom.query("up")
            return len(r) == len(topo.targets()) and all(v == 1 for _, v in r)
        wait_until(up, timeout=20, step=0.5, what="every target up in prometheus")
        check(True, f"prometheus on :{prom.port} scrapes {len(topo.targets())} targets, all up")

        def viewers_right():
            return (prom.value('livecdn_viewers{job="edge",stream="p1"}', node="edge-north-1") == 2 and
                    prom.value('livecdn_viewers{job="edge",stream="p1"}', node="edge-south-1") == 1 and
                    prom.value('livecdn_viewers{job="edge",stream="p2"}', node="edge-south-1") == 1)
        wait_until(viewers_right, timeout=20, step=0.5, what="viewer counts in prometheus")
        check(True, "viewers per stream and edge: p1 north 2, p1 south 1, p2 south 1")
        total = prom.value('sum by (stream) (livecdn_viewers{job="edge"})', stream="p1")
        check(total == 3, f"sum over edges of p1 viewers == 3 ({total})")
        central_p1 = prom.value('livecdn_viewers{job="central",stream="p1"}')
        relays = prom.value('livecdn_relays{job="central"}')
        check(central_p1 == 0 and relays == 3, f"central counts the edges' pulls as relays, not viewers: p1 viewers "
              f"{central_p1}, relays {relays} (p1 by both edges, p2 by south)")

        def egress():
            v = prom.value('sum(rate(livecdn_bytes_sent_total{job="edge"}[5s]))')
            return v is not None and v > 10_000
        wait_until(egress, timeout=20, step=0.5, what="edge egress rate > 10 kB/s")
        rate = prom.value('sum(rate(livecdn_bytes_sent_total{job="edge"}[5s]))')
        check(rate > 10_000, f"edge egress rate {rate * 8 / 1000:.0f} kbit/s")
        per_domain = prom.value('sum by (domain) (rate(livecdn_bytes_sent_total{job="edge"}[5s]))', domain="pull.test")
        check(per_domain and per_domain > 10_000, f"edge egress for domain pull.test {per_domain:.0f} B/s")

        hls = prom.value('sum(livecdn_bytes_sent_total{job="edge",protocol="hls",domain="pull.test"})')
        check(hls and hls > 10_000, f"edge HLS bytes for pull.test counted ({hls:.0f} B: playlist + 2 segments)")

        def dns_counts():
            n = prom.value('sum by (region) (livecdn_dns_queries_total)', region="north")
            s = prom.value('sum by (region) (livecdn_dns_queries_total)', region="south")
            return n == 4 and s == 3
        wait_until(dns_counts, timeout=10, step=0.5, what="dns queries per region 4/3")
        check(True, "DNS queries per region in prometheus: north 4, south 3")
        up_edges = prom.query('livecdn_edge_up{job="dns"}')
        check(len(up_edges) == 2 and all(v == 1 for _, v in up_edges), "scheduler reports both edges up")

        check_dashboard(prom, topo.targets())
    finally:
        if prom:
            prom.close()
        topo.close()
    print("PASS test_prometheus")


if __name__ == "__main__":
    sys.exit(main())
