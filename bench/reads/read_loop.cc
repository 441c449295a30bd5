// Copyright sessionstore authors.
//
// read_loop: a fixed loop of first reads on an existing store, for counting
// their instructions (valgrind --tool=callgrind) rather than timing them.
// The store is opened read-only (a secondary instance: no flush or
// compaction changes its shape between runs) with the summary cache off,
// so every read folds the session's aggregate as a first read does.
// Public API only.
//
// Usage: read_loop DB RUNS get|user|timeline=N [preload]
//   get:  RUNS GetSession calls, of sess-(i * 7919 % 20000) (the ids of
//         `sessionstore generate`)
//   user: RUNS first pages (50 rows) of ListSessions for user-(i % 200)
//   timeline=N: RUNS first pages of N traces of sess-0's timeline, oldest
//         first (`generate`'s biggest session; what `compare` times as
//         "Timeline N")
//   preload: opens with Options::preload_session_indexes and waits until
//         the indexes are built (StoreStats::counts_exact) before the loop;
//         prints how long the open and the wait took.
// Prints the runs, the rows read, the wall time per run and per row, and
// the median and 99th percentile of a run.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sessionstore/store.h"

namespace ss = sessionstore;

int main(int argc, char** argv) {
  if (argc != 4 && !(argc == 5 && std::string(argv[4]) == "preload")) {
    std::fprintf(stderr, "usage: read_loop DB RUNS get|user|timeline=N [preload]\n");
    return 2;
  }
  std::string mode = argv[3];
  const long runs = std::strtol(argv[2], nullptr, 10);
  long timeline_limit = 0;
  if (mode.rfind("timeline=", 0) == 0) {
    timeline_limit = std::strtol(mode.c_str() + 9, nullptr, 10);
    mode = "timeline";
  }
  if (runs <= 0 || (mode != "get" && mode != "user" && mode != "timeline") ||
      (mode == "timeline" && timeline_limit <= 0)) {
    std::fprintf(stderr,
                 "read_loop: RUNS must be positive and the mode get, user or timeline=N with N "
                 "positive\n");
    return 2;
  }
  ss::Options o;
  o.create_if_missing = false;
  o.read_only = true;
  o.summary_cache_bytes = 0;
  o.preload_session_indexes = argc == 5;
  std::unique_ptr<ss::Store> store;
  const auto open0 = std::chrono::steady_clock::now();
  ss::Status s = ss::Store::Open(o, argv[1], &store);
  if (!s.ok()) {
    std::fprintf(stderr, "read_loop: %s\n", s.ToString().c_str());
    return 1;
  }
  if (o.preload_session_indexes) {
    const auto opened = std::chrono::steady_clock::now();
    ss::StoreStats stats;
    while ((s = store->GetStats(&stats)).ok() && !stats.counts_exact) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!s.ok()) {
      std::fprintf(stderr, "read_loop: %s\n", s.ToString().c_str());
      return 1;
    }
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf("open %.1f ms, then indexes built %.1f ms later (%lld sessions)\n",
                ms(opened - open0), ms(std::chrono::steady_clock::now() - opened),
                static_cast<long long>(stats.sessions));
  }
  std::size_t rows = 0;
  std::vector<double> run_us;
  run_us.reserve(static_cast<std::size_t>(runs));
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < runs; ++i) {
    const auto r0 = std::chrono::steady_clock::now();
    if (mode == "timeline") {
      ss::TimelineOptions to;
      to.limit = static_cast<std::size_t>(timeline_limit);
      ss::TimelinePage page;
      s = store->Timeline("sess-0", to, &page);
      rows += page.traces.size();
    } else if (mode == "user") {
      ss::ListSessionsOptions lo;
      lo.user_id = "user-" + std::to_string(i % 200);
      ss::SessionPage page;
      s = store->ListSessions(lo, &page);
      rows += page.sessions.size();
    } else {
      ss::SessionSummary summary;
      s = store->GetSession("sess-" + std::to_string(i * 7919 % 20000), &summary);
      if (s.ok()) ++rows;
      if (s.IsNotFound()) s = ss::Status::OK();
    }
    run_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - r0).count());
    if (!s.ok()) {
      std::fprintf(stderr, "read_loop: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  std::sort(run_us.begin(), run_us.end());
  const auto pct = [&](double p) {
    return run_us[std::min(run_us.size() - 1, static_cast<std::size_t>(p * run_us.size()))];
  };
  std::printf("%ld runs, %zu rows, %.1f us per run, %.2f us per row; a run: p50 %.1f us, p99 %.1f us\n",
              runs, rows, us / runs, rows == 0 ? 0.0 : us / static_cast<double>(rows), pct(0.5),
              pct(0.99));
  return 0;
}
