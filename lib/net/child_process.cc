#include "lib/net/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <event2/util.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "lib/base/log.h"

namespace cdn::net {

namespace {

// Reaps the children started on one loop: SIGCHLD -> waitpid(pid, WNOHANG) for each pid we own.
struct Reaper {
  std::map<pid_t, std::function<void(int)>> waiting;  // null callback: destroyed owner, reap only
  void ReapSome() {
    for (auto it = waiting.begin(); it != waiting.end();) {
      int status = 0;
      pid_t r = waitpid(it->first, &status, WNOHANG);
      if (r == it->first || (r < 0 && errno == ECHILD)) {
        auto cb = std::move(it->second);
        it = waiting.erase(it);
        if (cb) cb(r < 0 ? 0 : status);
      } else {
        ++it;
      }
    }
  }
};

std::map<EventLoop*, std::unique_ptr<Reaper>>& Reapers() {
  static std::map<EventLoop*, std::unique_ptr<Reaper>> r;
  return r;
}

Reaper* ReaperFor(EventLoop* loop) {
  auto& all = Reapers();
  auto it = all.find(loop);
  if (it != all.end()) return it->second.get();
  auto r = std::make_unique<Reaper>();
  Reaper* raw = r.get();
  all.emplace(loop, std::move(r));
  loop->OnSignal(SIGCHLD, [raw] { raw->ReapSome(); });
  return raw;
}

void CloseFrom(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, lowest, ~0U, 0) == 0) return;
#endif
  for (int fd = lowest; fd < 4096; ++fd) close(fd);
}

}  // namespace

// Splits the child's stderr into lines for the owner's log.
class ChildProcess::StderrReader : public TcpConnection::Delegate {
 public:
  StderrReader(EventLoop* loop, int fd, std::function<void(std::string_view)> cb)
      : conn_(loop, fd, "stderr"), cb_(std::move(cb)) {
    conn_.Start(this, 0);
  }
  void OnData(std::string_view data) override {
    for (char c : data) {
      if (c == '\n' || c == '\r') {
        Flush();
      } else if (line_.size() < 4096) {
        line_ += c;
      }
    }
  }
  void OnClosed(std::string_view) override { Flush(); }

 private:
  void Flush() {
    if (!line_.empty() && cb_) cb_(line_);
    line_.clear();
  }
  TcpConnection conn_;
  std::function<void(std::string_view)> cb_;
  std::string line_;
};

base::Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(EventLoop* loop, ChildOptions options,
                                                               std::function<void(int)> on_exit) {
  if (options.argv.empty()) return base::Status::Invalid("empty command");
  Reaper* reaper = ReaperFor(loop);
  // Parent ends [0], child ends [1]; -1 where not piped.
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      if (fd >= 0) close(fd);
  };
  auto pair = [](int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0; };
  if ((options.pipe_stdin && !pair(in)) || (options.pipe_stdout && !pair(out)) || !pair(err)) {
    const std::string why = strerror(errno);
    close_all();
    return base::Status::Internal("socketpair: " + why);
  }
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    const std::string why = strerror(errno);
    close_all();
    return base::Status::Internal("fork: " + why);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int devnull = open("/dev/null", O_RDWR);
    dup2(in[1] >= 0 ? in[1] : devnull, 0);
    dup2(out[1] >= 0 ? out[1] : devnull, 1);
    dup2(err[1], 2);
    CloseFrom(3);
    execvp(argv[0], argv.data());
    static const char kMsg[] = "exec failed\n";
    (void)!write(2, kMsg, sizeof kMsg - 1);
    _exit(127);
  }
  for (int fd : {in[1], out[1], err[1]})
    if (fd >= 0) close(fd);

  auto c = std::unique_ptr<ChildProcess>(new ChildProcess(loop));
  c->pid_ = pid;
  c->on_exit_ = std::move(on_exit);
  if (in[0] >= 0) {
    evutil_make_socket_nonblocking(in[0]);
    c->stdin_ = std::make_unique<TcpConnection>(loop, in[0], "stdin of " + options.argv[0]);
  }
  if (out[0] >= 0) {
    evutil_make_socket_nonblocking(out[0]);
    c->stdout_ = std::make_unique<TcpConnection>(loop, out[0], "stdout of " + options.argv[0]);
  }
  evutil_make_socket_nonblocking(err[0]);
  c->stderr_ = std::make_unique<StderrReader>(loop, err[0], std::move(options.on_stderr_line));
  ChildProcess* raw = c.get();
  reaper->waiting[pid] = [raw, alive = std::weak_ptr<bool>(c->alive_)](int status) {
    if (alive.lock()) raw->OnReaped(status);
  };
  // A child that exited before the handler ran is caught by the next SIGCHLD of any child, or here.
  loop->Defer([reaper] { reaper->ReapSome(); });
  return c;
}

ChildProcess::ChildProcess(EventLoop* loop) : loop_(loop) {}

ChildProcess::~ChildProcess() {
  *alive_ = false;
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    // Still reaped (no zombie), silently.
    auto& all = Reapers();
    if (auto it = all.find(loop_); it != all.end()) it->second->waiting[pid_] = nullptr;
  }
}

void ChildProcess::Kill(int signo) {
  if (!exited_ && pid_ > 0) kill(pid_, signo);
}

void ChildProcess::OnReaped(int status) {
  exited_ = true;
  if (stdin_) stdin_->Close(false);
  if (on_exit_) {
    auto cb = std::move(on_exit_);
    cb(status);  // may destroy *this
  }
}

std::string ChildProcess::DescribeStatus(int s) {
  if (WIFEXITED(s)) return "exit " + std::to_string(WEXITSTATUS(s));
  if (WIFSIGNALED(s)) return "killed by signal " + std::to_string(WTERMSIG(s));
  return "status " + std::to_string(s);
}

size_t ChildProcess::live_children() {
  size_t n = 0;
  for (const auto& [loop, r] : Reapers()) n += r->waiting.size();
  return n;
}

}  // namespace cdn::net
