// Copyright sessionstore authors.

#include "bench/compare/workload.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>

#include "bench/compare/harness.h"
#include "sessionstore/json.h"

namespace sessionstore::bench {
namespace {

// The extra hot session: `n` one-span traces after the last one of the
// workload.
std::vector<Trace> MakeHotSession(std::size_t n, int64_t max_start) {
  std::vector<Trace> hot;
  for (std::size_t i = 0; i < n; ++i) {
    Trace h;
    h.trace_id = "hot-" + std::to_string(i);
    h.session_id = kHotSession;
    h.user_id = "hot-user";
    h.start_ns = max_start + static_cast<int64_t>(i) * 1000;
    h.status = TraceStatus::kOk;
    h.input = Payload{"ping " + std::to_string(i), false};
    h.output = Payload{"pong " + std::to_string(i), false};
    Span s;
    s.span_id = "llm";
    s.kind = SpanKind::kLlm;
    s.start_ns = h.start_ns;
    s.model = "gpt-4o-mini";
    s.prompt_tokens = 10;
    s.completion_tokens = 5;
    s.cost_nano_usd = 1000;
    h.spans.push_back(s);
    hot.push_back(std::move(h));
  }
  return hot;
}

}  // namespace

WorkloadOptions GeneratorOptions(const Args& a) {
  WorkloadOptions o;
  o.seed = a.seed;
  o.traces = a.traces;
  o.sessions = a.sessions;
  o.users = std::max<std::size_t>(a.sessions / 50, 1);
  return o;
}

Workload MakeWorkload(const Args& a) {
  Workload w;
  const WorkloadOptions o = GeneratorOptions(a);
  WorkloadGenerator gen(o);
  Trace t;
  std::string line;
  std::map<std::string, std::size_t> counts;
  while (gen.Next(&t)) {
    line.clear();
    AppendTraceJson(t, &line);
    w.json_bytes += line.size() + 1;
    counts[t.session_id]++;
    w.max_start = std::max(w.max_start, t.start_ns);
    ++w.version_count;
    if (!a.stream) w.versions.push_back(std::move(t));
  }
  std::size_t best = 0;
  for (const auto& [id, n] : counts) {
    w.sessions.push_back(id);
    if (n > best) {
      best = n;
      w.biggest_session = id;
    }
  }
  std::mt19937_64 rng(a.seed);
  std::shuffle(w.sessions.begin(), w.sessions.end(), rng);
  for (std::size_t u = 0; u < std::min<std::size_t>(o.users, 20); ++u) {
    w.users.push_back("user-" + std::to_string(u));
  }
  w.hot = MakeHotSession(a.hot_traces, w.max_start);
  return w;
}

Elapsed IngestInChunks(const Args& a, const Workload& w,
                       const std::function<void(std::span<const Trace>)>& ingest) {
  if (!a.stream) {
    const Meter m;
    ingest(std::span<const Trace>(w.versions));
    return m.Read();
  }
  WorkloadGenerator gen(GeneratorOptions(a));
  std::vector<Trace> chunk;
  Elapsed timed;
  for (bool more = true; more;) {
    chunk.clear();
    Trace t;
    while (chunk.size() < 100'000 && (more = gen.Next(&t))) chunk.push_back(std::move(t));
    const Meter m;
    ingest(std::span<const Trace>(chunk));
    timed += m.Read();
  }
  return timed;
}

int64_t WindowStart(const Args& a, const Workload& w) {
  return w.max_start - a.window_hours * 3600LL * 1'000'000'000;
}

std::size_t TimelineSamples(const Args& a, std::size_t n) {
  return n >= 10000 ? std::max<std::size_t>(a.queries / 50, 5) : a.queries;
}

std::size_t ListSamples(const Args& a) { return std::max<std::size_t>(a.queries / 10, 5); }

std::size_t FewSamples(const Args& a) { return std::max<std::size_t>(a.queries / 100, 3); }

}  // namespace sessionstore::bench
