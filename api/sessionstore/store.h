// Copyright sessionstore authors.
//
// Store: an embedded store of LLM-observability traces grouped into sessions,
// with exact per-session aggregates maintained on ingest.
//
//   std::unique_ptr<sessionstore::Store> store;
//   sessionstore::Status s = sessionstore::Store::Open({}, "/var/lib/app/ss", &store);
//   sessionstore::IngestResult r;
//   s = store->Ingest(traces, &r);
//   sessionstore::SessionSummary summary;
//   s = store->GetSession("session-42", &summary);
//
// Thread safety: every method of Store may be called concurrently from any
// number of threads; concurrent ingest of the same trace ids is exact.

#ifndef SESSIONSTORE_STORE_H_
#define SESSIONSTORE_STORE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sessionstore/options.h"
#include "sessionstore/session.h"
#include "sessionstore/status.h"
#include "sessionstore/trace.h"

namespace sessionstore {

// A trace that Ingest refused; the other traces of the batch still land.
struct RejectedTrace {
  std::size_t index = 0;  // Position in the batch passed to Ingest.
  std::string trace_id;
  Status reason;  // InvalidArgument naming the field and why.
};

struct IngestResult {
  std::size_t inserted = 0;   // Traces stored for the first time.
  std::size_t updated = 0;    // Stored traces that changed.
  std::size_t unchanged = 0;  // Retries that changed nothing.
  std::vector<RejectedTrace> rejected;
};

// Open ends of a time window (TimelineOptions, ListSessionsOptions).
inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

struct TimelineOptions {
  // Traces whose start lies in [from_ns, to_ns). Default: all time.
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  // Newest first when true. Default: false (chronological).
  bool descending = false;
  // Maximum traces per page (0 means 100). Default: 100.
  std::size_t limit = 100;
  // Opaque cursor from a previous page's next_cursor; empty for the first
  // page. It is only valid with the same session, window and direction.
  std::string cursor;
};

struct TimelinePage {
  std::vector<Trace> traces;  // With their spans, in the requested order.
  // Empty when there are no more traces; else pass it as the next cursor.
  std::string next_cursor;
};

struct SearchOptions {
  // Traces whose start lies in [from_ns, to_ns). Default: all time.
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  // Only this session's traces (one range of its timeline); empty: every
  // trace, those without a session included. Default: empty.
  std::string session_id;
  // Only traces whose own user_id equals this; empty: all. Default: empty.
  std::string user_id;
  // Maximum traces per page (0 means 20). Default: 20.
  std::size_t limit = 20;
  // Opaque cursor from a previous page's next_cursor; empty for the first
  // page. It is only valid with the same text, window, session and user.
  std::string cursor;
};

// One trace that Search found.
struct SearchHit {
  std::string session_id;  // Empty for a trace without a session.
  std::string trace_id;
  int64_t start_ns = 0;
  std::string field;    // "input" or "output": where the snippet is from.
  std::string snippet;  // The first match with up to 60 bytes around it (see Store::Search).
};

struct SearchPage {
  std::vector<SearchHit> hits;  // Newest first (start, then trace id, descending).
  std::string next_cursor;      // Empty when there are no more hits.
};

// Sort key of ListSessions. Ties are broken by an internal per-session key,
// so the order is total and stable across pages.
enum class SessionOrder {
  kLastActivity,   // last_trace_at_ns
  kFirstActivity,  // first_trace_at_ns
  kCost,           // cost_nano_usd
  kTotalTokens,    // total_tokens
  kTraceCount,     // trace_count
  kDuration,       // duration_ns
  kErrorCount,     // error_count
};

// An inclusive range of a session metric; the defaults leave it open.
struct Int64Range {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  bool Contains(int64_t v) const { return min <= v && v <= max; }
  bool IsOpen() const {
    return min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max();
  }
  bool operator==(const Int64Range&) const = default;
};

struct ListSessionsOptions {
  // Sessions active in [from_ns, to_ns): first_trace_at_ns < to_ns and
  // last_trace_at_ns >= from_ns. Default: all time.
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  // Only sessions whose user_id (see SessionSummary) equals this; empty: all.
  std::string user_id;

