// Copyright sessionstore authors.

#include "tools/admin_commands.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "sessionstore/json_writer.h"
#include "sessionstore/store.h"
#include "sessionstore/time_format.h"
#include "tools/cli_common.h"
#include "tools/progress_line.h"
#include "tools/query_args.h"

namespace sessionstore::cli {

namespace {

int RunCompact(const std::string& db) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, false, &store);
  if (!s.ok()) return Fail(s);
  StoreStats before, after;
  if (!(s = store->Flush()).ok() || !(s = store->GetStats(&before)).ok()) return Fail(s);
  {
    ElapsedProgress progress("compacting");
    s = store->Compact();
  }
  if (!s.ok() || !(s = store->GetStats(&after)).ok()) return Fail(s);
  std::printf("compacted: %.1f MB on disk before, %.1f MB after\n", before.disk_bytes / 1e6,
              after.disk_bytes / 1e6);
  return kExitOk;
}

// The stats as one JSON object.
std::string StatsJson(const StoreStats& st) {
  std::string out;
  {
    JsonObjectWriter o(&out);
    o.Int("traces", st.traces);
    o.Int("sessions", st.sessions);
    o.Raw("counts_exact", st.counts_exact ? "true" : "false");
    auto u = [&](const char* key, uint64_t v) { o.Int(key, static_cast<int64_t>(v)); };
    u("disk_bytes", st.disk_bytes);
    u("memtable_bytes", st.memtable_bytes);
    u("block_cache_bytes", st.block_cache_bytes);
    u("block_pool_bytes", st.block_pool_bytes);
    u("summary_cache_bytes", st.summary_cache_bytes);
    u("summary_cache_hits", st.summary_cache_hits);
    u("summary_cache_misses", st.summary_cache_misses);
    u("pending_delta_bytes", st.pending_delta_bytes);
    u("held_delta_bytes", st.held_delta_bytes);
    u("session_index_bytes", st.session_index_bytes);
    u("pending_compaction_bytes", st.pending_compaction_bytes);
    u("ingested_bytes", st.ingested_bytes);
    u("table_bytes_written", st.table_bytes_written);
    o.Raw("write_amplification", std::to_string(st.write_amplification));
    u("wal_records_dropped", st.wal_records_dropped);
    u("wal_bytes_dropped", st.wal_bytes_dropped);
    std::string families = "[";
    for (const FamilyStats& f : st.families) {
      if (families.size() > 1) families += ",";
      JsonObjectWriter fo(&families);
      fo.String("name", f.name);
      fo.Int("disk_bytes", static_cast<int64_t>(f.disk_bytes));
      fo.Int("memtable_bytes", static_cast<int64_t>(f.memtable_bytes));
      fo.Int("pending_compaction_bytes", static_cast<int64_t>(f.pending_compaction_bytes));
      fo.Int("keys_estimate", f.keys_estimate);
      fo.Int("flushed_bytes", static_cast<int64_t>(f.flushed_bytes));
      fo.Int("compacted_bytes", static_cast<int64_t>(f.compacted_bytes));
      fo.Int("compaction_cpu_micros", static_cast<int64_t>(f.compaction_cpu_micros));
    }
    families += "]";
    o.Raw("families", families);
  }
  return out;
}

int RunStats(const std::string& db, bool json, bool exact) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  if (exact) {
    // A listing loads the in-memory session indexes: exact counts.
    SessionPage page;
    ListSessionsOptions one;
    one.limit = 1;
    if (!(s = store->ListSessions(one, &page)).ok()) return Fail(s);
  }
  StoreStats st;
  if (!(s = store->GetStats(&st)).ok()) return Fail(s);
  if (json) {
    std::printf("%s\n", StatsJson(st).c_str());
    return kExitOk;
  }
  const char* how = st.counts_exact ? "" : " (estimate)";
  std::printf("traces%s  %lld\nsessions%s  %lld\n", how, static_cast<long long>(st.traces), how,
              static_cast<long long>(st.sessions));
  std::printf(
      "disk %.1f MB, memtables %.1f MB, block cache %.1f MB (its pools %.1f MB), pending "
      "compaction %.1f MB\n",
      st.disk_bytes / 1e6, st.memtable_bytes / 1e6, st.block_cache_bytes / 1e6,
      st.block_pool_bytes / 1e6, st.pending_compaction_bytes / 1e6);
  std::printf("summary cache  %.1f MB, %llu hits, %llu misses since open\n",
              st.summary_cache_bytes / 1e6, static_cast<unsigned long long>(st.summary_cache_hits),
              static_cast<unsigned long long>(st.summary_cache_misses));
  std::printf("session indexes  %.1f MB%s, pending session deltas %.1f MB, held %.1f MB\n",
              st.session_index_bytes / 1e6, st.counts_exact ? "" : " (not loaded)",
              st.pending_delta_bytes / 1e6, st.held_delta_bytes / 1e6);
  std::printf("log dropped at open  %llu records, %llu bytes\n",
              static_cast<unsigned long long>(st.wal_records_dropped),
              static_cast<unsigned long long>(st.wal_bytes_dropped));
  for (const FamilyStats& f : st.families) {
    std::printf("  %-10s disk %9.1f MB  memtable %7.1f MB  keys (estimate) %lld\n", f.name.c_str(),
                f.disk_bytes / 1e6, f.memtable_bytes / 1e6,
                static_cast<long long>(f.keys_estimate));
  }
  return kExitOk;
}

