"""Issue 10, faults and abuse, DNS: the dns-scheduler under hostile queries (raw UDP/TCP wire
built here, dnsperf for the flood).

- A random-subdomain flood (distinct names under the zone, under a served domain, out of zone,
  and with random ECS subnets) does not grow memory: RSS after a 20,000-query warm-up and after
  100,000 more distinct names differ by less than FLOOD_CAP_MIB; the server still answers.
- EDNS UDP payload sizes above 1232 are capped: a large answer over UDP never exceeds 1232 bytes
  (TC set, the full answer over TCP), and the OPT record in every answer advertises <= 1232.
- ECS (RFC 7871) with a SOURCE PREFIX-LENGTH longer than the family allows (/33 IPv4, /129 IPv6),
  an ADDRESS of the wrong length, bits set past the prefix or an unknown family -> FORMERR
  (7.1.1, 6); a valid ECS on the same query answers NOERROR (control).
test_dns_scheduler.py covers valid ECS, TC without EDNS and random garbage; this file the rest.
"""
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import time

from dns_harness import Scheduler, dig, run_tests

CONFIG = """
node_id: dns-abuse
listen: [127.0.0.1:0]
admin: {listen: 127.0.0.1:0}
zone: livecdn.test
ns: [ns1.livecdn.test]
answers: 2
regions:
  - {cidr: 127.0.1.0/24, region: north}
  - {cidr: 127.0.2.0/24, region: south}
default_region: north
edges:
  - {id: edge-north-1, address: 127.0.1.10, region: north}
  - {id: edge-south-1, address: 127.0.2.10, region: south}
domains: [pull.example.com, push.example.com]
records:
  - {name: ns1, type: A, value: 127.0.0.1}
zones:
  - name: example.com
    records:
      - {name: pull, type: CNAME, value: pull.example.com.livecdn.test}
  - name: big.test
    records:
%s
""" % "\n".join("      - {name: many, type: A, value: 10.0.%d.%d}" % (i // 200, i % 200 + 1) for i in range(120))

MAX_UDP = 1232
FLOOD_CAP_MIB = 2  # measured: 0.0 MiB (see the "measure:" line)
S = None


def wire_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ecs_option(family, source, scope, address):
    data = struct.pack(">HBB", family, source, scope) + address
    return struct.pack(">HH", 8, len(data)) + data


def query(qid, name, qtype=1, payload=None, options=b""):
    """A query; payload: add an OPT RR advertising that UDP size (with `options` in its RDATA)."""
    arcount = 1 if payload is not None else 0
    wire = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, arcount) + wire_name(name) + struct.pack(">HH", qtype, 1)
    if payload is not None:
        wire += b"\0" + struct.pack(">HHIH", 41, payload, 0, len(options)) + options
    return wire


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        if n == 0:
            return pos + 1
        pos += 1 + n


class Response:
    def __init__(self, msg):
        self.size = len(msg)
        self.id, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
        self.tc = bool(flags & 0x0200)
        self.rcode = flags & 0x0F
        self.answers = an
        self.opt_payload = None
        self.opt_options = b""
        pos = 12
        for _ in range(qd):
            pos = skip_name(msg, pos) + 4
        for i in range(an + ns + ar):
            pos = skip_name(msg, pos)
            rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
            if rtype == 41 and i >= an + ns:
                self.opt_payload = rclass
                self.rcode |= (ttl >> 24) << 4
                self.opt_options = msg[pos + 10:pos + 10 + rdlen]
            pos += 10 + rdlen


def udp(wire, timeout=2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(wire, ("127.0.0.1", S.port))
        return Response(s.recvfrom(65535)[0])
    finally:
        s.close()


def tcp(wire, timeout=3):
    s = socket.create_connection(("127.0.0.1", S.port), timeout=timeout)
    try:
        s.sendall(struct.pack(">H", len(wire)) + wire)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            d = s.recv(65535)
            if not d:
                break
            buf += d
        return Response(buf[2:])
    finally:
        s.close()


def rss_kb():
    with open(f"/proc/{S.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_edns_payload_capped_at_1232():
    full = tcp(query(1, "many.big.test"))
    assert full.answers == 120 and full.size > MAX_UDP, (full.answers, full.size)
    for payload in (1233, 1500, 4096, 8192, 65535):
        r = udp(query(2, "many.big.test", payload=payload))
        assert r.size <= MAX_UDP, f"payload {payload}: a {r.size}-byte UDP answer"
        assert r.tc and r.answers < 120, f"payload {payload}: TC {r.tc}, {r.answers} answers"
        assert r.opt_payload is not None and r.opt_payload <= MAX_UDP, f"payload {payload}: OPT advertises {r.opt_payload}"
        # A small answer carries the same OPT limit.
        r = udp(query(3, "pull.example.com.livecdn.test", payload=payload))
        assert r.rcode == 0 and not r.tc and r.opt_payload <= MAX_UDP, (payload, r.rcode, r.opt_payload)
    # Smaller requestor sizes are honoured (512 is the floor, RFC 6891 6.2.5).
    for payload, limit in ((512, 512), (100, 512), (800, 800), (1232, 1232)):
        r = udp(query(4, "many.big.test", payload=payload))
        assert r.size <= limit and r.tc, f"payload {payload}: {r.size} bytes, TC {r.tc}"
    # dig agrees: +bufsize=4096 gets TC over UDP.
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(S.port), "many.big.test", "+bufsize=4096", "+ignore",
                          "+norec", "+time=1", "+tries=1"], capture_output=True, text=True, timeout=5).stdout
    m = re.search(r"MSG SIZE\s+rcvd: (\d+)", out)
    assert m and int(m.group(1)) <= MAX_UDP and " tc" in out.split("flags:")[1].split(";")[0], out
    assert int(re.search(r"EDNS: version: 0, flags:; udp: (\d+)", out).group(1)) <= MAX_UDP, out


def test_ecs_prefix_too_long_is_formerr():
    name = "pull.example.com.livecdn.test"
    ok = udp(query(10, name, payload=1232, options=ecs_option(1, 24, 0, bytes([127, 0, 2]))))
    assert ok.rcode == 0 and ok.answers >= 1, ("valid ECS control", ok.rcode)
    bad = {
        "IPv4 /33": ecs_option(1, 33, 0, bytes([127, 0, 2, 5, 0])),
        "IPv4 /40": ecs_option(1, 40, 0, bytes([127, 0, 2, 5, 0])),
        "IPv4 /255": ecs_option(1, 255, 0, bytes(32)),
        "IPv6 /129": ecs_option(2, 129, 0, bytes(17)),
        "IPv4 scope /33": ecs_option(1, 24, 33, bytes([127, 0, 2])),
        "IPv4 /24 with 4 address bytes": ecs_option(1, 24, 0, bytes([127, 0, 2, 0])),
        "IPv4 /24 with 2 address bytes": ecs_option(1, 24, 0, bytes([127, 0])),
        "IPv4 /20 with bits past the prefix": ecs_option(1, 20, 0, bytes([127, 0, 0x2f])),
        "family 3": ecs_option(3, 8, 0, bytes([1])),
        "option shorter than its header": struct.pack(">HH", 8, 2) + b"\x00\x01",
    }
    for what, opt in bad.items():
        for send in (udp, tcp):
            r = send(query(11, name, payload=1232, options=opt))
            assert r.rcode == 1, f"{what} over {send.__name__}: rcode {r.rcode}, wanted FORMERR"
            assert r.answers == 0, f"{what}: FORMERR with answers"
    assert S.proc.poll() is None
    assert dig(S.port, name, source="127.0.2.5").addresses() == ["127.0.2.10"]


def flood(queries, qps=40000):
    """dnsperf over a query file (one pass); falls back to a Python UDP loop. Returns (sent, lost)."""
    qfile = os.path.join(S.dir, "flood-%d" % random.getrandbits(32))
    with open(qfile, "w") as f:
        f.write("".join(f"{n} {t}\n" for n, t in queries))
    if shutil.which("dnsperf"):
        out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(S.port), "-d", qfile, "-n", "1", "-c", "4",
                              "-q", "500", "-Q", str(qps), "-t", "2", "-l", "30"],
                             capture_output=True, text=True, timeout=60).stdout
        sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
        lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
        return sent, lost
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    sent = got = 0
    for i, (n, t) in enumerate(queries):
        s.sendto(query(i & 0xFFFF, n, 28 if t == "AAAA" else 1), ("127.0.0.1", S.port))
        sent += 1
        try:
            s.recvfrom(65535)
            got += 1
        except socket.timeout:
            pass
    s.close()
    return sent, sent - got