  // Filters, all combined with AND (and with the window and user). Each
  // compares the SessionSummary field named. Default: none.
  //
  // The session id or session_name contains this text, case-insensitively
  // (Unicode simple case folding, as Search). Empty: no filter.
  std::string search;
  // Every one of these tags is carried by at least one of the session's
  // traces (a key of SessionSummary::tags). Empty: no filter.
  std::vector<std::string> tags;
  // A call to this model (a key of SessionSummary::models). Empty: none.
  std::string model;
  // Only sessions with at least one error trace (error_count > 0).
  bool errors_only = false;
  // Inclusive ranges of cost_nano_usd, total_tokens, trace_count and
  // duration_ns. InvalidArgument when min > max.
  Int64Range cost_nano_usd;
  Int64Range total_tokens;
  Int64Range trace_count;
  Int64Range duration_ns;

  // Sort key and direction. Default: last activity, newest first.
  SessionOrder order = SessionOrder::kLastActivity;
  bool descending = true;
  // Maximum sessions per page (0 means 50). Default: 50.
  std::size_t limit = 50;
  // Opaque cursor from a previous page's next_cursor; empty for the first
  // page. It is only valid with the same window, user, filters, order and
  // direction.
  std::string cursor;
};

struct SessionPage {
  std::vector<SessionSummary> sessions;
  std::string next_cursor;  // Empty when there are no more sessions.
};

// Analytics over the sessions of a window (Store::Analytics).
struct AnalyticsOptions {
  // Sessions active in [from_ns, to_ns), as ListSessionsOptions: first
  // trace start < to_ns and last trace start >= from_ns. from_ns >= to_ns
  // gives an empty report. Default: all time.
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  // Only sessions whose user_id (see SessionSummary) equals this; empty:
  // all. Default: empty.
  std::string user_id;
  // Only sessions carrying every one of these tags (as
  // ListSessionsOptions::tags). Default: none.
  std::vector<std::string> tags;
  // A session is completed (a goal session) when at least one of its traces
  // carries this tag (a key of SessionSummary::tags). Empty: no session is.
  // Default: "conversion".
  std::string goal_tag = "conversion";
  // 0: no buckets. Otherwise the report also splits the sessions into
  // buckets of this many nanoseconds by first activity (first_trace_at_ns),
  // aligned to the Unix epoch (UTC): 3'600'000'000'000 per hour,
  // 86'400'000'000'000 per day. A session active in the window whose first
  // trace is older than from_ns lands in a bucket before the window.
  // InvalidArgument when negative. Default: 0.
  int64_t bucket_ns = 0;
};

// Limit on AnalyticsReport::buckets (non-empty buckets).
inline constexpr std::size_t kMaxAnalyticsBuckets = 100000;

// A per-session value over a set of sessions. Percentiles are nearest-rank:
// with the n values in ascending order, pP is the value at (1-based) rank
// ceil(P * n / 100); p50 of {1, 2, 3, 4} is 2, p99 of 100 values is the
// 99th. All fields are 0 when there are no sessions.
struct Distribution {
  double mean = 0;  // Arithmetic mean.
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t min = 0;
  int64_t max = 0;
  bool operator==(const Distribution&) const = default;
};

// Statistics of a set of sessions. Each session contributes its whole
// aggregate (SessionSummary), traces outside the window included.
struct SessionStats {
  int64_t session_count = 0;
  int64_t error_sessions = 0;     // Sessions with error_count > 0.
  int64_t goal_sessions = 0;      // Sessions carrying the goal tag.
  double error_session_rate = 0;  // error_sessions / session_count; 0 without sessions.
  double completion_rate = 0;     // goal_sessions / session_count; 0 without sessions.
  Distribution traces;            // trace_count per session.
  Distribution duration_ns;       // duration_ns per session.
  Distribution cost_nano_usd;     // cost_nano_usd per session.
  Distribution total_tokens;      // total_tokens per session.
  bool operator==(const SessionStats&) const = default;
};

struct AnalyticsReport {
  SessionStats overall;  // Every session of the window that passes the filters.
  // With AnalyticsOptions::bucket_ns: (bucket start ns, its sessions'
  // statistics) for the non-empty buckets, ascending. Else empty.
  std::vector<std::pair<int64_t, SessionStats>> buckets;
};

// What an open's replay of the write-ahead log dropped: the torn last
// record of a crash in the middle of a write (never acknowledged), or, with
// Options::recover_damaged_wal, everything after the damage. A read-only
// open while another process has the store open for writing reports
// nothing: the end of that writer's log is work in progress, not damage.
struct WalRecoveryReport {
  // Log records (write batches: one per Ingest call, plus the session
  // indexer's own updates) that were not replayed: the intact ones after
  // the point where replay stopped, plus one per damaged stretch there
  // (a torn or corrupt record; a stretch may have held more than one).
  uint64_t records_dropped = 0;
  // Bytes of the logs after the last record replayed (zero padding
  // included).
  uint64_t bytes_dropped = 0;
  // One line per log that lost data, e.g. "000012.log: 3 records (4096
  // bytes) dropped after offset 81920".
  std::vector<std::string> details;
};

// One column family's figures (names: docs/format.md).
struct FamilyStats {
  std::string name;
  uint64_t disk_bytes = 0;                // Live table and blob files.
  uint64_t memtable_bytes = 0;            // Its memtables.
  uint64_t pending_compaction_bytes = 0;  // RocksDB's estimate of compaction debt.
  int64_t keys_estimate = 0;              // RocksDB's estimate of its keys.
  // Since this Store was opened: the bytes the family's flushes and
  // compactions wrote into table and blob files, and the CPU time of its
  // compactions (RocksDB's background threads; flushes are not timed).
  // They sum to StoreStats::table_bytes_written.
  uint64_t flushed_bytes = 0;
  uint64_t compacted_bytes = 0;
  uint64_t compaction_cpu_micros = 0;
};

struct StoreStats {
  // Stored traces and sessions. Exact (counts_exact) once the in-memory
  // session indexes are loaded (after any ListSessions or Verify of this
  // process): the sum of the sessions' trace counts plus the traces without
  // a session. Otherwise RocksDB's estimates of the keys, which count
  // overwritten and deleted keys not yet compacted away, and miss the
  // sessions whose aggregates are still pending or held in memory
  // (Options::index_hold_bytes) and not yet written.
  int64_t traces = 0;
  int64_t sessions = 0;
  bool counts_exact = false;
  uint64_t disk_bytes = 0;         // Live SST and blob files, every family.
  uint64_t memtable_bytes = 0;     // All memtables.
  uint64_t block_cache_bytes = 0;  // In use, both block caches.
  // Memory the block caches' pools have mapped for their blocks, spare
  // slabs included (kept until the store closes; at most 1.25x
  // Options::block_cache_bytes plus 16 MiB).
  uint64_t block_pool_bytes = 0;
  // The summary cache (Options::summary_cache_bytes): bytes held
  // (approximate), and since open the reads it answered and those it did
  // not (each session of a listing page counts once).
  uint64_t summary_cache_bytes = 0;
  uint64_t summary_cache_hits = 0;
  uint64_t summary_cache_misses = 0;
  // Session deltas waiting for the background catch-up (the bytes their
  // encodings would take; in memory each takes about 740 bytes more, plus
  // the allocator's rounding of its strings; Options::index_interval_ms
  // says what bounds them), and the in-memory
  // session indexes, approximately (what their containers asked the
  // allocator for; 0 until a listing, Verify or
  // Options::preload_session_indexes loads them; not bounded by an option:
  // they grow with the sessions, about 1.2 KB each). Computing the second
  // walks every session.
  uint64_t pending_delta_bytes = 0;
  // Session deltas the indexer holds in memory, one per session
  // (Options::index_hold_bytes bounds them, give or take one round's), and
  // what a failed catch-up left for a retry (counted as pending ones).
  uint64_t held_delta_bytes = 0;
  uint64_t session_index_bytes = 0;
  uint64_t pending_compaction_bytes = 0;  // Every family.
  // Since the store was opened: bytes of the ingest batches written (the
  // write-ahead log's payload), bytes RocksDB wrote into table files
  // (flushes and compactions), and their ratio plus one (every byte is
  // written once to the log): 0 when nothing was ingested.
  uint64_t ingested_bytes = 0;
  uint64_t table_bytes_written = 0;
  double write_amplification = 0;
  std::vector<FamilyStats> families;
  // Session deltas and merge operands folded into full aggregates since the
  // store was opened by reads (the deltas no catch-up has stored yet, and
  // the operands of a store upgraded from format 6 or earlier), and by
  // flushes and compactions (those operands only).
  uint64_t merge_operands_read = 0;
  // Retention (Options::retention_ns) since open: passes run, traces removed.
  uint64_t retention_passes = 0;
  uint64_t retention_traces_deleted = 0;
  // What the open of this Store dropped from the write-ahead log
  // (WalRecoveryReport); 0 after a clean shutdown.
  uint64_t wal_records_dropped = 0;
  uint64_t wal_bytes_dropped = 0;
};

// What a delete removed. Each session is deleted (or trimmed) in one atomic
// write, so a failed delete leaves every session whole or done.
struct DeleteResult {
  int64_t sessions_deleted = 0;  // Sessions that no longer have a trace.
  int64_t sessions_trimmed = 0;  // Sessions that lost traces and kept others.
  int64_t traces_deleted = 0;
};

// What Store::Backup added.
struct BackupResult {
  uint32_t backup_id = 0;  // Increases with each backup in the directory.
  uint64_t bytes = 0;      // Files of this backup, shared ones included.
  uint32_t files = 0;
  uint64_t bytes_copied = 0;  // New bytes in the directory (shared files are not copied again).
};

// Result of Verify: aggregates recomputed from the stored traces.
struct VerifyReport {
  int64_t sessions_checked = 0;
  int64_t traces_checked = 0;
  // One line per problem: "session <id>: <field> stored X, recomputed Y", an
  // index entry without its trace, an unreadable value, ...
  std::vector<std::string> mismatches;
};

class Store {
 public:
  // Opens (or creates, per options) the store in directory `path` and stores
  // it in *store; the caller owns it. On error *store is left null and the
  // Status says why: IOError, Corruption, InvalidArgument (no store and
  // !create_if_missing, or one exists and error_if_exists), Busy (another
  // process holds it), NotSupported (written in another format version; docs/format.md).
  static Status Open(const Options& options, const std::string& path,
                     std::unique_ptr<Store>* store);
  // As above, and fills *recovery (which may be null) with what replaying
  // the write-ahead log dropped; on error it is left empty. Nonzero
  // figures mean writes in the log were lost: tell the user. GetStats
  // reports the same figures for the store's lifetime.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<Store>* store,
                     WalRecoveryReport* recovery);

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  // Closes the store: brings the session indexes up to date (best effort;
  // what is left is indexed at the next open) and closes the write-ahead log.
  virtual ~Store() = default;

