"""Issue 9, done-when: every command in docs/OPERATIONS.md is exercised.

The doc's local ```sh blocks (each tagged `<!-- ops:ID -->`) are extracted and run, in the doc's
order, in one bash session from the repository root, as an operator would paste them, against a
topology made like tools/quickstart's (the configs of configs/local/ copied into a work folder
with its `pids` file, `*.log` and `data/`), but on free ports: the doc's addresses are rewritten
to the test's. The output of each block is checked against what must be true (domains added,
old signed URL valid after one key rotation and refused after two, the new edge answered by the
scheduler, /healthz 503 "draining" on SIGTERM, the backup restoring into a scratch central...).
Blocks tagged `<!-- host -->` (systemd, /etc) cannot run here: their config paths, unit names and
binaries are checked to exist. Also: systemd-analyze verify of the units (warnings fail), and the
parent-zone delegation matches the schedulers' configs."""
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

from livecdn import BIN, SRC, check, free_port, run, spawn, stop, wait_port

SRC = os.path.abspath(SRC)
BIN = os.path.abspath(BIN)
DOC = os.path.join(SRC, "docs", "OPERATIONS.md")
EXAMPLES = os.path.join(SRC, "configs", "examples")

# The local blocks, in the order the doc must have them; tools/quickstart itself is run by
# test_quickstart.py (it binds the fixed ports), so its block is only checked to be that command.
PLAN = ["env", "quickstart", "deploy-check", "bad-config", "domain-add", "sign", "rotate", "add-edge", "add-edge-check",
        "drain", "drain-check", "reload", "metrics", "dashboard", "troubleshoot", "backup"]


def parse_doc():
    """[(tag, code)] for every ```sh block; tag is 'ops:ID' or 'host' (the comment line before it)."""
    lines = open(DOC).read().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            prev = lines[i - 1].strip() if i else ""
            m = re.fullmatch(r"<!-- (ops:[a-z0-9-]+|host) -->", prev)
            if not m:
                raise AssertionError(f"docs/OPERATIONS.md line {i + 1}: a ```sh block without <!-- ops:ID --> or <!-- host -->")
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            blocks.append((m.group(1), "\n".join(lines[i + 1:j])))
            i = j
        i += 1
    return blocks


def free_dns_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        p = free_port()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            u.close()
    raise AssertionError("no free DNS port")


