// Copyright sessionstore authors.

#include "tools/jsonl_ingester.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "sessionstore/json.h"
#include "tools/line_reader.h"

namespace sessionstore {

JsonlIngester::JsonlIngester(Store* store, const JsonlIngestOptions& options)
    : store_(store),
      options_(options),
      progress_(stderr, !options.progress),
      writer_([this] { WriterLoop(); }) {
  pending_.traces.reserve(options.batch);
}

JsonlIngester::~JsonlIngester() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

bool JsonlIngester::IngestStream(const std::string& file, std::istream* in, Status* status) {
  LineReader reader(in, kMaxLineBytes);
  std::string line;
  std::size_t number = 0, length = 0;
  bool oversize = false;
  while (reader.Next(&line, &length, &oversize)) {
    ++number;
    bytes_ += length + 1;
    if (!oversize && line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;  // Blank: not a record.
    }
    ++lines_;
    AddLine({&file, number}, line, length, oversize);
    const bool full = pending_.traces.size() >= options_.batch ||
                      pending_.json_bytes >= kMaxBatchBytes ||
                      pending_.errors.size() >= kMaxHeldErrors;
    if (full && !(*status = Hand()).ok()) return false;
  }
  return true;
}

void JsonlIngester::AddLine(const LineRef& ref, const std::string& line, std::size_t length,
                            bool oversize) {
  if (oversize) {
    pending_.errors.push_back({ref, "line of " + std::to_string(length) +
                                        " bytes is over the limit of " +
                                        std::to_string(kMaxLineBytes) + "; skipped"});
    return;
  }
  Trace t;
  Status ps = ParseTraceJson(line, &t);
  if (!ps.ok()) {
    pending_.errors.push_back({ref, ps.message()});
    return;
  }
  pending_.traces.push_back(std::move(t));
  pending_.refs.push_back(ref);
  pending_.json_bytes += length;
}

Status JsonlIngester::Hand() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !handed_.has_value() || !failure_.ok(); });
  if (!failure_.ok()) return failure_;
  if (pending_.traces.empty() && pending_.errors.empty()) return Status::OK();
  pending_.lines_read = lines_;
  pending_.bytes_read = bytes_;
  handed_.emplace(std::move(pending_));
  lock.unlock();
  cv_.notify_all();
  pending_ = Batch();
  pending_.traces.reserve(options_.batch);
  return Status::OK();
}

Status JsonlIngester::Flush() {
  Status s = Hand();
  if (!s.ok()) return s;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return (!handed_.has_value() && !writing_) || !failure_.ok(); });
  return failure_;
}

void JsonlIngester::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return handed_.has_value() || stop_; });
    if (!handed_.has_value()) return;  // Stopped, nothing left.
    Batch batch = std::move(*handed_);
    handed_.reset();
    writing_ = true;
    const bool failed = !failure_.ok();
    lock.unlock();
    cv_.notify_all();  // The slot is free: the caller may hand the next batch.
    Status s = failed ? Status::OK() : Write(&batch);
    batch = Batch();  // Its traces are freed outside the lock.
    lock.lock();
    writing_ = false;
    if (!s.ok() && failure_.ok()) failure_ = s;
    cv_.notify_all();
  }
}

Status JsonlIngester::Write(Batch* batch) {
  if (!batch->traces.empty()) {
    IngestResult r;
    Status st = store_->Ingest(batch->traces, &r);
    if (!st.ok()) return st;
    total_.inserted += r.inserted;
    total_.updated += r.updated;
    total_.unchanged += r.unchanged;
    for (const RejectedTrace& rt : r.rejected) {
      batch->errors.push_back({batch->refs[rt.index], rt.reason.message()});
    }
  }
  PrintErrors(batch);
  if (progress_.Due()) {
    const double secs = Seconds();
    char text[128];
    std::snprintf(text, sizeof(text), "%zu lines, %.0f lines/s, %.1f MB/s", batch->lines_read,
                  batch->lines_read / secs, batch->bytes_read / secs / 1e6);
    progress_.Update(text);
  }
  return Status::OK();
}

bool JsonlIngester::Finish() {
  const double secs = Seconds();
  progress_.Finish();
  std::fprintf(stdout,
               "ingested %zu lines in %.2fs: %zu inserted, %zu updated, %zu unchanged, %zu "
               "rejected; %.0f lines/s, %.1f MB/s\n",
               lines_, secs, total_.inserted, total_.updated, total_.unchanged, rejected_,
               secs > 0 ? lines_ / secs : 0.0, secs > 0 ? bytes_ / secs / 1e6 : 0.0);
  return rejected_ == 0;
}

double JsonlIngester::Seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
}

void JsonlIngester::PrintErrors(Batch* batch) {
  auto& errors = batch->errors;
  if (errors.empty()) return;
  rejected_ += errors.size();
  progress_.Finish();  // Errors start on a line of their own.
  // A batch holds lines of one file: the caller flushes at the end of each.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const auto& a, const auto& b) { return a.first.line < b.first.line; });
  for (const auto& [ref, message] : errors) {
    std::cerr << *ref.file << ":" << ref.line << ": " << message << "\n";
  }
}

}  // namespace sessionstore