  // Upserts a batch of traces. A trace id already stored merges with it:
  // spans by span id, and in the trace and in each span the incoming
  // version's present fields win (empty strings, unset status and zero usage
  // count as absent), tags union, metadata merges by key, start is the minimum and end the
  // maximum of all versions (spans included). Resending a trace changes
  // nothing. A trace whose id is stored under another session is rejected.
  // Invalid traces go to result->rejected and the others land; the whole
  // batch (records, indexes, aggregate deltas) is one atomic write. Limits:
  // api/sessionstore/trace.h. Returns non-OK, with *result cleared, only when
  // nothing of the batch was written: IOError, NotSupported (read-only
  // store), Corruption (a stored version of one of its traces is unreadable).
  // The traces are read, not kept: the caller may reuse or free them once
  // Ingest returns (a span over any contiguous traces, no copy needed).
  virtual Status Ingest(std::span<const Trace> traces, IngestResult* result) = 0;
  // As above, for a vector.
  Status Ingest(const std::vector<Trace>& traces, IngestResult* result) {
    return Ingest(std::span<const Trace>(traces), result);
  }

  // Fills *summary with the session's aggregate. NotFound if the session has
  // no trace.
  virtual Status GetSession(std::string_view session_id, SessionSummary* summary) = 0;

  // Fills *trace with the stored trace and its spans. NotFound if absent.
  virtual Status GetTrace(std::string_view trace_id, Trace* trace) = 0;

