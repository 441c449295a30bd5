// Copyright sessionstore authors.
//
// One workload, every peer, one run: ingest and query figures of
// sessionstore side by side with raw RocksDB (same options, same encoded
// bytes, no aggregates or indexes: the floor) and SQLite laid out the way
// Phoenix embeds it (WAL, synchronous=NORMAL, transactions of 1000, traces
// and spans tables, a sessions table upserted per trace). Prints a table
// with each figure and the ratio of sessionstore to each peer.
//
//   build-release/bench/compare --traces=1000000 --sessions=100000
//
// Options (all --name=value): traces, sessions, hot_traces (traces of the
// extra hot session measured while its merges are in the memtable), queries
// (samples per latency figure), dir (scratch directory), peers
// (comma-separated: sessionstore,rocksdb,sqlite,duckdb), seed, duckdb (path
// of libduckdb.so; scripts/install-duckdb.sh fetches it), writers
// (comma-separated writer thread counts for sessionstore's ingest; the first
// is measured in the table, default 1,2,4), index_interval_ms (the store's
// Options::index_interval_ms; default: the option's default), stream (1:
// generate the workload in chunks while ingesting instead of holding it in
// memory, for runs larger than RAM; sessionstore with one writer only, and
// only the Ingest calls and the final index catch-up are timed),
// window_hours (the window of the cost-sorted listing, ending at the last
// trace; default 24; the figure keeps its "24h" name).

#include <dlfcn.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/format/keys.h"
#include "engine/rocksdb_options.h"
#include "engine/format/trace_codec.h"
#include "engine/trace_versions.h"
#include "sessionstore/json.h"
#include "sessionstore/store.h"
#include "tools/workload_generator.h"

namespace ss = sessionstore;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::size_t traces = 1'000'000;
  std::size_t sessions = 100'000;
  std::size_t hot_traces = 100'000;
  std::size_t queries = 2000;
  uint64_t seed = 42;
  std::string dir = "/tmp/sessionstore-compare";
  std::string peers = "sessionstore,rocksdb,sqlite,duckdb";
  std::string duckdb = SESSIONSTORE_SOURCE_DIR "/.deps/duckdb/libduckdb.so";
  std::vector<int> writers = {1, 2, 4};  // The first is the one in the table.
  int index_interval_ms = -1;            // -1: Options' default.
  // Generate the workload in chunks while ingesting instead of holding it
  // in memory (for runs too large for RAM): sessionstore only, one writer.
  bool stream = false;
  int64_t window_hours = 24;  // Window of the cost-sorted listing.
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string key = arg.substr(2, eq - 2);
    const std::string value = arg.substr(eq + 1);
    try {
      if (key == "traces")
        a->traces = std::stoull(value);
      else if (key == "sessions")
        a->sessions = std::stoull(value);
      else if (key == "hot_traces")
        a->hot_traces = std::stoull(value);
      else if (key == "queries")
        a->queries = std::stoull(value);
      else if (key == "seed")
        a->seed = std::stoull(value);
      else if (key == "dir")
        a->dir = value;
      else if (key == "peers")
        a->peers = value;
      else if (key == "duckdb")
        a->duckdb = value;
      else if (key == "window_hours")
        a->window_hours = std::stoll(value);
      else if (key == "stream")
        a->stream = value == "1" || value == "true";
      else if (key == "index_interval_ms")
        a->index_interval_ms = std::stoi(value);
      else if (key == "writers") {
        a->writers.clear();
        std::size_t pos = 0;
        while (pos <= value.size()) {
          std::size_t comma = value.find(',', pos);
          if (comma == std::string::npos) comma = value.size();
          const int n = std::stoi(value.substr(pos, comma - pos));
          if (n < 1 || n > 64) return false;
          a->writers.push_back(n);
          pos = comma + 1;
        }
        if (a->writers.empty()) return false;
      } else
        return false;
    } catch (...) {
      return false;
    }
  }
  return true;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Peak resident memory since the last ResetPeakRss, in bytes.
void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}
uint64_t ReadStatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtoull(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

struct Latency {
  double p50_us = 0, p99_us = 0;
};
Latency Measure(std::size_t n, const std::function<void(std::size_t)>& op) {
  std::vector<double> us;
  us.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    op(i);
    us.push_back(Seconds(t0, Clock::now()) * 1e6);
  }
  std::sort(us.begin(), us.end());
  if (us.empty()) return {};
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "compare: %s\n", what.c_str());
  std::exit(1);
}

// ------------------------------------------------------------ workload --

struct Workload {
  std::vector<ss::Trace> versions;  // Arrival order, retries and partials included.
  std::size_t version_count = 0;    // versions.size(), also when streamed.
  uint64_t json_bytes = 0;
  std::vector<std::string> sessions;  // Sessions to sample for queries.
  std::string biggest_session;
  std::vector<std::string> users;
  int64_t max_start = 0;
  std::vector<ss::Trace> hot;  // The extra hot session.
};

ss::WorkloadOptions GeneratorOptions(const Args& a) {
  ss::WorkloadOptions o;
  o.seed = a.seed;
  o.traces = a.traces;
  o.sessions = a.sessions;
  o.users = std::max<std::size_t>(a.sessions / 50, 1);
  return o;
}

