"""Issue 2, done-when 1 and 2: ffmpeg publishes H.264/AAC to central; ffprobe and ffmpeg play
it over RTMP and HTTP-FLV with the right codecs and size and no decode error; a viewer joining
mid-stream starts on a key frame and the time to first frame is measured."""
import time

from livecdn import (Central, HttpFlvViewer, check, ffprobe_streams, publish, run, stop, wait_until)


def main():
    c = Central()
    pub = None
    try:
        pub = publish(c.rtmp("room"), seconds=40, size="640x360", gop=50)
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="publisher accepted")
        for url in (c.rtmp("room", vhost="pull.test"), c.flv("room")):
            rc, out, err = ffprobe_streams(url)
            check(rc == 0, f"ffprobe {url} exits 0 ({err.strip()})")
            check("codec_name=h264|width=640|height=360" in out, f"ffprobe sees h264 640x360 on {url}: {out.strip()!r}")
            check("codec_name=aac" in out, f"ffprobe sees aac on {url}")
        for url in (c.rtmp("room", vhost="pull.test"), c.flv("room")):
            t0 = time.time()
            r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", url, "-t", "5", "-f", "null", "-"], timeout=30)
            check(r.returncode == 0 and r.stderr.strip() == "", f"ffmpeg decodes 5 s of {url} with no error ({r.stderr.strip()[:300]!r}) in {time.time() - t0:.1f}s")

        # Mid-stream join: the first video frame a viewer gets is a key frame, and it decodes cleanly.
        time.sleep(1.3)  # land in the middle of a 2 s GOP
        v = HttpFlvViewer(c.http_port, "/live/room.flv").pump(3)
        check(v.status == 200, "HTTP-FLV answers 200")
        check(v.headers.get("access-control-allow-origin") == "*", "HTTP-FLV has CORS headers")
        frames = v.flv.video_frames()
        check(len(frames) > 0 and frames[0][2], "first video frame of a mid-stream viewer is a key frame")
        ttff = v.first_video_at - v.started
        print(f"measure: time to first video frame (HTTP-FLV, raw socket): {ttff * 1000:.1f} ms", flush=True)
        check(ttff < 1.0, f"first frame within 1 s thanks to the GOP cache ({ttff * 1000:.0f} ms)")
        v.close()
        for url in (c.rtmp("room", vhost="pull.test"), c.flv("room")):
            t0 = time.time()
            r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", url, "-frames:v", "1", "-f", "null", "-"], timeout=30)
            dt = time.time() - t0
            check(r.returncode == 0 and r.stderr.strip() == "", f"mid-stream join decodes from its first frame ({r.stderr.strip()[:200]!r})")
            print(f"measure: ffmpeg open + first decoded frame via {url.split(':')[0]}: {dt * 1000:.0f} ms", flush=True)

        # A stream nobody publishes: 404 after the bounded wait, never a hang.
        t0 = time.time()
        v = HttpFlvViewer(c.http_port, "/live/nothing.flv").pump(8)
        check(v.status == 404, f"unpublished stream answers 404 (got {v.status})")
        check(4 <= time.time() - t0 < 8, f"404 after the 5 s wait ({time.time() - t0:.1f}s)")
        r = run(["ffprobe", "-v", "error", c.rtmp("nothing", vhost="pull.test")], timeout=20)
        check(r.returncode != 0, "RTMP play of an unpublished stream fails (StreamNotFound)")
        check("StreamNotFound" in c.logs() or "stream not found" in c.logs(), "log says stream not found")
        # Unknown vhost: rejected with a clear log line.
        r = run(["ffprobe", "-v", "error", c.rtmp("room", vhost="evil.test")], timeout=20)
        check(r.returncode != 0 and "unknown domain" in c.logs(), "unknown vhost is rejected with a log line")
        check(c.alive(), "central still running")
    finally:
        if pub:
            stop(pub)
        rc = c.close()
    check(rc == 0, f"central exits 0 on SIGTERM (got {rc})")


if __name__ == "__main__":
    main()
