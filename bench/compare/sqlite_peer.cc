// Copyright sessionstore authors.
//
// The SQLite peer, laid out the way Phoenix embeds it: WAL,
// synchronous=NORMAL, transactions of 1000, traces and spans tables, a
// sessions table upserted per trace.

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "bench/compare/peer.h"

namespace sessionstore::bench {
namespace {

namespace fs = std::filesystem;

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

void BindInt64(sqlite3_stmt* s, int i, const std::optional<int64_t>& v) {
  if (v)
    sqlite3_bind_int64(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}

std::string JsonOf(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + v;
  }
  return out + "}";
}

void CreateSchema(Sqlite* db) {
  db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;");
  db->Exec(
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
      "CREATE INDEX sessions_cost ON sessions(cost);"
      // The tags of each session's traces, for the tag filter.
      "CREATE TABLE session_tags(tag TEXT, session_id TEXT, PRIMARY KEY(tag, session_id)) "
      "WITHOUT ROWID;");
}

// ---------------------------------------------------------------- ingest --

// A trace's usage columns.
struct UsageRow {
  int64_t prompt = 0, completion = 0, cost = 0, error = 0;
};

// Reads the stored usage of `trace_id` into `old`; false when the trace is
// not stored yet.
bool ReadStoredUsage(Sqlite* db, const std::string& trace_id, UsageRow* old) {
  sqlite3_stmt* s = db->Prepare(
      "SELECT prompt_tokens, completion_tokens, cost, error FROM traces WHERE trace_id = ?");
  BindText(s, 1, trace_id);
  const bool found = sqlite3_step(s) == SQLITE_ROW;
  if (found) {
    old->prompt = sqlite3_column_int64(s, 0);
    old->completion = sqlite3_column_int64(s, 1);
    old->cost = sqlite3_column_int64(s, 2);
    old->error = sqlite3_column_int64(s, 3);
  }
  // Reset, as an application does: a statement left on a row keeps its
  // read transaction open, and no checkpoint can then shorten the log (the
  // log grew without bound: 21 GB in the first 90 s of a 10M-trace run).
  sqlite3_reset(s);
  return found;
}

void UpsertTrace(Sqlite* db, const Trace& t) {
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
  BindInt64(s, 6, t.end_ns);
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

void UpsertSpan(Sqlite* db, const std::string& trace_id, const Span& sp) {
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
  BindText(s, 1, trace_id);
  BindText(s, 2, sp.span_id);
  BindText(s, 3, sp.parent_span_id);
  BindText(s, 4, sp.name);
  sqlite3_bind_int(s, 5, static_cast<int>(sp.kind));
  BindInt64(s, 6, sp.start_ns);
  BindInt64(s, 7, sp.end_ns);
  sqlite3_bind_int(s, 8, static_cast<int>(sp.status));
  BindText(s, 9, sp.model);
  sqlite3_bind_int64(s, 10, sp.prompt_tokens);
  sqlite3_bind_int64(s, 11, sp.completion_tokens);
  sqlite3_bind_int64(s, 12, sp.cost_nano_usd);
  BindInt64(s, 13, sp.ttft_ns);
  BindText(s, 14, sp.input.value);
  BindText(s, 15, sp.output.value);
  const std::string attrs = sp.attributes.empty() ? std::string() : JsonOf(sp.attributes);
  BindText(s, 16, attrs);
  db->Step(s);
}

// The trace's usage recomputed from its stored spans.
UsageRow SumSpanUsage(Sqlite* db, const std::string& trace_id) {
  UsageRow u;
  sqlite3_stmt* s = db->Prepare(
      "SELECT coalesce(sum(CASE WHEN kind IN (1, 6) THEN prompt_tokens END), 0), "
      "coalesce(sum(CASE WHEN kind IN (1, 6) THEN completion_tokens END), 0), "
      "coalesce(sum(CASE WHEN kind IN (1, 6) THEN cost END), 0), "
      "coalesce(max(status = 2), 0) FROM spans WHERE trace_id = ?");
  BindText(s, 1, trace_id);
  if (sqlite3_step(s) == SQLITE_ROW) {
    u.prompt = sqlite3_column_int64(s, 0);
    u.completion = sqlite3_column_int64(s, 1);
    u.cost = sqlite3_column_int64(s, 2);
    u.error = sqlite3_column_int64(s, 3);
  }
  sqlite3_reset(s);  // See ReadStoredUsage.
  return u;
}

// What the trace's row says after its usage update.
struct UpdatedTrace {
  std::string session;
  int64_t start = 0, end = 0;
};

// Stores `u` in the trace's row; u->error becomes the row's error flag
// (its spans' or its own status).
UpdatedTrace UpdateTraceUsage(Sqlite* db, const std::string& trace_id, UsageRow* u) {
  sqlite3_stmt* s = db->Prepare(
      "UPDATE traces SET prompt_tokens = ?, completion_tokens = ?, cost = ?, "
      "error = max(? , status = 2) WHERE trace_id = ? RETURNING error, session_id, start_time, "
      "end_time");
  sqlite3_bind_int64(s, 1, u->prompt);
  sqlite3_bind_int64(s, 2, u->completion);
  sqlite3_bind_int64(s, 3, u->cost);
  sqlite3_bind_int64(s, 4, u->error);
  BindText(s, 5, trace_id);
  UpdatedTrace row;
  if (sqlite3_step(s) == SQLITE_ROW) {
    u->error = sqlite3_column_int64(s, 0);
    if (const auto* txt = sqlite3_column_text(s, 1))
      row.session = reinterpret_cast<const char*>(txt);
    row.start = sqlite3_column_int64(s, 2);
    row.end = sqlite3_column_int64(s, 3);
  }
  sqlite3_reset(s);
  return row;
}

// Adds the trace's difference (`now` less `old`; one more trace unless it
// `existed`) to its session's row.
void UpsertSession(Sqlite* db, const Trace& t, const UpdatedTrace& row, bool existed,
                   const UsageRow& old, const UsageRow& now) {
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
  BindText(u, 1, row.session);
  BindText(u, 2, t.user_id);
  sqlite3_bind_int64(u, 3, existed ? 0 : 1);
  sqlite3_bind_int64(u, 4, now.error - old.error);
  sqlite3_bind_int64(u, 5, now.prompt - old.prompt);
  sqlite3_bind_int64(u, 6, now.completion - old.completion);
  sqlite3_bind_int64(u, 7, now.cost - old.cost);
  sqlite3_bind_int64(u, 8, row.start);
  sqlite3_bind_int64(u, 9, row.start);
  sqlite3_bind_int64(u, 10, std::max(row.start, row.end));
  db->Step(u);
}

// Ingests one trace version the way an application on SQLite does it: upsert
// the trace and its spans (present fields win), recompute the trace's usage
// from its spans, and upsert the session with the difference.
void SqliteIngest(Sqlite* db, const Trace& t) {
  UsageRow old;
  const bool existed = ReadStoredUsage(db, t.trace_id, &old);
  UpsertTrace(db, t);
  for (const Span& sp : t.spans) UpsertSpan(db, t.trace_id, sp);
  UsageRow now = SumSpanUsage(db, t.trace_id);
  const UpdatedTrace row = UpdateTraceUsage(db, t.trace_id, &now);
  if (row.session.empty()) return;
  UpsertSession(db, t, row, existed, old, now);
  for (const std::string& tag : t.tags) {
    sqlite3_stmt* s = db->Prepare("INSERT OR IGNORE INTO session_tags VALUES(?, ?)");
    BindText(s, 1, tag);
    BindText(s, 2, row.session);
    db->Step(s);
  }
}

// Ingests the versions in transactions of 1000: the timed ingest (with
// --stream=1, generated in chunks; only the inserts are timed).
void IngestAll(Sqlite* db, const Args& a, const Workload& w, Result* r) {
  const Elapsed took = IngestInChunks(a, w, [&](std::span<const Trace> all) {
    for (std::size_t i = 0; i < all.size(); i += 1000) {
      db->Exec("BEGIN");
      for (std::size_t j = i; j < std::min(all.size(), i + 1000); ++j) SqliteIngest(db, all[j]);
      db->Exec("COMMIT");
    }
  });
  RecordIngest(took, w.version_count, w.json_bytes, r);
}

// --------------------------------------------------------------- queries --

volatile std::size_t g_sqlite_sink = 0;

// Reads every column of every row, as sessionstore's API hands out
// whole structs: SQLite decodes a column only when it is asked for.
int ReadRows(sqlite3_stmt* s, std::size_t* sink) {
  int n = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ++n;
    for (int c = 0, cols = sqlite3_column_count(s); c < cols; ++c) {
      if (sqlite3_column_type(s, c) == SQLITE_INTEGER) {
        *sink += static_cast<std::size_t>(sqlite3_column_int64(s, c));
      } else {
        const unsigned char* text = sqlite3_column_text(s, c);
        const std::string value(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                                sqlite3_column_bytes(s, c));
        *sink += value.size();
      }
    }
  }
  return n;
}

// A sessions-list row as sessionstore returns it: the aggregates plus the
// first input and the last output.
constexpr char kListRow[] =
    "SELECT s.*, (SELECT input FROM traces WHERE session_id = s.session_id ORDER BY "
    "start_time LIMIT 1), (SELECT output FROM traces WHERE session_id = s.session_id ORDER "
    "BY start_time DESC LIMIT 1) FROM sessions s ";
constexpr char kSession[] =
    "SELECT s.*, (SELECT input FROM traces WHERE session_id = s.session_id ORDER BY start_time "
    "LIMIT 1), (SELECT output FROM traces WHERE session_id = s.session_id ORDER BY start_time "
    "DESC LIMIT 1) FROM sessions s WHERE session_id = ?";

// GetSession and Timeline.
void MeasureSessionQueries(Sqlite* db, const Args& a, const Workload& w, std::size_t* sink,
                           Result* r) {
  r->latency["GetSession"] = Measure(a.queries, [&](std::size_t i) {
    sqlite3_stmt* s = db->Prepare(kSession);
    BindText(s, 1, w.sessions[i % w.sessions.size()]);
    if (ReadRows(s, sink) != 1) Die("sqlite session");
  });
  r->latency["GetSession biggest"] = Measure(a.queries, [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(kSession);
    BindText(s, 1, w.biggest_session);
    ReadRows(s, sink);
  });
  for (int n : {10, 100, 10000}) {
    r->latency["Timeline " + std::to_string(n)] = Measure(TimelineSamples(a, n), [&](std::size_t) {
      sqlite3_stmt* s = db->Prepare(
          "SELECT t.*, (SELECT json_group_array(json_array(span_id, kind, model, "
          "prompt_tokens, completion_tokens, cost, input, output)) FROM spans WHERE "
          "trace_id = t.trace_id) FROM traces t WHERE session_id = ? ORDER BY start_time "
          "LIMIT ?");
      BindText(s, 1, w.biggest_session);
      sqlite3_bind_int(s, 2, n);
      ReadRows(s, sink);
    });
  }
}

void MeasureListQueries(Sqlite* db, const Args& a, const Workload& w, std::size_t* sink,
                        Result* r) {
  const std::string list_row = kListRow;
  r->latency["ListSessions newest"] = Measure(ListSamples(a), [&](std::size_t) {
    ReadRows(db->Prepare((list_row + "ORDER BY last_trace_at DESC LIMIT 50").c_str()), sink);
  });
  // The reference query: the sessions table alone, no previews.
  r->latency["ListSessions newest, numbers only"] = Measure(ListSamples(a), [&](std::size_t) {
    ReadRows(db->Prepare("SELECT * FROM sessions ORDER BY last_trace_at DESC LIMIT 50"), sink);
  });
  r->latency["ListSessions by user"] = Measure(ListSamples(a), [&](std::size_t i) {
    sqlite3_stmt* s =
        db->Prepare((list_row + "WHERE user_id = ? ORDER BY last_trace_at DESC LIMIT 50").c_str());
    BindText(s, 1, w.users[i % w.users.size()]);
    ReadRows(s, sink);
  });
  r->latency["ListSessions by cost, 24h"] = Measure(FewSamples(a), [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(
        (list_row + "WHERE last_trace_at >= ? AND first_trace_at < ? ORDER BY cost DESC LIMIT 50")
            .c_str());
    sqlite3_bind_int64(s, 1, WindowStart(a, w));
    sqlite3_bind_int64(s, 2, w.max_start + 1);
    ReadRows(s, sink);
  });
}

// The filtered listings (bench/compare/workload.h, kFilter*): a first page
// of 50 with the list row, newest first unless the query says otherwise.
void MeasureFilteredLists(Sqlite* db, const Args& a, std::size_t* sink, Result* r) {
  const std::string list_row = kListRow;
  r->latency["List filter: errors"] = Measure(ListSamples(a), [&](std::size_t) {
    ReadRows(db->Prepare(
                 (list_row + "WHERE error_count > 0 ORDER BY last_trace_at DESC LIMIT 50").c_str()),
             sink);
  });
  r->latency["List filter: search id"] = Measure(ListSamples(a), [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(
        (list_row + "WHERE session_id LIKE ? ORDER BY last_trace_at DESC LIMIT 50").c_str());
    const std::string like = std::string("%") + kFilterSearch + "%";
    BindText(s, 1, like);
    ReadRows(s, sink);
  });
  r->latency["List filter: tag"] = Measure(ListSamples(a), [&](std::size_t) {
    sqlite3_stmt* s =
        db->Prepare((list_row + "WHERE session_id IN (SELECT session_id FROM session_tags "
                                "WHERE tag = ?) ORDER BY last_trace_at DESC LIMIT 50")
                        .c_str());
    const std::string tag = kFilterTag;
    BindText(s, 1, tag);
    ReadRows(s, sink);
  });
  r->latency["List filter: cost range by tokens"] = Measure(FewSamples(a), [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(
        (list_row + "WHERE cost BETWEEN ? AND ? ORDER BY prompt_tokens + completion_tokens "
                    "DESC LIMIT 50")
            .c_str());
    sqlite3_bind_int64(s, 1, kFilterMinCost);
    sqlite3_bind_int64(s, 2, kFilterMaxCost);
    ReadRows(s, sink);
  });
}

// Nearest-rank percentiles and the mean of `v`, as Store::Analytics
// reports them, computed the way an application over SQLite would (SQLite
// has no percentile aggregate): into *sink.
void Summarize(std::vector<int64_t>* v, std::size_t* sink) {
  if (v->empty()) return;
  std::sort(v->begin(), v->end());
  double sum = 0;
  for (int64_t x : *v) sum += static_cast<double>(x);
  for (double p : {50.0, 90.0, 99.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(v->size())));
    *sink += static_cast<std::size_t>((*v)[std::max<std::size_t>(rank, 1) - 1]);
  }
  *sink += static_cast<std::size_t>(sum / static_cast<double>(v->size()));
}

// Content search (LIKE, ASCII case-insensitive) and session analytics
// over the 24 h window (workload.h).
void MeasureSearchAndAnalytics(Sqlite* db, const Args& a, const Workload& w, std::size_t* sink,
                               Result* r) {
  const int64_t from = WindowStart(a, w), to = w.max_start + 1;
  r->latency["Search 24h"] = Measure(FewSamples(a), [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(
        "SELECT session_id, trace_id, start_time, input, output FROM traces WHERE start_time >= ? "
        "AND start_time < ? AND (input LIKE ? OR output LIKE ?) ORDER BY start_time DESC, "
        "trace_id DESC LIMIT 20");
    const std::string like = std::string("%") + kSearchWord + "%";
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    BindText(s, 3, like);
    BindText(s, 4, like);
    ReadRows(s, sink);
  });
  r->latency["Analytics 24h"] = Measure(ListSamples(a), [&](std::size_t) {
    sqlite3_stmt* s = db->Prepare(
        "SELECT trace_count, max_end - first_trace_at, cost, prompt_tokens + completion_tokens, "
        "error_count > 0, EXISTS(SELECT 1 FROM session_tags t WHERE t.tag = ? AND t.session_id = "
        "s.session_id) FROM sessions s WHERE last_trace_at >= ? AND first_trace_at < ?");
    const std::string goal = kGoalTag;
    BindText(s, 1, goal);
    sqlite3_bind_int64(s, 2, from);
    sqlite3_bind_int64(s, 3, to);
    std::vector<int64_t> cols[4];
    int64_t errors = 0, goals = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < 4; ++c) cols[c].push_back(sqlite3_column_int64(s, c));
      errors += sqlite3_column_int64(s, 4);
      goals += sqlite3_column_int64(s, 5);
    }
    for (auto& c : cols) Summarize(&c, sink);
    *sink += static_cast<std::size_t>(errors + goals);
  });
}