// With a.stream, only the statistics: the versions are generated again, in
// chunks, by the ingest that uses them.
Workload MakeWorkload(const Args& a) {
  Workload w;
  const ss::WorkloadOptions o = GeneratorOptions(a);
  ss::WorkloadGenerator gen(o);
  ss::Trace t;
  std::string line;
  std::map<std::string, std::size_t> counts;
  while (gen.Next(&t)) {
    line.clear();
    ss::AppendTraceJson(t, &line);
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
  for (std::size_t i = 0; i < a.hot_traces; ++i) {
    ss::Trace h;
    h.trace_id = "hot-" + std::to_string(i);
    h.session_id = "hot-session";
    h.user_id = "hot-user";
    h.start_ns = w.max_start + static_cast<int64_t>(i) * 1000;
    h.status = ss::TraceStatus::kOk;
    h.input = ss::Payload{"ping " + std::to_string(i), false};
    h.output = ss::Payload{"pong " + std::to_string(i), false};
    ss::Span s;
    s.span_id = "llm";
    s.kind = ss::SpanKind::kLlm;
    s.start_ns = h.start_ns;
    s.model = "gpt-4o-mini";
    s.prompt_tokens = 10;
    s.completion_tokens = 5;
    s.cost_nano_usd = 1000;
    h.spans.push_back(s);
    w.hot.push_back(std::move(h));
  }
  return w;
}

// ------------------------------------------------------------- results --

struct Result {
  std::string peer;
  double ingest_s = 0;
  double traces_per_s = 0, mb_per_s = 0;
  double disk_bytes_per_trace = 0;
  double peak_rss_mb = 0;
  std::map<std::string, Latency> latency;  // Query name -> latency.
};

// ---------------------------------------------------------- sessionstore --

Result RunSessionstore(const Args& a, const Workload& w, int threads, bool queries) {
  Result r;
  r.peer = "sessionstore/" + std::to_string(threads) + "w";
  const std::string dir = a.dir + "/sessionstore-" + std::to_string(threads);
  fs::remove_all(dir);
  const uint64_t rss0 = ReadStatusKb("VmRSS:");
  ResetPeakRss();
  std::unique_ptr<ss::Store> store;
  ss::Options options;
  if (a.index_interval_ms >= 0) options.index_interval_ms = a.index_interval_ms;
  ss::Status s = ss::Store::Open(options, dir, &store);
  if (!s.ok()) Die(s.ToString());
  constexpr std::size_t kBatch = 1000;
  std::atomic<std::size_t> next{0};
  auto t0 = Clock::now();
  const auto wall0 = t0;
  std::vector<std::thread> pool;
  if (a.stream) {
    // Chunks of 100K versions generated outside the timing: the clock runs
    // only while Ingest does (background flushes and compactions keep
    // running while the next chunk is generated).
    ss::WorkloadGenerator gen(GeneratorOptions(a));
    std::vector<ss::Trace> chunk, batch;
    double timed = 0;
    for (bool more = true; more;) {
      chunk.clear();
      ss::Trace t;
      while (chunk.size() < 100'000 && (more = gen.Next(&t))) chunk.push_back(std::move(t));
      const auto c0 = Clock::now();
      for (std::size_t b = 0; b < chunk.size(); b += kBatch) {
        batch.assign(chunk.begin() + b, chunk.begin() + std::min(chunk.size(), b + kBatch));
        ss::IngestResult res;
        ss::Status st = store->Ingest(batch, &res);
        if (!st.ok()) Die(st.ToString());
      }
      timed += Seconds(c0, Clock::now());
    }
    std::printf("%s: streamed ingest wall %.1f s (generation included), Ingest calls %.1f s\n",
                r.peer.c_str(), Seconds(wall0, Clock::now()), timed);
    // The rest of the timing (final catch-up) starts from a clock that
    // already counts the Ingest calls.
    t0 = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(timed));
    threads = 0;
  }
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<ss::Trace> batch;
      for (std::size_t b; (b = next.fetch_add(kBatch)) < w.versions.size();) {
        batch.assign(w.versions.begin() + b,
                     w.versions.begin() + std::min(w.versions.size(), b + kBatch));
        ss::IngestResult res;
        ss::Status st = store->Ingest(batch, &res);
        if (!st.ok()) Die(st.ToString());
      }
    });
  }
  for (auto& t : pool) t.join();
  const auto t1 = Clock::now();
  {
    // Ingest is done when the session indexes have caught up too: a listing
    // forces the catch-up, so the figure includes the indexer's work.
    ss::SessionPage first;
    ss::ListSessionsOptions one;
    one.limit = 1;
    if (!store->ListSessions(one, &first).ok()) Die("ListSessions after ingest");
  }
  r.ingest_s = Seconds(t0, Clock::now());
  r.traces_per_s = w.version_count / r.ingest_s;
  r.mb_per_s = w.json_bytes / r.ingest_s / 1e6;
  std::printf("%s: ingest %.2f s, of which %.2f s the final index catch-up\n", r.peer.c_str(),
              r.ingest_s, Seconds(t1, Clock::now()));
  if (queries) {
    ss::SessionSummary summary;
    ss::TimelinePage page;
    r.latency["GetSession"] = Measure(a.queries, [&](std::size_t i) {
      if (!store->GetSession(w.sessions[i % w.sessions.size()], &summary).ok()) Die("GetSession");
    });
    r.latency["GetSession biggest"] = Measure(a.queries, [&](std::size_t) {
      if (!store->GetSession(w.biggest_session, &summary).ok()) Die("GetSession");
    });
    for (std::size_t n : {10, 100, 10000}) {
      ss::TimelineOptions o;
      o.limit = n;
      r.latency["Timeline " + std::to_string(n)] = Measure(
          n >= 10000 ? std::max<std::size_t>(a.queries / 50, 5) : a.queries, [&](std::size_t) {
            if (!store->Timeline(w.biggest_session, o, &page).ok()) Die("Timeline");
          });
    }
    ss::SessionPage sp;
    ss::ListSessionsOptions lo;
    r.latency["ListSessions newest"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t) {
          if (!store->ListSessions(lo, &sp).ok()) Die("ListSessions");
        });
    r.latency["ListSessions by user"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t i) {
          ss::ListSessionsOptions uo;
          uo.user_id = w.users[i % w.users.size()];
          if (!store->ListSessions(uo, &sp).ok()) Die("ListSessions user");
        });
    r.latency["ListSessions by cost, 24h"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t) {
          ss::ListSessionsOptions co;
          co.order = ss::SessionOrder::kCost;
          co.from_ns = w.max_start - a.window_hours * 3600LL * 1'000'000'000;
          co.to_ns = w.max_start + 1;
          if (!store->ListSessions(co, &sp).ok()) Die("ListSessions cost");
        });
    // The hot session: merges still in the memtable when it is read.
    for (std::size_t i = 0; i < w.hot.size(); i += 100) {
      std::vector<ss::Trace> batch(w.hot.begin() + i,
                                   w.hot.begin() + std::min(w.hot.size(), i + 100));
      ss::IngestResult res;
      if (!store->Ingest(batch, &res).ok()) Die("hot ingest");
    }
    if (!w.hot.empty()) {
      r.latency["GetSession hot (memtable)"] = Measure(a.queries, [&](std::size_t) {
        if (!store->GetSession("hot-session", &summary).ok()) Die("GetSession hot");
      });
    }
  }
  if (!store->Flush().ok()) Die("flush");
  store.reset();
  r.peak_rss_mb = (ReadStatusKb("VmHWM:") - std::min(rss0, ReadStatusKb("VmHWM:"))) / 1024.0;
  r.disk_bytes_per_trace =
      static_cast<double>(DirBytes(dir)) / (w.version_count + w.hot.size() * queries);
  fs::remove_all(dir);
  return r;
}

