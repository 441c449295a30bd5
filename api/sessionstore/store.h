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
#include <string>
#include <string_view>
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

// Sort key of ListSessions. Ties are broken by an internal per-session key,
// so the order is total and stable across pages.
enum class SessionOrder {
  kLastActivity,   // last_trace_at_ns
  kFirstActivity,  // first_trace_at_ns
  kCost,           // cost_nano_usd
  kTotalTokens,    // total_tokens
  kTraceCount,     // trace_count
  kDuration,       // duration_ns
};

struct ListSessionsOptions {
  // Sessions active in [from_ns, to_ns): first_trace_at_ns < to_ns and
  // last_trace_at_ns >= from_ns. Default: all time.
  int64_t from_ns = kMinTime;
  int64_t to_ns = kMaxTime;
  // Only sessions whose user_id (see SessionSummary) equals this; empty: all.
  std::string user_id;
  // Sort key and direction. Default: last activity, newest first.
  SessionOrder order = SessionOrder::kLastActivity;
  bool descending = true;
  // Maximum sessions per page (0 means 50). Default: 50.
  std::size_t limit = 50;
  // Opaque cursor from a previous page's next_cursor; empty for the first
  // page. It is only valid with the same window, user, order and direction.
  std::string cursor;
};

struct SessionPage {
  std::vector<SessionSummary> sessions;
  std::string next_cursor;  // Empty when there are no more sessions.
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

struct StoreStats {
  int64_t traces = 0;           // Stored traces (estimate from RocksDB properties).
  int64_t sessions = 0;         // Sessions with an aggregate (estimate).
  uint64_t disk_bytes = 0;      // Live SST and blob files.
  uint64_t memtable_bytes = 0;  // All memtables.
  // Merge operands folded into full aggregates since the store was opened,
  // by reads, flushes, compactions and the write path's collapsing of long
  // chains.
  uint64_t merge_operands_read = 0;
  // What the open of this Store dropped from the write-ahead log
  // (WalRecoveryReport); 0 after a clean shutdown.
  uint64_t wal_records_dropped = 0;
  uint64_t wal_bytes_dropped = 0;
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
  virtual Status Ingest(const std::vector<Trace>& traces, IngestResult* result) = 0;

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
  // indexes. It first applies every ingest that returned before the call
  // (read-your-writes), so its cost includes indexing the sessions changed
  // since the background indexer last ran (Options::index_interval_ms).
  // Cost per page: the rows' aggregate reads plus the index entries skipped
  // by the filters: a narrow window far in the past, or a window with a
  // sort other than last activity, may scan many entries. With a user
  // filter and a sort other than last activity, it reads all the user's
  // index entries (sorted in memory). InvalidArgument for a malformed or
  // mismatched cursor. Pages are not a snapshot: a session whose sort key
  // changes between pages may be skipped or seen twice. A read-only store
  // lists what the writer had indexed when it last closed or caught up.
  virtual Status ListSessions(const ListSessionsOptions& options, SessionPage* page) = 0;

  // Sizes and counters; cheap.
  virtual Status GetStats(StoreStats* stats) = 0;

  // Recomputes every session aggregate from the stored traces and checks the
  // indexes. Reads the whole store: minutes on large stores. Returns OK with
  // the problems in *report; non-OK only if the scan itself failed.
  virtual Status Verify(VerifyReport* report) = 0;

  // Brings the session indexes up to date and flushes memtables to disk
  // (useful before measuring disk usage).
  virtual Status Flush() = 0;

  // Flush, then compacts every column family down to its last level, which
  // drops overwritten and deleted data and folds merge operands. Takes as
  // long as rewriting the store; reads and ingest may go on meanwhile.
  // NotSupported on a read-only store.
  virtual Status Compact() = 0;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_STORE_H_
