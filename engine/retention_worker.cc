// Copyright sessionstore authors.

#include "engine/retention_worker.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

namespace sessionstore {

RetentionWorker::RetentionWorker(int64_t retention_ns, uint32_t interval_ms,
                                 std::function<int64_t()> now,
                                 std::function<Status(int64_t, DeleteResult*)> expire)
    : retention_ns_(retention_ns),
      interval_ms_(interval_ms),
      now_(std::move(now)),
      expire_(std::move(expire)),
      thread_([this] { Run(); }) {}

RetentionWorker::~RetentionWorker() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint32_t RetentionWorker::DefaultIntervalMs(int64_t retention_ns) {
  const int64_t hundredth_ms = retention_ns / 100 / 1'000'000;
  return static_cast<uint32_t>(std::clamp<int64_t>(hundredth_ms, 1000, 600'000));
}

Status RetentionWorker::RunOnce() {
  std::lock_guard<std::mutex> run(run_mu_);
  const int64_t now = now_();
  // Saturating: a retention longer than the clock's past expires nothing.
  const int64_t before = now < std::numeric_limits<int64_t>::min() + retention_ns_
                             ? std::numeric_limits<int64_t>::min()
                             : now - retention_ns_;
  DeleteResult r;
  Status s = expire_(before, &r);
  std::lock_guard<std::mutex> l(mu_);
  ++passes_;
  traces_deleted_ += static_cast<uint64_t>(r.traces_deleted);
  return s;
}

uint64_t RetentionWorker::passes() const {
  std::lock_guard<std::mutex> l(mu_);
  return passes_;
}

uint64_t RetentionWorker::traces_deleted() const {
  std::lock_guard<std::mutex> l(mu_);
  return traces_deleted_;
}

void RetentionWorker::Run() {
  // The first pass runs even when the store closes at once: a short-lived
  // process (a CLI command) applies its retention before it exits.
  for (;;) {
    (void)RunOnce();  // A failed pass is retried at the next wake-up.
    std::unique_lock<std::mutex> l(mu_);
    if (cv_.wait_for(l, std::chrono::milliseconds(interval_ms_), [&] { return stop_; })) break;
  }
}

}  // namespace sessionstore
