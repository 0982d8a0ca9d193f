"""Issue 9 smoke test: tools/quickstart runs headless (the README's main command), prints signed
URLs, and an HLS and an FLV URL it printed decode with ffmpeg; when it stops, nothing it started
is left running."""
import os
import re
import subprocess
import tempfile
import time
import urllib.request

from livecdn import SRC, check, run, spawn, stop


def main():
    work = tempfile.mkdtemp(prefix="livecdn-qs-")
    env = dict(os.environ, LIVECDN_WORK=work)
    p = spawn(["bash", os.path.join(SRC, "tools", "quickstart"), "--headless", "35"], stdout=subprocess.PIPE,
              stderr=subprocess.STDOUT, env=env, text=True)
    out = ""
    try:
        t_end = time.time() + 240
        while time.time() < t_end and "Stop: Ctrl-C" not in out:
            line = p.stdout.readline()
            if not line:
                break
            out += line
        check("Stop: Ctrl-C" in out, "quickstart printed its URLs")
        flv = re.findall(r"(http://127\.0\.2\.10:8080/\S+\.flv\?\S+)", out)
        hls = re.findall(r"(http://127\.0\.2\.10:8080/\S+\.m3u8\?\S+)", out)
        check(flv and hls, "signed FLV and HLS URLs for edge south are printed")
        check(re.search(r"A 127\.0\.1\.10", out) is not None, "the north broadcaster is sent to edge north by the scheduler")
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", flv[0], "-t", "4", "-f", "null", "-"], timeout=40)
        check(r.returncode == 0 and r.stderr.strip() == "", f"the printed FLV URL decodes ({r.stderr.strip()[:200]!r})")
        time.sleep(2)
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", hls[0], "-t", "4", "-f", "null", "-"], timeout=60)
        check(r.returncode == 0 and r.stderr.strip() == "", f"the printed HLS URL decodes ({r.stderr.strip()[:200]!r})")
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
        rest, _ = p.communicate(timeout=120)
        check(p.returncode == 0 and "quickstart: stopped" in rest, f"quickstart stops by itself (exit {p.returncode})")
        left = run(["pgrep", "-f", work]).stdout.split()
        check(not left, f"no process it started is left ({left})")
    finally:
        stop(p)
        subprocess.run(["bash", os.path.join(SRC, "tools", "quickstart"), "stop"], env=env, capture_output=True)


if __name__ == "__main__":
    main()
