// Copyright sessionstore authors.

#include "tools/server/group_commit_queue.h"

#include <utility>

namespace sessionstore {

GroupCommitQueue::GroupCommitQueue(Store* store, const GroupCommitOptions& options)
    : store_(store), options_(options), writer_([this] { WriterLoop(); }) {}

GroupCommitQueue::~GroupCommitQueue() { Close(); }

Status GroupCommitQueue::Submit(std::vector<Trace> traces, std::vector<RejectedTrace>* rejected) {
  rejected->clear();
  if (traces.empty()) return Status::OK();
  Pending p;
  p.traces = std::move(traces);
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return Status::Busy("the server is shutting down");
  // One request larger than the whole queue is still taken when the queue is
  // empty, else it could never be written.
  if (pending_traces_ > 0 && pending_traces_ + p.traces.size() > options_.max_pending_traces) {
    return Status::Busy("ingest queue full (" + std::to_string(pending_traces_) +
                        " traces waiting)");
  }
  pending_traces_ += p.traces.size();
  queue_.push_back(&p);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&p] { return p.done; });
  *rejected = std::move(p.rejected);
  return p.status;
}

void GroupCommitQueue::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return;  // Closed and drained.
    std::vector<Pending*> group;
    std::size_t traces = 0;
    while (!queue_.empty() &&
           (group.empty() || traces + queue_.front()->traces.size() <= options_.max_batch_traces)) {
      traces += queue_.front()->traces.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    pending_traces_ -= traces;
    lock.unlock();
    WriteGroup(group);
    lock.lock();
    ++batches_;
    traces_written_ += traces;
    for (Pending* p : group) p->done = true;
    done_cv_.notify_all();
  }
}

void GroupCommitQueue::WriteGroup(const std::vector<Pending*>& group) {
  std::vector<Trace> batch;
  std::vector<std::pair<Pending*, std::size_t>> owner;  // Batch index -> (request, index).
  for (Pending* p : group) {
    for (std::size_t i = 0; i < p->traces.size(); ++i) {
      batch.push_back(std::move(p->traces[i]));
      owner.emplace_back(p, i);
    }
  }
  IngestResult result;
  const Status s = store_->Ingest(batch, &result);
  for (Pending* p : group) p->status = s;
  if (!s.ok()) return;
  for (RejectedTrace r : result.rejected) {
    if (r.index >= owner.size()) continue;
    Pending* p = owner[r.index].first;
    r.index = owner[r.index].second;
    p->rejected.push_back(std::move(r));
  }
}

void GroupCommitQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ && !writer_.joinable()) return;
    closed_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

uint64_t GroupCommitQueue::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

uint64_t GroupCommitQueue::traces_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return traces_written_;
}

std::size_t GroupCommitQueue::TEST_pending_traces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_traces_;
}

}  // namespace sessionstore