  // One page of a session's traces in start order. An unknown session gives
  // an empty page. InvalidArgument for an empty session id or a malformed or
  // mismatched cursor. Pages are not a snapshot: a trace that a later version
  // moves across the cursor may be skipped or seen twice.
  virtual Status Timeline(std::string_view session_id, const TimelineOptions& options,
                          TimelinePage* page) = 0;

  // One page of sessions (see ListSessionsOptions), served by the session
  // indexes, which are kept in memory (about 1.2 KB per session: a row and
  // one ordered set per sort order; built on the process's first listing
  // by one scan of the stored index states). Every filter is answered from
  // them: no aggregate is read for a session that does not match. It first
  // applies every ingest that returned before the call (read-your-writes),
  // so its cost includes indexing the sessions changed since the
  // background indexer last ran (Options::index_interval_ms). Cost per
  // page: the rows' aggregate reads (one per row not cached), plus a walk of the
  // order's set from the cursor that stops once the page is full (by last
  // activity with any window; by the other orders when there is neither a
  // `from_ns` nor a user filter; filters that match few sessions, or work
  // against the order, walk further), else a pass over the sessions of the
  // window (from the last-activity order when `from_ns` is set, over the
  // user's sessions with a user filter); docs/architecture.md ("Listing
  // sessions"). The rows are checked against the window, user and filters
  // again as read, so a page never holds a session that does not match,
  // even while ingest goes on (a page may then hold fewer than `limit`
  // rows and still have a next cursor). InvalidArgument for a malformed or
  // mismatched cursor or a range with min > max. Pages are not a snapshot:
  // a session whose sort key or filtered values change between pages may
  // be skipped or seen twice; with no ingest meanwhile, walking every page
  // yields each matching session exactly once. A read-only store lists
  // every batch acknowledged before it was opened. *page is overwritten;
  // the rows it held are reused as the new rows' storage, so listing into
  // the same SessionPage again allocates less.
  virtual Status ListSessions(const ListSessionsOptions& options, SessionPage* page) = 0;

