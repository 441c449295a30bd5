// Copyright sessionstore authors.
//
// HeaderWatchdog: a bound on the time a connection of `sessionstore serve`
// may take to deliver a request's headers. cpp-httplib 0.11 bounds each
// socket read but not the whole header: a client sending a byte every few
// seconds keeps its worker thread as long as it likes, and a few such
// clients starve the server. The watchdog shuts down (shutdown(2)) a
// connection whose headers are not complete in time:
//
//   - within `header_timeout` of a worker starting to serve it (so the TLS
//     handshake counts too; waiting in the queue for a worker does not), and
//   - after each answer on a keep-alive connection, within `keep_alive` +
//     `header_timeout` (the keep-alive wait, then the next headers).
//
// A request whose headers are complete is not limited: its body and its
// handler have limits of their own.
//
// cpp-httplib hands the accepted socket to no hook, only to its task queue
// inside an opaque closure, so the server's task queue calls Accepted right
// after each accept (on the listener thread) and Accepted finds the new
// socket among the process's descriptors: the one connected on the
// listening port that is not yet known (accept takes the lowest free
// descriptor, so the likely ones are tried first; otherwise /proc/self/fd).
// The worker thread then brackets its service of that connection with
// ServeBegin/ServeEnd and reports HeadersComplete (pre-routing handler) and
// Answered (logger, once the response is written).
//
// Thread safety: every method may be called from any thread; ServeBegin,
// HeadersComplete, Answered and ServeEnd concern the connection the calling
// thread serves.

#ifndef SESSIONSTORE_TOOLS_SERVER_HEADER_WATCHDOG_H_
#define SESSIONSTORE_TOOLS_SERVER_HEADER_WATCHDOG_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace httplib {
class TaskQueue;
}  // namespace httplib

namespace sessionstore {

class HeaderWatchdog {
 public:
  // REQUIRES: header_timeout > 0, keep_alive >= 0.
  HeaderWatchdog(std::chrono::milliseconds header_timeout, std::chrono::milliseconds keep_alive);
  // Stops the thread. REQUIRES: no connection is being served any more.
  ~HeaderWatchdog();
  HeaderWatchdog(const HeaderWatchdog&) = delete;
  HeaderWatchdog& operator=(const HeaderWatchdog&) = delete;

  // Watches the connections accepted on `listen_socket` (bound and
  // listening; it must stay open while the watchdog runs) and starts the
  // watchdog thread. Call once, before the first Accepted.
  void Start(int listen_socket);

  // On the thread that accepted, right after accept(): finds and registers
  // the socket just accepted on the listening socket. Returns its
  // descriptor, or -1 if none was found (that connection is not watched).
  int Accepted();

  // A worker thread starts serving connection `fd` (from Accepted; -1: an
  // unwatched connection) and, with ServeEnd, has finished with it (closed
  // it).
  void ServeBegin(int fd);
  void ServeEnd();
  // This thread's connection delivered a request's headers / wrote an
  // answer (the next request's headers are due within keep_alive +
  // header_timeout).
  void HeadersComplete();
  void Answered();

  // Connections shut down for slow headers since construction.
  uint64_t connections_closed() const { return closed_.load(); }

 private:
  struct Connection {
    uint64_t id = 0;                // Registration number.
    dev_t dev = 0;                  // The socket's identity: a reused descriptor is
    ino_t ino = 0;                  // another socket and is never shut down by mistake.
    bool serving = false;           // A worker serves it.
    bool awaiting_headers = false;  // The deadline runs.
    bool shut_down = false;         // Once only.
    std::chrono::steady_clock::time_point deadline;
  };

  // Whether `fd` is a connection accepted on the listening socket that is
  // not registered yet; *conn gets its identity. REQUIRES: mu_ held.
  bool IsNewConnection(int fd, Connection* conn) const;
  // The registered connection this thread serves, or null. REQUIRES: mu_
  // held.
  Connection* Serving();
  // Every open descriptor, from /proc/self/fd.
  static std::vector<int> OpenDescriptors();
  void Loop();

  const std::chrono::milliseconds header_timeout_;
  const std::chrono::milliseconds keep_alive_;
  int listen_socket_ = -1;
  int listen_family_ = 0;
  int listen_port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                  // Guarded by mu_.
  std::map<int, Connection> watched_;  // By descriptor. Guarded by mu_.
  std::vector<int> likely_next_;       // Descriptors accept() may return next. Guarded by mu_.
  uint64_t last_id_ = 0;               // Guarded by mu_.
  std::atomic<uint64_t> closed_{0};
  std::thread thread_;
};

// A cpp-httplib task queue of `threads` workers that reports each accepted
// connection to `watchdog` (Accepted, ServeBegin, ServeEnd). For
// Server::new_task_queue; the caller owns the result. `watchdog` must
// outlive it.
httplib::TaskQueue* NewWatchedTaskQueue(int threads, HeaderWatchdog* watchdog);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SERVER_HEADER_WATCHDOG_H_
