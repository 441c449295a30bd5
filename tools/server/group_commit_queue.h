// Copyright sessionstore authors.
//
// GroupCommitQueue: gathers the trace versions of concurrent requests and
// writes them with one Store::Ingest call (one atomic RocksDB batch), so N
// small concurrent requests cost one write instead of N. Each caller blocks
// until the batch holding its traces is written and gets its own traces'
// rejections back. While one batch is written, the next one gathers.
//
// Thread safety: Submit may be called from any number of threads; Close
// from one thread, once no Submit is running or will start.

#ifndef SESSIONSTORE_TOOLS_SERVER_GROUP_COMMIT_QUEUE_H_
#define SESSIONSTORE_TOOLS_SERVER_GROUP_COMMIT_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "sessionstore/store.h"

namespace sessionstore {

struct GroupCommitOptions {
  // Traces waiting (not yet being written) above which Submit refuses new
  // work with Busy: the server answers 503 and the client retries. Default:
  // 20000.
  std::size_t max_pending_traces = 20000;
  // Most traces written in one Ingest call. Default: 5000.
  std::size_t max_batch_traces = 5000;
};

class GroupCommitQueue {
 public:
  // `store` is not owned and must outlive the queue. Starts the writer thread.
  GroupCommitQueue(Store* store, const GroupCommitOptions& options);
  // Closes the queue (see Close).
  ~GroupCommitQueue();
  GroupCommitQueue(const GroupCommitQueue&) = delete;
  GroupCommitQueue& operator=(const GroupCommitQueue&) = delete;

  // Writes `traces` in a group batch and waits for it. Fills *rejected with
  // the store's rejections of these traces (indexes into `traces`). Returns
  // Busy without writing when the queue is full or closed, or the store's
  // error if the batch failed (then nothing of it was written).
  Status Submit(std::vector<Trace> traces, std::vector<RejectedTrace>* rejected);

  // Writes what is queued, then stops the writer thread; later Submits get
  // Busy. Idempotent.
  void Close();

  // Batches written and traces in them since construction (for tests and
  // figures). Safe from any thread.
  uint64_t batches() const;
  uint64_t traces_written() const;
  // Traces queued and not yet taken by the writer. For tests.
  std::size_t TEST_pending_traces() const;

 private:
  struct Pending {
    std::vector<Trace> traces;
    std::vector<RejectedTrace> rejected;
    Status status;
    bool done = false;
  };

  void WriterLoop();
  // Writes one group of pending requests (already popped).
  void WriteGroup(const std::vector<Pending*>& group);

  Store* const store_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // Writer: work or close.
  std::condition_variable done_cv_;  // Submitters: their batch is written.
  std::deque<Pending*> queue_;       // Guarded by mu_.
  std::size_t pending_traces_ = 0;   // Guarded by mu_.
  bool closed_ = false;              // Guarded by mu_.
  uint64_t batches_ = 0;             // Guarded by mu_.
  uint64_t traces_written_ = 0;      // Guarded by mu_.
  std::thread writer_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SERVER_GROUP_COMMIT_QUEUE_H_