class Topology:
    """tools/quickstart's layout (configs/local/ in a work folder, pids, logs, data) on free ports."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="livecdn-ops-")
        c = {19350: free_port(), 8090: free_port(), 8088: free_port(), 8083: free_port(), 5353: free_dns_port(),
             29350: free_port(), 29090: free_port(), 29088: free_port()}
        north = {p: free_port("127.0.1.10") for p in (1935, 8080, 8081)}
        south = {p: free_port("127.0.2.10") for p in (1935, 8080, 8081)}
        self.ports = {"127.0.0.1": c, "127.0.1.10": north, "127.0.2.10": south,
                      "127.0.3.10": dict(north)}  # edge east is made from north's config by sed
        self.dns_port = c[5353]
        self.procs = {}
        self.log_files = []

    def sub(self, text):
        """The doc's local addresses, paths and binaries -> this topology's."""
        def addr(m):
            host, port = m.group(1), int(m.group(2))
            return f"{host}:{self.ports.get(host, {}).get(port, port)}"
        text = re.sub(r"\b(127\.0\.[0-3]\.(?:1|10)):(\d+)(?!\d)", addr, text)
        text = re.sub(r"-p 5353\b", f"-p {self.dns_port}", text)
        text = text.replace("work/quickstart", self.work)
        text = re.sub(r"(?<![\w/.-])build/bin/", BIN + "/", text)
        return text

    def localize(self, name):
        src = open(os.path.join(SRC, "configs", "local", name)).read()
        out = self.sub(src).replace("data_dir: ./data/", f"data_dir: {self.work}/data/")
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(out)
        return path

    def start(self, name, binary, config):
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        self.log_files.append(log)
        p = spawn([os.path.join(BIN, binary), "-c", config], stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = p
        with open(os.path.join(self.work, "pids"), "a") as f:
            f.write(f"{p.pid} {name}\n")
        return p

    def up(self):
        self.start("central", "central", self.localize("central.yaml"))
        wait_port(self.ports["127.0.0.1"][8088])
        for e in ("north", "south"):
            self.start(f"edge-{e}", "cache-edge", self.localize(f"edge-{e}.yaml"))
        self.start("dns-scheduler", "dns-scheduler", self.localize("dns-scheduler.yaml"))
        for h in ("127.0.1.10", "127.0.2.10"):
            for p in (1935, 8080, 8081):
                wait_port(self.ports[h][p], h)
        wait_port(self.ports["127.0.0.1"][8083])
        env = dict(os.environ, LIVECDN_API=f"http://127.0.0.1:{self.ports['127.0.0.1'][8088]}", LIVECDN_TOKEN="change-me")
        # What quickstart does next: the demo domains.
        for args in (["push.demo.test", "--type", "push"], ["pull.demo.test", "--type", "pull", "--source", "push.demo.test"]):
            r = subprocess.run([os.path.join(BIN, "cdnctl"), "domain", "add", *args], env=env, capture_output=True,
                               text=True, timeout=20)
            assert r.returncode == 0, r.stderr

    def close(self):
        for p in self.procs.values():
            stop(p, timeout=10)
        pidfile = os.path.join(self.work, "edge-east.pid")  # started by the doc's add-edge block
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).read().strip()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass
        for f in self.log_files:
            f.close()
        shutil.rmtree(self.work, ignore_errors=True)


class Shell:
    """One bash session at the repository root, like the operator's terminal. Each block is
    sourced from a file (stdin /dev/null); an ERR trap reports every command that failed."""

    def __init__(self, topo):
        self.topo = topo
        env = dict(os.environ, LIVECDN_WORK=topo.work)
        env.pop("LIVECDN_API", None)
        env.pop("LIVECDN_TOKEN", None)
        self.p = spawn(["bash", "--norc", "--noprofile"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, cwd=SRC, env=env)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.n = 0
        self.send("set -E -o pipefail; trap 'echo \"__ERR__ $? $BASH_COMMAND\"' ERR")

    def _read(self):
        for line in iter(self.p.stdout.readline, b""):
            self.q.put(line.decode(errors="replace").rstrip("\n"))
        self.q.put(None)

    def send(self, code, timeout=60):
        self.n += 1
        path = os.path.join(self.topo.work, f"block-{self.n:02d}.sh")
        with open(path, "w") as f:
            f.write(code + "\n")
        self.p.stdin.write(f"source {path} < /dev/null; echo __DONE__{self.n}\n".encode())
        self.p.stdin.flush()
        out, end = [], time.time() + timeout
        while True:
            try:
                line = self.q.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                raise AssertionError(f"block timed out after {timeout}s; output so far:\n" + "\n".join(out))
            if line is None:
                raise AssertionError("the shell exited; output:\n" + "\n".join(out))
            if line == f"__DONE__{self.n}":
                break
            out.append(line)
        # (`source` itself fails when the block's last command did: not a command of the doc)
        errors = [l[len("__ERR__ "):] for l in out if l.startswith("__ERR__ ") and not re.match(r"__ERR__ \d+ source ", l)]
        text = "\n".join(l for l in out if not l.startswith("__ERR__ "))
        return text, errors

    def close(self):
        stop(self.p)


def http_status(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def dig_short(port, name, source):
    r = run(["dig", "+short", "+tries=1", "+time=2", "-p", str(port), "@127.0.0.1", "-b", source, name], timeout=10)
    return r.stdout.split()


def check_static(blocks):
    """The doc's blocks: tagged, in the plan's order; host blocks name files and units that exist."""
    tags = [t[4:] for t, _ in blocks if t.startswith("ops:")]
    check(tags == PLAN, f"the doc's local blocks are the plan, in order ({tags})")
    quick = [c for t, c in blocks if t == "ops:quickstart"][0]
    check(quick.strip() == "tools/quickstart", "the local deploy block is tools/quickstart (run by test_quickstart.py)")
    host = "\n".join(c for t, c in blocks if t == "host")
    paths = set(re.findall(r"configs/examples/[\w@./-]+", host))
    missing = [p for p in paths if not os.path.exists(os.path.join(SRC, p))]
    check(paths and not missing, f"every configs/examples path in the host blocks exists ({len(paths)}; missing {missing})")
    units = set(re.findall(r"(?:systemctl [a-z -]+|journalctl -u) (livecdn-[a-z-]+@?)", host))
    unit_files = os.listdir(os.path.join(EXAMPLES, "systemd"))
    bad = [u for u in units if (u + (".service" if u.endswith("@") else ".service")) not in unit_files]
    check(units and not bad, f"every unit the host blocks name is in configs/examples/systemd ({sorted(units)}; missing {bad})")
    for b in sorted(set(re.findall(r"\b(central|cache-edge|dns-scheduler|cdnctl) (?:-t|--api|domain)", host))):
        check(os.access(os.path.join(BIN, b), os.X_OK), f"host blocks run {b}, a binary the build makes")
    # Every cdnctl verb the doc uses is one cdnctl knows.
    verbs = set(re.findall(r"cdnctl (?:--api \S+ )?([a-z]+(?: [a-z]+)?)", "\n".join(c for _, c in blocks)))
    help_text = run([os.path.join(BIN, "cdnctl"), "help"]).stdout
    unknown = [v for v in verbs if v.split()[0] not in help_text or (v.split()[0] == "domain" and v.split()[1] not in help_text)]
    check(not unknown, f"every cdnctl verb in the doc is in cdnctl's help ({sorted(verbs)}; unknown {unknown})")


def check_examples():
    """Every example config passes the real binary's -t, and -t does fail on an unknown key."""
    binary = {"central": "central", "edge": "cache-edge", "dns": "dns-scheduler"}
    files = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".yaml"))
    check(len(files) >= 7, f"configs/examples has the multi-host configs ({files})")
    for f in files:
        b = binary[f.split("-")[0]]
        r = run([os.path.join(BIN, b), "-t", "-c", os.path.join(EXAMPLES, f)])
        check(r.returncode == 0, f"{b} -t accepts configs/examples/{f} ({(r.stdout + r.stderr).strip()[-80:]})")
        bad = os.path.join(tempfile.gettempdir(), f"ops-bad-{os.getpid()}-{f}")
        with open(bad, "w") as out:
            out.write(open(os.path.join(EXAMPLES, f)).read() + "\nlog_levle: info\n")
        r = run([os.path.join(BIN, b), "-t", "-c", bad])
        os.remove(bad)
        check(r.returncode != 0 and "log_levle" in r.stdout + r.stderr, f"{b} -t refuses a misspelt key in a copy of {f}")
    # The NS pair: two schedulers, the same zone, NS names and edges; the parent zone delegates to
    # exactly those names with glue equal to their listen addresses.
    ns1, ns2 = (open(os.path.join(EXAMPLES, f)).read() for f in ("dns-ns1.yaml", "dns-ns2.yaml"))
    strip = lambda s: [l for l in s.splitlines() if not re.match(r"(#|node_id|listen|admin|central_api)", l)]
    check(strip(ns1) == strip(ns2), "ns1 and ns2 carry the same zone, edges, rules and records")
    zone = open(os.path.join(EXAMPLES, "dns", "parent-zone-delegation.txt")).read()
    rr = [l.split(";")[0].split() for l in zone.splitlines() if l.strip() and not l.lstrip().startswith(";")]
    origin, records = None, []
    for f in rr:
        if f[0] == "$ORIGIN":
            origin = f[1]
        else:
            owner = f[0] if f[0].endswith(".") else f"{f[0]}.{origin}"
            records.append((owner, f[3], f[4]))
    ns = sorted(v for o, t, v in records if t == "NS" and o == "cdn.example.net.")
    check(ns == ["ns1.cdn.example.net.", "ns2.cdn.example.net."], f"the parent delegates cdn.example.net to ns1 and ns2 ({ns})")
    for name, text in (("ns1", ns1), ("ns2", ns2)):
        listen = re.search(r"^listen: \[([\d.]+):53\]", text, re.M).group(1)
        glue = [v for o, t, v in records if o == f"{name}.cdn.example.net." and t == "A"]
        check(glue == [listen], f"glue for {name} is its scheduler's listen address ({glue} == {listen})")
        check(f"{name}.cdn.example.net" in re.search(r"^ns: \[(.*)\]", text, re.M).group(1), f"{name} is in the zone's own NS list")
    cnames = [(o, v) for o, t, v in records if t == "CNAME"]
    check(cnames and all(v == o[:-1] + ".cdn.example.net." for o, v in cnames), f"customer CNAMEs point at <domain>.cdn.example.net ({cnames})")


