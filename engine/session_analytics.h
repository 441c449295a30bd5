// Copyright sessionstore authors.
//
// SessionAnalytics: answers Store::Analytics from the in-memory session
// indexes. After the same catch-up and table load as a listing, one
// SessionTable::VisitWindow collects each session's values (trace count,
// duration, cost, tokens, error and goal flags, bucket); the statistics
// are then computed from those copies, outside the table's lock:
// percentiles by selection (std::nth_element, linear), buckets by a sort
// of the sessions on their bucket.
//
// Thread safety: Analyze may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_SESSION_ANALYTICS_H_
#define SESSIONSTORE_ENGINE_SESSION_ANALYTICS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/session_indexer.h"
#include "engine/session_table.h"
#include "sessionstore/store.h"

namespace sessionstore {

// One session's values, as Analytics uses them.
struct SessionSample {
  int64_t bucket = 0;  // Bucket start (ns); 0 without buckets.
  int64_t traces = 0;
  int64_t duration_ns = 0;
  int64_t cost_nano_usd = 0;
  int64_t total_tokens = 0;
  bool error = false;
  bool goal = false;
};

// The statistics of `samples` (SessionStats' definitions: nearest-rank
// percentiles, rates 0 without sessions).
SessionStats ComputeSessionStats(std::span<const SessionSample> samples);

// The distribution of `values` (any order), which it reorders.
Distribution ComputeDistribution(std::vector<int64_t>* values);

// Sorts *samples by bucket and sets *buckets to each non-empty bucket's
// (start, statistics), ascending. InvalidArgument, with *buckets cleared,
// when there are more than `max_buckets`.
Status GroupIntoBuckets(std::vector<SessionSample>* samples, std::size_t max_buckets,
                        std::vector<std::pair<int64_t, SessionStats>>* buckets);

// The start of the bucket of `t`: the largest multiple of bucket_ns at or
// below t (floor division, so negative times too). REQUIRES: bucket_ns > 0.
int64_t BucketStart(int64_t t, int64_t bucket_ns);

class SessionAnalytics {
 public:
  // `indexer` and `table` must outlive this. Unless `read_only`, each call
  // first catches the indexer up (read-your-writes).
  SessionAnalytics(SessionIndexer* indexer, const SessionTable* table, bool read_only)
      : indexer_(indexer), table_(table), read_only_(read_only) {}

  // As Store::Analytics.
  Status Analyze(const AnalyticsOptions& options, AnalyticsReport* report) const;

 private:
  // The samples of the window's sessions that pass the options' filters.
  std::vector<SessionSample> Collect(const AnalyticsOptions& options) const;

  SessionIndexer* const indexer_;
  const SessionTable* const table_;
  const bool read_only_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_SESSION_ANALYTICS_H_
