"""dns-scheduler with real clients: dig (UDP, TCP, ECS), c-ares, raw sockets.

Issue 3 done-criteria 1 (regions, +tcp, +subnet) and 3 (c-ares follows CNAME -> A), plus the
protocol behaviour: NXDOMAIN/SOA, REFUSED, ANY, TC + TCP retry, TCP pipelining, malformed
packets, SIGHUP reload, -t, admin endpoints, domain table sync with its disk copy.
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dns_harness import BIN, Scheduler, cares, dig, run_tests, wait_until

BASE = """
node_id: dns-it
listen: [127.0.0.1:0]
admin: {listen: 127.0.0.1:0, token: secret-token}
zone: livecdn.test
ns: [ns1.livecdn.test]
ttl: 30s
answers: 2
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
default_region: north
edges:
  - {id: edge-north-1, address: 127.0.1.10, region: north, lat: 39.9, lon: 116.4, capacity: 10Gbps}
  - {id: edge-south-1, address: 127.0.2.10, region: south, lat: 22.5, lon: 114.1, capacity: 10Gbps}
domains:
  - {name: push.example.com, type: push}
  - {name: pull.example.com, type: pull, source: push.example.com}
records:
  - {name: ns1, type: A, value: 127.0.0.1}
zones:
  - name: example.com
    records:
      - {name: pull.example.com, type: CNAME, value: pull.example.com.livecdn.test}
      - {name: push.example.com, type: CNAME, value: push.example.com.livecdn.test}
  - name: big.test
    records:
%s
""" % "\n".join("      - {name: many, type: A, value: 10.0.%d.%d}" % (i // 200, i % 200 + 1) for i in range(60))

S = None


def test_regions_by_source_address():
    # Criterion 1: the same name from two client /24s gets the north and south edges.
    north = dig(S.port, "pull.example.com.livecdn.test", source="127.0.1.5")
    south = dig(S.port, "pull.example.com.livecdn.test", source="127.0.2.5")
    assert north.status == "NOERROR", north.text
    assert "aa" in north.flags, north.text
    assert north.addresses() == ["127.0.1.10"], north.text
    assert south.addresses() == ["127.0.2.10"], south.text
    assert north.answer[0][1] == 30


def test_tcp():
    r = dig(S.port, "pull.example.com.livecdn.test", source="127.0.2.5", extra=["+tcp"])
    assert r.addresses() == ["127.0.2.10"], r.text
    r = dig(S.port, "push.example.com.livecdn.test", source="127.0.1.5", extra=["+tcp"])
    assert r.addresses() == ["127.0.1.10"], r.text


def test_client_subnet():
    # The subnet decides, not the resolver, and the scope says how much of it mattered.
    r = dig(S.port, "pull.example.com.livecdn.test", source="127.0.1.5", extra=["+subnet=127.0.2.0/24"])
    assert r.addresses() == ["127.0.2.10"], r.text
    assert r.ecs == ("127.0.2.0", 24, 24), r.text
    r = dig(S.port, "pull.example.com.livecdn.test", source="127.0.2.5", extra=["+subnet=127.0.1.77/32"])
    assert r.addresses() == ["127.0.1.10"], r.text
    assert r.ecs[2] == 24, r.text
    r = dig(S.port, "pull.example.com.livecdn.test", source="127.0.2.5", extra=["+subnet=127.0.1.0/24", "+tcp"])
    assert r.addresses() == ["127.0.1.10"], r.text


def test_cares_follows_cname():
    # Criterion 3: an application's resolver follows pull.example.com -> CNAME -> A.
    for source, want in (("127.0.2.5", "127.0.2.10"), ("127.0.1.5", "127.0.1.10")):
        rc, out = cares(S.port, "pull.example.com", source=source)
        assert rc == 0, out
        lines = out.splitlines()
        assert "cname pull.example.com" in lines, out
        assert "name pull.example.com.livecdn.test" in lines, out
        assert ("A " + want) in lines, out
    rc, out = cares(S.port, "nothing.example.com")
    assert rc == 1 and "not found" in out.lower(), out


def test_authoritative_answers():
    r = dig(S.port, "nope.livecdn.test", source="127.0.1.5")
    assert r.status == "NXDOMAIN" and "aa" in r.flags, r.text
    assert [a[2] for a in r.authority] == ["SOA"], r.text
    r = dig(S.port, "www.example.org")
    assert r.status == "REFUSED" and "aa" not in r.flags, r.text
    r = dig(S.port, "livecdn.test", "NS")
    assert r.answer and r.answer[0][3] == "ns1.livecdn.test.", r.text
    assert "127.0.0.1" in r.text.split("ADDITIONAL SECTION")[1], r.text
    r = dig(S.port, "livecdn.test", "ANY")
    assert r.types() == ["SOA"], r.text
    r = dig(S.port, "pull.example.com", "ANY", source="127.0.2.5")
    assert r.types() == ["CNAME"], r.text
    r = dig(S.port, "pull.example.com.livecdn.test", "AAAA")
    assert r.status == "NOERROR" and not r.answer and r.authority, r.text
    r = dig(S.port, "livecdn.test", "SOA", extra=["+edns=1", "+noednsnegotiation"])
    assert r.status == "BADVERS", r.text


def test_truncation_and_tcp_retry():
    r = dig(S.port, "many.big.test", extra=["+noedns", "+ignore"])
    assert "tc" in r.flags, r.text
    assert len(r.answer) < 60
    r = dig(S.port, "many.big.test", extra=["+noedns"])  # dig retries over TCP by itself
    assert "tc" not in r.flags and len(r.answer) == 60, r.text
    r = dig(S.port, "many.big.test", extra=["+tcp"])
    assert len(r.answer) == 60, r.text


def query(qid, name, qtype=1):
    wire = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.strip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    return wire + b"\0" + struct.pack(">HH", qtype, 1)


def test_tcp_pipelining():
    names = ["pull.example.com.livecdn.test", "nope.livecdn.test", "push.example.com", "livecdn.test"]
    s = socket.create_connection(("127.0.0.1", S.port), timeout=3)
    try:
        s.bind  # noqa: connected already
        blob = b"".join(struct.pack(">H", len(q)) + q for q in (query(100 + i, n) for i, n in enumerate(names)))
        s.sendall(blob)  # all queries in one segment
        ids = []
        buf = b""
        deadline = time.time() + 3
        while len(ids) < len(names) and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                ids.append(struct.unpack(">H", buf[2:4])[0])
                buf = buf[2 + n:]
        assert ids == [100, 101, 102, 103], ids
        # A query split across writes byte by byte still works.
        q = query(200, names[0])
        framed = struct.pack(">H", len(q)) + q
        for b in framed:
            s.sendall(bytes([b]))
        resp = s.recv(65536)
        assert struct.unpack(">H", resp[2:4])[0] == 200
    finally:
        s.close()


def test_malformed_packets_are_survived():
    rnd = random.Random(7)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(0.3)
    good = query(300, "pull.example.com.livecdn.test")
    cases = [b"", b"\x00", b"\xff" * 11, good[:12], good[:20], good + b"junk",
             good[:2] + b"\x80" + good[3:],  # QR set: dropped
             good[:4] + b"\x00\x05" + good[6:],  # QDCOUNT 5
             good[:12] + b"\xc0\x0c\x00\x01\x00\x01"]  # pointer loop
    cases += [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 600))) for _ in range(300)]
    cases += [good[:rnd.randint(0, len(good))] + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 40)))
              for _ in range(200)]
    formerr = 0
    for c in cases:
        u.sendto(c, ("127.0.0.1", S.port))
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            data, _ = u.recvfrom(65536)
        except socket.timeout:
            break
        if len(data) >= 4 and data[3] & 0x0f == 1:
            formerr += 1
    u.close()
    assert formerr > 0
    assert S.proc.poll() is None, "server died"
    r = dig(S.port, "pull.example.com.livecdn.test", source="127.0.2.5")
    assert r.addresses() == ["127.0.2.10"], r.text
    # Garbage on TCP closes that connection only.
    s = socket.create_connection(("127.0.0.1", S.port), timeout=3)
    s.sendall(b"\x00\x05hello\x00\x02\x80\x00")
    s.settimeout(2)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert dig(S.port, "livecdn.test", "SOA").status == "NOERROR"


def test_admin_endpoints():
    st, body = S.admin("/healthz")
    assert st == 200 and json.loads(body)["status"] == "ok", body
    st, body = S.admin("/api/v1/resolve?name=pull.example.com&ip=127.0.2.9")
    j = json.loads(body)
    assert st == 200 and j["rule"] == "127.0.2.0/24" and j["answer"][0]["edge"] == "edge-south-1", body
    assert j["chain"] == ["pull.example.com. CNAME pull.example.com.livecdn.test."], body
    st, body = S.admin("/metrics")
    assert st == 200 and 'livecdn_dns_queries_total{qtype="A",rcode="NOERROR",region="south"}' in body, body
    assert "livecdn_edge_up" in body
    if subprocess.run(["which", "promtool"], capture_output=True).returncode == 0:
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
    st, _ = S.admin("/api/v1/reload", method="POST")
    assert st == 401
    st, body = S.admin("/api/v1/reload", method="POST", token="secret-token")
    assert st == 200, body


def test_sighup_reload_and_bad_config():
    with open(S.config) as f:
        original = f.read()
    try:
        with open(S.config, "w") as f:
            f.write(original.replace("  - {name: push.example.com, type: push}",
                                     "  - {name: push.example.com, type: push}\n  - new.example.net"))
        S.signal(signal.SIGHUP)
        took = wait_until(lambda: dig(S.port, "new.example.net.livecdn.test", source="127.0.2.5").addresses()
                          == ["127.0.2.10"], 3)
        assert took is not None, S.read_log()
        with open(S.config, "w") as f:
            f.write(original.replace("region: south}", "region: nowhere}", 1))
        S.signal(signal.SIGHUP)
        assert wait_until(lambda: "reload rejected" in S.read_log(), 3) is not None, S.read_log()
        assert "regions[1].region" in S.read_log()
        # The previous config keeps serving.
        assert dig(S.port, "new.example.net.livecdn.test", source="127.0.2.5").addresses() == ["127.0.2.10"]
    finally:
        with open(S.config, "w") as f:
            f.write(original)


def test_config_check():
    ok = subprocess.run([os.path.join(BIN, "dns-scheduler"), "-c", S.config, "-t"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = os.path.join(S.dir, "bad.yaml")
    with open(bad, "w") as f:
        f.write("zone: livecdn.test\nedges:\n  - {id: a, address: 300.1.1.1}\n")
    r = subprocess.run([os.path.join(BIN, "dns-scheduler"), "-c", bad, "-t"], capture_output=True, text=True)
    assert r.returncode == 1 and "edges[0].address" in r.stderr, r.stderr


def test_domain_table_sync_and_disk_copy():
    state = {"domains": ["pull.example.com", "late.example.org"], "etag": '"v1"', "hits": 0, "not_modified": 0}

    class Central(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            state["hits"] += 1
            if self.path != "/api/v1/domains":
                self.send_response(404)
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == state["etag"]:
                state["not_modified"] += 1
                self.send_response(304)
                self.end_headers()
                return
            body = json.dumps({"domains": [{"name": d, "type": "pull", "source": "x"} for d in state["domains"]]}).encode()
            self.send_response(200)
            self.send_header("ETag", state["etag"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    central = ThreadingHTTPServer(("127.0.0.1", 0), Central)
    threading.Thread(target=central.serve_forever, daemon=True).start()
    config = BASE.replace("node_id: dns-it", "node_id: dns-sync\ncentral_api: http://127.0.0.1:%d\n"
                          "domains_poll: 200ms\ndata_dir: ./data" % central.server_address[1])
    s = Scheduler(config)
    try:
        s.start()
        got = wait_until(lambda: dig(s.port, "late.example.org.livecdn.test", source="127.0.1.5").addresses()
                         == ["127.0.1.10"], 3)
        assert got is not None, s.read_log()
        assert wait_until(lambda: state["not_modified"] > 0, 2) is not None, state
        state["domains"].append("later.example.org")
        state["etag"] = '"v2"'
        assert wait_until(lambda: dig(s.port, "later.example.org.livecdn.test").addresses() == ["127.0.1.10"], 3)
        assert os.path.exists(os.path.join(s.dir, "data", "domains.json"))
        # Central goes away; a restarted scheduler still knows the domains from its disk copy.
        central.shutdown()
        central.server_close()
        s.stop()
        s.start()
        r = dig(s.port, "later.example.org.livecdn.test", source="127.0.2.5")
        assert r.addresses() == ["127.0.2.10"], r.text + s.read_log()
    finally:
        s.cleanup()
        try:
            central.shutdown()
        except Exception:
            pass


def test_reuseport_workers():
    # workers: 2 -> two SO_REUSEPORT sockets; the kernel spreads clients, every query is answered.
    s = Scheduler(BASE.replace("node_id: dns-it", "node_id: dns-workers\nworkers: 2"))
    try:
        s.start()
        assert "UDP x2 workers" in s.read_log()
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
        for i, u in enumerate(socks):
            u.bind(("127.0.2.5", 0))
            u.settimeout(2)
            for j in range(10):
                u.sendto(query(i * 10 + j, "pull.example.com.livecdn.test"), ("127.0.0.1", s.port))
        answered = 0
        for u in socks:
            for _ in range(10):
                data, _ = u.recvfrom(4096)
                assert data[-4:] == bytes([127, 0, 2, 10]), data
                answered += 1
            u.close()
        assert answered == 160
    finally:
        s.cleanup()


def main():
    global S
    S = Scheduler(BASE)
    try:
        S.start()
        run_tests([test_regions_by_source_address, test_tcp, test_client_subnet, test_cares_follows_cname,
                   test_authoritative_answers, test_truncation_and_tcp_retry, test_tcp_pipelining,
                   test_malformed_packets_are_survived, test_admin_endpoints, test_sighup_reload_and_bad_config,
                   test_config_check, test_domain_table_sync_and_disk_copy, test_reuseport_workers])
    finally:
        S.cleanup()


if __name__ == "__main__":
    main()