  // Fills *report with statistics of the sessions of a window (see
  // AnalyticsOptions). Answered from the in-memory session indexes, as
  // ListSessions: after applying every ingest that returned before the call
  // (read-your-writes; a read-only store sees what was acknowledged before
  // it opened), one pass over the window's sessions (from the last-activity
  // order when `from_ns` is set, over the user's sessions with a user
  // filter, else over every session), with no aggregate read; then, per
  // value, a selection of the percentiles (linear in the sessions).
  // InvalidArgument for a negative bucket_ns or more than
  // kMaxAnalyticsBuckets non-empty buckets; *report is empty on error.
  virtual Status Analytics(const AnalyticsOptions& options, AnalyticsReport* report) = 0;

  // One page of the traces whose input or output contains `text`, newest
  // first (by start, then trace id, descending). Matching is
  // case-insensitive by Unicode simple case folding (CaseFolding.txt C + S,
  // code point by code point: "É" finds "é", "σ" finds "Σ" and "ς", U+212A
  // KELVIN SIGN finds "k"; "ss" does not find "ß", "i" does not find "İ";
  // bytes that are not valid UTF-8 must be equal) and looks at the stored
  // text of the trace's own input and output (a JSON payload as its compact
  // JSON text; spans' payloads are not searched). No normalization: a
  // precomposed "é" does not find "e" + U+0301 COMBINING ACUTE ACCENT.
  // Snippets: the first match (input before output) with up to 60 bytes
  // of context on each side, cut at UTF-8 boundaries, "..." where cut, line
  // breaks and tabs as spaces. No index: with `session_id` a scan of that
  // session's traces in the window, newest first, that stops once the page
  // and one more hit are found; without, a scan of the window's traces in
  // every session active in it (with `from_ns` set: the sessions come from
  // the in-memory session indexes, after indexing what changed; without, a
  // seek per stored session), so a page costs reading every trace of the
  // window, and so does each later page. InvalidArgument for empty `text`
  // or a malformed or mismatched cursor.
  virtual Status Search(std::string_view text, const SearchOptions& options, SearchPage* page) = 0;