// ------------------------------------------------------------ raw rocksdb --

Result RunRawRocksdb(const Args& a, const Workload& w) {
  Result r;
  r.peer = "raw RocksDB";
  const std::string dir = a.dir + "/rocksdb";
  fs::remove_all(dir);
  // The same encoded bytes under the same keys, prepared outside the timing.
  std::vector<std::pair<std::string, std::string>> kv;
  kv.reserve(w.versions.size());
  for (const ss::Trace& v : w.versions) {
    ss::Trace t = v;
    ss::NormalizeTrace(&t);
    kv.emplace_back(
        ss::TraceKey(ss::SessionHash(t.session_id), t.session_id, t.start_ns, t.trace_id),
        ss::EncodeTrace(t, 1));
  }
  const uint64_t rss0 = ReadStatusKb("VmRSS:");
  ResetPeakRss();
  ss::Options options;
  rocksdb::DBOptions dbo = ss::MakeDBOptions(options);
  rocksdb::Options o(
      dbo, ss::MakeTracesOptions(options, rocksdb::NewLRUCache(options.block_cache_bytes)));
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir, &raw).ok()) Die("open rocksdb");
  std::unique_ptr<rocksdb::DB> db(raw);
  const auto t0 = Clock::now();
  rocksdb::WriteBatch wb;
  for (std::size_t i = 0; i < kv.size(); ++i) {
    wb.Put(kv[i].first, kv[i].second);
    if (wb.Count() == 1000 || i + 1 == kv.size()) {
      if (!db->Write(rocksdb::WriteOptions(), &wb).ok()) Die("rocksdb write");
      wb.Clear();
    }
  }
  r.ingest_s = Seconds(t0, Clock::now());
  r.traces_per_s = w.versions.size() / r.ingest_s;
  r.mb_per_s = w.json_bytes / r.ingest_s / 1e6;
  rocksdb::FlushOptions fo;
  if (!db->Flush(fo).ok()) Die("flush");
  db.reset();
  r.peak_rss_mb = (ReadStatusKb("VmHWM:") - std::min(rss0, ReadStatusKb("VmHWM:"))) / 1024.0;
  r.disk_bytes_per_trace = static_cast<double>(DirBytes(dir)) / w.versions.size();
  fs::remove_all(dir);
  return r;
}

// ----------------------------------------------------------------- sqlite --

class Sqlite {
 public:
  explicit Sqlite(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("sqlite open");
  }
  ~Sqlite() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Die(std::string("sqlite: ") + (err ? err : "?") + " in " + sql);
    }
  }
  sqlite3_stmt* Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      Die(std::string("prepare: ") + sqlite3_errmsg(db_));
    stmts_[sql] = s;
    return s;
  }
  void ResetAll() {
    for (auto& [sql, stmt] : stmts_) sqlite3_reset(stmt);
  }
  void Step(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) Die(std::string("step: ") + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> stmts_;
};

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  if (v.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
}

std::string JsonOf(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + v;
  }
  return out + "}";
}

