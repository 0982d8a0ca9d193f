"""Issue 2, done-when 4: publisher reconnect rules.
 a) a second live publisher to the same stream is rejected (NetStream.Publish.BadName);
 b) a publisher whose connection died (kill -9) can publish again at once;
 c) viewers stay connected through a reconnect within the grace and keep decoding, with
    timestamps that keep increasing;
 d) after the grace expires with no publisher, viewers are ended and the stream is freed."""
import json
import signal
import time
import urllib.request

from livecdn import Central, HttpFlvViewer, check, publish, run, spawn, stop, wait_until
import subprocess


def streams(c):
    with urllib.request.urlopen(f"http://127.0.0.1:{c.admin_port}/api/v1/streams", timeout=5) as r:
        return json.load(r)["streams"]


def main():
    c = Central(extra_yaml="publish: {reconnect_grace: 4s}")
    procs = []
    try:
        p1 = publish(c.rtmp("room"), seconds=60)
        procs.append(p1)
        wait_until(lambda: c.logs().count("publishing push.test/live/room") == 1, 10, what="first publisher")
        # a) second live publisher rejected.
        p2 = publish(c.rtmp("room"), seconds=60)
        procs.append(p2)
        p2.wait(timeout=15)
        err = p2.stderr.read().decode(errors="replace")
        check(p2.returncode != 0, f"second publisher is refused (ffmpeg exit {p2.returncode}: {err.strip()[:120]!r})")
        check("already has a live publisher" in c.logs(), "log says the stream already has a live publisher")

        # A viewer (raw FLV) and a decoding ffmpeg viewer ride through the reconnect.
        v = HttpFlvViewer(c.http_port, "/live/room.flv").pump(2)
        dec = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-i", c.flv("room"), "-t", "9", "-f", "null", "-"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(dec)
        time.sleep(2)
        # b) kill -9 the publisher: a new one publishes at once.
        p1.send_signal(signal.SIGKILL)
        p1.wait()
        t_kill = time.time()
        p3 = publish(c.rtmp("room"), seconds=60)
        procs.append(p3)
        wait_until(lambda: c.logs().count("publishing push.test/live/room") == 2, 10, what="republish")
        dt = time.time() - t_kill
        check(dt < 3, f"a dead publisher's stream can be published again at once ({dt:.2f}s incl. ffmpeg start)")
        check(p3.poll() is None, "the new publisher keeps publishing")
        # c) viewers continue.
        n_before = len(v.flv.video_frames())
        v.pump(4)
        frames = v.flv.video_frames()
        check(not v.closed and len(frames) - n_before >= 50, f"FLV viewer kept receiving through the reconnect ({len(frames) - n_before} frames)")
        ts = [t[1] for t in frames]
        check(all(b >= a for a, b in zip(ts, ts[1:])), "video timestamps never go backwards across the reconnect")
        dec.wait(timeout=30)
        derr = dec.stderr.read().decode(errors="replace").strip()
        check(dec.returncode == 0, f"decoding viewer played 9 s across the reconnect (exit {dec.returncode}, {derr[:200]!r})")

        # d) grace expiry: stop the publisher, the viewer is ended after ~4 s and the stream freed.
        stop(p3)
        t0 = time.time()
        v.pump(8)
        check(v.closed, f"viewer ended after the grace ({time.time() - t0:.1f}s)")
        wait_until(lambda: streams(c) == [], 20, what="stream freed")
        check(True, "stream freed once publisher and viewers are gone")
        # Many short streams: nothing is left behind.
        for i in range(5):
            p = publish(c.rtmp(f"short{i}"), seconds=1)
            p.wait(timeout=20)
        wait_until(lambda: streams(c) == [], 20, what="short streams freed")
        check(True, "short streams are freed")
        check(c.alive(), "central still running")
    finally:
        for p in procs:
            stop(p)
        c.close()


if __name__ == "__main__":
    main()
