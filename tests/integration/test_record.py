"""Issue 7, recording done-when 3 and 4, with real ffmpeg/ffprobe:
- a 20 s publish to a `record: true` domain yields an FLV that decodes with zero errors and
  lasts 20 s +- 1 s; the catalog (API and `cdnctl records`) lists it, also after a restart; the
  admin API serves the file and the download decodes;
- kill -9 of central mid-recording leaves a file that decodes (repaired into the catalog at the
  next start);
- `record.format: mp4` with a short `record.segment` rotates files and remuxes each to a
  faststart MP4;
- a record path that cannot be written stops recording for that stream (error log, metric) while
  an HTTP-FLV viewer keeps receiving 25 fps;
- with `record.renditions: true`, a recorded domain's transcoded rendition `<stream>_sd` is
  recorded too, at the template's size."""
import json
import os
import subprocess
import tempfile
import time
import urllib.request

from livecdn import BIN, Central, HttpFlvViewer, check, metric_sum, publish, run, stop, wait_until

DOMAINS = """
domains:
  - {name: push.test, type: push, record: true}
  - {name: pull.test, type: pull, source: push.test}
"""


def records(c, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    req = urllib.request.Request(f"http://127.0.0.1:{c.admin_port}/api/v1/records" + ("?" + qs if qs else ""),
                                 headers={"Authorization": "Bearer test-token"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)["records"]


def probe_duration(path):
    r = run(["ffprobe", "-v", "error", "-show_entries", "format=duration,format_name", "-of", "json", path])
    f = json.loads(r.stdout or "{}").get("format", {})
    return float(f.get("duration", -1)), f.get("format_name", "")


def decode_errors(path):
    r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", path, "-f", "null", "-"], timeout=120)
    return r.returncode, r.stderr.strip()


def video_size(path):
    r = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
             "-of", "json", path])
    streams = json.loads(r.stdout or "{}").get("streams", [])
    return (streams[0].get("codec_name"), streams[0].get("width"), streams[0].get("height")) if streams else None


def renditions():
    """record.renditions: the source and its `sd` rendition are both recorded."""
    passed = 0
    c = Central(domains_yaml="""
domains:
  - {name: push.test, type: push, transcode: [sd], record: true}
""", extra_yaml="""
transcode:
  templates:
    sd: {width: 160, height: 120, video_bitrate: 100k, audio_bitrate: 32k, preset: ultrafast}
record: {renditions: true}
""")
    pub = None
    try:
        pub = publish(c.rtmp("tc"), seconds=8)
        pub.wait(timeout=60)
        pub = None
        # The rendition's file closes when its ffmpeg has flushed and the output is unpublished.
        wait_until(lambda: sorted((r["stream"], r["state"]) for r in records(c)) == [("tc", "done"), ("tc_sd", "done")],
                   15, step=0.2, what="the source and rendition recordings done")
        by_stream = {r["stream"]: r for r in records(c)}
        sd = by_stream["tc_sd"]
        print(sd)
        check(sd["domain"] == "push.test" and "/push.test/live/tc_sd/" in sd["path"] and sd["format"] == "flv",
              "the rendition is in the catalog under its own name")
        size = video_size(sd["path"])
        check(size == ("h264", 160, 120), f"the rendition's recording is at the template's 160x120 ({size})")
        rc, err = decode_errors(sd["path"])
        dur, _ = probe_duration(sd["path"])
        check(rc == 0 and err == "" and dur >= 4, f"the rendition's recording decodes ({dur:.1f} s, {err[:200]})")
        check(video_size(by_stream["tc"]["path"]) == ("h264", 320, 240), "the source is recorded at its own 320x240")
        passed += 4
    finally:
        if pub:
            stop(pub)
        c.close()
    return passed