// Ingests one trace version the way an application on SQLite does it: upsert
// the trace and its spans (present fields win), recompute the trace's usage
// from its spans, and upsert the session with the difference.
void SqliteIngest(Sqlite* db, const ss::Trace& t) {
  int64_t old_p = 0, old_c = 0, old_cost = 0, old_err = 0;
  bool existed = false;
  {
    sqlite3_stmt* s = db->Prepare(
        "SELECT prompt_tokens, completion_tokens, cost, error FROM traces WHERE trace_id = ?");
    BindText(s, 1, t.trace_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      existed = true;
      old_p = sqlite3_column_int64(s, 0);
      old_c = sqlite3_column_int64(s, 1);
      old_cost = sqlite3_column_int64(s, 2);
      old_err = sqlite3_column_int64(s, 3);
    }
  }
  {
    sqlite3_stmt* s = db->Prepare(
        "INSERT INTO traces(trace_id, session_id, user_id, name, start_time, end_time, status, "
        "input, output, metadata, tags) VALUES(?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(trace_id) DO UPDATE SET session_id = coalesce(excluded.session_id, "
        "session_id), "
        "user_id = coalesce(excluded.user_id, user_id), name = coalesce(excluded.name, name), "
        "start_time = min(start_time, excluded.start_time), "
        "end_time = max(coalesce(end_time, excluded.end_time), coalesce(excluded.end_time, "
        "end_time)), "
        "status = CASE WHEN excluded.status = 0 THEN status ELSE excluded.status END, "
        "input = coalesce(excluded.input, input), output = coalesce(excluded.output, output), "
        "metadata = coalesce(excluded.metadata, metadata), tags = coalesce(excluded.tags, tags)");
    BindText(s, 1, t.trace_id);
    BindText(s, 2, t.session_id);
    BindText(s, 3, t.user_id);
    BindText(s, 4, t.name);
    sqlite3_bind_int64(s, 5, t.start_ns);
    if (t.end_ns)
      sqlite3_bind_int64(s, 6, *t.end_ns);
    else
      sqlite3_bind_null(s, 6);
    sqlite3_bind_int(s, 7, static_cast<int>(t.status));
    BindText(s, 8, t.input.value);
    BindText(s, 9, t.output.value);
    const std::string meta = t.metadata.empty() ? std::string() : JsonOf(t.metadata);
    BindText(s, 10, meta);
    std::string tags;
    for (const auto& tag : t.tags) tags += tag + ",";
    BindText(s, 11, tags);
    db->Step(s);
  }
  for (const ss::Span& sp : t.spans) {
    sqlite3_stmt* s = db->Prepare(
        "INSERT INTO spans(trace_id, span_id, parent, name, kind, start_time, end_time, status, "
        "model, prompt_tokens, completion_tokens, cost, ttft, input, output, attributes) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(trace_id, span_id) DO UPDATE SET "
        "end_time = coalesce(excluded.end_time, end_time), status = CASE WHEN excluded.status = 0 "
        "THEN status ELSE excluded.status END, model = coalesce(excluded.model, model), "
        "prompt_tokens = CASE WHEN excluded.prompt_tokens = 0 THEN prompt_tokens ELSE "
        "excluded.prompt_tokens END, completion_tokens = CASE WHEN excluded.completion_tokens = 0 "
        "THEN completion_tokens ELSE excluded.completion_tokens END, cost = CASE WHEN "
        "excluded.cost "
        "= 0 THEN cost ELSE excluded.cost END, output = coalesce(excluded.output, output)");
    BindText(s, 1, t.trace_id);
    BindText(s, 2, sp.span_id);
    BindText(s, 3, sp.parent_span_id);
    BindText(s, 4, sp.name);
    sqlite3_bind_int(s, 5, static_cast<int>(sp.kind));
    if (sp.start_ns)
      sqlite3_bind_int64(s, 6, *sp.start_ns);
    else
      sqlite3_bind_null(s, 6);
    if (sp.end_ns)
      sqlite3_bind_int64(s, 7, *sp.end_ns);
    else
      sqlite3_bind_null(s, 7);
    sqlite3_bind_int(s, 8, static_cast<int>(sp.status));
    BindText(s, 9, sp.model);
    sqlite3_bind_int64(s, 10, sp.prompt_tokens);
    sqlite3_bind_int64(s, 11, sp.completion_tokens);
    sqlite3_bind_int64(s, 12, sp.cost_nano_usd);
    if (sp.ttft_ns)
      sqlite3_bind_int64(s, 13, *sp.ttft_ns);
    else
      sqlite3_bind_null(s, 13);
    BindText(s, 14, sp.input.value);
    BindText(s, 15, sp.output.value);
    const std::string attrs = sp.attributes.empty() ? std::string() : JsonOf(sp.attributes);
    BindText(s, 16, attrs);
    db->Step(s);
  }
  int64_t p = 0, c = 0, cost = 0, err = 0;
  {
    sqlite3_stmt* s = db->Prepare(
        "SELECT coalesce(sum(CASE WHEN kind IN (1, 6) THEN prompt_tokens END), 0), "
        "coalesce(sum(CASE WHEN kind IN (1, 6) THEN completion_tokens END), 0), "
        "coalesce(sum(CASE WHEN kind IN (1, 6) THEN cost END), 0), "
        "coalesce(max(status = 2), 0) FROM spans WHERE trace_id = ?");
    BindText(s, 1, t.trace_id);
    if (sqlite3_step(s) == SQLITE_ROW) {
      p = sqlite3_column_int64(s, 0);
      c = sqlite3_column_int64(s, 1);
      cost = sqlite3_column_int64(s, 2);
      err = sqlite3_column_int64(s, 3);
    }
  }
  {
    sqlite3_stmt* s = db->Prepare(
        "UPDATE traces SET prompt_tokens = ?, completion_tokens = ?, cost = ?, "
        "error = max(? , status = 2) WHERE trace_id = ? RETURNING error, session_id, start_time, "
        "end_time");
    sqlite3_bind_int64(s, 1, p);
    sqlite3_bind_int64(s, 2, c);
    sqlite3_bind_int64(s, 3, cost);
    sqlite3_bind_int64(s, 4, err);
    BindText(s, 5, t.trace_id);
    std::string session;
    int64_t start = 0, end = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
      err = sqlite3_column_int64(s, 0);
      if (const auto* txt = sqlite3_column_text(s, 1)) session = reinterpret_cast<const char*>(txt);
      start = sqlite3_column_int64(s, 2);
      end = sqlite3_column_int64(s, 3);
    }
    sqlite3_reset(s);
    if (session.empty()) return;
    sqlite3_stmt* u = db->Prepare(
        "INSERT INTO sessions(session_id, user_id, trace_count, error_count, prompt_tokens, "
        "completion_tokens, cost, first_trace_at, last_trace_at, max_end) "
        "VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(session_id) DO UPDATE SET "
        "user_id = coalesce(excluded.user_id, user_id), trace_count = trace_count + "
        "excluded.trace_count, error_count = error_count + excluded.error_count, prompt_tokens = "
        "prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + "
        "excluded.completion_tokens, cost = cost + excluded.cost, first_trace_at = "
        "min(first_trace_at, excluded.first_trace_at), last_trace_at = max(last_trace_at, "
        "excluded.last_trace_at), max_end = max(max_end, excluded.max_end)");
    BindText(u, 1, session);
    BindText(u, 2, t.user_id);
    sqlite3_bind_int64(u, 3, existed ? 0 : 1);
    sqlite3_bind_int64(u, 4, err - old_err);
    sqlite3_bind_int64(u, 5, p - old_p);
    sqlite3_bind_int64(u, 6, c - old_c);
    sqlite3_bind_int64(u, 7, cost - old_cost);
    sqlite3_bind_int64(u, 8, start);
    sqlite3_bind_int64(u, 9, start);
    sqlite3_bind_int64(u, 10, std::max(start, end));
    db->Step(u);
  }
}