int RunBackup(const std::string& db, const std::string& dest) {
  std::unique_ptr<Store> store;
  // Read-only: a backup does not need the write lock (a serving writer may
  // hold it); the backup is of the store as this open sees it.
  Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  BackupResult r;
  {
    ElapsedProgress progress("backing up to " + dest);
    s = store->Backup(dest, &r);
  }
  if (!s.ok()) return Fail(s);
  std::printf(
      "backup %u: %u files, %.1f MB, %.1f MB copied (the rest shared with earlier backups)\n",
      r.backup_id, r.files, r.bytes / 1e6, r.bytes_copied / 1e6);
  return kExitOk;
}

int RunRestore(const std::string& backup_dir, const std::string& dir) {
  Status s;
  {
    ElapsedProgress progress("restoring into " + dir);
    s = Store::RestoreBackup(backup_dir, dir);
  }
  if (!s.ok()) return Fail(s);
  std::printf("restored the latest backup of %s into %s\n", backup_dir.c_str(), dir.c_str());
  return kExitOk;
}

int RunDelete(const std::string& db, const AdminCommands& a) {
  const int given = !a.session.empty() + !a.user.empty() + !a.before.empty();
  int64_t before_ns = 0;
  if (given != 1) {
    std::cerr << "sessionstore: delete needs exactly one of --session, --user, --before\n";
    return kExitError;
  }
  if (!a.before.empty() && !ParseTimeArg(a.before, &before_ns)) {
    std::cerr << "sessionstore: --before: not an RFC 3339 time or integer nanoseconds: " << a.before
              << "\n";
    return kExitError;
  }
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, false, &store);
  if (!s.ok()) return Fail(s);
  DeleteResult r;
  if (!a.session.empty()) {
    s = store->DeleteSession(a.session, &r);
  } else {
    // Both read every affected trace: minutes on a large store.
    ElapsedProgress progress("deleting");
    s = a.user.empty() ? store->DeleteTracesBefore(before_ns, &r) : store->DeleteUser(a.user, &r);
  }
  // What was removed, also when an error stopped the delete part way
  // (every session is deleted or trimmed atomically).
  std::printf("deleted %lld sessions and %lld traces; %lld sessions trimmed\n",
              static_cast<long long>(r.sessions_deleted), static_cast<long long>(r.traces_deleted),
              static_cast<long long>(r.sessions_trimmed));
  return s.ok() ? kExitOk : Fail(s);
}

int RunVerify(const std::string& db) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(db, true, &store);
  if (!s.ok()) return Fail(s);
  VerifyReport report;
  {
    ElapsedProgress progress("verifying");
    s = store->Verify(&report);
  }
  if (!s.ok()) return Fail(s);
  for (const std::string& m : report.mismatches) std::cout << m << "\n";
  std::cout << "verified " << report.sessions_checked << " sessions, " << report.traces_checked
            << " traces: " << report.mismatches.size() << " problems\n";
  return report.mismatches.empty() ? kExitOk : kExitRejected;
}

}  // namespace

void AddAdminCommands(CLI::App* app, AdminCommands* c) {
  c->compact =
      app->add_subcommand("compact", "Compact every column family; print disk bytes before/after");
  c->stats = app->add_subcommand("stats", "Store size, memory and write counters");
  c->stats->add_flag("--json", c->json, "Print JSON");
  c->stats->add_flag("--exact", c->exact,
                     "Exact session and trace counts (loads the in-memory session indexes)");
  c->verify =
      app->add_subcommand("verify", "Recompute every aggregate from the traces; list mismatches");
  c->del = app->add_subcommand(
      "delete", "Delete a session, a user's sessions and traces, or every trace before a time");
  c->del->add_option("--session", c->session, "Delete this session and all its traces");
  c->del->add_option("--user", c->user,
                     "Delete every session with a trace of this user (whole), and the "
                     "user's traces without a session");
  c->del->add_option("--before", c->before,
                     "Delete every trace that started before this time (RFC 3339 or ns)");
  c->backup = app->add_subcommand(
      "backup", "Add a backup of the store to a directory (incremental: shares unchanged files)");
  c->backup->add_option("dest", c->backup_dir, "Backup directory")->required();
  c->restore =
      app->add_subcommand("restore", "Restore the latest backup into a new store directory");
  c->restore->add_option("backup", c->backup_dir, "Backup directory")->required();
  c->restore->add_option("dir", c->restore_dir, "New store directory (missing or empty)")
      ->required();
}

int RunAdminCommand(const std::string& db, const AdminCommands& c) {
  if (*c.compact) return RunCompact(db);
  if (*c.stats) return RunStats(db, c.json, c.exact);
  if (*c.verify) return RunVerify(db);
  if (*c.del) return RunDelete(db, c);
  if (*c.backup) return RunBackup(db, c.backup_dir);
  if (*c.restore) return RunRestore(c.backup_dir, c.restore_dir);
  return kExitError;
}

}  // namespace sessionstore::cli
