"""Issue 6, done-when 2, 3 and 4: the whole onboarding with real clients.
cdnctl domain add (push + pull) -> the scheduler answers the CNAME target -> cdnctl resolve
shows the chain -> cdnctl sign push -> ffmpeg publishes through edge north -> cdnctl sign pull
-> ffprobe plays RTMP, FLV and HLS from edge south; tampered and expired URLs are refused with
the right reason. A domain added while everything runs is in force on the edges within 2 s;
with central stopped, edges and scheduler still serve the domains they knew. cdnctl kick ends
a live publish on the edge it is connected to."""
import hashlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from dns_harness import Scheduler
from livecdn import BIN, Central, Edge, check, metric_sum, run, spawn, stop, wait_until

TOKEN = "test-token"


def cdnctl(c, *args, check_rc=True):
    r = run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{c.admin_port}", "--token", TOKEN, *args], timeout=30)
    if check_rc and r.returncode != 0:
        raise AssertionError(f"cdnctl {' '.join(args)} failed: {r.stdout} {r.stderr}")
    return r


def http_status(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(2000)
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def edge_knows(e, domain):
    # Unknown domain: an immediate 404 naming it; known: "stream not found" after play.wait.
    st, body = http_status(f"http://{e.host}:{e.http_port}/live/nothing.flv?vhost={domain}", timeout=5)
    return b"unknown" not in body


def dig(port, name, source):
    r = run(["dig", "+short", "+tries=1", "+time=2", "-p", str(port), "@127.0.0.1", "-b", source, name], timeout=10)
    return r.stdout.split()


def main():
    c = Central(domains=False, extra_yaml="cdn_zone: livecdn.test")
    central_extra = f"  api: http://127.0.0.1:{c.admin_port}\n  token: {TOKEN}\n  poll: 300ms"
    north = Edge([c], name="edge-north", host="127.0.1.10", central_extra=central_extra, domains_yaml="",
                 extra_yaml="play: {wait: 1s}")
    south = Edge([c], name="edge-south", host="127.0.2.10", central_extra=central_extra, domains_yaml="",
                 extra_yaml="play: {wait: 1s}")
    sched = Scheduler(f"""node_id: dns-test
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
  - {{id: edge-north, address: 127.0.1.10, region: north, lat: 39.9, lon: 116.4, health: http://127.0.1.10:{north.admin_port}/healthz}}
  - {{id: edge-south, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1, health: http://127.0.2.10:{south.admin_port}/healthz}}
health: {{interval: 500ms, fall: 2, rise: 1}}
central_api: http://127.0.0.1:{c.admin_port}
central_token: {TOKEN}
domains_poll: 300ms
data_dir: {c.dir}/dns
zones:
  - name: demo.test
    records:
      - {{name: push.demo.test, type: CNAME, value: push.demo.test.livecdn.test}}
      - {{name: pull.demo.test, type: CNAME, value: pull.demo.test.livecdn.test}}
""").start()
    procs = []
    try:
        # Onboarding.
        r = cdnctl(c, "domain", "add", "push.demo.test", "--type", "push")
        check("CNAME push.demo.test.livecdn.test." in r.stdout, f"domain add prints the CNAME to set ({r.stdout.strip().splitlines()[-1]})")
        t_add = time.time()
        cdnctl(c, "domain", "add", "pull.demo.test", "--type", "pull", "--source", "push.demo.test", "--auth-required")
        wait_until(lambda: edge_knows(north, "pull.demo.test") and edge_knows(south, "pull.demo.test"), 5, step=0.05,
                   what="edges know the new domain")
        dt = time.time() - t_add
        print(f"measure: a new domain is in force on both edges {dt:.2f}s after domain add", flush=True)
        check(dt < 2.0, f"new domain in force on every edge within 2 s ({dt:.2f}s)")
        wait_until(lambda: dig(sched.port, "push.demo.test.livecdn.test", "127.0.1.5") == ["127.0.1.10"], 5, step=0.1,
                   what="scheduler answers the CNAME target")
        check(True, "the scheduler answers the CNAME target with the north edge for a north client")
        check(dig(sched.port, "pull.demo.test", "127.0.2.5")[-1:] == ["127.0.2.10"], "pull.demo.test -> CNAME -> south edge for a south client")
        r = cdnctl(c, "resolve", "pull.demo.test", "--server", f"127.0.0.1:{sched.port}", "--client-ip", "127.0.2.5",
                   "--explain", "--admin", f"127.0.0.1:{sched.admin_port}")
        check("pull.demo.test CNAME pull.demo.test.livecdn.test" in r.stdout and "A 127.0.2.10" in r.stdout, f"cdnctl resolve shows the chain: {r.stdout.splitlines()[:4]}")

        # Publish through edge north with a signed URL.
        r = cdnctl(c, "sign", "push", "--domain", "push.demo.test", "--app", "live", "--stream", "show",
                   "--rtmp-host", f"127.0.1.10:{north.rtmp_port}", "--json")
        push_url = json.loads(r.stdout)["rtmp"]
        pub = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                     "-f", "lavfi", "-i", "sine", "-t", "90", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                     "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", push_url],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(pub)
        wait_until(lambda: "relaying to" in north.logs(), 15, what="edge north relays the publish")
        check(True, "ffmpeg publishes through edge north with a signed URL")
        unsigned = push_url.split("&auth_key=")[0]
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2", "-t", "1", "-c:v", "libx264",
                 "-f", "flv", unsigned.replace("/show", "/other")], timeout=20)
        check(r.returncode != 0 and "missing" in r.stderr, f"an unsigned publish is refused: {r.stderr.strip()[:100]!r}")

        # Play from edge south with signed pull URLs.
        r = cdnctl(c, "sign", "pull", "--domain", "pull.demo.test", "--app", "live", "--stream", "show",
                   "--rtmp-host", f"127.0.2.10:{south.rtmp_port}", "--http-host", f"127.0.2.10:{south.http_port}", "--json")
        urls = json.loads(r.stdout)
        time.sleep(5)  # a couple of HLS segments
        for kind in ("rtmp", "flv", "hls"):
            r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact=p=0", urls[kind]], timeout=30)
            check(r.returncode == 0 and "h264|width=640|height=360" in r.stdout and "aac" in r.stdout,
                  f"ffprobe plays {kind} from edge south ({r.stderr.strip()[:100]!r})")
        r = cdnctl(c, "verify", urls["flv"])
        check(r.stdout.startswith("valid"), f"cdnctl verify: {r.stdout.strip()}")
        # Tampered and expired.
        tampered = urls["flv"][:-1] + ("0" if urls["flv"][-1] != "0" else "1")
        st, body = http_status(tampered)
        check(st == 403 and b"bad_hash" in body, f"tampered FLV URL refused with bad_hash ({st} {body[:60]!r})")
        r = cdnctl(c, "verify", tampered, check_rc=False)
        check(r.returncode == 1 and "bad_hash" in r.stdout, f"cdnctl verify says why: {r.stdout.strip()}")
        show = json.loads(cdnctl(c, "domain", "show", "pull.demo.test", "--json").stdout)
        key = show["domain"]["auth"]["key"]
        ts = int(time.time()) - 60
        h = hashlib.md5(f"/live/show.flv-{ts}-0-0-{key}".encode()).hexdigest()
        expired = f"http://127.0.2.10:{south.http_port}/live/show.flv?vhost=pull.demo.test&auth_key={ts}-0-0-{h}"
        st, body = http_status(expired)
        check(st == 403 and b"expired" in body, f"expired FLV URL refused with 'expired' ({st} {body[:60]!r})")
        m = south.metrics()
        check(metric_sum(m, "livecdn_auth_rejections_total", reason="bad_hash") >= 1 and
              metric_sum(m, "livecdn_auth_rejections_total", reason="expired") >= 1, "edge metrics count the reasons")

        # Central stopped: edges and scheduler keep serving the domains they knew.
        c.proc.send_signal(15)
        c.proc.wait(timeout=10)
        time.sleep(1)
        check(edge_knows(south, "pull.demo.test") and edge_knows(north, "push.demo.test"), "with central stopped, edges still know the domains")
        check(dig(sched.port, "push.demo.test.livecdn.test", "127.0.1.5") == ["127.0.1.10"], "with central stopped, the scheduler still answers")
        # Restart central (same data_dir): the domains come back from its catalog.
        c.log = open(c.log_path, "a")
        c.proc = spawn([os.path.join(BIN, "central"), "-c", c.config], stdout=c.log, stderr=subprocess.STDOUT)
        wait_until(lambda: sorted(d["name"] for d in json.loads(cdnctl(c, "domain", "list", "--json", check_rc=False).stdout or '{"domains": []}')["domains"]) == ["pull.demo.test", "push.demo.test"], 10, step=0.2,
                   what="central's catalog reloaded")
        check(True, "central's domains survive a restart (RocksDB catalog)")
        wait_until(lambda: "publishing" in c.logs().split("catalog")[-1], 15, what="relay back on the restarted central")
        # Kick: ends the live publish on edge north.
        cdnctl(c, "kick", "--domain", "push.demo.test", "--app", "live", "--stream", "show")
        t0 = time.time()
        try:
            pub.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        check(pub.poll() is not None, f"kick ended the publish on edge north ({time.time() - t0:.1f}s)")
        check("kick push.demo.test/live/show" in north.logs(), "edge north logs the kick")
    finally:
        for p in procs:
            stop(p)
        sched.stop()
        sched.cleanup()
        for n in (south, north):
            n.close()
        c.close()


if __name__ == "__main__":
    main()
