// Copyright sessionstore authors.

#include "engine/store_upgrade.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/format_version.h"
#include "engine/format/keys.h"
#include "engine/range_scan.h"
#include "engine/util/coding.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// Sessions per read and write while rewriting the states.
constexpr std::size_t kChunk = 1024;

// Writes the states of the sessions `prefixes` (ascending) read from their
// aggregates.
Status RewriteStates(const StoreContext& ctx, const IndexRowSource& source,
                     const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return Status::OK();
  const std::vector<std::string_view> views(prefixes.begin(), prefixes.end());
  std::vector<IndexRow> rows;
  source.ReadIndexRows(nullptr, views, &rows);
  if (rows.size() != views.size()) return Status::Corruption("upgrade: wrong number of rows");
  rocksdb::WriteBatch wb;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].status.IsNotFound()) continue;  // No aggregate: nothing to index.
    if (!rows[i].status.ok()) return rows[i].status;
    rocksdb::Status rs =
        wb.Put(ctx.cf.index, StateKey(prefixes[i]), EncodeIndexState(rows[i].state));
    if (!rs.ok()) return FromRocks(rs, "upgrade: batch index states");
  }
  return FromRocks(ctx.db->Write(rocksdb::WriteOptions(), &wb), "upgrade: write index states");
}

// Rewrites the state of every session that has an aggregate.
Status RewriteAllStates(const StoreContext& ctx, const IndexRowSource& source) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  RangeScan scan(ctx.db, ctx.cf.sessions, ro, std::string(), std::string(), /*forward=*/true);
  std::vector<std::string> chunk;
  for (scan.Start(); scan.Valid(); scan.Next()) {
    chunk.emplace_back(scan.key());
    if (chunk.size() < kChunk) continue;
    Status s = RewriteStates(ctx, source, chunk);
    if (!s.ok()) return s;
    chunk.clear();
  }
  if (!scan.status().ok()) return FromRocks(scan.status(), "upgrade: scan aggregates");
  return RewriteStates(ctx, source, chunk);
}

// Format 7 -> 8: each marker's sessions keep their whole deltas, as
// changes of several traces (an empty trace id: never skipped by the
// recovery), and the version is stored in the same atomic write. Each
// rewritten marker takes a new key, in the old markers' order, above every
// sequence in use, and the old key is deleted: a catch-up deletes a marker
// with SingleDelete, which needs a key written once.
Status RewriteVersion7Markers(const StoreContext& ctx) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(ctx.db->NewIterator(ro, ctx.cf.dirty));
  std::vector<std::pair<uint64_t, std::string>> rewritten;  // In key (= write) order.
  std::vector<Version7DirtySession> old;
  uint64_t max_seq = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq = 0;
    if (!ParseDirtyKey(it->key().ToStringView(), &seq) ||
        !DecodeVersion7DirtyMarker(it->value().ToStringView(), &old)) {
      return Status::Corruption("upgrade: a format-7 dirty marker is malformed");
    }
    // Format 7 read a session twice in a marker as two deltas in order:
    // so does format 8, as two changes of one entry.
    std::stable_sort(old.begin(), old.end(),
                     [](const Version7DirtySession& a, const Version7DirtySession& b) {
                       return a.prefix < b.prefix;
                     });
    std::vector<MarkedSession> marks;
    for (Version7DirtySession& d : old) {
      if (marks.empty() || marks.back().prefix != d.prefix) {
        marks.emplace_back();
        marks.back().prefix = std::move(d.prefix);
      }
      marks.back().changed.push_back(MarkedSession::Changed{std::string(), std::move(d.delta)});
    }
    std::string value = EncodeDirtyMarker(marks);
    if (!DecodeDirtyMarker(value, &marks)) {
      return Status::Corruption("upgrade: dirty marker " + std::to_string(seq) +
                                " does not make a valid format-8 marker");
    }
    rewritten.emplace_back(seq, std::move(value));
    max_seq = std::max(max_seq, seq);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "upgrade: read the dirty markers");
  const uint64_t base =
      std::max(max_seq, static_cast<uint64_t>(ctx.db->GetLatestSequenceNumber())) + 1;
  rocksdb::WriteBatch wb;
  rocksdb::Status rs;
  for (std::size_t i = 0; i < rewritten.size() && rs.ok(); ++i) {
    rs = wb.Delete(ctx.cf.dirty, DirtyKey(rewritten[i].first));
    if (rs.ok()) rs = wb.Put(ctx.cf.dirty, DirtyKey(base + i), rewritten[i].second);
  }
  if (rs.ok()) rs = wb.Put(ctx.cf.default_family, kFormatVersionKey, kFormatVersion);
  if (rs.ok()) rs = ctx.db->Write(rocksdb::WriteOptions(), &wb);
  return FromRocks(rs, "upgrade the store from format version 7");
}

}  // namespace

bool IsUpgradableFormat(const std::string& version) {
  return version == "4" || version == "5" || version == "6" || version == "7" ||
         version == kPreviousFormatVersion;
}

Status UpgradeFormat(const StoreContext& ctx, const std::string& version,
                     const IndexRowSource& rows) {
  if (version == kPreviousFormatVersion) {
    // Version 9 adds round records to what version 8 wrote: nothing to
    // rewrite (and the branch below must not run: it drops the markers).
    return FromRocks(ctx.db->Put(rocksdb::WriteOptions(), ctx.cf.default_family, kFormatVersionKey,
                                 kFormatVersion),
                     "upgrade the store from format version 8");
  }
  if (version == "7") return RewriteVersion7Markers(ctx);
  // The old markers: their deltas are in the aggregates already (written
  // with them as merge operands), and the states are rewritten below.
  const std::string markers(1, kDirtyTag);
  Status s = FromRocks(
      ctx.db->DeleteRange(rocksdb::WriteOptions(), ctx.cf.dirty, markers, PrefixSuccessor(markers)),
      "upgrade: drop the dirty markers of format " + version);
  if (s.ok()) s = RewriteAllStates(ctx, rows);
  if (!s.ok()) return s;
  rocksdb::WriteBatch wb;
  rocksdb::Status rs;
  if (version == "4") {
    rs = wb.DeleteRange(ctx.cf.index, std::string(1, kVersion4OrderTag),
                        std::string(1, kVersion4OrderTag + 1));
    if (rs.ok()) {
      rs = wb.DeleteRange(ctx.cf.index, std::string(1, kVersion4UserTag),
                          std::string(1, kVersion4UserTag + 1));
    }
  }
  if (rs.ok()) rs = wb.Put(ctx.cf.default_family, kFormatVersionKey, kFormatVersion);
  if (rs.ok()) rs = ctx.db->Write(rocksdb::WriteOptions(), &wb);
  return FromRocks(rs, "upgrade the store from format version " + version);
}

}  // namespace sessionstore