def check_units():
    """systemd-analyze verify (binaries pointed at this build); any warning fails."""
    unit_dir = os.path.join(EXAMPLES, "systemd")
    units = sorted(os.listdir(unit_dir))
    check(units == ["livecdn-central.service", "livecdn-dns-scheduler.service", "livecdn-edge@.service"], f"the three units ({units})")
    text = {u: open(os.path.join(unit_dir, u)).read() for u in units}
    for u, t in text.items():
        for opt in ("DynamicUser=yes", "StateDirectory=", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                    "NoNewPrivileges=yes", "LimitNOFILE=1048576", "Restart=on-failure"):
            check(opt in t, f"{u}: {opt}")
    check("AmbientCapabilities=CAP_NET_BIND_SERVICE" in text["livecdn-edge@.service"] and
          "AmbientCapabilities=CAP_NET_BIND_SERVICE" in text["livecdn-dns-scheduler.service"] and
          "AmbientCapabilities" not in text["livecdn-central.service"], "only edges and schedulers may bind ports < 1024")
    check("ExecReload=/bin/kill -HUP $MAINPID" in text["livecdn-dns-scheduler.service"] and
          "ExecReload" not in text["livecdn-central.service"] and "ExecReload" not in text["livecdn-edge@.service"],
          "only the scheduler (which handles SIGHUP) has ExecReload")
    check("\nMemoryDenyWriteExecute" not in text["livecdn-central.service"], "central's units let ffmpeg children run")
    if not shutil.which("systemd-analyze"):
        print("skip: systemd-analyze is not installed", flush=True)
        return
    d = tempfile.mkdtemp(prefix="ops-units-")
    try:
        names = []
        for u, t in text.items():
            name = u.replace("@.service", "@edge-bj-1.service")
            with open(os.path.join(d, u), "w") as f:
                f.write(t.replace("/usr/local/bin/", BIN + "/"))
            if name != u:
                shutil.copy(os.path.join(d, u), os.path.join(d, name))
            names.append(os.path.join(d, name))
        r = run(["systemd-analyze", "verify", "--man=no", *names], timeout=60)
        check(r.returncode == 0 and not r.stderr.strip(), f"systemd-analyze verify: no error or warning ({r.stderr.strip()[:300]!r})")
        r = run(["systemd-analyze", "security", "--offline=yes", *names], timeout=60)
        scores = re.findall(r"Overall exposure level for (\S+): ([\d.]+)", r.stdout)
        check(len(scores) == 3 and all(float(s) < 3 for _, s in scores), f"systemd-analyze security rates them OK ({scores})")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run_blocks(blocks):
    topo = Topology()
    sh = None
    try:
        topo.up()
        sh = Shell(topo)
        code = {t[4:]: topo.sub(c) for t, c in blocks if t.startswith("ops:")}
        api = f"http://127.0.0.1:{topo.ports['127.0.0.1'][8088]}"

        def block(name, allow=(), timeout=60):
            out, errs = sh.send(code[name], timeout)
            print(f"--- {name}\n{out}", flush=True)
            unexpected = [e for e in errs if not any(a in e for a in allow)]
            check(not unexpected, f"[{name}] no command failed except the expected ones ({unexpected})")
            return out, errs

        block("env")
        out, _ = sh.send('echo "$LIVECDN_API $LIVECDN_TOKEN"; type json | head -1')
        check(out.startswith(f"{api} change-me") and "json is a function" in out, "env: cdnctl's environment and json()")

        out, _ = block("deploy-check")
        oks = re.findall(r"configs/examples/(\S+?\.yaml) (?:is ok|syntax is ok)", out)
        check(len(oks) == 7, f"deploy-check: every example config passes -t ({oks})")
        check(out.count('"status"') == 4 and '"draining"' not in out, "deploy-check: the four local services answer /healthz")
        check(re.search(r"^ns1\.livecdn\.test\. hostmaster\.livecdn\.test\. \d+", out, re.M) is not None,
              "deploy-check: dig gets the zone's SOA from the scheduler")

        out, errs = block("bad-config", allow=("cache-edge -t",))
        check(len(errs) == 1 and "rtmp.listne (line 2): unknown key 'listne'" in out, f"bad-config: -t names path and line ({out.strip()[-90:]!r})")

        out, _ = block("domain-add")
        check("push.example.org. CNAME push.example.org.livecdn.test." in out and
              "pull.example.org. CNAME pull.example.org.livecdn.test." in out, "domain add prints the CNAMEs to set")
        listing = [l.split()[0] for l in out.splitlines() if re.match(r"\S+\.(org|test) +(push|pull)", l)]
        check({"push.example.org", "pull.example.org", "push.demo.test", "pull.demo.test"} <= set(listing), f"domain list ({listing})")
        check(re.search(r"pull\.example\.org +pull source=push\.example\.org auth=A\(required\)", out) and "  key:  " in out,
              "domain show: the pull domain, its source, required auth and its key")

        out, _ = block("sign")
        check(re.search(r"pull URLs for live/room on pull\.example\.org \(type A", out) is not None and
              re.search(r"  flv +http://127\.0\.2\.10:\d+/live/room\.flv\?vhost=pull\.example\.org&auth_key=", out), "sign pull prints the URLs")
        check(re.search(r"^valid: /live/room\.m3u8 on pull\.example\.org, signed with the primary key", out, re.M) is not None,
              "verify: the fresh URL is valid, primary key")
        hls, _ = sh.send('printf "%s\\n" "$HLS"')
        hls = hls.strip()
        t0 = time.time()
        while time.time() - t0 < 20 and http_status(hls) != 200:
            time.sleep(0.5)
        check(http_status(hls) == 200, f"the signed HLS URL plays from edge south ({time.time() - t0:.1f}s after publish)")

        out, errs = block("rotate", allow=("cdnctl verify",))
        codes = re.findall(r"^(\d{3})$", out, re.M)
        check(codes == ["200", "200", "403"], f"rotate: the old URL plays, plays after one rotation, is refused after two ({codes})")
        check(out.count("rotated: the old primary key is now the secondary") == 2, "rotate: cdnctl says what rotation does")
        verdicts = re.findall(r"^(valid|invalid): .*$", out, re.M)
        check(len(verdicts) == 2 and "signed with the secondary key" in out and re.search(r"^invalid: bad_hash", out, re.M),
              f"rotate: verify says secondary key, then bad_hash ({verdicts})")
        check(len(errs) == 1, "rotate: only the last verify fails")
        key = json.loads(run([os.path.join(BIN, "cdnctl"), "--api", api, "--token", "change-me", "domain", "show",
                              "pull.example.org", "--json"]).stdout)["domain"]["auth"]["key"]

        out, _ = block("add-edge")
        check(out.count("is ok") == 2, "add-edge: the new edge's config and the scheduler's edited config pass -t")
        east_pid = int(open(os.path.join(topo.work, "edge-east.pid")).read())
        t0 = time.time()
        while time.time() - t0 < 15 and dig_short(topo.dns_port, "pull.example.org.livecdn.test", "127.0.3.5") != ["127.0.3.10"]:
            time.sleep(0.25)
        out, _ = block("add-edge-check")
        check(out.splitlines()[0] == "127.0.3.10", f"add-edge: an east client gets the new edge {time.time() - t0:.1f}s after the reload")
        check("edge-east-1" in out, "add-edge: the scheduler's /api/v1/edges lists it")
        log = open(os.path.join(topo.work, "dns-scheduler.log")).read()
        check("SIGHUP: reloading" in log and re.search(r"reloaded .*: 3 edges", log), "add-edge: the scheduler reloaded on SIGHUP with 3 edges")

        out, _ = block("drain")
        check(re.search(r'"status": ?"draining".* 503$', out, re.M | re.S) is not None, f"drain: /healthz says draining with 503 ({out.strip()[-120:]!r})")
        os.kill(east_pid, 0)
        check(True, "drain: the edge is still up while its viewer watches")
        t0 = time.time()
        while time.time() - t0 < 10 and "127.0.3.10" in dig_short(topo.dns_port, "pull.example.org.livecdn.test", "127.0.3.5"):
            time.sleep(0.25)
        out, _ = block("drain-check", timeout=40)
        first = out.splitlines()[0] if out else ""
        check(re.fullmatch(r"127\.0\.[12]\.10", first) is not None, f"drain: east clients now get another edge ({first})")
        check("stopped" in out, "drain: the edge exited once its viewer left (log says stopped)")
        check(http_status(f"http://127.0.3.10:{topo.ports['127.0.3.10'][8081]}/healthz", 2) is None, "drain: the edge is gone")

        out, _ = block("reload")
        check(len(re.findall(r"(is ok|syntax is ok)", out)) == 3 and '{"reloaded":true}' in out, "reload: -t checks and the scheduler reload API")

        out, errs = block("metrics")
        check(out.count("SUCCESS") >= 2, "metrics: promtool accepts both Prometheus configs")
        check(re.search(r"^livecdn_connections\{", out, re.M) and re.search(r"^livecdn_edge_up\{", out, re.M) and
              re.search(r"^livecdn_upstream_relays ", out, re.M), "metrics: the edge and scheduler series the doc names")
        check(re.search(r"^push\.example\.org +live +room +(live|waiting)", out, re.M) is not None, "metrics: cdnctl streams lists the stream")

        out, _ = block("dashboard")
        lines = out.splitlines()
        check(lines[:1] == ["200 text/html; charset=utf-8"] and "<title>LiveCDN dashboard</title>" in out,
              f"dashboard: central's /dashboard serves the page ({lines[:2]})")
        edges = [f"http://{h}:{topo.ports[h][8081]} up" for h in ("127.0.1.10", "127.0.2.10")]
        check(all(e in lines for e in edges), f"dashboard: /dashboard/api/cluster shows edges north and south up ({lines[2:4]})")
        check("configs/grafana/livecdn.json: valid JSON" in out, "dashboard: the Grafana dashboard parses")
        grafana = json.load(open(os.path.join(SRC, "configs", "grafana", "livecdn.json")))
        exprs = [t.get("expr", "") for panel in grafana.get("panels", []) for t in panel.get("targets", [])]
        check(grafana.get("title") and exprs and all("livecdn_" in e for e in exprs),
              f"dashboard: the Grafana dashboard's panels query livecdn_* series ({len(exprs)} queries)")

        out, errs = block("troubleshoot", allow=("cdnctl verify",))
        lines = out.splitlines()
        # dig +short: the CNAME, then the address (north client); the ECS query names the target itself.
        check(lines[:3] == ["pull.demo.test.livecdn.test.", "127.0.1.10", "127.0.2.10"],
              f"troubleshoot: dig from a north source gets north, an ECS south subnet gets south ({lines[:3]})")
        check("pull.demo.test CNAME pull.demo.test.livecdn.test" in out and "A 127.0.2.10" in out, "troubleshoot: resolve --explain shows the chain")
        check(re.search(r"^invalid: expired", out, re.M) is not None, "troubleshoot: verify says why (expired)")
        check("missing" in out, "troubleshoot: an unsigned play on an auth-required domain is refused with the reason")
        check(len(errs) == 1, f"troubleshoot: only the refused verify fails ({errs})")

        out, errs = block("backup", timeout=60)
        check("quickstart: stopped" in out, "backup: tools/quickstart stop stops the topology")
        for name, p in topo.procs.items():
            check(p.poll() is not None, f"backup: {name} stopped")
        listing = [l.split()[0] for l in out.splitlines() if re.match(r"\S+\.(org|test) +(push|pull)", l)]
        check({"push.example.org", "pull.example.org", "push.demo.test", "pull.demo.test"} <= set(listing),
              f"backup: a central started on the copy has every domain ({listing})")
        check(f"  key:  {key}" in out, "backup: with the current (twice rotated) key")
        check(not errs, "backup: no command failed")
    finally:
        if sh:
            sh.close()
        topo.close()


def main():
    blocks = parse_doc()
    check_static(blocks)
    check_examples()
    check_units()
    run_blocks(blocks)


if __name__ == "__main__":
    main()
