"""Issue 2, done-when 5 and 6: hostile RTMP input closes only that connection, with a log
line, while a viewer of a live stream is untouched; a viewer that never reads does not grow
server memory past its queue bound and is cut off."""
import os
import socket
import struct
import time

from livecdn import (Central, HttpFlvViewer, amf_num, amf_obj, amf_str, check, chunk, http_flv_socket, metric_sum,
                     publish,
                     rtmp_connect_cmd, rtmp_handshake, stop, wait_closed, wait_until)


def connected(c):
    s = socket.create_connection(("127.0.0.1", c.rtmp_port), timeout=5)
    return s


def after_connect(c):
    s = connected(c)
    rtmp_handshake(s)
    s.sendall(rtmp_connect_cmd())
    return s


CASES = [
    ("random bytes instead of a handshake", lambda c: (connected(c), os.urandom(5000))),
    ("bad handshake version", lambda c: (connected(c), b"\x09" + os.urandom(1536))),
    ("chunk size 0", lambda c: (after_connect(c), chunk(2, 1, struct.pack(">I", 0)))),
    ("chunk size over 16 MiB", lambda c: (after_connect(c), chunk(2, 1, struct.pack(">I", 0x7FFFFFFF)))),
    ("message length over the cap", lambda c: (after_connect(c), chunk(3, 20, b"", length=0xFFFFF0)[:12] + b"x" * 200)),
    ("malformed AMF", lambda c: (after_connect(c), chunk(3, 20, amf_str("connect") + b"\x00\x3f\xf0"))),
    ("AMF with a bad type marker", lambda c: (after_connect(c), chunk(3, 20, amf_str("createStream") + amf_num(2) + b"\x42\x42"))),
    ("unknown command", lambda c: (after_connect(c), chunk(3, 20, amf_str("hackTheServer") + amf_num(5) + b"\x05"))),
    ("command before connect", lambda c: (rtmp_hs(c), chunk(3, 20, amf_str("publish") + amf_num(0) + b"\x05" + amf_str("x")))),
    ("chunk stream that starts with fmt 3", lambda c: (rtmp_hs(c), b"\xc5" + os.urandom(300))),
]


def rtmp_hs(c):
    s = connected(c)
    rtmp_handshake(s)
    return s


def main():
    c = Central(rtmp_extra="max_message_size: 1MiB, handshake_timeout: 3s", extra_yaml="play: {queue: 1MiB, max_skips: 3, stall_timeout: 8s}")
    pub = None
    try:
        pub = publish(c.rtmp("room"), seconds=90, size="640x360", extra=("-b:v", "2000k"))
        wait_until(lambda: "publishing push.test/live/room" in c.logs(), 10, what="publisher accepted")
        viewer = HttpFlvViewer(c.http_port, "/live/room.flv").pump(1.5)
        check(viewer.status == 200, "reference viewer is playing")
        for name, make in CASES:
            before_log = len(c.logs())
            s, payload = make(c)
            try:
                s.sendall(payload)
            except OSError:
                pass
            closed = wait_closed(s, 5)
            s.close()
            n0 = len(viewer.flv.video_frames())
            viewer.pump(0.4)
            new_log = c.logs()[before_log:]
            check(closed, f"{name}: connection closed by the server")
            check("closing" in new_log or "protocol error" in new_log or "handshake" in new_log,
                  f"{name}: a log line says why ({new_log.strip().splitlines()[-1][-110:] if new_log.strip() else ''})")
            check(len(viewer.flv.video_frames()) > n0 and not viewer.closed, f"{name}: the other viewer keeps receiving")
        # Truncated handshake: the handshake timeout reaps it.
        s = connected(c)
        s.sendall(b"\x03" + os.urandom(700))
        check(wait_closed(s, 6), "truncated handshake is reaped by the handshake timeout")
        s.close()

        # Viewers that never read: memory stays bounded and they are cut off.
        rss0 = c.rss_kb()
        stalled = [http_flv_socket(c.http_port, "/live/room.flv", rcvbuf=4096) for _ in range(5)]
        rt = []
        for _ in range(5):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", c.rtmp_port))
            rtmp_handshake(s)
            s.sendall(rtmp_connect_cmd(tc_url="rtmp://127.0.0.1/live?vhost=pull.test"))
            s.sendall(chunk(3, 20, amf_str("createStream") + amf_num(2) + b"\x05"))
            s.sendall(chunk(8, 20, amf_str("play") + amf_num(0) + b"\x05" + amf_str("room"), sid=1))
            rt.append(s)
        peak = rss0
        t0 = time.time()
        while time.time() - t0 < 20:
            viewer.pump(0.5)
            peak = max(peak, c.rss_kb())
            if c.logs().count("too slow") >= 10:
                break
        growth = (peak - rss0) / 1024
        print(f"measure: RSS {rss0 / 1024:.1f} MiB -> peak {peak / 1024:.1f} MiB with 10 stalled viewers (queue bound 1 MiB each)", flush=True)
        check(growth < 40, f"10 never-reading viewers grow memory by {growth:.1f} MiB only")
        check(c.logs().count("too slow") >= 10, f"stalled viewers are cut off ({c.logs().count('too slow')} of 10)")
        m = c.metrics()
        dropped = metric_sum(m, "livecdn_slow_viewer_dropped_frames_total")
        skips = metric_sum(m, "livecdn_slow_viewer_skips_total")
        check(dropped > skips > 0, f"metrics count the slow viewers' skips ({skips:.0f}) and the frames their queues "
              f"dropped ({dropped:.0f})")
        n0 = len(viewer.flv.video_frames())
        viewer.pump(1)
        check(len(viewer.flv.video_frames()) > n0 and not viewer.closed, "the reading viewer is untouched by stalled ones")
        for s in stalled + rt:
            s.close()
        check(c.alive(), "central survived all of it")
    finally:
        if pub:
            stop(pub)
        c.close()


if __name__ == "__main__":
    main()
