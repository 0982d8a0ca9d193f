"""Raw RTMP publishing and raw HTTP requests for the abuse tests (test_abuse_*.py): a publisher
that names any app/stream (bytes ffmpeg would not send), sends a few real FLV tags and leaves,
and an HTTP client that sends exactly the bytes given. Standard library only; every socket has a
timeout."""
import os
import socket
import struct
import subprocess

from livecdn import amf_num, amf_str, chunk


def sample_tags(frames=3):
    """Real FLV tags (metadata, AVC/AAC sequence headers, a key frame...) from a tiny ffmpeg
    encode: [(type, timestamp, body)]."""
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-frames:v", str(frames), "-t", "0.12",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k",
         "-f", "flv", "-"], capture_output=True, timeout=30, check=True).stdout
    assert out[:3] == b"FLV"
    pos, tags = 13, []
    while pos + 11 <= len(out):
        ttype, size = out[pos], int.from_bytes(out[pos + 1:pos + 4], "big")
        ts = int.from_bytes(out[pos + 4:pos + 7], "big") | (out[pos + 7] << 24)
        if pos + 11 + size > len(out):
            break
        if ttype in (8, 9, 18):
            tags.append((ttype, ts, out[pos + 11:pos + 11 + size]))
        pos += 11 + size + 4
    return tags


def rtmp_handshake(sock):
    """The simple handshake (C0 C1, read S0 S1 S2, C2 = S1), with os.urandom for speed."""
    sock.sendall(b"\x03" + struct.pack(">II", 0, 0) + os.urandom(1528))
    need, got = 1 + 1536 * 2, b""
    while len(got) < need:
        d = sock.recv(need - len(got))
        if not d:
            raise ConnectionError("server closed during handshake")
        got += d
    sock.sendall(got[1:1537])


def amf_raw_str(b):
    """An AMF0 string from raw bytes (may be invalid UTF-8)."""
    return b"\x02" + len(b).to_bytes(2, "big") + b


def publish_request(app, name, vhost="push.test"):
    """The bytes after the handshake: connect (app, tcUrl with ?vhost=), createStream, publish."""
    app_b = app if isinstance(app, bytes) else app.encode()
    name_b = name if isinstance(name, bytes) else name.encode()
    tc = b"rtmp://127.0.0.1/" + app_b + b"?vhost=" + vhost.encode()
    connect = (amf_str("connect") + amf_num(1) + b"\x03" + b"\x00\x03app" + amf_raw_str(app_b)
               + b"\x00\x05tcUrl" + amf_raw_str(tc) + b"\x00\x00\x09")
    return (chunk(3, 20, connect, chunk_size=128)
            + chunk(3, 20, amf_str("createStream") + amf_num(2) + b"\x05")
            + chunk(8, 20, amf_str("publish") + amf_num(0) + b"\x05" + amf_raw_str(name_b) + amf_str("live"), sid=1))


class RawPublisher:
    """Connects, handshakes and asks to publish app/name; `accepted` says whether the server
    answered NetStream.Publish.Start. send_tags() then sends FLV tags as RTMP messages."""

    def __init__(self, port, app, name, vhost="push.test", timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtmp_handshake(self.sock)
        # Chunk size 4096 for the media that follows (the commands above fit in 128-byte chunks).
        self.sock.sendall(chunk(2, 1, (4096).to_bytes(4, "big")) + publish_request(app, name, vhost))
        self.reply = b""
        self.accepted = False
        self.closed = False
        while not self.accepted and not self.closed and len(self.reply) < 65536:
            try:
                d = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                d = b""
            if not d:
                self.closed = True
                break
            self.reply += d
            if b"NetStream.Publish.Start" in self.reply:
                self.accepted = True
            elif b"NetStream.Publish.BadName" in self.reply or b"_error" in self.reply:
                break

    def send_tags(self, tags):
        out = b""
        for ttype, ts, body in tags:
            csid = 4 if ttype == 8 else 6 if ttype == 9 else 5
            out += chunk(csid, ttype, body, ts=ts & 0xFFFFFF, sid=1, chunk_size=4096)
        self.sock.sendall(out)

    def close(self):
        self.sock.close()


def http_raw(port, data, timeout=15):
    """Sends bytes, reads the answer until the server closes (or timeout). Returns (status or None
    when it closed without answering, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while len(got) < 1 << 20:
            try:
                d = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            got += d
    finally:
        s.close()
    if not got.startswith(b"HTTP/"):
        return None, got
    head, _, body = got.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def http_get(port, path, host="pull.test", headers=b""):
    return http_raw(port, b"GET " + (path if isinstance(path, bytes) else path.encode())
                    + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n" + headers + b"Connection: close\r\n\r\n")
