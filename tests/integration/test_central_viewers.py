"""Issue 2, done-when 3: 50 concurrent viewers (RTMP and HTTP-FLV mixed) all receive the stream
at full rate. HTTP-FLV viewers are raw sockets parsing FLV; RTMP viewers are ffmpeg processes
remuxing (-c copy) to FLV on stdout, parsed the same way. Reports central's CPU use."""
import selectors
import subprocess
import time

from livecdn import Central, FlvReader, HttpFlvViewer, check, publish, spawn, stop, wait_until

FPS = 25
N_FLV = 35
N_RTMP = 15
WINDOW = 8.0


def main():
    c = Central()
    pub = None
    rtmp_procs = []
    try:
        pub = publish(c.rtmp("room"), seconds=60, size="640x360", rate=FPS, gop=50, extra=("-b:v", "1500k"))
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="publisher accepted")
        time.sleep(1)
        flv = [HttpFlvViewer(c.http_port, "/live/room.flv") for _ in range(N_FLV)]
        for _ in range(N_RTMP):
            p = spawn(["ffmpeg", "-hide_banner", "-v", "error", "-i", c.rtmp("room", vhost="pull.test"),
                       "-c", "copy", "-f", "flv", "pipe:1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            rtmp_procs.append((p, FlvReader()))
        sel = selectors.DefaultSelector()
        for v in flv:
            v.sock.setblocking(False)
            sel.register(v.sock, selectors.EVENT_READ, ("flv", v))
        for p, r in rtmp_procs:
            import os
            os.set_blocking(p.stdout.fileno(), False)
            sel.register(p.stdout, selectors.EVENT_READ, ("rtmp", r))
        # Warm up 3 s (ffmpeg start-up), then measure frames received in WINDOW seconds.
        start_counts = None
        cpu0 = None
        t_end = time.time() + 3 + WINDOW
        t_mark = time.time() + 3
        while time.time() < t_end:
            if start_counts is None and time.time() >= t_mark:
                start_counts = [len(v.flv.video_frames()) for v in flv] + [len(r.video_frames()) for _, r in rtmp_procs]
                cpu0, t0 = c.cpu_seconds(), time.time()
            for key, _ in sel.select(timeout=0.2):
                kind, obj = key.data
                try:
                    d = key.fileobj.recv(65536) if kind == "flv" else key.fileobj.read(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                if not d:
                    sel.unregister(key.fileobj)
                    continue
                if kind == "flv":
                    if obj.status is None:
                        obj.raw += d
                        obj._parse_head()
                        if obj.status is not None:
                            obj._dechunk()
                    else:
                        obj.chunk_buf += d
                        obj._dechunk()
                else:
                    obj.feed(d)
        cpu = c.cpu_seconds() - cpu0
        elapsed = time.time() - t0
        end_counts = [len(v.flv.video_frames()) for v in flv] + [len(r.video_frames()) for _, r in rtmp_procs]
        rates = [(e - s) / elapsed for s, e in zip(start_counts, end_counts)]
        print(f"measure: {N_FLV + N_RTMP} viewers, video fps per viewer min {min(rates):.1f} "
              f"median {sorted(rates)[len(rates) // 2]:.1f} max {max(rates):.1f} (source {FPS})", flush=True)
        print(f"measure: central CPU {cpu / elapsed * 100:.1f}% of one core for {N_FLV + N_RTMP} viewers "
              f"(~1.5 Mbps stream), RSS {c.rss_kb() / 1024:.1f} MiB", flush=True)
        check(all(r >= FPS * 0.9 for r in rates), f"all {len(rates)} viewers receive >= 90% of {FPS} fps")
        check(all(v.status == 200 for v in flv), "all HTTP-FLV viewers got 200")
        for v in flv:
            check(v.flv.video_frames()[0][2], "HTTP-FLV viewer started on a key frame") if v is flv[0] else None
    finally:
        for p, _ in rtmp_procs:
            stop(p)
        if pub:
            stop(pub)
        c.close()


if __name__ == "__main__":
    main()
