// SocketWriter and TcpConnection's direct writes, over a socketpair on a real event loop: order
// of owned and shared pieces, batching into one write per loop pass, a full socket (EPOLLOUT,
// then drained), the deadline on a peer that never reads, a peer that went away, and an owner
// that destroys the writer inside its callback.
#include "lib/net/socket_writer.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "lib/net/event_loop.h"
#include "lib/net/tcp_connection.h"

namespace cdn::net {
namespace {

struct Pair {
  int a = -1, b = -1;
  explicit Pair(int sndbuf = 0) {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
    fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
    fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
    if (sndbuf > 0) {
      setsockopt(a, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
      setsockopt(b, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof sndbuf);
    }
  }
  ~Pair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }
  std::string ReadAll() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = read(b, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

struct Recorder : SocketWriter::Owner {
  int drained = 0;
  std::string error;
  std::function<void()> on_drained;
  void OnWriterDrained() override {
    ++drained;
    if (on_drained) on_drained();
  }
  void OnWriterError(std::string_view why) override { error = std::string(why); }
};

void RunFor(EventLoop* loop, int64_t ms) {
  Timer stop(loop, [loop] { loop->Stop(); });
  stop.Start(ms);
  loop->Run();
}

// Runs the loop, reading the pair's far end every 5 ms, until `done` (checked after each read)
// or 5 s; returns what was read.
std::string ReadUntil(EventLoop* loop, Pair* p, const std::function<bool(const std::string&)>& done) {
  std::string got;
  Timer reader(loop, [&] {
    got += p->ReadAll();
    if (done(got)) loop->Stop();
  });
  reader.Start(5, /*repeat=*/true);
  Timer cap(loop, [loop] { loop->Stop(); });
  cap.Start(5000);
  loop->Run();
  return got + p->ReadAll();
}

}  // namespace

TEST_CASE("SocketWriter keeps order and writes a loop pass's pieces together") {
  EventLoop loop;
  Pair p;
  Recorder r;
  SocketWriter w(loop.base(), p.a, 0, &r);
  auto shared = base::MakeShared(std::string(1000, 'x'));
  w.Write("head:");
  w.WriteShared(shared);
  w.Write(":mid:");
  w.WriteShared(shared);
  w.Write(":tail");
  CHECK(w.pending() == 2015);
  CHECK(p.ReadAll().empty());  // nothing leaves before the loop pass ends
  CHECK(shared.use_count() == 3);  // held by reference, not copied
  RunFor(&loop, 50);
  CHECK(w.pending() == 0);
  CHECK(r.drained == 1);  // one flush for the whole batch
  CHECK(shared.use_count() == 1);  // released once written
  CHECK(p.ReadAll() == "head:" + std::string(1000, 'x') + ":mid:" + std::string(1000, 'x') + ":tail");
  CHECK(r.error.empty());
}

TEST_CASE("SocketWriter waits for a full socket to drain and loses nothing") {
  EventLoop loop;
  Pair p(16384);
  Recorder r;
  SocketWriter w(loop.base(), p.a, 0, &r);
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    std::string piece(10000, static_cast<char>('a' + i % 26));
    expect += piece;
    w.WriteShared(base::MakeShared(piece));
  }
  RunFor(&loop, 20);
  CHECK(w.pending() > 0);  // the socket took only part of 2 MB
  const std::string got =
      ReadUntil(&loop, &p, [&](const std::string& read) { return w.pending() == 0 && read.size() == expect.size(); });
  CHECK(w.pending() == 0);
  CHECK(got == expect);
  CHECK(r.drained >= 1);
  CHECK(r.error.empty());
}

TEST_CASE("SocketWriter reports a peer that never reads once the deadline passes") {
  EventLoop loop;
  Pair p(16384);
  Recorder r;
  SocketWriter w(loop.base(), p.a, 0, &r);
  w.SetDeadline(100);
  w.WriteShared(base::MakeShared(std::string(4 << 20, 'z')));
  RunFor(&loop, 400);
  CHECK(r.error == "write timeout");
  CHECK(w.pending() > 0);
}

TEST_CASE("SocketWriter reports a peer that went away") {
  signal(SIGPIPE, SIG_IGN);
  EventLoop loop;
  Pair p;
  close(p.b);
  p.b = -1;
  Recorder r;
  SocketWriter w(loop.base(), p.a, 0, &r);
  w.Write("hello");
  RunFor(&loop, 50);
  CHECK(r.error.rfind("socket error: ", 0) == 0);
}

TEST_CASE("SocketWriter may be destroyed by its owner inside the drained callback") {
  EventLoop loop;
  Pair p;
  Recorder r;
  auto w = std::make_unique<SocketWriter>(loop.base(), p.a, 0, &r);
  r.on_drained = [&] { w.reset(); };
  w->Write("bye");
  RunFor(&loop, 50);
  CHECK(!w);
  CHECK(p.ReadAll() == "bye");
}

namespace {
struct Sink : TcpConnection::Delegate {
  std::string closed;
  int writable = 0;
  void OnData(std::string_view) override {}
  void OnWritable() override { ++writable; }
  void OnClosed(std::string_view why) override { closed = std::string(why); }
};
}  // namespace

TEST_CASE("TcpConnection writes directly and a flushing Close sends everything first") {
  EventLoop loop;
  Pair p(16384);
  Sink sink;
  auto c = std::make_unique<TcpConnection>(&loop, p.a, "test");
  p.a = -1;  // owned by the connection now
  c->Start(&sink, 0);
  std::string expect;
  for (int i = 0; i < 50; ++i) {
    std::string piece(20000, static_cast<char>('A' + i % 26));
    expect += piece;
    c->WriteShared(base::MakeShared(piece));
  }
  c->Write("END");
  expect += "END";
  CHECK(c->pending_output() == expect.size());
  c->Close(/*flush=*/true);
  CHECK(sink.closed.empty());  // still flushing
  const std::string got = ReadUntil(&loop, &p, [&](const std::string&) { return !sink.closed.empty(); });
  CHECK(sink.closed == "closed by server");
  CHECK(got == expect);
}

}  // namespace cdn::net
