// Copyright sessionstore authors.
//
// RetentionWorker: Options::retention_ns in the background. A thread wakes
// once right after the store opens (a pass the destructor waits for, so
// even a short-lived process applies its retention) and then every
// `interval_ms`, and deletes
// every trace that started before now - retention, through the same path
// as Store::DeleteTracesBefore (engine/store_deleter.h), so no aggregate or
// index keeps counting an expired trace. An expired trace is thus removed
// at most one interval after it expired (plus the pass itself). A failed
// pass is retried at the next wake-up; its error is kept for stats.
//
// Thread safety: the public methods may be called from any thread.

#ifndef SESSIONSTORE_ENGINE_RETENTION_WORKER_H_
#define SESSIONSTORE_ENGINE_RETENTION_WORKER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "sessionstore/status.h"
#include "sessionstore/store.h"

namespace sessionstore {

class RetentionWorker {
 public:
  // `expire(before_ns, result)` deletes the traces that started before
  // before_ns; `now()` is the clock (ns since the epoch). Both must stay
  // callable until the worker is destroyed. Starts the thread.
  RetentionWorker(int64_t retention_ns, uint32_t interval_ms, std::function<int64_t()> now,
                  std::function<Status(int64_t, DeleteResult*)> expire);
  // Stops the thread (waits for a pass in progress).
  ~RetentionWorker();
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

  // Runs one pass now, on the caller's thread (tests, `compact`).
  Status RunOnce();
  // Passes run and traces they deleted since open.
  uint64_t passes() const;
  uint64_t traces_deleted() const;

  // The default interval for a retention: a hundredth of it, at least 1 s
  // and at most 10 min.
  static uint32_t DefaultIntervalMs(int64_t retention_ns);

 private:
  void Run();

  const int64_t retention_ns_;
  const uint32_t interval_ms_;
  const std::function<int64_t()> now_;
  const std::function<Status(int64_t, DeleteResult*)> expire_;
  std::mutex run_mu_;  // One pass at a time.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t passes_ = 0;
  uint64_t traces_deleted_ = 0;
  std::thread thread_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_RETENTION_WORKER_H_
