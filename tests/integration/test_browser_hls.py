"""Issue 5, done-when 2: hls.js (npm) in headless Chromium (Debian's /usr/bin/chromium, driven by
playwright-core through browser/play.js) plays the edge's HLS URL from a page on another origin
(a local http.server), so the edge's CORS headers are exercised; video.currentTime must advance
at least 6 s with no fatal hls.js error. Prints the currentTime progression and a screenshot path.
Skipped without chromium or browser/node_modules (tools/deps installs both); in CI, a failure."""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from urllib.parse import quote

from livecdn import Central, Edge, check, publish, spawn, stop, wait_until
from test_edge_hls import fetch, segment_uris

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(HERE, "browser")
CHROMIUM = os.environ.get("LIVECDN_CHROMIUM", "/usr/bin/chromium")
ADVANCE_S = 6
PLAY_TIMEOUT_S = 40


def missing_deps():
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if not shutil.which("node"):
        missing.append("node (apt-get install -y nodejs)")
    for mod in ("hls.js", "playwright-core"):
        if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", mod)):
            missing.append(f"{mod} (cd tests/integration/browser && npm ci)")
    return missing


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def kill_leftover_chromium(profile):
    """Playwright runs Chromium in its own process group; if the driver died without closing it,
    end the processes that use this run's own --user-data-dir (and only those)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if profile.encode() in f.read():
                    os.kill(int(pid), 9)
        except (OSError, ProcessLookupError):
            pass


def main():
    missing = missing_deps()
    if missing:
        # In CI tools/deps installs them: missing there is a failure, not a skip.
        if os.environ.get("CI") == "true":
            print("FAIL: missing " + "; ".join(missing) + " (tools/deps installs them)")
            print("0 passed, 1 failed")
            sys.exit(1)
        print("SKIP: missing " + "; ".join(missing))
        print("0 passed, 0 failed, 1 skipped")
        sys.exit(0)

    c = Central()
    e = Edge([c], name="edge-browser")
    pub = None
    try:
        pub = publish(c.rtmp("room"), seconds=90, size="640x360", gop=50, extra=("-b:v", "800k"))
        wait_until(lambda: fetch(e.hls("room"))[0] == 200 and len(segment_uris(fetch(e.hls("room"))[2].decode())) >= 2,
                   25, step=0.5, what="edge playlist with segments")
        ok, detail = play_in_browser(e.hls("room"), "hls-edge")
        check(ok, f"hls.js plays the edge's HLS in headless Chromium: {detail}")
        check(e.alive() and c.alive(), "central and edge alive")
        print("2 passed, 0 failed")
    finally:
        if pub:
            stop(pub)
        e.close()
        c.close()


def play_in_browser(url, name):
    """Plays `url` with hls.js in headless Chromium from a page on another origin. Returns
    (ok, detail): ok when video.currentTime advanced ADVANCE_S with no fatal hls.js error.
    The screenshot stays in a temp dir (printed) as an artifact."""
    tmp = tempfile.mkdtemp(prefix="livecdn-browser-")
    profile = os.path.join(tmp, "profile")
    os.mkdir(profile)
    driver = None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=BROWSER_DIR))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = f"http://127.0.0.1:{server.server_address[1]}/play.html?src=" + quote(url, safe="")
        shot = os.path.join(tmp, name + ".png")
        log = os.path.join(tmp, "play.jsonl")
        with open(log, "w") as out:
            driver = spawn(["node", os.path.join(BROWSER_DIR, "play.js"), page, shot, profile,
                            str(ADVANCE_S), str(PLAY_TIMEOUT_S), CHROMIUM],
                           stdout=out, stderr=subprocess.STDOUT, cwd=BROWSER_DIR)
            try:
                rc = driver.wait(timeout=PLAY_TIMEOUT_S + 25)
            except subprocess.TimeoutExpired:
                rc = stop(driver)
                print(f"play.js did not finish in {PLAY_TIMEOUT_S + 25}s; stopped")
        lines = []
        with open(log) as f:
            for raw in f:
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    print("play.js:", raw.rstrip())
        progression = [round(l["currentTime"], 2) for l in lines if "currentTime" in l]
        print(f"{name}: currentTime each second: {progression}")
        for l in lines:
            if "console" in l or "pageerror" in l:
                print("page:", l)
        result = next((l for l in lines if "result" in l), {})
        if os.path.exists(shot):
            print(f"screenshot: {shot}")
        if not any(l.get("supported") for l in lines):
            return False, "hls.js does not run in headless Chromium (MSE + H.264)"
        if result.get("fatal") or result.get("result") == "error":
            return False, f"fatal hls.js error ({result.get('fatal') or result.get('error')})"
        advanced = result.get("advanced", 0)
        detail = (f"currentTime advanced {advanced:.1f}s (need {ADVANCE_S}), "
                  f"{len(result.get('errors', []))} non-fatal hls.js errors {result.get('errors', [])[:3]}")
        return rc == 0 and advanced >= ADVANCE_S, detail
    finally:
        server.shutdown()
        if driver:
            stop(driver)
        kill_leftover_chromium(profile)
        # The screenshot stays for a look; the profile does not.
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