// The hot session, ingested in transactions of 100, then read.
void MeasureHot(Sqlite* db, const Args& a, const Workload& w, std::size_t* sink, Result* r) {
  db->Exec("BEGIN");
  for (std::size_t i = 0; i < w.hot.size(); ++i) {
    SqliteIngest(db, w.hot[i]);
    if (i % 100 == 99) {
      db->Exec("COMMIT");
      db->Exec("BEGIN");
    }
  }
  db->Exec("COMMIT");
  if (!w.hot.empty()) {
    // Bound with SQLITE_STATIC: the string outlives the statement's steps.
    const std::string hot = kHotSession;
    r->latency["GetSession hot (memtable)"] = Measure(a.queries, [&](std::size_t) {
      sqlite3_stmt* s = db->Prepare(kSession);
      BindText(s, 1, hot);
      ReadRows(s, sink);
    });
  }
}

std::optional<Result> Run(const Args& a, const Workload& w) {
  Result r;
  r.peer = "SQLite";
  const std::string dir = a.dir + "/sqlite";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const PeakRss rss;
  {
    Sqlite db(dir + "/traces.db");
    CreateSchema(&db);
    IngestAll(&db, a, w, &r);
    if (a.compacted) {
      const auto c0 = Clock::now();
      db.ResetAll();
      db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.Exec("VACUUM");
      db.Exec("ANALYZE");
      std::printf("SQLite: checkpoint, VACUUM and ANALYZE before the queries in %.1fs\n",
                  Seconds(c0, Clock::now()));
    }
    std::size_t sink = 0;
    MeasureSessionQueries(&db, a, w, &sink, &r);
    MeasureListQueries(&db, a, w, &sink, &r);
    MeasureFilteredLists(&db, a, &sink, &r);
    MeasureSearchAndAnalytics(&db, a, w, &sink, &r);
    MeasureHot(&db, a, w, &sink, &r);
    db.ResetAll();
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    g_sqlite_sink = sink;  // Keeps the column reads.
  }
  RecordFootprint(rss, dir, w.version_count + w.hot.size(), &r);
  return r;
}

}  // namespace

Peer SqlitePeer() { return {"sqlite", &Run}; }

}  // namespace sessionstore::bench
