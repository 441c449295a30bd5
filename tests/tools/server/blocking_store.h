// Copyright sessionstore authors.
//
// BlockingStore: a Store that forwards to a real one but holds its first
// Ingest call until Release(), so tests can line up concurrent work behind a
// batch being written.

#ifndef SESSIONSTORE_TESTS_TOOLS_SERVER_BLOCKING_STORE_H_
#define SESSIONSTORE_TESTS_TOOLS_SERVER_BLOCKING_STORE_H_

#include <condition_variable>
#include <mutex>
#include <span>

#include "sessionstore/store.h"

namespace sessionstore {

class BlockingStore : public Store {
 public:
  explicit BlockingStore(Store* real) : real_(real) {}

  // Blocks until the first Ingest call is being held.
  void WaitUntilBlocked() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return blocked_; });
  }
  // Lets the held call (and every later one) through.
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  using Store::Ingest;
  Status Ingest(std::span<const Trace> traces, IngestResult* result) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    return real_->Ingest(traces, result);
  }
  Status GetSession(std::string_view id, SessionSummary* s) override {
    return real_->GetSession(id, s);
  }
  Status GetTrace(std::string_view id, Trace* t) override { return real_->GetTrace(id, t); }
  Status Timeline(std::string_view id, const TimelineOptions& o, TimelinePage* p) override {
    return real_->Timeline(id, o, p);
  }
  Status ListSessions(const ListSessionsOptions& o, SessionPage* p) override {
    return real_->ListSessions(o, p);
  }
  Status Analytics(const AnalyticsOptions& o, AnalyticsReport* r) override {
    return real_->Analytics(o, r);
  }
  Status Search(std::string_view text, const SearchOptions& o, SearchPage* p) override {
    return real_->Search(text, o, p);
  }
  Status GetStats(StoreStats* s) override { return real_->GetStats(s); }
  Status Verify(VerifyReport* r) override { return real_->Verify(r); }
  Status Flush() override { return real_->Flush(); }
  Status Compact() override { return real_->Compact(); }
  Status DeleteSession(std::string_view id, DeleteResult* r) override {
    return real_->DeleteSession(id, r);
  }
  Status DeleteUser(std::string_view id, DeleteResult* r) override {
    return real_->DeleteUser(id, r);
  }
  Status DeleteTracesBefore(int64_t t, DeleteResult* r) override {
    return real_->DeleteTracesBefore(t, r);
  }
  Status Backup(const std::string& dir, BackupResult* r) override { return real_->Backup(dir, r); }

 private:
  Store* const real_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false;
  bool released_ = false;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TESTS_TOOLS_SERVER_BLOCKING_STORE_H_