  // Sizes and counters (see StoreStats). Cheap: no scan, except that exact
  // counts walk the in-memory session rows (about 1 ms per 100K sessions)
  // and count the traces without a session by a key scan.
  virtual Status GetStats(StoreStats* stats) = 0;

  // Recomputes every session aggregate from the stored traces and checks the
  // indexes. Reads the whole store: minutes on large stores. Returns OK with
  // the problems in *report; non-OK only if the scan itself failed.
  virtual Status Verify(VerifyReport* report) = 0;

  // Brings the session indexes up to date and flushes memtables to disk
  // (useful before measuring disk usage).
  virtual Status Flush() = 0;

  // Deletes the session: its traces (one range deletion), their trace-id
  // entries, its aggregate and index state. Idempotent: an unknown session
  // deletes nothing. A trace ingested afterwards starts the session afresh.
  // Blocks ingest while it runs (about a second per 100K traces of the
  // session: each trace id entry is deleted key by key). InvalidArgument
  // for an empty id; IOError or Corruption when a read or the write fails
  // (nothing of the session is deleted then). Space comes back with
  // compaction (Compact()).
  virtual Status DeleteSession(std::string_view session_id, DeleteResult* result) = 0;

  // An erasure request: deletes every session that has at least one trace
  // with this user id, whole (the traces of other users in those sessions
  // too: a conversation involving the user goes), and every trace without
  // a session that has this user id. Reads every stored trace: about as
  // long as Verify. Errors as DeleteSession; sessions deleted before an
  // error stay deleted (each is atomic).
  virtual Status DeleteUser(std::string_view user_id, DeleteResult* result) = 0;

  // Deletes every trace that started before `time_ns`. A session that keeps
  // some traces gets its aggregate and index state recomputed from them
  // (counts, tokens, cost, first and last trace, models, tags, previews),
  // exactly as Verify would; one that keeps none is deleted. Cost: the
  // sessions with a trace before `time_ns`, each read from that trace on.
  // Blocks ingest while it runs. Errors as DeleteUser.
  virtual Status DeleteTracesBefore(int64_t time_ns, DeleteResult* result) = 0;

  // Adds a backup of the store to directory `backup_dir` (created if
  // missing), with RocksDB's BackupEngine, while ingest goes on. The backup
  // is the store as of one moment during the call: every batch acknowledged
  // before the call is in it and each batch is whole. Backups in one
  // directory share table files: the next one copies only new files.
  // Restore with RestoreBackup (or `sessionstore restore`). Works on
  // read-only stores too. IOError when a file cannot be read or written.
  virtual Status Backup(const std::string& backup_dir, BackupResult* result) = 0;

  // Restores the latest backup in `backup_dir` into `db_dir`, which must be
  // missing or empty (InvalidArgument otherwise; NotFound without a
  // backup). The restored store answers every query as its source did at
  // the backup's moment (its session indexes catch up when it is first
  // opened writable, and in memory when opened read-only).
  static Status RestoreBackup(const std::string& backup_dir, const std::string& db_dir);

  // Flush, then compacts every column family down to its last level, which
  // drops overwritten and deleted data and folds merge operands. Takes as
  // long as rewriting the store; reads and ingest may go on meanwhile.
  // NotSupported on a read-only store.
  virtual Status Compact() = 0;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_STORE_H_