def main():
    passed = 0
    c = Central(domains_yaml=DOMAINS)
    c_mp4 = Central(domains_yaml=DOMAINS, extra_yaml="record: {format: mp4, segment: 4s}")
    bad = Central(domains_yaml=DOMAINS, extra_yaml="record: {path: /dev/null/recordings}")
    pubs = []
    viewer = None
    try:
        # Three publishers at once (tiny encodes): the 20 s recording, rotation + mp4, a bad path.
        pubs.append(publish(c.rtmp("room"), seconds=20))
        pubs.append(publish(c_mp4.rtmp("rot"), seconds=11))
        pubs.append(publish(bad.rtmp("live1"), seconds=40))
        time.sleep(1.5)
        viewer = HttpFlvViewer(bad.http_port, "/live/live1.flv")
        viewer.pump(2)
        wait_until(lambda: metric_sum(bad.metrics(), "livecdn_recording_failures_total", reason="open_error") == 1, 10,
                   what="the open error counted")
        check("recording stopped: mkdir /dev/null/recordings" in bad.logs(), "the bad path is logged with the reason")
        before = len(viewer.flv.video_frames())
        viewer.pump(4)
        got = len(viewer.flv.video_frames()) - before
        check(got >= 90, f"the live viewer is untouched by the failed recording ({got} video frames in 4 s)")
        check(bad.alive(), "central with an unwritable record path stays up")
        passed += 3

        for p in pubs[:2]:
            p.wait(timeout=60)
        wait_until(lambda: [r["state"] for r in records(c)] == ["done"], 10, what="the 20 s recording done")
        rec = records(c)[0]
        print(rec)
        check(rec["stream"] == "room" and rec["domain"] == "push.test" and rec["format"] == "flv", "catalog entry names the stream")
        check(os.path.basename(rec["path"]).startswith("room-") and "/push.test/live/room/" in rec["path"],
              "file named by vhost/app/stream/start time")
        dur, fmt = probe_duration(rec["path"])
        print(f"recorded duration: ffprobe {dur:.2f} s, catalog {rec['duration_ms']} ms")
        check(abs(dur - 20) <= 1 and abs(rec["duration_ms"] / 1000 - 20) <= 1, "the recording lasts 20 s +- 1 s")
        rc, err = decode_errors(rec["path"])
        check(rc == 0 and err == "", f"the recording decodes with zero errors ({err[:200]})")
        check(rec["bytes"] == os.path.getsize(rec["path"]), "catalog bytes = file size")
        passed += 5

        # Download over the admin API; refused without the token.
        url = f"http://127.0.0.1:{c.admin_port}/api/v1/records/{rec['id']}/download"
        try:
            urllib.request.urlopen(url, timeout=5)
            check(False, "download without a token is refused")
        except urllib.error.HTTPError as e:
            check(e.code == 401, f"download without a token: {e.code}")
        out = os.path.join(c.dir, "download.flv")
        r = run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{c.admin_port}", "--token", "test-token",
                 "records", "download", rec["id"], "--out", out])
        check(r.returncode == 0 and open(out, "rb").read() == open(rec["path"], "rb").read(),
              f"cdnctl records download returns the file ({r.stdout.strip()} {r.stderr.strip()})")
        passed += 2

        # The catalog survives a restart; cdnctl lists it.
        c.restart()
        r = run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{c.admin_port}", "--token", "test-token",
                 "records", "--stream", "room", "--json"])
        listed = json.loads(r.stdout)["records"] if r.returncode == 0 else []
        check([x["id"] for x in listed] == [rec["id"]], "cdnctl records lists the recording after a restart")
        r = run([os.path.join(BIN, "cdnctl"), "--api", f"http://127.0.0.1:{c.admin_port}", "--token", "test-token",
                 "records"])
        print(r.stdout)
        check(rec["id"] in r.stdout and "done" in r.stdout, "cdnctl records table")
        passed += 2

        # kill -9 mid-recording: the file decodes up to the last GOP; the catalog is repaired.
        pub = publish(c.rtmp("crash"), seconds=30)
        pubs.append(pub)
        time.sleep(8)
        c.restart(sig=9)
        stop(pub)
        crash = [x for x in records(c, stream="crash")]
        check(len(crash) == 1 and crash[0]["state"] == "done" and crash[0].get("recovered"),
              f"the interrupted recording is repaired in the catalog ({crash})")
        rc, err = decode_errors(crash[0]["path"])
        dur, _ = probe_duration(crash[0]["path"])
        print(f"after kill -9: {dur:.2f} s recorded, catalog {crash[0]['duration_ms']} ms")
        check(rc == 0 and err == "" and dur >= 4, f"the interrupted recording decodes ({dur:.1f} s, {err[:200]})")
        passed += 2

        # mp4 + rotation: 11 s with 4 s segments -> 3 faststart MP4 files.
        wait_until(lambda: len(records(c_mp4)) >= 3 and all(x["format"] == "mp4" for x in records(c_mp4)), 15,
                   what="rotated mp4 recordings")
        mp4s = records(c_mp4)
        total = 0
        for x in mp4s:
            dur, fmt = probe_duration(x["path"])
            total += dur
            data = open(x["path"], "rb").read()
            check(x["path"].endswith(".mp4") and "mp4" in fmt and 0 <= data.find(b"moov") < data.find(b"mdat"),
                  f"{os.path.basename(x['path'])}: faststart MP4, {dur:.2f} s")
            check(not os.path.exists(x["path"][:-4] + ".flv"), "the FLV is removed after the remux")
        check(len(mp4s) == 3 and abs(total - 11) <= 1.5, f"rotation every 4 s: {len(mp4s)} files, {total:.1f} s in all")
        passed += 2 * len(mp4s) + 1
    finally:
        if viewer:
            viewer.close()
        for p in pubs:
            stop(p)
        for x in (c, c_mp4, bad):
            x.close()
    passed += renditions()
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