volatile std::size_t g_sqlite_sink = 0;

Result RunSqlite(const Args& a, const Workload& w) {
  Result r;
  r.peer = "SQLite";
  const std::string dir = a.dir + "/sqlite";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const uint64_t rss0 = ReadStatusKb("VmRSS:");
  ResetPeakRss();
  {
    Sqlite db(dir + "/traces.db");
    db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;");
    db.Exec(
        "CREATE TABLE traces(trace_id TEXT PRIMARY KEY, session_id TEXT, user_id TEXT, name TEXT, "
        "start_time INTEGER, end_time INTEGER, status INTEGER, input TEXT, output TEXT, metadata "
        "TEXT, tags TEXT, prompt_tokens INTEGER DEFAULT 0, completion_tokens INTEGER DEFAULT 0, "
        "cost INTEGER DEFAULT 0, error INTEGER DEFAULT 0);"
        "CREATE INDEX traces_session_start ON traces(session_id, start_time);"
        "CREATE TABLE spans(trace_id TEXT, span_id TEXT, parent TEXT, name TEXT, kind INTEGER, "
        "start_time INTEGER, end_time INTEGER, status INTEGER, model TEXT, prompt_tokens INTEGER, "
        "completion_tokens INTEGER, cost INTEGER, ttft INTEGER, input TEXT, output TEXT, "
        "attributes TEXT, PRIMARY KEY(trace_id, span_id));"
        "CREATE TABLE sessions(session_id TEXT PRIMARY KEY, user_id TEXT, trace_count INTEGER, "
        "error_count INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER, cost INTEGER, "
        "first_trace_at INTEGER, last_trace_at INTEGER, max_end INTEGER);"
        "CREATE INDEX sessions_last ON sessions(last_trace_at);"
        "CREATE INDEX sessions_user_last ON sessions(user_id, last_trace_at);"
        "CREATE INDEX sessions_cost ON sessions(cost);");
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < w.versions.size(); i += 1000) {
      db.Exec("BEGIN");
      for (std::size_t j = i; j < std::min(w.versions.size(), i + 1000); ++j)
        SqliteIngest(&db, w.versions[j]);
      db.Exec("COMMIT");
    }
    r.ingest_s = Seconds(t0, Clock::now());
    r.traces_per_s = w.versions.size() / r.ingest_s;
    r.mb_per_s = w.json_bytes / r.ingest_s / 1e6;

    // Reads every column of every row, as sessionstore's API hands out
    // whole structs: SQLite decodes a column only when it is asked for.
    std::size_t sink = 0;
    auto rows = [&sink](sqlite3_stmt* s) {
      int n = 0;
      while (sqlite3_step(s) == SQLITE_ROW) {
        ++n;
        for (int c = 0, cols = sqlite3_column_count(s); c < cols; ++c) {
          if (sqlite3_column_type(s, c) == SQLITE_INTEGER) {
            sink += static_cast<std::size_t>(sqlite3_column_int64(s, c));
          } else {
            const unsigned char* text = sqlite3_column_text(s, c);
            const std::string value(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                                    sqlite3_column_bytes(s, c));
            sink += value.size();
          }
        }
      }
      return n;
    };
    // A sessions-list row as sessionstore returns it: the aggregates plus the
    // first input and the last output.
    const std::string kListRow =
        "SELECT s.*, (SELECT input FROM traces WHERE session_id = s.session_id ORDER BY "
        "start_time LIMIT 1), (SELECT output FROM traces WHERE session_id = s.session_id ORDER "
        "BY start_time DESC LIMIT 1) FROM sessions s ";
    const char* kSession =
        "SELECT s.*, (SELECT input FROM traces WHERE session_id = s.session_id ORDER BY start_time "
        "LIMIT 1), (SELECT output FROM traces WHERE session_id = s.session_id ORDER BY start_time "
        "DESC LIMIT 1) FROM sessions s WHERE session_id = ?";
    r.latency["GetSession"] = Measure(a.queries, [&](std::size_t i) {
      sqlite3_stmt* s = db.Prepare(kSession);
      BindText(s, 1, w.sessions[i % w.sessions.size()]);
      if (rows(s) != 1) Die("sqlite session");
    });
    r.latency["GetSession biggest"] = Measure(a.queries, [&](std::size_t) {
      sqlite3_stmt* s = db.Prepare(kSession);
      BindText(s, 1, w.biggest_session);
      rows(s);
    });
    for (int n : {10, 100, 10000}) {
      r.latency["Timeline " + std::to_string(n)] = Measure(
          n >= 10000 ? std::max<std::size_t>(a.queries / 50, 5) : a.queries, [&](std::size_t) {
            sqlite3_stmt* s = db.Prepare(
                "SELECT t.*, (SELECT json_group_array(json_array(span_id, kind, model, "
                "prompt_tokens, completion_tokens, cost, input, output)) FROM spans WHERE "
                "trace_id = t.trace_id) FROM traces t WHERE session_id = ? ORDER BY start_time "
                "LIMIT ?");
            BindText(s, 1, w.biggest_session);
            sqlite3_bind_int(s, 2, n);
            rows(s);
          });
    }
    r.latency["ListSessions newest"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t) {
          rows(db.Prepare((kListRow + "ORDER BY last_trace_at DESC LIMIT 50").c_str()));
        });
    // The reference query: the sessions table alone, no previews.
    r.latency["ListSessions newest, numbers only"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t) {
          rows(db.Prepare("SELECT * FROM sessions ORDER BY last_trace_at DESC LIMIT 50"));
        });
    r.latency["ListSessions by user"] =
        Measure(std::max<std::size_t>(a.queries / 10, 5), [&](std::size_t i) {
          sqlite3_stmt* s = db.Prepare(
              (kListRow + "WHERE user_id = ? ORDER BY last_trace_at DESC LIMIT 50").c_str());
          BindText(s, 1, w.users[i % w.users.size()]);
          rows(s);
        });
    r.latency["ListSessions by cost, 24h"] =
        Measure(std::max<std::size_t>(a.queries / 100, 3), [&](std::size_t) {
          sqlite3_stmt* s = db.Prepare(
              (kListRow +
               "WHERE last_trace_at >= ? AND first_trace_at < ? ORDER BY cost DESC LIMIT 50")
                  .c_str());
          sqlite3_bind_int64(s, 1, w.max_start - a.window_hours * 3600LL * 1'000'000'000);
          sqlite3_bind_int64(s, 2, w.max_start + 1);
          rows(s);
        });
    db.Exec("BEGIN");
    for (std::size_t i = 0; i < w.hot.size(); ++i) {
      SqliteIngest(&db, w.hot[i]);
      if (i % 100 == 99) {
        db.Exec("COMMIT");
        db.Exec("BEGIN");
      }
    }
    db.Exec("COMMIT");
    if (!w.hot.empty()) {
      r.latency["GetSession hot (memtable)"] = Measure(a.queries, [&](std::size_t) {
        sqlite3_stmt* s = db.Prepare(kSession);
        BindText(s, 1, "hot-session");
        rows(s);
      });
    }
    db.ResetAll();
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    g_sqlite_sink = sink;  // Keeps the column reads.
  }
  r.peak_rss_mb = (ReadStatusKb("VmHWM:") - std::min(rss0, ReadStatusKb("VmHWM:"))) / 1024.0;
  r.disk_bytes_per_trace = static_cast<double>(DirBytes(dir)) / (w.versions.size() + w.hot.size());
  fs::remove_all(dir);
  return r;
}

