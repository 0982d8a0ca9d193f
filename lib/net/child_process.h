// ChildProcess: a child program (ffmpeg) run and watched from the loop. fork+exec with stdin and
// stdout as socketpairs wrapped in TcpConnections (non-blocking; stdin takes shared payloads by
// reference) and stderr read line by line into a callback. The child gets PR_SET_PDEATHSIG
// (SIGKILL), so it never outlives its parent, and a closed stdin or stdout makes ffmpeg exit on
// its own. Exits are reaped from SIGCHLD by a per-loop reaper that only waits for the pids it
// started (never waitpid(-1)); a ChildProcess destroyed while running is killed and still reaped,
// so no zombie is left. Loop thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/net/event_loop.h"
#include "lib/net/tcp_connection.h"

namespace cdn::net {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  bool pipe_stdin = false;        // else /dev/null
  bool pipe_stdout = false;       // else /dev/null
  // Each stderr line (without the newline; long lines are cut at 4 KiB). Null: stderr discarded.
  std::function<void(std::string_view line)> on_stderr_line;
};

class ChildProcess {
 public:
  // `on_exit(wait_status)` runs once, from the loop, after the child was reaped. It may destroy
  // the ChildProcess.
  static base::Result<std::unique_ptr<ChildProcess>> Spawn(EventLoop* loop, ChildOptions options,
                                                          std::function<void(int wait_status)> on_exit);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !exited_; }
  // The pipes (null when not requested). Start() them with a delegate before use.
  TcpConnection* stdin_pipe() const { return stdin_.get(); }
  TcpConnection* stdout_pipe() const { return stdout_.get(); }
  void Kill(int signo);

  // "exit 1", "killed by signal 9".
  static std::string DescribeStatus(int wait_status);
  // Children this process started and has not reaped yet (tests, metrics).
  static size_t live_children();

 private:
  class StderrReader;
  explicit ChildProcess(EventLoop* loop);
  void OnReaped(int status);

  EventLoop* loop_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::unique_ptr<TcpConnection> stdin_, stdout_;
  std::unique_ptr<StderrReader> stderr_;
  std::function<void(int)> on_exit_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cdn::net
