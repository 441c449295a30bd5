// Copyright sessionstore authors.
//
// Ingest and read benchmarks on the generated workload (tools/
// workload_generator.h), through the public API.
//
//   build/bench/ingest_bench --benchmark_counters_tabular=true
//
// Counters: traces_per_s and MB_per_s (bytes are the traces' JSON Lines
// size, i.e. what a client sends). Environment: SESSIONSTORE_BENCH_TRACES
// (default 200000), SESSIONSTORE_BENCH_DIR (default /tmp).

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "sessionstore/json.h"
#include "sessionstore/store.h"
#include "tools/workload_generator.h"

namespace ss = sessionstore;

namespace {

std::size_t EnvSize(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

std::string BenchDir(const std::string& name) {
  const char* root = std::getenv("SESSIONSTORE_BENCH_DIR");
  std::filesystem::path p = std::filesystem::path(root ? root : "/tmp") /
                            ("sessionstore-bench-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

struct Workload {
  std::vector<ss::Trace> traces;
  std::size_t json_bytes = 0;
};

const Workload& GetWorkload() {
  static const Workload* w = [] {
    auto* out = new Workload;
    ss::WorkloadOptions o;
    o.traces = EnvSize("SESSIONSTORE_BENCH_TRACES", 200000);
    o.sessions = std::max<std::size_t>(o.traces / 10, 1);
    ss::WorkloadGenerator gen(o);
    ss::Trace t;
    std::string line;
    while (gen.Next(&t)) {
      line.clear();
      ss::AppendTraceJson(t, &line);
      out->json_bytes += line.size() + 1;
      out->traces.push_back(std::move(t));
    }
    return out;
  }();
  return *w;
}

// Ingests the whole workload with state.range(0) writer threads, each taking
// batches of 1000 traces from a shared counter.
void BM_Ingest(benchmark::State& state) {
  const Workload& w = GetWorkload();
  const int threads = static_cast<int>(state.range(0));
  constexpr std::size_t kBatch = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir = BenchDir("ingest");
    std::unique_ptr<ss::Store> store;
    ss::Status s = ss::Store::Open(ss::Options(), dir, &store);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    // Batches are cut in arrival order, as a client would send them.
    std::vector<std::vector<ss::Trace>> batches;
    for (std::size_t i = 0; i < w.traces.size(); i += kBatch) {
      batches.emplace_back(w.traces.begin() + i,
                           w.traces.begin() + std::min(w.traces.size(), i + kBatch));
    }
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    state.ResumeTiming();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (std::size_t b; (b = next.fetch_add(1)) < batches.size();) {
          ss::IngestResult r;
          if (!store->Ingest(batches[b], &r).ok()) failed = true;
        }
      });
    }
    for (auto& t : pool) t.join();
    state.PauseTiming();
    if (failed) state.SkipWithError("ingest failed");
    store.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  const auto n = static_cast<double>(w.traces.size()) * static_cast<double>(state.iterations());
  state.counters["traces_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["MB_per_s"] = benchmark::Counter(
      static_cast<double>(w.json_bytes) * static_cast<double>(state.iterations()) / 1e6,
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Ingest)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

// A store loaded once with the workload, for the read benchmarks.
ss::Store* LoadedStore() {
  static ss::Store* store = [] {
    const std::string dir = BenchDir("read");
    std::unique_ptr<ss::Store> s;
    if (!ss::Store::Open(ss::Options(), dir, &s).ok()) std::abort();
    const Workload& w = GetWorkload();
    for (std::size_t i = 0; i < w.traces.size(); i += 1000) {
      std::vector<ss::Trace> batch(w.traces.begin() + i,
                                   w.traces.begin() + std::min(w.traces.size(), i + 1000));
      ss::IngestResult r;
      if (!s->Ingest(batch, &r).ok()) std::abort();
    }
    return s.release();
  }();
  return store;
}

void BM_GetSession(benchmark::State& state) {
  ss::Store* store = LoadedStore();
  const auto sessions = std::max<std::size_t>(GetWorkload().traces.size() / 10, 1);
  std::size_t i = 0;
  ss::SessionSummary summary;
  for (auto _ : state) {
    const std::string id = "sess-" + std::to_string((i++ * 7919) % sessions);
    ss::Status s = store->GetSession(id, &summary);
    if (!s.ok() && !s.IsNotFound()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(summary);
  }
}
BENCHMARK(BM_GetSession)->Unit(benchmark::kMicrosecond);

// The hottest session (sess-0) holds the most traces.
void BM_GetHotSession(benchmark::State& state) {
  ss::Store* store = LoadedStore();
  ss::SessionSummary summary;
  for (auto _ : state) {
    ss::Status s = store->GetSession("sess-0", &summary);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.counters["traces"] = static_cast<double>(summary.trace_count);
}
BENCHMARK(BM_GetHotSession)->Unit(benchmark::kMicrosecond);

void BM_Timeline(benchmark::State& state) {
  ss::Store* store = LoadedStore();
  ss::TimelineOptions o;
  o.limit = static_cast<std::size_t>(state.range(0));
  ss::TimelinePage page;
  for (auto _ : state) {
    ss::Status s = store->Timeline("sess-0", o, &page);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.counters["traces"] = static_cast<double>(page.traces.size());
}
BENCHMARK(BM_Timeline)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

void BM_ListSessions(benchmark::State& state) {
  ss::Store* store = LoadedStore();
  ss::ListSessionsOptions o;
  o.limit = 50;
  ss::SessionPage page;
  for (auto _ : state) {
    ss::Status s = store->ListSessions(o, &page);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
}
BENCHMARK(BM_ListSessions)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
