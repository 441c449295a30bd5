// Copyright sessionstore authors.
//
// The DuckDB peer.
//
// The query-time aggregation design of Langfuse and Opik (ClickHouse): every
// trace version is appended as a row, and sessions are computed by GROUP BY
// when asked, deduplicating versions by taking each trace's latest. DuckDB's
// C API is loaded at run time from scripts/install-duckdb.sh's library.
// Without the library (--duckdb) the peer says so and is left out of the
// table.

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "bench/compare/peer.h"
#include "sessionstore/json.h"

namespace sessionstore::bench {
namespace {

namespace fs = std::filesystem;

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

void DuckAppend(DuckDb* db, const Trace& t, int64_t seq) {
  const TraceUsage u = ComputeTraceUsage(t);
  std::string spans;
  for (const Span& sp : t.spans) {
    Trace one;
    one.spans.push_back(sp);
    AppendTraceJson(one, &spans);  // The spans' bytes, as JSON.
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

// Creates the table, then appends w.versions: the timed ingest.
void IngestAll(DuckDb* db, const Workload& w, Result* r) {
  db->Query(
      "CREATE TABLE traces(seq BIGINT, trace_id VARCHAR, session_id VARCHAR, user_id VARCHAR, "
      "start_time BIGINT, end_time BIGINT, error BIGINT, input VARCHAR, output VARCHAR, "
      "prompt_tokens BIGINT, completion_tokens BIGINT, cost BIGINT, spans VARCHAR)");
  const Meter m;
  db->BeginAppend("traces");
  for (std::size_t i = 0; i < w.versions.size(); ++i) {
    DuckAppend(db, w.versions[i], static_cast<int64_t>(i));
    if (i % 1000 == 999) db->Flush();
  }
  db->EndAppend();
  RecordIngest(m.Read(), w.versions.size(), w.json_bytes, r);
}

// Latest version of each trace, then per session.
constexpr char kLatest[] =
    "(SELECT trace_id, any_value(session_id) AS session_id, arg_max(user_id, seq) AS user_id, "
    "min(start_time) AS start_time, max(end_time) AS end_time, arg_max(error, seq) AS error, "
    "arg_max(prompt_tokens, seq) AS p, arg_max(completion_tokens, seq) AS c, arg_max(cost, seq) "
    "AS cost FROM traces WHERE %s GROUP BY trace_id)";
constexpr char kPerSession[] =
    "SELECT session_id, arg_max(user_id, start_time) AS user_id, count(*) AS traces, "
    "sum(error) AS errors, sum(p) AS p, sum(c) AS c, sum(cost) AS cost, min(start_time) AS "
    "first_at, max(start_time) AS last_at, max(end_time) AS max_end FROM ";

// kLatest over the versions `where` selects.
std::string LatestWhere(const std::string& where) {
  std::string q = kLatest;
  q.replace(q.find("%s"), 2, where);
  return q;
}

// One session's row, as GetSession answers it.
std::string SessionQuery(const std::string& where) {
  return kPerSession + LatestWhere(where) + " GROUP BY session_id";
}

void MeasureQueries(DuckDb* db, const Args& a, const Workload& w, Result* r) {
  const std::size_t few = FewSamples(a);
  r->latency["GetSession"] = Measure(few, [&](std::size_t i) {
    db->Query(SessionQuery("session_id = " + SqlQuote(w.sessions[i % w.sessions.size()])));
  });
  r->latency["GetSession biggest"] = Measure(few, [&](std::size_t) {
    db->Query(SessionQuery("session_id = " + SqlQuote(w.biggest_session)));
  });
  for (int n : {10, 100, 10000}) {
    r->latency["Timeline " + std::to_string(n)] = Measure(few, [&](std::size_t) {
      db->Query("SELECT * FROM traces WHERE session_id = " + SqlQuote(w.biggest_session) +
                " QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY seq DESC) = 1 "
                "ORDER BY start_time LIMIT " +
                std::to_string(n));
    });
  }
  r->latency["ListSessions newest"] = Measure(few, [&](std::size_t) {
    db->Query(kPerSession + LatestWhere("true") +
              " GROUP BY session_id ORDER BY last_at DESC LIMIT 50");
  });
  r->latency["ListSessions by user"] = Measure(few, [&](std::size_t i) {
    db->Query(kPerSession +
              LatestWhere("session_id IN (SELECT session_id FROM traces WHERE user_id = " +
                          SqlQuote(w.users[i % w.users.size()]) + ")") +
              " GROUP BY session_id HAVING arg_max(user_id, start_time) = " +
              SqlQuote(w.users[i % w.users.size()]) + " ORDER BY last_at DESC LIMIT 50");
  });
  const int64_t day_ago = WindowStart(a, w);
  r->latency["ListSessions by cost, 24h"] = Measure(few, [&](std::size_t) {
    db->Query(kPerSession + LatestWhere("true") +
              " GROUP BY session_id HAVING max(start_time) >= " + std::to_string(day_ago) +
              " ORDER BY cost DESC LIMIT 50");
  });
}

// The hot session, appended after the workload, then read.
void MeasureHot(DuckDb* db, const Args& a, const Workload& w, Result* r) {
  if (w.hot.empty()) return;
  db->BeginAppend("traces");
  for (std::size_t i = 0; i < w.hot.size(); ++i) {
    DuckAppend(db, w.hot[i], static_cast<int64_t>(w.versions.size() + i));
  }
  db->EndAppend();
  r->latency["GetSession hot (memtable)"] = Measure(
      FewSamples(a), [&](std::size_t) { db->Query(SessionQuery("session_id = 'hot-session'")); });
}

std::optional<Result> Run(const Args& a, const Workload& w) {
  Result r;
  r.peer = "DuckDB";
  DuckDb db;
  std::string why;
  if (!db.Load(a.duckdb, &why)) {
    std::printf("DuckDB: not available (%s); run scripts/install-duckdb.sh\n", why.c_str());
    return std::nullopt;
  }
  const std::string dir = a.dir + "/duckdb";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const PeakRss rss;
  db.Open(dir + "/traces.duckdb");
  IngestAll(&db, w, &r);
  if (a.compacted) db.Query("CHECKPOINT");
  MeasureQueries(&db, a, w, &r);
  MeasureHot(&db, a, w, &r);
  db.Query("CHECKPOINT");
  RecordFootprint(rss, dir, w.versions.size() + w.hot.size(), &r);
  return r;
}

}  // namespace

Peer DuckdbPeer() { return {"duckdb", &Run}; }

}  // namespace sessionstore::bench
