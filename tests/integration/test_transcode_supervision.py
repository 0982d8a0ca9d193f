"""Issue 7, transcoder supervision with an encoder that always fails: `transcode.ffmpeg` points to a
script that reads a little of its input, says `boom` on stderr and exits 1. Central logs that
stderr line under the rendition's name, counts each exit as a failure and restarts it with a
doubling backoff (1000, 2000, 4000 ms, as the start times show too); the publisher leaving while a
restart is pending cancels it: no new attempt after the unpublish, and no child process left."""
import os
import re
import shutil
import tempfile
import time
from datetime import datetime

from livecdn import Central, check, child_pids, metric_sum, publish, stop, wait_until

DOMAINS = """
domains:
  - {name: push.test, type: push, transcode: [sd]}
  - {name: pull.test, type: pull, source: push.test}
"""
SCRIPT = """#!/bin/sh
head -c 4000 >/dev/null
echo "boom: the fake encoder gives up" >&2
exit 1
"""
NAME = "push.test/live/room_sd"


def children(pid):
    return child_pids(pid)


def times(logs, what):
    """Wall times (s) of the rendition's log lines that match `what`, from their timestamps."""
    out = []
    for m in re.finditer(r"^(\S+)Z .*transcode " + re.escape(NAME) + ": " + what, logs, re.M):
        out.append(datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp())
    return out


def start_times(logs):
    return times(logs, r"ffmpeg pid \d+ started")


def main():
    passed = 0
    c = None
    pub = None
    tmp = tempfile.mkdtemp(prefix="livecdn-encoder-")
    try:
        script = os.path.join(tmp, "failing-encoder.sh")
        with open(script, "w") as f:
            f.write(SCRIPT)
        os.chmod(script, 0o755)
        c = Central(extra_yaml=f"""
transcode:
  ffmpeg: {script}
  templates:
    sd: {{width: 320, height: 180, preset: ultrafast}}
""", domains_yaml=DOMAINS)

        t0 = time.time()
        pub = publish(c.rtmp("room"), seconds=60)
        wait_until(lambda: "restarting in 4000 ms" in c.logs(), 15, step=0.05, what="the third crash")
        # Unpublish while the 4 s restart is pending: it must not happen.
        stop(pub)
        pub = None
        unpublished = time.time()
        logs = c.logs()
        check(re.search(r"transcode " + re.escape(NAME) + r": ffmpeg: boom: the fake encoder gives up", logs),
              "the encoder's stderr is logged with the rendition's name")
        waits = re.findall(r"transcode " + re.escape(NAME) + r": ffmpeg exited unexpectedly \(exit 1\), restarting in "
                           r"(\d+) ms", logs)
        check(waits == ["1000", "2000", "4000"], f"the backoff doubles: {waits} ms")
        starts, crashes = start_times(logs), times(logs, "ffmpeg exited unexpectedly")
        # From each crash to the next start: the backoff, plus at most a 250 ms tick.
        delays = [round(start - crash, 2) for crash, start in zip(crashes, starts[1:])]
        print(f"encoder starts {len(starts)}, crash -> restart {delays} s")
        check(len(starts) == 3 and 0.95 <= delays[0] < 1.5 and 1.95 <= delays[1] < 2.5,
              f"restarts come 1 s, then 2 s after the crash ({delays})")
        m = c.metrics()
        check(metric_sum(m, "livecdn_transcoder_failures_total") == 3, "each crash is counted as a failure")
        check(metric_sum(m, "livecdn_transcoder_restarts_total") == 2 and metric_sum(m, "livecdn_transcoder_starts_total") == 3,
              "two restarts, three starts")
        passed += 5

        # The pending restart (due about 4 s after the last crash) never comes.
        time.sleep(max(0.0, 5.5 - (time.time() - unpublished)))
        logs = c.logs()
        check(len(start_times(logs)) == 3, "no encoder started after the unpublish")
        check(metric_sum(c.metrics(), "livecdn_transcoder_starts_total") == 3, "starts_total unchanged")
        check(not children(c.proc.pid), f"no child process of central left: {children(c.proc.pid)}")
        check(metric_sum(c.metrics(), "livecdn_transcoders") == 0, "no transcoder running")
        check(c.alive(), "central stays up")
        passed += 5
        print(f"took {time.time() - t0:.1f}s")
        print(f"{passed} passed, 0 failed")
    finally:
        if pub:
            stop(pub)
        if c:
            c.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