// ----------------------------------------------------------------- duckdb --
//
// The query-time aggregation design of Langfuse and Opik (ClickHouse): every
// trace version is appended as a row, and sessions are computed by GROUP BY
// when asked, deduplicating versions by taking each trace's latest. DuckDB's
// C API is loaded at run time from scripts/install-duckdb.sh's library.

class DuckDb {
 public:
  using idx_t = uint64_t;
  using Handle = void*;
  // Room for duckdb_result (48 bytes in the C API), with margin.
  struct Result {
    alignas(16) unsigned char bytes[256] = {};
  };

  bool Load(const std::string& path, std::string* why) {
    lib_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib_ == nullptr) {
      *why = dlerror();
      return false;
    }
    return Sym("duckdb_open", &open_) && Sym("duckdb_close", &close_) &&
           Sym("duckdb_connect", &connect_) && Sym("duckdb_disconnect", &disconnect_) &&
           Sym("duckdb_query", &query_) && Sym("duckdb_destroy_result", &destroy_result_) &&
           Sym("duckdb_result_error", &result_error_) && Sym("duckdb_row_count", &row_count_) &&
           Sym("duckdb_appender_create", &appender_create_) &&
           Sym("duckdb_append_varchar_length", &append_varchar_) &&
           Sym("duckdb_append_int64", &append_int64_) && Sym("duckdb_append_null", &append_null_) &&
           Sym("duckdb_appender_end_row", &end_row_) && Sym("duckdb_appender_flush", &flush_) &&
           Sym("duckdb_appender_destroy", &appender_destroy_);
  }
  ~DuckDb() {
    if (appender_ != nullptr) appender_destroy_(&appender_);
    if (con_ != nullptr) disconnect_(&con_);
    if (db_ != nullptr) close_(&db_);
    if (lib_ != nullptr) dlclose(lib_);
  }
  void Open(const std::string& path) {
    if (open_(path.c_str(), &db_) != 0 || connect_(db_, &con_) != 0) Die("duckdb open");
  }
  // Runs `sql`; returns the number of result rows.
  idx_t Query(const std::string& sql) {
    Result r;
    if (query_(con_, sql.c_str(), &r) != 0) {
      const char* err = result_error_(&r);
      std::string msg = err ? err : "?";
      destroy_result_(&r);
      Die("duckdb: " + msg + " in " + sql.substr(0, 200));
    }
    const idx_t n = row_count_(&r);
    destroy_result_(&r);
    return n;
  }
  void BeginAppend(const char* table) {
    if (appender_create_(con_, nullptr, table, &appender_) != 0) Die("duckdb appender");
  }
  void Str(const std::string& v) {
    if (v.empty()) {
      append_null_(appender_);
    } else {
      append_varchar_(appender_, v.data(), v.size());
    }
  }
  void Int(int64_t v) { append_int64_(appender_, v); }
  void EndRow() {
    if (end_row_(appender_) != 0) Die("duckdb append row");
  }
  void Flush() {
    if (flush_(appender_) != 0) Die("duckdb flush");
  }
  void EndAppend() {
    Flush();
    appender_destroy_(&appender_);
    appender_ = nullptr;
  }

 private:
  template <typename F>
  bool Sym(const char* name, F* out) {
    *out = reinterpret_cast<F>(dlsym(lib_, name));
    return *out != nullptr;
  }

  void* lib_ = nullptr;
  Handle db_ = nullptr;
  Handle con_ = nullptr;
  Handle appender_ = nullptr;
  int (*open_)(const char*, Handle*) = nullptr;
  void (*close_)(Handle*) = nullptr;
  int (*connect_)(Handle, Handle*) = nullptr;
  void (*disconnect_)(Handle*) = nullptr;
  int (*query_)(Handle, const char*, Result*) = nullptr;
  void (*destroy_result_)(Result*) = nullptr;
  const char* (*result_error_)(Result*) = nullptr;
  idx_t (*row_count_)(Result*) = nullptr;
  int (*appender_create_)(Handle, const char*, const char*, Handle*) = nullptr;
  int (*append_varchar_)(Handle, const char*, idx_t) = nullptr;
  int (*append_int64_)(Handle, int64_t) = nullptr;
  int (*append_null_)(Handle) = nullptr;
  int (*end_row_)(Handle) = nullptr;
  int (*flush_)(Handle) = nullptr;
  int (*appender_destroy_)(Handle*) = nullptr;
};

