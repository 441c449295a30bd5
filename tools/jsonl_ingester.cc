// Copyright sessionstore authors.

#include "tools/jsonl_ingester.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "sessionstore/json.h"
#include "tools/line_reader.h"

namespace sessionstore {

JsonlIngester::JsonlIngester(Store* store, const JsonlIngestOptions& options)
    : store_(store), options_(options), progress_(stderr, !options.progress) {
  batch_.reserve(options.batch);
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
    const bool full = batch_.size() >= options_.batch || batch_bytes_ >= kMaxBatchBytes ||
                      errors_.size() >= kMaxHeldErrors;
    if (full && !(*status = Flush()).ok()) return false;
  }
  return true;
}

void JsonlIngester::AddLine(const LineRef& ref, const std::string& line, std::size_t length,
                            bool oversize) {
  if (oversize) {
    Reject(ref, Status::InvalidArgument("line of " + std::to_string(length) +
                                        " bytes is over the limit of " +
                                        std::to_string(kMaxLineBytes) + "; skipped"));
    return;
  }
  Trace t;
  Status ps = ParseTraceJson(line, &t);
  if (!ps.ok()) {
    Reject(ref, ps);
    return;
  }
  batch_.push_back(std::move(t));
  refs_.push_back(ref);
  batch_bytes_ += length;
}

Status JsonlIngester::Flush() {
  if (batch_.empty()) return Status::OK();
  IngestResult r;
  Status st = store_->Ingest(batch_, &r);
  if (!st.ok()) return st;
  total_.inserted += r.inserted;
  total_.updated += r.updated;
  total_.unchanged += r.unchanged;
  for (const RejectedTrace& rt : r.rejected) Reject(refs_[rt.index], rt.reason);
  PrintErrors();
  batch_.clear();
  refs_.clear();
  batch_bytes_ = 0;
  if (progress_.Due()) {
    const double secs = Seconds();
    char text[128];
    std::snprintf(text, sizeof(text), "%zu lines, %.0f lines/s, %.1f MB/s", lines_, lines_ / secs,
                  bytes_ / secs / 1e6);
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

void JsonlIngester::Reject(const LineRef& ref, const Status& why) {
  ++rejected_;
  errors_.push_back({ref, why.message()});
  if (batch_.empty()) PrintErrors();
}

void JsonlIngester::PrintErrors() {
  if (!errors_.empty()) progress_.Finish();  // Errors start on a line of their own.
  // One file at a time: the caller flushes at the end of each.
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const auto& a, const auto& b) { return a.first.line < b.first.line; });
  for (const auto& [ref, message] : errors_) {
    std::cerr << *ref.file << ":" << ref.line << ": " << message << "\n";
  }
  errors_.clear();
}

}  // namespace sessionstore
