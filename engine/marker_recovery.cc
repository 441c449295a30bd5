// Copyright sessionstore authors.

#include "engine/marker_recovery.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>

#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "engine/range_scan.h"
#include "engine/util/coding.h"
#include "engine/util/rocks_status.h"

namespace sessionstore {

namespace {

// Added traces per read (RebuildMarkedDeltas): one MultiGet each.
constexpr std::size_t kChunk = 1024;

std::string KeyOf(std::string_view prefix, int64_t start_ns, std::string_view trace_id) {
  std::string key(prefix);
  PutTime(&key, start_ns);
  key.append(trace_id);
  return key;
}

std::string Where(const AddedTrace& t) {
  return "trace " + Printable(t.added->trace_id) + " named by a dirty marker";
}

// The record of a trace that is not at the key its marker gives: through
// its locator, which must place it in the same session.
Status ReadMoved(const StoreContext& ctx, const AddedTrace& t, std::string* record) {
  std::string locator;
  rocksdb::Status rs =
      ctx.db->Get(rocksdb::ReadOptions(), ctx.cf.trace_ids, t.added->trace_id, &locator);
  if (rs.IsNotFound()) return Status::Corruption(Where(t) + " is not stored");
  if (!rs.ok()) return FromRocks(rs, "read the locator of " + Where(t));
  int64_t start = 0;
  std::string_view session;
  if (!DecodeLocator(locator, &start, &session)) {
    return Status::Corruption("locator of " + Where(t) + " is malformed");
  }
  if (ctx.SessionPrefix(session) != t.prefix) {
    return Status::Corruption(Where(t) + " is stored in another session");
  }
  rs = ctx.db->Get(rocksdb::ReadOptions(), ctx.cf.traces, KeyOf(t.prefix, start, t.added->trace_id),
                   record);
  if (rs.IsNotFound()) return Status::Corruption(Where(t) + " is not at its locator's key");
  return FromRocks(rs, "read " + Where(t));
}

Status ToDelta(const AddedTrace& t, std::string_view record, SessionDelta* delta) {
  Trace trace;
  uint64_t version = 0;
  if (!DecodeTrace(record, &trace, &version)) {
    return Status::Corruption("record of " + Where(t) + " is malformed");
  }
  *delta = SessionDelta::FromTrace(trace, version);
  return Status::OK();
}

}  // namespace

Status ReadAddedTraceDeltas(const StoreContext& ctx, const std::vector<AddedTrace>& traces,
                            std::vector<SessionDelta>* deltas) {
  deltas->assign(traces.size(), SessionDelta());
  std::vector<std::string> keys;
  keys.reserve(traces.size());
  for (const AddedTrace& t : traces) {
    keys.push_back(KeyOf(t.prefix, t.added->start_ns, t.added->trace_id));
  }
  const std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  const BatchGet got(ctx.db, rocksdb::ReadOptions(), ctx.cf.traces, slices);
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const rocksdb::Status& rs = got.statuses[i];
    Status s;
    if (rs.IsNotFound()) {
      std::string record;
      s = ReadMoved(ctx, traces[i], &record);
      if (s.ok()) s = ToDelta(traces[i], record, &(*deltas)[i]);
    } else if (!rs.ok()) {
      s = FromRocks(rs, "read " + Where(traces[i]));
    } else {
      s = ToDelta(traces[i], got.values[i].ToStringView(), &(*deltas)[i]);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

void DropAppliedEntries(const std::vector<RoundRecord>& rounds,
                        std::map<uint64_t, std::vector<MarkedSession>>* markers) {
  if (rounds.empty()) return;
  for (auto& [seq, sessions] : *markers) {
    std::erase_if(sessions, [&, seq = seq](const MarkedSession& m) {
      return std::any_of(rounds.begin(), rounds.end(),
                         [&](const RoundRecord& r) { return r.Covers(seq, m.prefix); });
    });
  }
}

Status RebuildMarkedDeltas(const AddedTraceReader& read,
                           const std::map<uint64_t, std::vector<MarkedSession>>& markers,
                           std::map<uint64_t, std::vector<DirtySession>>* batches) {
  batches->clear();
  // The added traces (session prefix + trace id: the prefix is
  // self-delimiting), each with the marker (k) and session (j) that add it
  // first.
  struct Owner {
    AddedTrace trace;
    std::size_t k, j;
  };
  std::unordered_set<std::string> added;
  std::vector<Owner> owners;
  std::size_t k = 0;
  for (const auto& [seq, sessions] : markers) {
    for (std::size_t j = 0; j < sessions.size(); ++j) {
      const MarkedSession& m = sessions[j];
      for (const MarkedSession::Added& a : m.added) {
        if (added.insert(m.prefix + a.trace_id).second) owners.push_back({{m.prefix, &a}, k, j});
      }
    }
    ++k;
  }
  // Each marker's sessions: the changes first, in write order, skipping
  // those of added traces; then the added traces' current offers, which
  // are live keys (docs/format.md, "Session indexes"), folded in a chunk
  // at a time so that no more than a chunk of them is held.
  std::vector<std::vector<SessionDelta>> sums;
  sums.reserve(markers.size());
  for (const auto& [seq, sessions] : markers) {
    std::vector<SessionDelta>& sum = sums.emplace_back(sessions.size());
    for (std::size_t j = 0; j < sessions.size(); ++j) {
      const MarkedSession& m = sessions[j];
      for (const MarkedSession::Changed& c : m.changed) {
        if (!c.trace_id.empty() && added.count(m.prefix + c.trace_id) != 0) continue;
        SessionDelta d;
        if (!SessionDelta::Decode(c.delta, &d)) {
          return Status::Corruption("dirty marker " + std::to_string(seq) +
                                    " holds a malformed delta");
        }
        sum[j].Add(d);
      }
    }
  }
  std::vector<AddedTrace> chunk;
  std::vector<SessionDelta> contributions;
  for (std::size_t from = 0; from < owners.size(); from += kChunk) {
    const std::size_t to = std::min(owners.size(), from + kChunk);
    chunk.clear();
    for (std::size_t i = from; i < to; ++i) chunk.push_back(owners[i].trace);
    Status s = read(chunk, &contributions);
    if (!s.ok()) return s;
    if (contributions.size() != chunk.size()) {
      return Status::Corruption("dirty marker recovery: wrong number of trace reads");
    }
    for (std::size_t i = from; i < to; ++i) {
      sums[owners[i].k][owners[i].j].Add(contributions[i - from]);
    }
  }
  k = 0;
  for (const auto& [seq, sessions] : markers) {
    std::vector<DirtySession>& batch = (*batches)[seq];
    batch.reserve(sessions.size());
    for (std::size_t j = 0; j < sessions.size(); ++j) {
      batch.push_back(DirtySession{sessions[j].prefix, std::move(sums[k][j])});
    }
    sums[k].clear();
    ++k;
  }
  return Status::OK();
}

}  // namespace sessionstore