def random_names(n, rnd):
    label = lambda: "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rnd.randint(8, 30)))
    out = []
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append((f"{label()}.livecdn.test", "A"))               # NXDOMAIN in our zone
        elif k == 1:
            out.append((f"{label()}.{label()}.pull.example.com.livecdn.test", "A"))
        elif k == 2:
            out.append((f"{label()}.example.com", "AAAA"))            # NXDOMAIN in a hosted zone
        else:
            out.append((f"{label()}.{label()}.com", "A"))              # out of zone: REFUSED
    return out


def test_random_subdomain_flood_keeps_memory_flat():
    rnd = random.Random(10)
    rss0 = rss_kb()
    sent, lost = flood(random_names(20000, rnd))
    assert sent == 20000, sent
    time.sleep(0.5)
    rss1 = rss_kb()
    t = time.time()
    sent2, lost2 = flood(random_names(100000, rnd))
    took = time.time() - t
    time.sleep(0.5)
    rss2 = rss_kb()
    print(f"  measure: dns-scheduler RSS {rss0 / 1024:.1f} MiB at start, {rss1 / 1024:.1f} MiB after 20,000 random "
          f"names, {rss2 / 1024:.1f} MiB after 100,000 more ({sent2 / took:.0f} q/s, lost {lost} + {lost2})")
    assert sent2 == 100000, sent2
    assert (rss2 - rss1) / 1024 < FLOOD_CAP_MIB, f"RSS grew {(rss2 - rss1) / 1024:.1f} MiB"
    assert lost2 < sent2 * 0.01, f"lost {lost2} of {sent2}"
    # Random ECS subnets on top (a per-subnet cache would grow here).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(20000):
        src = rnd.choice((24, 32))
        addr = bytes(rnd.getrandbits(8) for _ in range(3)) + (bytes([rnd.getrandbits(8)]) if src == 32 else b"")
        s.sendto(query(i & 0xFFFF, "pull.example.com.livecdn.test", payload=1232, options=ecs_option(1, src, 0, addr)),
                 ("127.0.0.1", S.port))
        if i % 200 == 199:
            time.sleep(0.005)  # stay under the socket buffer
    s.close()
    time.sleep(0.5)
    rss3 = rss_kb()
    print(f"  measure: {rss3 / 1024:.1f} MiB after 20,000 random ECS subnets")
    assert (rss3 - rss1) / 1024 < FLOOD_CAP_MIB, f"RSS grew {(rss3 - rss1) / 1024:.1f} MiB with random subnets"
    assert S.proc.poll() is None
    assert dig(S.port, "pull.example.com.livecdn.test", source="127.0.1.5").addresses() == ["127.0.1.10"]


def main():
    global S
    S = Scheduler(CONFIG)
    try:
        S.start()
        run_tests([test_edns_payload_capped_at_1232, test_ecs_prefix_too_long_is_formerr,
                   test_random_subdomain_flood_keeps_memory_flat])
    finally:
        S.cleanup()


if __name__ == "__main__":
    main()
