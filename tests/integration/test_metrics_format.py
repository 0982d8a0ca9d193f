"""Issue 8: every service's /metrics passes `promtool check metrics` while there is traffic, the
DESIGN.md names are exported with their labels, and per-stream series are capped
(metrics.max_streams) with the rest summed under stream="_other"."""
import subprocess
import sys
import time

from livecdn import check, metric_sum, metrics_of, wait_until
from observability import Topology, fetch

MUST = {
    "central": ["livecdn_connections", "livecdn_bytes_sent_total", "livecdn_bytes_received_total", "livecdn_streams",
                "livecdn_viewers", "livecdn_first_frame_seconds_bucket", "livecdn_stream_ingest_bitrate_bps",
                "livecdn_stream_ingest_fps", "livecdn_stream_keyframe_interval_seconds", "livecdn_stream_info",
                "livecdn_publish_accepted_total", "livecdn_play_accepted_total", "livecdn_webhook_requests_total"],
    "edge": ["livecdn_connections", "livecdn_bytes_sent_total", "livecdn_viewers", "livecdn_streams",
             "livecdn_first_frame_seconds_bucket", "livecdn_upstream_requests_total"],
    "dns": ["livecdn_dns_queries_total", "livecdn_edge_up", "livecdn_dns_answers_total",
            "livecdn_dns_decision_seconds_bucket"],
}


def promtool(body):
    r = subprocess.run(["promtool", "check", "metrics"], input=body.encode(), capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode()


def main():
    # max_streams 2: three streams with 3, 2 and 0 viewers -> the third lands in _other.
    topo = Topology(central_yaml="metrics: {max_streams: 2}")
    try:
        c, north = topo.central, topo.edges[0]
        for s in ("m1", "m2", "m3"):
            topo.publish(s, size="160x120", rate=15, gop=15)
        for s in ("m1", "m2", "m3"):
            topo.wait_live(s)
        topo.viewer(c.flv("m1"))
        topo.viewer(c.flv("m1"))
        topo.viewer(c.flv("m2"))
        topo.viewer(north.flv("m1"))  # the edge pulls m1: a relay on central, not a viewer
        topo.viewer(topo.edges[1].flv("m2"))
        topo.dig("127.0.1.5", 3)
        topo.dig("127.0.2.5", 2)

        def viewers_ok():
            m = metrics_of(c.admin_port)
            return (metric_sum(m, "livecdn_viewers", stream="m1") == 2 and metric_sum(m, "livecdn_viewers", stream="m2") == 1
                    and metric_sum(m, "livecdn_relays") == 2)
        wait_until(viewers_ok, timeout=20, step=0.3, what="viewer gauges on central")
        time.sleep(2.5)  # one full ingest-meter window

        for job, inst, addr in topo.targets():
            body = fetch(f"http://{addr}/metrics")
            rc, out = promtool(body)
            check(rc == 0 and not out.strip(), f"promtool check metrics clean for {inst} ({len(body)} bytes) {out.strip()}")
            names = {l.split("{")[0].split(" ")[0] for l in body.splitlines() if l and not l.startswith("#")}
            missing = [n for n in MUST[job] if n not in names]
            check(not missing, f"{inst} exports {', '.join(MUST[job])} (missing: {missing})")

        m = metrics_of(c.admin_port)
        check(metric_sum(m, "livecdn_viewers", domain="push.test", app="live", stream="m1") == 2 and
              metric_sum(m, "livecdn_relays") == 2,
              "central: livecdn_viewers{domain,app,stream=m1} == 2 FLV viewers; the 2 edges' pulls are livecdn_relays")
        streams = {dict(l).get("stream") for (n, l) in m if n == "livecdn_viewers"}
        check(streams == {"m1", "m2", "_other"}, f"central: capped to 2 streams + _other: {sorted(streams)}")
        check(metric_sum(m, "livecdn_stream_series_overflow") == 1, "central: one stream summed under _other")
        check(metric_sum(m, "livecdn_stream_ingest_bitrate_bps", stream="_other") > 0,
              "central: _other sums the ingest bitrate of the capped stream")
        bps = metric_sum(m, "livecdn_stream_ingest_bitrate_bps", stream="m1")
        fps = metric_sum(m, "livecdn_stream_ingest_fps", stream="m1")
        kfi = metric_sum(m, "livecdn_stream_keyframe_interval_seconds", stream="m1")
        check(20_000 < bps < 5_000_000, f"central: m1 ingest bitrate {bps:.0f} bps")
        check(11 <= fps <= 19, f"central: m1 ingest fps {fps:.1f} (publishing 15)")
        check(0.9 <= kfi <= 1.1, f"central: m1 key frame interval {kfi:.2f}s (gop 15 at 15 fps)")
        check(metric_sum(m, "livecdn_stream_info", stream="m1", video_codec="h264", audio_codec="aac",
                         resolution="160x120") == 1, "central: m1 info h264/aac 160x120")
        check(metric_sum(m, "livecdn_bytes_sent_total", protocol="flv", domain="pull.test") > 0,
              "central: FLV bytes sent are counted for the viewers' domain pull.test")
        check(metric_sum(m, "livecdn_bytes_received_total", protocol="rtmp", domain="push.test") > 0,
              "central: RTMP bytes received counted for push.test")
        check(metric_sum(m, "livecdn_first_frame_seconds_count", protocol="flv") >= 3,
              "central: first-frame histogram counted the FLV viewers")

        e = metrics_of(north.admin_port, north.host)
        check(metric_sum(e, "livecdn_viewers", stream="m1") == 1, "edge north: m1 has 1 viewer")
        check(metric_sum(e, "livecdn_bytes_sent_total", protocol="flv", domain="pull.test") > 0,
              "edge north: FLV bytes for pull.test")

        d = metrics_of(topo.sched.admin_port)
        check(metric_sum(d, "livecdn_dns_queries_total", region="north") >= 3, "dns: >= 3 queries from north")
        check(metric_sum(d, "livecdn_dns_queries_total", region="south") >= 2, "dns: >= 2 queries from south")
        topo.dig("127.0.1.6", 64)  # decision latency is timed on 1 answer in 16 (per worker)
        d = metrics_of(topo.sched.admin_port)
        n = metric_sum(d, "livecdn_dns_decision_seconds_count")
        check(n >= 1, f"dns: decision latency histogram counts sampled answers ({n:.0f})")
        check(metric_sum(d, "livecdn_dns_decision_seconds_bucket", le="+Inf") == n, "dns: +Inf bucket == count")
    finally:
        topo.close()
    print("PASS test_metrics_format")


if __name__ == "__main__":
    sys.exit(main())
