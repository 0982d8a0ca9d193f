"""Issue 10, faults: kill -9 of central, of an edge and of the scheduler while a publisher and
HTTP-FLV viewers run (publisher on edge A, viewers on edge B, domains added through the API).
- central: B's viewers stay connected; after the restart the API-added domains are still there
  (RocksDB catalog) and the viewers resume decoding;
- edge B: restarted while central is down, it still knows the domains (its disk copy); once
  central is back, new viewers on B play;
- scheduler: restarted while central is down, it answers the customer's CNAME target from its
  own disk copy, to the right edge.
Nothing wedges: every node answers /healthz at the end."""
import os
import signal
import threading
import time

from dns_harness import Scheduler
from livecdn import BIN, Central, Edge, HttpFlvViewer, check, get_json, publish, run, stop, wait_until
from test_onboarding import dig, edge_knows

TOKEN = "test-token"


def cdnctl(c, *args):
    r = run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{c.admin_port}", "--token", TOKEN, *args], timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"cdnctl {' '.join(args)} failed: {r.stdout} {r.stderr}")
    return r


def pump_all(viewers, seconds):
    """Reads every viewer for `seconds` in parallel; returns the video frames each got."""
    before = [len(v.flv.video_frames()) for v in viewers]
    threads = [threading.Thread(target=v.pump, args=(seconds,)) for v in viewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [len(v.flv.video_frames()) - b for v, b in zip(viewers, before)]


def main():
    c = Central(domains=False, extra_yaml="cdn_zone: livecdn.test")
    central_extra = f"  api: http://127.0.0.1:{c.admin_port}\n  token: {TOKEN}\n  poll: 300ms"
    a = Edge([c], name="edge-a", host="127.0.1.10", central_extra=central_extra, domains_yaml="",
             extra_yaml="play: {wait: 1s}")
    b = Edge([c], name="edge-b", host="127.0.2.10", central_extra=central_extra, domains_yaml="",
             extra_yaml="play: {wait: 1s}")
    sched_dir = os.path.join(c.dir, "dns")
    os.makedirs(sched_dir)
    sched = Scheduler(f"""node_id: dns-faults
listen: [127.0.0.1:0]
admin: {{listen: 127.0.0.1:0, token: {TOKEN}}}
zone: livecdn.test
ns: [ns1.livecdn.test]
ttl: 30s
answers: 1
regions:
  - {{cidr: 127.0.1.0/24, region: north}}
  - {{cidr: 127.0.2.0/24, region: south}}
default_region: north
edges:
  - {{id: edge-a, address: 127.0.1.10, region: north, lat: 39.9, lon: 116.4, health: http://127.0.1.10:{a.admin_port}/healthz}}
  - {{id: edge-b, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1, health: http://127.0.2.10:{b.admin_port}/healthz}}
health: {{interval: 500ms, fall: 2, rise: 1}}
central_api: http://127.0.0.1:{c.admin_port}
central_token: {TOKEN}
domains_poll: 300ms
data_dir: {sched_dir}/data
""", workdir=sched_dir).start()
    pub = None
    viewers = []
    passed = 0
    try:
        cdnctl(c, "domain", "add", "live.test", "--type", "push", "--no-auth")
        cdnctl(c, "domain", "add", "watch.test", "--type", "pull", "--source", "live.test")
        wait_until(lambda: edge_knows(a, "live.test") and edge_knows(b, "watch.test"), 10, step=0.2,
                   what="edges know the API-added domains")
        wait_until(lambda: dig(sched.port, "watch.test.livecdn.test", "127.0.2.1") == ["127.0.2.10"], 10, step=0.2,
                   what="scheduler answers the pull domain")
        pub = publish(a.rtmp("room", vhost="live.test"), seconds=150, size="320x240")
        viewers = [HttpFlvViewer(b.http_port, "/live/room.flv", host="watch.test", addr=b.host) for _ in range(4)]
        got = pump_all(viewers, 4)
        check(all(v.status == 200 for v in viewers) and min(got) >= 60, f"4 viewers on edge B play ({got} frames in 4 s)")
        passed += 1

        # kill -9 central: viewers stay; the restarted central still has the domains; play resumes.
        os.kill(c.proc.pid, signal.SIGKILL)
        c.proc.wait()
        got = pump_all(viewers, 2)
        check(not any(v.closed for v in viewers), f"viewers stay connected while central is down (frames {got})")
        t0 = time.time()
        c.restart()
        st, j = get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/domains/live.test")
        check(st == 200 and j["domain"]["name"] == "live.test", "API-added domain survives kill -9 of central")
        resumed = None
        while time.time() - t0 < 20 and resumed is None:
            got = pump_all(viewers, 1)
            if min(got) > 0:
                resumed = time.time() - t0
        check(resumed is not None and not any(v.closed for v in viewers),
              f"every viewer resumed decoding {resumed if resumed is None else round(resumed, 2)} s after central's restart")
        got = pump_all(viewers, 3)
        check(min(got) >= 45, f"and keeps up afterwards ({got} frames in 3 s)")
        passed += 4

        # kill -9 edge B, restart it with central down: domains from its disk copy.
        os.kill(b.proc.pid, signal.SIGKILL)
        b.proc.wait()
        for v in viewers:
            v.close()
        viewers = []
        os.kill(c.proc.pid, signal.SIGKILL)
        c.proc.wait()
        b.start()
        check(edge_knows(b, "watch.test"), "edge B restarted with central down still knows watch.test (disk copy)")

        # kill -9 the scheduler under queries; restart it with central down.
        stop_flag = threading.Event()
        answers = []

        def load():
            while not stop_flag.is_set():
                answers.append(dig(sched.port, "watch.test.livecdn.test", "127.0.2.1"))
        t = threading.Thread(target=load)
        t.start()
        time.sleep(1)
        sched.signal(signal.SIGKILL)
        sched.proc.wait()
        stop_flag.set()
        t.join()
        check(answers and answers[0] == ["127.0.2.10"], f"scheduler answered under load before the kill ({len(answers)} queries)")
        sched.log.close()
        sched.start()
        got_answer = dig(sched.port, "watch.test.livecdn.test", "127.0.2.1")
        check(got_answer == ["127.0.2.10"], f"restarted scheduler (central down) answers from its disk copy: {got_answer}")
        passed += 3

        # Central back: new viewers on the restarted edge play.
        c.restart()
        wait_until(lambda: get_json(f"http://127.0.0.1:{c.admin_port}/api/v1/streams")[1].get("streams"), 15, step=0.3,
                   what="the publisher relayed to central again")
        viewers = [HttpFlvViewer(b.http_port, "/live/room.flv", host="watch.test", addr=b.host) for _ in range(2)]
        got = pump_all(viewers, 4)
        check(all(v.status == 200 for v in viewers) and min(got) >= 50, f"new viewers play on the restarted edge ({got})")
        for node, port, host in ((c, c.admin_port, "127.0.0.1"), (a, a.admin_port, a.host), (b, b.admin_port, b.host)):
            st, _ = get_json(f"http://{host}:{port}/healthz")
            check(st == 200, f"{host}:{port} /healthz 200 at the end")
        st, _ = sched.admin("/healthz")
        check(st == 200, "scheduler /healthz 200 at the end")
        passed += 5
        print(f"{passed} passed, 0 failed")
    finally:
        for v in viewers:
            v.close()
        if pub:
            stop(pub)
        sched.cleanup()
        b.close()
        a.close()
        c.close()


if __name__ == "__main__":
    main()
