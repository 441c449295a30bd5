// Copyright sessionstore authors.
//
// The sessionstore peer: the public Store API, ingest with each --writers
// count (the first one measured in the table, with the queries), or
// streamed with --stream=1 (IngestInChunks).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bench/compare/peer.h"
#include "sessionstore/store.h"

namespace sessionstore::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBatch = 1000;

// Ingests w.versions in batches of kBatch from `threads` writer threads.
void IngestThreaded(Store* store, const Workload& w, int threads) {
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      // Spans over the workload: the timing holds Ingest's work only, not
      // copies of the traces (as the other peers read theirs in place).
      const std::span<const Trace> all(w.versions);
      for (std::size_t b; (b = next.fetch_add(kBatch)) < all.size();) {
        IngestResult res;
        Status st = store->Ingest(all.subspan(b, std::min(kBatch, all.size() - b)), &res);
        if (!st.ok()) Die(st.ToString());
      }
    });
  }
  for (auto& t : pool) t.join();
}

// Generates the workload again and ingests it from this thread; returns the
// wall and CPU seconds spent in Ingest calls.
Elapsed IngestStreamed(Store* store, const Args& a, const Workload& w, const std::string& peer) {
  const auto wall0 = Clock::now();
  const Elapsed timed = IngestInChunks(a, w, [&](std::span<const Trace> all) {
    for (std::size_t b = 0; b < all.size(); b += kBatch) {
      IngestResult res;
      Status st = store->Ingest(all.subspan(b, std::min(kBatch, all.size() - b)), &res);
      if (!st.ok()) Die(st.ToString());
    }
  });
  std::printf("%s: streamed ingest wall %.1f s (generation included), Ingest calls %.1f s\n",
              peer.c_str(), Seconds(wall0, Clock::now()), timed.wall_s);
  return timed;
}

// Ingests the workload, the clock stopping when the session indexes have
// caught up; prints the catch-up's share.
void Ingest(Store* store, const Args& a, const Workload& w, int threads, Result* r) {
  Elapsed took;
  if (a.stream) {
    took = IngestStreamed(store, a, w, r->peer);
  } else {
    const Meter m;
    IngestThreaded(store, w, threads);
    took = m.Read();
  }
  const Meter catch_up;
  {
    // Ingest is done when the session indexes have caught up too: a listing
    // forces the catch-up, so the figure includes the indexer's work.
    SessionPage first;
    ListSessionsOptions one;
    one.limit = 1;
    if (!store->ListSessions(one, &first).ok()) Die("ListSessions after ingest");
  }
  const Elapsed last = catch_up.Read();
  took += last;
  RecordIngest(took, w.version_count, w.json_bytes, r);
  std::printf("%s: ingest %.2f s, of which %.2f s the final index catch-up\n", r->peer.c_str(),
              r->ingest_s, last.wall_s);
}

void MeasureQueries(Store* store, const Args& a, const Workload& w, Result* r) {
  SessionSummary summary;
  TimelinePage page;
  r->latency["GetSession"] = Measure(a.queries, [&](std::size_t i) {
    if (!store->GetSession(w.sessions[i % w.sessions.size()], &summary).ok()) Die("GetSession");
  });
  r->latency["GetSession biggest"] = Measure(a.queries, [&](std::size_t) {
    if (!store->GetSession(w.biggest_session, &summary).ok()) Die("GetSession");
  });
  for (std::size_t n : {10, 100, 10000}) {
    TimelineOptions o;
    o.limit = n;
    r->latency["Timeline " + std::to_string(n)] = Measure(TimelineSamples(a, n), [&](std::size_t) {
      if (!store->Timeline(w.biggest_session, o, &page).ok()) Die("Timeline");
    });
  }
  SessionPage sp;
  ListSessionsOptions lo;
  r->latency["ListSessions newest"] = Measure(ListSamples(a), [&](std::size_t) {
    if (!store->ListSessions(lo, &sp).ok()) Die("ListSessions");
  });
  r->latency["ListSessions by user"] = Measure(ListSamples(a), [&](std::size_t i) {
    ListSessionsOptions uo;
    uo.user_id = w.users[i % w.users.size()];
    if (!store->ListSessions(uo, &sp).ok()) Die("ListSessions user");
  });
  r->latency["ListSessions by cost, 24h"] = Measure(ListSamples(a), [&](std::size_t) {
    ListSessionsOptions co;
    co.order = SessionOrder::kCost;
    co.from_ns = WindowStart(a, w);
    co.to_ns = w.max_start + 1;
    if (!store->ListSessions(co, &sp).ok()) Die("ListSessions cost");
  });
}

// The filtered listings (workload.h, kFilter*).
void MeasureFilteredLists(Store* store, const Args& a, Result* r) {
  SessionPage sp;
  auto list = [&](const char* name, std::size_t samples,
                  const std::function<void(ListSessionsOptions*)>& set) {
    ListSessionsOptions o;
    set(&o);
    r->latency[name] = Measure(samples, [&](std::size_t) {
      if (!store->ListSessions(o, &sp).ok()) Die(name);
    });
  };
  list("List filter: errors", ListSamples(a), [](auto* o) { o->errors_only = true; });
  list("List filter: search id", ListSamples(a), [](auto* o) { o->search = kFilterSearch; });
  list("List filter: tag", ListSamples(a), [](auto* o) { o->tags = {kFilterTag}; });
  list("List filter: cost range by tokens", ListSamples(a), [](auto* o) {
    o->cost_nano_usd = {kFilterMinCost, kFilterMaxCost};
    o->order = SessionOrder::kTotalTokens;
  });
}

