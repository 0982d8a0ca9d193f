"""Issue 9 smoke test: tools/quickstart runs headless (the README's main command), prints signed
URLs, and the URLs it printed play: FLV and HLS decode with ffmpeg, RTMP carries video and audio,
the ABR master lists the rendition, the dashboard answers, and its `dig` lines show north and south
clients getting different edges. It fails fast with a clear message when a port is taken,
re-running it while it runs is safe (the second run stops the first and starts afresh), and a
stale pids file never makes `stop` kill another process. When it stops, no process it started
(every pid of its pids file, with its process group, and the publisher ffmpeg) is left running."""
import os
import queue
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from livecdn import BIN, SRC, check, ffprobe_streams, run, spawn, stop

QUICKSTART = os.path.join(os.path.abspath(SRC), "tools", "quickstart")


def env_for(work):
    # The binaries under test: quickstart builds (a no-op when ctest's tree is up to date) in the
    # tree of LIVECDN_BIN rather than in build/, with one job.
    return dict(os.environ, LIVECDN_WORK=work, LIVECDN_BUILD=os.path.dirname(os.path.abspath(BIN)), LIVECDN_JOBS="1")


class Quickstart:
    """tools/quickstart --headless SECONDS, its output collected by a thread."""

    def __init__(self, work, seconds):
        self.p = spawn(["bash", QUICKSTART, "--headless", str(seconds)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env_for(work), text=True)
        self.q, self.out = queue.Queue(), ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in iter(self.p.stdout.readline, ""):
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, text, timeout):
        end = time.time() + timeout
        while text not in self.out and time.time() < end:
            try:
                line = self.q.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                break
            if line is None:
                break
            self.out += line
        return text in self.out

    def finish(self, timeout):
        """Waits for the exit; returns its status (None if it did not exit in time)."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.wait_for("\0", 5)  # the rest of the output
        return self.p.returncode


def recorded(work):
    """The pids file: [(pid, name, mark)]; mark is what the process's command line contains."""
    rows = []
    for line in open(os.path.join(work, "pids")).read().splitlines():
        pid, name, mark = (line.split(" ", 2) + [work])[:3]
        rows.append((int(pid), name, mark))
    return rows


def still_running(rows):
    """The recorded processes (or members of their process groups) that are still alive."""
    left = []
    for pid, name, mark in rows:
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            if mark in cmd:
                left.append(f"{name} {pid}")
        except OSError:
            pass
        group = run(["pgrep", "-g", str(pid)]).stdout.split()
        left += [f"{name}'s group: {g}" for g in group]
    return left


def wait_gone(rows, timeout=10):
    end = time.time() + timeout
    while still_running(rows) and time.time() < end:
        time.sleep(0.2)
    return still_running(rows)


def port_taken():
    """A topology port held by another program: quickstart refuses before building or starting anything."""
    work = tempfile.mkdtemp(prefix="livecdn-qs-busy-")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.2.10", 8080))
    s.listen(1)
    try:
        t0 = time.time()
        r = subprocess.run(["bash", QUICKSTART, "--headless", "5"], env=env_for(work), capture_output=True, text=True,
                           timeout=60)
        took = time.time() - t0
    finally:
        s.close()
    msg = (r.stdout + r.stderr).strip()
    check(r.returncode != 0 and "127.0.2.10:8080 is already in use" in msg,
          f"a taken port: quickstart fails saying which port is in use (exit {r.returncode}, {msg[-160:]!r})")
    check(took < 10, f"the port check comes before installing or building anything ({took:.1f}s)")
    left = run(["pgrep", "-f", work]).stdout.split()
    check(not os.path.exists(os.path.join(work, "pids")) and not left, f"a taken port: nothing was started ({left})")
    shutil.rmtree(work, ignore_errors=True)


def stale_pids_file():
    """`tools/quickstart stop` with a pids file naming a process that is not its own (a reused pid)
    leaves that process alone."""
    work = tempfile.mkdtemp(prefix="livecdn-qs-stale-")
    victim = spawn(["sleep", "60"])
    try:
        with open(os.path.join(work, "pids"), "w") as f:
            f.write(f"{victim.pid} central\n{victim.pid} publisher rtmp://127.0.1.10:1935/live/demo\n")
        r = subprocess.run(["bash", QUICKSTART, "stop"], env=env_for(work), capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and victim.poll() is None,
              f"a stale pids file: stop does not kill a process that is not its own (exit {r.returncode})")
    finally:
        stop(victim)
        shutil.rmtree(work, ignore_errors=True)


def dig_answers(out):
    """Runs the printed dig lines; {'north'|'south': [addresses per line]}."""
    lines = [l.strip() for l in out.splitlines() if l.strip().startswith("dig ")]
    check(len(lines) >= 2, f"quickstart prints dig commands ({len(lines)})")
    answers = {"north": [], "south": []}
    for line in lines:
        args = shlex.split(line)
        r = run(args + ["+tries=2", "+time=3"], timeout=20)
        addrs = re.findall(r"^(?:\S+\s+\d+\s+IN\s+A\s+)?(127\.\d+\.\d+\.\d+)\s*$", r.stdout, re.M)
        region = "north" if re.search(r"(-b |subnet=)127\.0\.1\.", line) else "south"
        answers[region].append(sorted(set(addrs)))
        print(f"{line} -> {addrs}", flush=True)
    return answers


