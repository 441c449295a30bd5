// Copyright sessionstore authors.
//
// analytics_latency: in-process latency of Store::Analytics (no process
// start or store open in the figures) on an existing store, for the
// queries given as arguments. Public API only.
//
// Usage: analytics_latency DB RUNS QUERY...
//   QUERY: name[|from=T][|to=T][|last=HOURS][|user=U][|tag=T]...[|goal=TAG][|by=day|hour]
//   (times in ns or RFC 3339; last=H: the H hours up to the newest trace)
// Prints the open time, the first call's time (which loads the session
// indexes), then per query its session count and the min, median and max
// of RUNS runs in ms.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sessionstore/store.h"
#include "tools/query_args.h"

namespace ss = sessionstore;

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Parses "name|key=value|..." into options; false if malformed. `newest`
// is the newest trace start (for last=).
bool ParseQuery(const std::string& spec, int64_t newest, ss::AnalyticsOptions* o) {
  std::stringstream in(spec);
  std::string part;
  std::getline(in, part, '|');  // The name.
  while (std::getline(in, part, '|')) {
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "user") {
      o->user_id = value;
    } else if (key == "tag") {
      o->tags.push_back(value);
    } else if (key == "goal") {
      o->goal_tag = value;
    } else if (key == "by") {
      if (!ss::ParseBucketName(value, &o->bucket_ns)) return false;
    } else if (key == "last") {
      o->from_ns = newest - std::atoll(value.c_str()) * 3'600'000'000'000;
      o->to_ns = newest + 1;
    } else if (key == "from" || key == "to") {
      if (!ss::ParseTimeArg(value, key == "from" ? &o->from_ns : &o->to_ns)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: analytics_latency DB RUNS QUERY...\n");
    return 2;
  }
  ss::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  std::unique_ptr<ss::Store> store;
  auto t0 = std::chrono::steady_clock::now();
  ss::Status s = ss::Store::Open(options, argv[1], &store);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 2;
  }
  std::printf("open %.1f ms\n", MsSince(t0));
  // The first call loads the session indexes; the newest trace start
  // comes from a listing by last activity.
  t0 = std::chrono::steady_clock::now();
  ss::AnalyticsReport report;
  s = store->Analytics(ss::AnalyticsOptions(), &report);
  std::printf("first call (loads the session indexes) %.1f ms, %lld sessions\n", MsSince(t0),
              static_cast<long long>(report.overall.session_count));
  ss::ListSessionsOptions newest_opts;
  newest_opts.limit = 1;
  ss::SessionPage newest;
  if (!s.ok() || !(s = store->ListSessions(newest_opts, &newest)).ok()) {
    std::fprintf(stderr, "analytics: %s\n", s.ToString().c_str());
    return 2;
  }
  const int64_t newest_ns = newest.sessions.empty() ? 0 : newest.sessions[0].last_trace_at_ns;
  const int runs = std::max(1, std::atoi(argv[2]));
  for (int q = 3; q < argc; ++q) {
    ss::AnalyticsOptions o;
    if (!ParseQuery(argv[q], newest_ns, &o)) {
      std::fprintf(stderr, "bad query: %s\n", argv[q]);
      return 2;
    }
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
      t0 = std::chrono::steady_clock::now();
      s = store->Analytics(o, &report);
      ms.push_back(MsSince(t0));
      if (!s.ok()) {
        std::fprintf(stderr, "analytics: %s\n", s.ToString().c_str());
        return 2;
      }
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-40s sessions %7lld buckets %5zu  min %8.2f  median %8.2f  max %8.2f ms\n",
                argv[q], static_cast<long long>(report.overall.session_count),
                report.buckets.size(), ms.front(), ms[ms.size() / 2], ms.back());
  }
  return 0;
}
