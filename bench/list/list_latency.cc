// Copyright sessionstore authors.
//
// list_latency: in-process latency of the first page (50 rows) of filtered
// ListSessions on an existing store, over a matrix of filter combinations,
// every order, all time and the last 24 hours (no process start or store
// open in the figures). Public API only.
//
// Usage: list_latency DB [RUNS]
// First walks every session once (the listing's pages) to derive the
// filters' thresholds from the data (cost p90, tokens p50, ...) and each
// combination's share of matching sessions; then times RUNS first pages
// per (combination, order, window) and prints one line each: the share,
// rows returned, p50 and p99 in ms, and at the end the worst p99 among
// the combinations matching at least 1% of the window's sessions.

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sessionstore/store.h"

namespace ss = sessionstore;

namespace {

struct Combo {
  std::string name;
  std::function<void(ss::ListSessionsOptions*)> apply;
  std::function<bool(const ss::SessionSummary&)> matches;  // Independent of the engine.
};

std::vector<ss::SessionSummary> AllSessions(ss::Store* store) {
  std::vector<ss::SessionSummary> all;
  ss::ListSessionsOptions o;
  o.limit = 10000;
  for (;;) {
    ss::SessionPage page;
    if (!store->ListSessions(o, &page).ok()) std::exit(1);
    for (auto& s : page.sessions) all.push_back(std::move(s));
    if (page.next_cursor.empty()) return all;
    o.cursor = page.next_cursor;
  }
}

int64_t Quantile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

bool Contains(const std::string& hay, const std::string& lower_needle) {
  std::string h = hay;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find(lower_needle) != std::string::npos;
}

std::vector<Combo> MakeCombos(const std::vector<ss::SessionSummary>& all) {
  std::vector<int64_t> cost, tokens, duration;
  for (const auto& s : all) {
    cost.push_back(s.cost_nano_usd);
    tokens.push_back(s.total_tokens);
    duration.push_back(s.duration_ns);
  }
  const int64_t cost90 = Quantile(cost, 0.9), tok50 = Quantile(tokens, 0.5);
  const int64_t dur75 = Quantile(duration, 0.75);
  auto has_tag = [](const ss::SessionSummary& s, const char* t) { return s.tags.count(t) > 0; };
  return {
      {"none", [](auto*) {}, [](const auto&) { return true; }},
      {"search id 'sess-1'", [](auto* o) { o->search = "SESS-1"; },
       [](const auto& s) {
         return Contains(s.session_id, "sess-1") || Contains(s.session_name, "sess-1");
       }},
      {"search name 'conversation 77'", [](auto* o) { o->search = "Conversation 77"; },
       [](const auto& s) {
         return Contains(s.session_id, "conversation 77") ||
                Contains(s.session_name, "conversation 77");
       }},
      {"tag vip", [](auto* o) { o->tags = {"vip"}; },
       [=](const auto& s) { return has_tag(s, "vip"); }},
      {"tag vip + beta",
       [](auto* o) {
         o->tags = {"vip", "beta"};
       },
       [=](const auto& s) { return has_tag(s, "vip") && has_tag(s, "beta"); }},
      {"model gpt-4o", [](auto* o) { o->model = "gpt-4o"; },
       [](const auto& s) { return s.models.count("gpt-4o") > 0; }},
      {"errors", [](auto* o) { o->errors_only = true; },
       [](const auto& s) { return s.error_count > 0; }},
      {"cost >= p90", [=](auto* o) { o->cost_nano_usd.min = cost90; },
       [=](const auto& s) { return s.cost_nano_usd >= cost90; }},
      {"tokens <= p50, traces 2..5",
       [=](auto* o) {
         o->total_tokens.max = tok50;
         o->trace_count = {2, 5};
       },
       [=](const auto& s) {
         return s.total_tokens <= tok50 && s.trace_count >= 2 && s.trace_count <= 5;
       }},
      {"errors + tag support + duration >= p75",
       [=](auto* o) {
         o->errors_only = true;
         o->tags = {"support"};
         o->duration_ns.min = dur75;
       },
       [=](const auto& s) {
         return s.error_count > 0 && has_tag(s, "support") && s.duration_ns >= dur75;
       }},
      {"search 'sess-2' + model claude + cost >= p90",
       [=](auto* o) {
         o->search = "sess-2";
         o->model = "claude-3-5-sonnet";
         o->cost_nano_usd.min = cost90;
       },
       [=](const auto& s) {
         return (Contains(s.session_id, "sess-2") || Contains(s.session_name, "sess-2")) &&
                s.models.count("claude-3-5-sonnet") > 0 && s.cost_nano_usd >= cost90;
       }},
  };
}

uint64_t RssKb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  uint64_t kb = 0;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: list_latency DB [RUNS]\n");
    return 2;
  }
  const int runs = argc > 2 ? std::atoi(argv[2]) : 50;
  ss::Options options;
  options.create_if_missing = false;
  std::unique_ptr<ss::Store> store;
  ss::Status st = ss::Store::Open(options, argv[1], &store);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  const uint64_t rss0 = RssKb();
  const std::size_t heap0 = mallinfo2().uordblks;
  {
    ss::ListSessionsOptions first;  // Loads the in-memory session indexes.
    first.limit = 1;
    ss::SessionPage page;
    if (!store->ListSessions(first, &page).ok()) return 1;
  }
  const uint64_t table_kb = RssKb() - rss0;
  const std::size_t heap = mallinfo2().uordblks - heap0;
  const auto all = AllSessions(store.get());
  const double n = all.empty() ? 1.0 : static_cast<double>(all.size());
  std::printf(
      "session indexes, per session: %.0f bytes allocated, %.0f bytes resident (both grown by "
      "the first listing, which loads them)\n",
      static_cast<double>(heap) / n, 1024.0 * static_cast<double>(table_kb) / n);
  int64_t newest = 0;
  for (const auto& s : all) newest = std::max(newest, s.last_trace_at_ns);
  const int64_t day = 86'400'000'000'000;
  std::printf("%zu sessions; 24h window ends at the newest trace\n", all.size());
  std::printf("%-46s %-9s %-5s %7s %5s %8s %8s\n", "filters", "order", "win", "match%", "rows",
              "p50 ms", "p99 ms");
  double worst = 0;
  std::string worst_what;
  const char* order_names[] = {"last", "first", "cost", "tokens", "traces", "duration", "errors"};
  for (const Combo& c : MakeCombos(all)) {
    for (bool window : {false, true}) {
      const int64_t from = window ? newest - day : ss::kMinTime;
      std::size_t in_window = 0, matching = 0;
      for (const auto& s : all) {
        if (s.last_trace_at_ns < from) continue;
        ++in_window;
        matching += c.matches(s);
      }
      const double share = in_window == 0 ? 0 : 100.0 * matching / in_window;
      for (int order = 0; order < 7; ++order) {
        ss::ListSessionsOptions o;
        c.apply(&o);
        o.order = static_cast<ss::SessionOrder>(order);
        o.from_ns = from;
        std::vector<double> ms;
        std::size_t rows = 0;
        for (int r = 0; r < runs; ++r) {
          ss::SessionPage page;
          const auto t0 = std::chrono::steady_clock::now();
          if (!store->ListSessions(o, &page).ok()) return 1;
          ms.push_back(Ms(std::chrono::steady_clock::now() - t0));
          rows = page.sessions.size();
        }
        std::sort(ms.begin(), ms.end());
        const double p50 = ms[ms.size() / 2];
        const double p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
        std::printf("%-46s %-9s %-5s %7.2f %5zu %8.2f %8.2f\n", c.name.c_str(), order_names[order],
                    window ? "24h" : "all", share, rows, p50, p99);
        if (share >= 1.0 && p99 > worst) {
          worst = p99;
          worst_what = c.name + ", order " + order_names[order] + (window ? ", 24h" : ", all time");
        }
      }
    }
  }
  std::printf("worst p99 among combinations matching >= 1%%: %.2f ms (%s)\n", worst,
              worst_what.c_str());
  return 0;
}