std::string SqlQuote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

void DuckAppend(DuckDb* db, const ss::Trace& t, int64_t seq) {
  const ss::TraceUsage u = ss::ComputeTraceUsage(t);
  std::string spans;
  for (const ss::Span& sp : t.spans) {
    ss::Trace one;
    one.spans.push_back(sp);
    ss::AppendTraceJson(one, &spans);  // The spans' bytes, as JSON.
  }
  db->Int(seq);
  db->Str(t.trace_id);
  db->Str(t.session_id);
  db->Str(t.user_id);
  db->Int(t.start_ns);
  db->Int(u.effective_end_ns);
  db->Int(u.has_error ? 1 : 0);
  db->Str(t.input.value);
  db->Str(t.output.value);
  db->Int(u.prompt_tokens);
  db->Int(u.completion_tokens);
  db->Int(u.cost_nano_usd);
  db->Str(spans);
  db->EndRow();
}

Result RunDuckDb(const Args& a, const Workload& w) {
  Result r;
  r.peer = "DuckDB";
  DuckDb db;
  std::string why;
  if (!db.Load(a.duckdb, &why)) {
    std::printf("DuckDB: not available (%s); run scripts/install-duckdb.sh\n", why.c_str());
    return r;
  }
  const std::string dir = a.dir + "/duckdb";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const uint64_t rss0 = ReadStatusKb("VmRSS:");
  ResetPeakRss();
  db.Open(dir + "/traces.duckdb");
  db.Query(
      "CREATE TABLE traces(seq BIGINT, trace_id VARCHAR, session_id VARCHAR, user_id VARCHAR, "
      "start_time BIGINT, end_time BIGINT, error BIGINT, input VARCHAR, output VARCHAR, "
      "prompt_tokens BIGINT, completion_tokens BIGINT, cost BIGINT, spans VARCHAR)");
  const auto t0 = Clock::now();
  db.BeginAppend("traces");
  for (std::size_t i = 0; i < w.versions.size(); ++i) {
    DuckAppend(&db, w.versions[i], static_cast<int64_t>(i));
    if (i % 1000 == 999) db.Flush();
  }
  db.EndAppend();
  r.ingest_s = Seconds(t0, Clock::now());
  r.traces_per_s = w.versions.size() / r.ingest_s;
  r.mb_per_s = w.json_bytes / r.ingest_s / 1e6;
  // Latest version of each trace, then per session.
  const std::string latest =
      "(SELECT trace_id, any_value(session_id) AS session_id, arg_max(user_id, seq) AS user_id, "
      "min(start_time) AS start_time, max(end_time) AS end_time, arg_max(error, seq) AS error, "
      "arg_max(prompt_tokens, seq) AS p, arg_max(completion_tokens, seq) AS c, arg_max(cost, seq) "
      "AS cost FROM traces WHERE %s GROUP BY trace_id)";
  auto latest_where = [&](const std::string& where) {
    std::string q = latest;
    q.replace(q.find("%s"), 2, where);
    return q;
  };
  const std::string per_session =
      "SELECT session_id, arg_max(user_id, start_time) AS user_id, count(*) AS traces, "
      "sum(error) AS errors, sum(p) AS p, sum(c) AS c, sum(cost) AS cost, min(start_time) AS "
      "first_at, max(start_time) AS last_at, max(end_time) AS max_end FROM ";
  const std::size_t few = std::max<std::size_t>(a.queries / 100, 3);
  r.latency["GetSession"] = Measure(few, [&](std::size_t i) {
    db.Query(per_session +
             latest_where("session_id = " + SqlQuote(w.sessions[i % w.sessions.size()])) +
             " GROUP BY session_id");
  });
  r.latency["GetSession biggest"] = Measure(few, [&](std::size_t) {
    db.Query(per_session + latest_where("session_id = " + SqlQuote(w.biggest_session)) +
             " GROUP BY session_id");
  });
  for (int n : {10, 100, 10000}) {
    r.latency["Timeline " + std::to_string(n)] = Measure(few, [&](std::size_t) {
      db.Query("SELECT * FROM traces WHERE session_id = " + SqlQuote(w.biggest_session) +
               " QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY seq DESC) = 1 "
               "ORDER BY start_time LIMIT " +
               std::to_string(n));
    });
  }
  r.latency["ListSessions newest"] = Measure(few, [&](std::size_t) {
    db.Query(per_session + latest_where("true") +
             " GROUP BY session_id ORDER BY last_at DESC LIMIT 50");
  });
  r.latency["ListSessions by user"] = Measure(few, [&](std::size_t i) {
    db.Query(per_session +
             latest_where("session_id IN (SELECT session_id FROM traces WHERE user_id = " +
                          SqlQuote(w.users[i % w.users.size()]) + ")") +
             " GROUP BY session_id HAVING arg_max(user_id, start_time) = " +
             SqlQuote(w.users[i % w.users.size()]) + " ORDER BY last_at DESC LIMIT 50");
  });
  const int64_t day_ago = w.max_start - a.window_hours * 3600LL * 1'000'000'000;
  r.latency["ListSessions by cost, 24h"] = Measure(few, [&](std::size_t) {
    db.Query(per_session + latest_where("true") +
             " GROUP BY session_id HAVING max(start_time) >= " + std::to_string(day_ago) +
             " ORDER BY cost DESC LIMIT 50");
  });
  if (!w.hot.empty()) {
    db.BeginAppend("traces");
    for (std::size_t i = 0; i < w.hot.size(); ++i) {
      DuckAppend(&db, w.hot[i], static_cast<int64_t>(w.versions.size() + i));
    }
    db.EndAppend();
    r.latency["GetSession hot (memtable)"] = Measure(few, [&](std::size_t) {
      db.Query(per_session + latest_where("session_id = 'hot-session'") + " GROUP BY session_id");
    });
  }
  db.Query("CHECKPOINT");
  r.peak_rss_mb = (ReadStatusKb("VmHWM:") - std::min(rss0, ReadStatusKb("VmHWM:"))) / 1024.0;
  r.disk_bytes_per_trace = static_cast<double>(DirBytes(dir)) / (w.versions.size() + w.hot.size());
  fs::remove_all(dir);
  return r;
}

