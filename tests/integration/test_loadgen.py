"""Issue 11, cdn-loadgen against a real central: ffmpeg publishes H.264/AAC (GOP 2 s); 50 RTMP and
50 HTTP-FLV viewers for ~8 s and 5 HLS viewers for ~10 s all connect, none fails, each keeps up
with the stream (media time / wall time > 0.9, no stall) and sees its first key frame quickly (GOP
cache); bad URLs fail every client with the reason counted; and publish mode sends an FLV file
made by ffmpeg, looped, that ffprobe identifies and ffmpeg decodes across the loop boundary."""
import json
import os
import tempfile
import urllib.request

from livecdn import BIN, Central, HttpFlvViewer, check, free_port, publish, run, spawn, stop, wait_until

LOADGEN = os.path.join(BIN, "cdn-loadgen")


def loadgen_args(*args):
    return [LOADGEN, "--json", "--timeout", "3000", *args]


def result(proc, what):
    out, err = proc.communicate(timeout=60)
    try:
        r = json.loads(out)
    except ValueError:
        raise AssertionError(f"{what}: no JSON report (rc {proc.returncode}): {out[:300]!r} {err[:300]!r}")
    print(f"measure: {what}: connected {r['connected']}/{r['connections']}, failed {r['failed']} {r['failures']}, "
          f"kbit/s p5 {r['bytes_per_s']['p5'] * 8 / 1000:.0f}, keep-up min {r['keep_up']['min']:.3f} "
          f"p50 {r['keep_up']['p50']:.3f}, first key frame p50 {r['first_keyframe_ms']['p50']:.1f} ms "
          f"p99 {r['first_keyframe_ms']['p99']:.1f} ms, stalls {r['stalls']}, loadgen cpu {r['loadgen_cpu_s']:.2f} s",
          flush=True)
    return r