// Content search and analytics over the 24 h window (workload.h).
void MeasureSearchAndAnalytics(Store* store, const Args& a, const Workload& w, Result* r) {
  SearchOptions so;
  so.from_ns = WindowStart(a, w);
  so.to_ns = w.max_start + 1;
  SearchPage hits;
  r->latency["Search 24h"] = Measure(FewSamples(a), [&](std::size_t) {
    if (!store->Search(kSearchWord, so, &hits).ok()) Die("Search");
  });
  AnalyticsOptions ao;
  ao.from_ns = so.from_ns;
  ao.to_ns = so.to_ns;
  ao.goal_tag = kGoalTag;
  AnalyticsReport report;
  r->latency["Analytics 24h"] = Measure(ListSamples(a), [&](std::size_t) {
    if (!store->Analytics(ao, &report).ok()) Die("Analytics");
  });
  std::printf("%s: search 24h %zu hits; analytics 24h %lld sessions\n", r->peer.c_str(),
              hits.hits.size(), static_cast<long long>(report.overall.session_count));
}

// The hot session: merges still in the memtable when it is read.
void MeasureHot(Store* store, const Args& a, const Workload& w, Result* r) {
  for (std::size_t i = 0; i < w.hot.size(); i += 100) {
    std::vector<Trace> batch(w.hot.begin() + i, w.hot.begin() + std::min(w.hot.size(), i + 100));
    IngestResult res;
    if (!store->Ingest(batch, &res).ok()) Die("hot ingest");
  }
  if (!w.hot.empty()) {
    SessionSummary summary;
    r->latency["GetSession hot (memtable)"] = Measure(a.queries, [&](std::size_t) {
      if (!store->GetSession(kHotSession, &summary).ok()) Die("GetSession hot");
    });
  }
}

// What the ingest's flushes and compactions wrote, per column family, and
// the compactions' CPU time: the background work an ingest pays for on top
// of its own (StoreStats::families).
void PrintBackgroundWork(const std::string& peer, const StoreStats& stats) {
  std::printf("%s: flushed / compacted MB, compaction CPU s, by family:", peer.c_str());
  for (const FamilyStats& f : stats.families) {
    if (f.flushed_bytes == 0 && f.compacted_bytes == 0) continue;
    std::printf(" %s %.0f / %.0f, %.1f;", f.name.c_str(), f.flushed_bytes / 1e6,
                f.compacted_bytes / 1e6, f.compaction_cpu_micros / 1e6);
  }
  std::printf("\n");
}

// One run with `threads` writers (none with --stream), the queries
// measured when `queries`.
Result RunWithWriters(const Args& a, const Workload& w, int threads, bool queries) {
  Result r;
  r.peer = "sessionstore/" + std::to_string(threads) + "w";
  const std::string dir = a.dir + "/sessionstore-" + std::to_string(threads);
  fs::remove_all(dir);
  const PeakRss rss;
  std::unique_ptr<Store> store;
  Options options;
  if (a.index_interval_ms >= 0) options.index_interval_ms = a.index_interval_ms;
  if (a.background_jobs > 0) options.background_jobs = a.background_jobs;
  if (a.summary_cache_mb >= 0) {
    options.summary_cache_bytes = static_cast<std::size_t>(a.summary_cache_mb) << 20;
  }
  Status s = Store::Open(options, dir, &store);
  if (!s.ok()) Die(s.ToString());
  Ingest(store.get(), a, w, threads, &r);
  // Merge operands folded into aggregates (StoreStats::merge_operands_read):
  // what reads of sessions pay for right after ingest.
  StoreStats stats;
  if (!store->GetStats(&stats).ok()) Die("stats");
  const uint64_t folded_by_ingest = stats.merge_operands_read;
  if (queries) {
    PrintBackgroundWork(r.peer, stats);
    if (a.compacted) {
      const auto c0 = Clock::now();
      if (!store->Compact().ok()) Die("compact");
      std::printf("%s: compacted before the queries in %.1fs\n", r.peer.c_str(),
                  Seconds(c0, Clock::now()));
    }
    MeasureQueries(store.get(), a, w, &r);
    MeasureFilteredLists(store.get(), a, &r);
    MeasureSearchAndAnalytics(store.get(), a, w, &r);
    MeasureHot(store.get(), a, w, &r);
    if (!store->GetStats(&stats).ok()) Die("stats");
    std::printf(
        "%s: merge operands folded: %llu during ingest (write path, flushes, "
        "compactions), %llu during the queries\n",
        r.peer.c_str(), static_cast<unsigned long long>(folded_by_ingest),
        static_cast<unsigned long long>(stats.merge_operands_read - folded_by_ingest));
  }
  if (!store->Flush().ok()) Die("flush");
  store.reset();
  RecordFootprint(rss, dir, w.version_count + w.hot.size() * queries, &r);
  return r;
}

std::optional<Result> Run(const Args& a, const Workload& w) {
  Result first = RunWithWriters(a, w, a.writers[0], true);
  std::fflush(stdout);
  for (std::size_t i = 1; i < a.writers.size(); ++i) {
    Result r = RunWithWriters(a, w, a.writers[i], false);
    std::printf("%s: %.0f traces/s, %.1f MB/s\n", r.peer.c_str(), r.traces_per_s, r.mb_per_s);
  }
  return first;
}

}  // namespace

Peer SessionstorePeer() { return {"sessionstore", &Run}; }

}  // namespace sessionstore::bench