// ----------------------------------------------------------------- report --

std::string Ratio(double ours, double theirs, bool higher_is_better) {
  if (ours <= 0 || theirs <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", higher_is_better ? ours / theirs : theirs / ours);
  return buf;
}

void Report(const std::vector<Result>& results) {
  if (results.empty()) return;
  const Result& ours = results.front();
  std::printf("\n%-28s", "figure");
  for (const Result& r : results) std::printf(" %16s", r.peer.c_str());
  std::printf("   (ratio: how many times better %s is)\n", ours.peer.c_str());
  auto row = [&](const char* name, const std::function<double(const Result&)>& get, bool higher) {
    std::printf("%-28s", name);
    for (const Result& r : results) {
      const double v = get(r);
      if (v > 0)
        std::printf(" %16.1f", v);
      else
        std::printf(" %16s", "n/a");
    }
    std::printf("  ");
    for (std::size_t i = 1; i < results.size(); ++i) {
      const std::string ratio = Ratio(get(ours), get(results[i]), higher);
      std::printf(" vs %s %s;", results[i].peer.c_str(), ratio.empty() ? "n/a" : ratio.c_str());
    }
    std::printf("\n");
  };
  row(
      "ingest traces/s", [](const Result& r) { return r.traces_per_s; }, true);
  row(
      "ingest MB/s (JSON)", [](const Result& r) { return r.mb_per_s; }, true);
  row(
      "disk bytes/trace", [](const Result& r) { return r.disk_bytes_per_trace; }, false);
  row(
      "peak RSS MB (delta)", [](const Result& r) { return r.peak_rss_mb; }, false);
  std::vector<std::string> names;
  for (const Result& r : results) {
    for (const auto& [name, l] : r.latency) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    for (int pct : {50, 99}) {
      const std::string label = name + (pct == 50 ? " p50 us" : " p99 us");
      row(
          label.c_str(),
          [&](const Result& r) {
            auto it = r.latency.find(name);
            if (it == r.latency.end()) return 0.0;
            return pct == 50 ? it->second.p50_us : it->second.p99_us;
          },
          false);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, &a)) {
    std::fprintf(stderr,
                 "usage: compare [--traces=N] [--sessions=N] [--hot_traces=N] [--queries=N] "
                 "[--seed=S] [--dir=DIR] [--peers=sessionstore,rocksdb,sqlite,duckdb] "
                 "[--duckdb=PATH/libduckdb.so] [--writers=1,2,4] [--index_interval_ms=N] "
                 "[--stream=1] [--window_hours=24]\n");
    return 2;
  }
  if (a.stream && (a.peers != "sessionstore" || a.writers.size() != 1 || a.writers[0] != 1)) {
    std::fprintf(stderr, "compare: --stream=1 needs --peers=sessionstore --writers=1\n");
    return 2;
  }
  fs::create_directories(a.dir);
  const auto g0 = Clock::now();
  const Workload w = MakeWorkload(a);
  std::printf(
      "workload: %zu trace versions (%zu distinct traces, %zu sessions, biggest %s), %.1f MB "
      "of JSON Lines, generated in %.1fs\n",
      w.version_count, a.traces, w.sessions.size(), w.biggest_session.c_str(), w.json_bytes / 1e6,
      Seconds(g0, Clock::now()));
  std::vector<Result> results;
  auto wants = [&](const char* p) { return a.peers.find(p) != std::string::npos; };
  if (wants("sessionstore")) {
    results.push_back(RunSessionstore(a, w, a.writers[0], true));
    std::fflush(stdout);
    for (std::size_t i = 1; i < a.writers.size(); ++i) {
      Result r = RunSessionstore(a, w, a.writers[i], false);
      std::printf("%s: %.0f traces/s, %.1f MB/s\n", r.peer.c_str(), r.traces_per_s, r.mb_per_s);
    }
  }
  if (wants("rocksdb")) results.push_back(RunRawRocksdb(a, w));
  if (wants("sqlite")) results.push_back(RunSqlite(a, w));
  if (wants("duckdb")) {
    Result r = RunDuckDb(a, w);
    if (r.ingest_s > 0) results.push_back(r);
  }
  Report(results);
  return 0;
}
