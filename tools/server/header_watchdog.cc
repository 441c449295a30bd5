// Copyright sessionstore authors.

#include "tools/server/header_watchdog.h"

#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace sessionstore {

namespace {

// The connection this worker thread serves: its descriptor (-1: none) and
// registration number (a descriptor is reused once the socket is closed).
thread_local int t_serving_fd = -1;
thread_local uint64_t t_serving_id = 0;

// Descriptors remembered as likely results of the next accept().
constexpr std::size_t kMaxLikely = 32;

int PortOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// Reports every connection it runs to the watchdog.
class WatchedTaskQueue : public httplib::TaskQueue {
 public:
  WatchedTaskQueue(int threads, HeaderWatchdog* watchdog)
      : pool_(static_cast<std::size_t>(threads)), watchdog_(watchdog) {}

  // Called by cpp-httplib's listener thread right after each accept().
  void enqueue(std::function<void()> fn) override {
    const int fd = watchdog_->Accepted();
    pool_.enqueue([watchdog = watchdog_, fd, fn = std::move(fn)] {
      watchdog->ServeBegin(fd);
      fn();  // Serves the connection, then closes it.
      watchdog->ServeEnd();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  HeaderWatchdog* const watchdog_;
};

}  // namespace

HeaderWatchdog::HeaderWatchdog(std::chrono::milliseconds header_timeout,
                               std::chrono::milliseconds keep_alive)
    : header_timeout_(header_timeout), keep_alive_(keep_alive) {}

HeaderWatchdog::~HeaderWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HeaderWatchdog::Start(int listen_socket) {
  if (thread_.joinable()) return;  // Started already.
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(listen_socket, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    listen_socket_ = listen_socket;
    listen_family_ = addr.ss_family;
    listen_port_ = PortOf(addr);
  }
  thread_ = std::thread([this] { Loop(); });
}

bool HeaderWatchdog::IsNewConnection(int fd, Connection* conn) const {
  struct stat st {};
  if (fd < 0 || fd == listen_socket_ || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return false;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  int listening = 1;
  socklen_t listening_len = sizeof(listening);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      addr.ss_family != listen_family_ || PortOf(addr) != listen_port_ ||
      getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0 || listening) {
    return false;
  }
  const auto it = watched_.find(fd);
  if (it != watched_.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino) {
    return false;  // Registered already.
  }
  conn->dev = st.st_dev;
  conn->ino = st.st_ino;
  return true;
}

std::vector<int> HeaderWatchdog::OpenDescriptors() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') fds.push_back(std::atoi(e->d_name));
  }
  closedir(dir);
  return fds;
}

int HeaderWatchdog::Accepted() {
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_socket_ < 0) return -1;
  Connection conn;
  int found = -1;
  // accept() returned the lowest free descriptor: usually the lowest free
  // one after the previous accept, or one a finished connection freed.
  for (int fd : likely_next_) {
    if (IsNewConnection(fd, &conn)) {
      found = fd;
      break;
    }
  }
  if (found < 0) {
    for (int fd : OpenDescriptors()) {
      if (IsNewConnection(fd, &conn)) {
        found = fd;
        break;
      }
    }
  }
  if (found >= 0) {
    conn.id = ++last_id_;
    watched_[found] = conn;
  }
  likely_next_.clear();
  const int lowest_free = fcntl(listen_socket_, F_DUPFD_CLOEXEC, 0);
  if (lowest_free >= 0) {
    close(lowest_free);
    likely_next_.push_back(lowest_free);
  }
  return found;
}

HeaderWatchdog::Connection* HeaderWatchdog::Serving() {
  const auto it = watched_.find(t_serving_fd);
  return it != watched_.end() && it->second.id == t_serving_id ? &it->second : nullptr;
}

void HeaderWatchdog::ServeBegin(int fd) {
  t_serving_fd = -1;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = watched_.find(fd);
  if (it == watched_.end()) return;
  t_serving_fd = fd;
  t_serving_id = it->second.id;
  it->second.serving = true;
  it->second.awaiting_headers = true;
  it->second.deadline = std::chrono::steady_clock::now() + header_timeout_;
}

void HeaderWatchdog::ServeEnd() {
  std::lock_guard<std::mutex> lock(mu_);
  // Not there if accept() already reused the descriptor: then the entry is
  // the new connection's.
  if (Serving() != nullptr) {
    watched_.erase(t_serving_fd);
    if (likely_next_.size() < kMaxLikely) likely_next_.push_back(t_serving_fd);
  }
  t_serving_fd = -1;
}

void HeaderWatchdog::HeadersComplete() {
  std::lock_guard<std::mutex> lock(mu_);
  if (Connection* c = Serving()) c->awaiting_headers = false;
}

void HeaderWatchdog::Answered() {
  std::lock_guard<std::mutex> lock(mu_);
  if (Connection* c = Serving()) {
    c->awaiting_headers = true;
    c->deadline = std::chrono::steady_clock::now() + keep_alive_ + header_timeout_;
  }
}

void HeaderWatchdog::Loop() {
  // Checked ten times per bound: a connection goes at most 10% late.
  const auto tick = std::clamp<std::chrono::milliseconds>(
      header_timeout_ / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, tick, [this] { return stop_; })) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [fd, conn] : watched_) {
      if (!conn.serving || !conn.awaiting_headers || conn.shut_down || now < conn.deadline) {
        continue;
      }
      conn.shut_down = true;
      // The worker may have closed the socket this instant (it unregisters
      // it just after): shut down only the very socket registered.
      struct stat st {};
      if (fstat(fd, &st) == 0 && st.st_dev == conn.dev && st.st_ino == conn.ino &&
          ::shutdown(fd, SHUT_RDWR) == 0) {
        ++closed_;
      }
    }
  }
}

httplib::TaskQueue* NewWatchedTaskQueue(int threads, HeaderWatchdog* watchdog) {
  return new WatchedTaskQueue(threads, watchdog);
}

}  // namespace sessionstore