def main():
    port_taken()
    stale_pids_file()

    work = tempfile.mkdtemp(prefix="livecdn-qs-")
    first = Quickstart(work, 300)  # stopped by the second run below
    second = None
    try:
        check(first.wait_for("Stop: Ctrl-C", 240), "quickstart printed its URLs")
        out = first.out
        first_rows = recorded(work)
        check({"central", "edge-north", "edge-south", "dns-scheduler", "publisher"} <= {n for _, n, _ in first_rows},
              f"its pids file lists every process it started ({[n for _, n, _ in first_rows]})")
        flv = re.findall(r"(http://127\.0\.2\.10:8080/\S+\.flv\?\S+)", out)
        hls = re.findall(r"(http://127\.0\.2\.10:8080/\S+\.m3u8\?\S+)", out)
        check(flv and hls, "signed FLV and HLS URLs for edge south are printed")
        check(re.search(r"A 127\.0\.1\.10", out) is not None, "the north broadcaster is sent to edge north by the scheduler")
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", flv[0], "-t", "4", "-f", "null", "-"], timeout=40)
        check(r.returncode == 0 and r.stderr.strip() == "", f"the printed FLV URL decodes ({r.stderr.strip()[:200]!r})")
        time.sleep(2)
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", hls[0], "-t", "4", "-f", "null", "-"], timeout=60)
        check(r.returncode == 0 and r.stderr.strip() == "", f"the printed HLS URL decodes ({r.stderr.strip()[:200]!r})")
        rtmp = re.findall(r"(rtmp://127\.0\.1\.10:1935/\S+vhost=pull\.demo\.test\S*)", out)
        check(rtmp, "a signed RTMP URL for edge north is printed")
        rc, streams, err = ffprobe_streams(rtmp[0], timeout=30)
        check(rc == 0 and "codec_name=h264" in streams and "codec_name=aac" in streams,
              f"the printed RTMP URL plays video and audio ({streams.strip()!r} {err.strip()[:160]!r})")
        # The demo push domain transcodes to `sd`: the printed ABR master lists source and rendition.
        abr = re.findall(r"(http://127\.0\.2\.10:8080/\S+_abr\.m3u8\?\S+)", out)
        check(abr, "a signed ABR URL is printed")
        variants = 0
        t_end = time.time() + 25
        while time.time() < t_end and variants < 2:
            try:
                with urllib.request.urlopen(abr[0], timeout=5) as resp:
                    variants = resp.read().decode().count("#EXT-X-STREAM-INF")
            except OSError:
                pass
            if variants < 2:
                time.sleep(1)
        check(variants == 2, f"the ABR master lists the source and the sd rendition ({variants} variants)")
        dash = re.search(r"Dashboard: (http://\S+)", out)
        page = urllib.request.urlopen(dash.group(1), timeout=5).read().decode() if dash else ""
        check("LiveCDN" in page, "the printed dashboard URL serves the dashboard page")
        answers = dig_answers(out)
        check(answers["north"] and all(a == ["127.0.1.10"] for a in answers["north"]) and
              answers["south"] and all(a == ["127.0.2.10"] for a in answers["south"]),
              f"the printed dig lines: north clients get edge north, south ones edge south ({answers})")

        # Re-running while it runs is safe: the second run stops the first, then starts afresh on
        # the same data (the demo domains are already there).
        publisher_urls = set(re.findall(r"publisher: ffmpeg testsrc2 -> (\S+)", out))
        t0 = time.time()
        second = Quickstart(work, 12)
        check(second.wait_for("Stop: Ctrl-C", 180), f"the second run printed its URLs ({second.out.strip()[-300:]!r})")
        check("stopping the quickstart already running" in second.out, "the second run says it stops the first one")
        rc = first.finish(10)
        check(rc == 0 and "quickstart: stopped" in first.out, f"the first run stopped cleanly (exit {rc})")
        left = still_running(first_rows)
        check(not left, f"every process of the first run is gone ({left})")
        print(f"re-run: up again {time.time() - t0:.1f}s after the second start", flush=True)
        second_rows = recorded(work)
        check({p for p, _, _ in second_rows}.isdisjoint({p for p, _, _ in first_rows}), "the second run started its own processes")
        flv2 = re.findall(r"(http://127\.0\.2\.10:8080/\S+\.flv\?\S+)", second.out)
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", flv2[0], "-t", "2", "-f", "null", "-"], timeout=40) if flv2 else None
        check(r is not None and r.returncode == 0 and r.stderr.strip() == "", "after the re-run the printed FLV URL decodes")
        publisher_urls |= set(re.findall(r"publisher: ffmpeg testsrc2 -> (\S+)", second.out))

        rc = second.finish(60)
        check(rc == 0 and "quickstart: stopped" in second.out, f"quickstart stops by itself (exit {rc})")
        left = wait_gone(second_rows, 5)
        check(not left, f"every pid it recorded, with its process group, is gone ({left})")
        left = run(["pgrep", "-f", work]).stdout.split()
        check(not left, f"no process with its work folder is left ({left})")
        left = [p for u in publisher_urls for p in run(["pgrep", "-f", u]).stdout.split()]
        check(publisher_urls and not left, f"no publisher ffmpeg is left ({left})")
    finally:
        for q in (second, first):
            if q:
                stop(q.p)
        subprocess.run(["bash", QUICKSTART, "stop"], env=env_for(work), capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