def start(*args):
    import subprocess
    return spawn(loadgen_args(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    c = Central()
    pub = None
    tmp = tempfile.mkdtemp(prefix="loadgen-test-")
    try:
        pub = publish(c.rtmp("room"), seconds=40, size="320x240", gop=50)
        probe = HttpFlvViewer(c.http_port, "/live/room.flv?vhost=pull.test")
        wait_until(lambda: probe.pump(0.2).first_video_at is not None, 15, what="the stream plays over HTTP-FLV")
        probe.close()
        # HLS viewers join a stream in steady state: a live window of 3 segments, as hls.js expects
        # (liveSyncDurationCount). Joining with one segment listed stalls a real player too.
        m3u8 = f"http://127.0.0.1:{c.http_port}/live/room.m3u8?vhost=pull.test"

        def segments_listed():
            try:
                with urllib.request.urlopen(m3u8, timeout=2) as resp:
                    return resp.read().decode().count("#EXTINF:")
            except OSError:
                return 0
        wait_until(lambda: segments_listed() >= 3, 20, step=0.2, what="the HLS playlist lists 3 segments")

        # Live viewers of the three kinds at once, each process with its own bounds.
        rtmp = start("--rtmp-play", c.rtmp("room", vhost="pull.test"), "-n", "50", "--ramp", "200", "--duration", "8")
        flv = start("--flv-play", c.flv("room"), "-n", "50", "--ramp", "200", "--duration", "8", "--threads", "2")
        hls = start("--hls-play", m3u8, "-n", "5",
                    "--duration", "10")
        for proc, what in ((rtmp, "RTMP x50"), (flv, "HTTP-FLV x50")):
            r = result(proc, what)
            check(proc.returncode == 0, f"{what}: loadgen exits 0")
            check(r["connected"] == 50 and r["failed"] == 0, f"{what}: all 50 connected, none failed ({r['failures']})")
            check(r["keep_up"]["measured"] == 50 and r["keep_up"]["min"] > 0.9,
                  f"{what}: every viewer keeps up (min {r['keep_up']['min']:.3f})")
            check(r["keep_up"]["p50"] < 1.2, f"{what}: keep-up is not inflated ({r['keep_up']['p50']:.3f})")
            check(r["first_keyframe_ms"]["missing"] == 0 and r["first_keyframe_ms"]["p50"] < 1000,
                  f"{what}: first key frame p50 {r['first_keyframe_ms']['p50']:.1f} ms (< 1 s with the GOP cache)")
            check(r["stalls"] == 0, f"{what}: no stall")
            # ~300 kbit/s of 320x240 testsrc2 + 64k AAC; a viewer stuck after the GOP burst would be far lower.
            check(r["bytes_per_s"]["min"] * 8 > 100_000, f"{what}: each viewer gets > 100 kbit/s")
        r = result(hls, "HLS x5")
        check(r["connected"] == 5 and r["failed"] == 0, f"HLS: all 5 connected, none failed ({r['failures']})")
        check(r["first_keyframe_ms"]["missing"] == 0, "HLS: every viewer downloaded segments")
        check(r["stalls"] == 0, "HLS: no stall")
        check(r["bytes"] > 5 * 100_000, f"HLS: segments carried bytes ({r['bytes']})")

        # Bad URLs: every client fails, and the report says why.
        dead = free_port()
        p = start("--rtmp-play", f"rtmp://127.0.0.1:{dead}/live/room", "-n", "20", "--duration", "5")
        r = result(p, "RTMP to a closed port")
        check(p.returncode == 1 and r["connected"] == 0 and r["failed"] == 20, "closed port: failed == 20, exit 1")
        check(any("refused" in k and v == 20 for k, v in r["failures"].items()), f"reason counted: {r['failures']}")
        p = start("--flv-play", c.flv("nosuchstream"), "-n", "10", "--duration", "8")
        r = result(p, "HTTP-FLV of a missing stream")
        check(r["connected"] == 0 and r["failed"] == 10 and r["failures"].get("HTTP 404") == 10,
              f"missing stream: 10 x HTTP 404 ({r['failures']})")
        p = start("--rtmp-play", c.rtmp("nosuchstream", vhost="pull.test"), "-n", "10", "--duration", "8")
        r = result(p, "RTMP play of a missing stream")
        check(r["connected"] == 0 and r["failed"] == 10, f"missing stream over RTMP: failed == 10 ({r['failures']})")

        # Publish mode: a 3 s file from ffmpeg, looped by the loadgen for 12 s.
        clip = os.path.join(tmp, "clip.flv")
        g = run(["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                 "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3", "-c:v", "libx264",
                 "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv",
                 clip])
        check(g.returncode == 0, "ffmpeg made a 3 s FLV clip")
        pubp = start("--rtmp-publish", c.rtmp("looped"), "--file", clip, "--duration", "12")
        wait_until(lambda: "publishing push.test/live/looped" in c.logs(), 10, what="loadgen publisher accepted")
        pr = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of",
                  "compact=p=0:nk=0", c.rtmp("looped", vhost="pull.test")], timeout=20)
        check("codec_name=h264|width=320|height=240" in pr.stdout and "codec_name=aac" in pr.stdout,
              f"ffprobe sees the published h264 320x240 + aac ({pr.stdout.strip()!r} {pr.stderr.strip()[:200]!r})")
        d = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", c.flv("looped"), "-t", "5", "-f", "null", "-"], timeout=30)
        check(d.returncode == 0 and d.stderr.strip() == "",
              f"5 s decode across a loop boundary without error ({d.stderr.strip()[:300]!r})")
        r = result(pubp, "publish x1")
        check(r["connected"] == 1 and r["failed"] == 0, f"publisher ran to the end ({r['failures']})")
        check(0.9 < r["keep_up"]["p50"] < 1.1, f"publisher sent in real time (keep-up {r['keep_up']['p50']:.3f})")
        check(c.alive(), "central survived")
    finally:
        if pub:
            stop(pub)
        c.close()


if __name__ == "__main__":
    main()
