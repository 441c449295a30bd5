// Copyright sessionstore authors.

#include "engine/aggregate/session_fold.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "session_delta_generated.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;
using testing::LlmSpan;
using testing::MakeTrace;

// The reference: every value decoded and added in order onto SessionDelta().
bool Reference(const std::vector<std::string>& values, SessionDelta* out) {
  *out = SessionDelta();
  SessionDelta part;
  for (const std::string& v : values) {
    if (!SessionDelta::Decode(v, &part)) return false;
    out->Add(part);
  }
  return true;
}

// A random trace's contribution, update, retraction or counter extreme: the
// shapes the write path emits and some it never does (negative and
// saturating counters).
SessionDelta RandomDelta(std::mt19937_64* rng) {
  auto pick = [&](uint64_t n) { return (*rng)() % n; };
  Trace t =
      MakeTrace("t" + std::to_string(pick(6)), "s", kT0 + static_cast<int64_t>(pick(5)) * kSec);
  t.output = Payload{"out" + std::to_string(pick(100)), pick(2) == 0};
  t.input = Payload{"in" + std::to_string(pick(100)), false};
  if (pick(2) == 0) t.user_id = "u" + std::to_string(pick(3));
  if (pick(3) == 0) t.session_name = "n" + std::to_string(pick(3));
  if (pick(3) == 0) t.status = TraceStatus::kError;
  for (uint64_t i = pick(3); i > 0; --i) {
    t.spans.push_back(LlmSpan("sp" + std::to_string(i), t.start_ns, 10, 5,
                              static_cast<int64_t>(pick(1000)), "m" + std::to_string(pick(4))));
  }
  for (uint64_t i = pick(4); i > 0; --i) t.tags.push_back("tag" + std::to_string(pick(5)));
  std::sort(t.tags.begin(), t.tags.end());
  t.tags.erase(std::unique(t.tags.begin(), t.tags.end()), t.tags.end());
  SessionDelta d;
  switch (pick(6)) {
    case 0:  // A start that moved earlier: retraction, then the new version.
      d = SessionDelta::RetractionOf(t);
      t.start_ns -= kSec;
      d.Add(SessionDelta::FromTrace(t, 2));
      break;
    case 1: {  // An update: new minus old counters.
      d = SessionDelta::FromTrace(t, 1 + pick(3));
      Trace old = t;
      old.spans.clear();
      old.tags = {"tag0"};
      d.SubtractCounters(SessionDelta::FromTrace(old, 1));
      break;
    }
    case 2:  // Counters at the edge: sums must saturate the same way.
      d = SessionDelta::FromTrace(t, 1);
      d.cost_nano_usd =
          pick(2) == 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
      d.tags["tag0"] = std::numeric_limits<int64_t>::max();
      d.prompt_tokens = std::numeric_limits<int64_t>::max() - static_cast<int64_t>(pick(3));
      d.completion_tokens = static_cast<int64_t>(pick(3));
      break;
    case 4:  // A removed trace: negative counters, models and tags (they
             // fold to zero entries with its contribution).
      d.SubtractCounters(SessionDelta::FromTrace(t, 1));
      break;
    default:
      d = SessionDelta::FromTrace(t, 1 + pick(2));
  }
  return d;
}

// The fold materializes and encodes what decoding and adding gives, and
// its IndexState (from which the catch-up takes each session's index
// state) is the projection of that result.
TEST(SessionFoldTest, EqualsDecodeAndAddOnRandomSequences) {
  std::mt19937_64 rng(7);
  int with_maps = 0, unsure = 0, errors = 0, saturated = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> values;
    for (uint64_t n = 1 + rng() % 8; n > 0; --n) values.push_back(RandomDelta(&rng).Encode());
    SessionDelta want;
    ASSERT_TRUE(Reference(values, &want));
    SessionFold fold;
    for (const std::string& v : values) ASSERT_TRUE(fold.Add(v));
    EXPECT_EQ(fold.count(), values.size());
    SessionDelta got;
    fold.Materialize(&got);
    ASSERT_EQ(got, want) << "round " << round;
    EXPECT_EQ(fold.Encode(), want.Encode());
    const SessionIndexState state = fold.IndexState();
    ASSERT_EQ(state, SessionIndexState::Of(want)) << "round " << round;
    EXPECT_TRUE(state.last.value.value.empty());  // Keys only.
    with_maps += !state.tags.empty() && !state.models.empty();
    unsure += !state.Exact();
    errors += state.error_count != 0;
    saturated += state.total_tokens == std::numeric_limits<int64_t>::max();
  }
  // The sequences exercise what the projection copies.
  EXPECT_GT(with_maps, 100);
  EXPECT_GT(unsure, 10);
  EXPECT_GT(errors, 100);
  EXPECT_GT(saturated, 10);
}

TEST(SessionFoldTest, MisalignedValuesFoldTheSame) {
  std::mt19937_64 rng(11);
  std::vector<std::string> values;
  for (int i = 0; i < 6; ++i) values.push_back(RandomDelta(&rng).Encode());
  SessionDelta want;
  ASSERT_TRUE(Reference(values, &want));
  // Each value at an odd offset, as in a RocksDB block.
  std::vector<std::string> storage;
  for (const std::string& v : values) storage.push_back("x" + v);
  SessionFold fold;
  for (const std::string& s : storage) ASSERT_TRUE(fold.Add(std::string_view(s).substr(1)));
  SessionDelta got;
  fold.Materialize(&got);
  EXPECT_EQ(got, want);
  EXPECT_EQ(fold.Encode(), want.Encode());
}

TEST(SessionFoldTest, EmptyFoldIsTheIdentity) {
  SessionFold fold;
  SessionDelta got;
  fold.Materialize(&got);
  EXPECT_EQ(got, SessionDelta());
  EXPECT_TRUE(got.IsIdentity());
  EXPECT_EQ(fold.Encode(), SessionDelta().Encode());  // Encoded from the views, byte for byte.
}

TEST(SessionFoldTest, RejectsWhatDecodeRejects) {
  SessionFold fold;
  EXPECT_FALSE(fold.Add("not a flatbuffer"));
  // Verified, but without the latest registers.
  flatbuffers::FlatBufferBuilder b;
  fb::SessionDeltaFbBuilder d(b);
  d.add_trace_count(1);
  b.Finish(d.Finish());
  const std::string bytes(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  SessionFold fold2;
  EXPECT_FALSE(fold2.Add(bytes));
}

// Bytes no writer produces but that verify: unsorted and repeated model and
// tag names read as Decode reads them (a repeated name: the later entry).
TEST(SessionFoldTest, UnsortedAndRepeatedNamesReadAsDecodeReadsThem) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::ModelUsageFb>> models = {
      fb::CreateModelUsageFb(b, b.CreateString("z"), 1, 2, 3, 4),
      fb::CreateModelUsageFb(b, b.CreateString("a"), 1, 1, 1, 1),
      fb::CreateModelUsageFb(b, b.CreateString("z"), 5, 5, 5, 5)};
  std::vector<flatbuffers::Offset<fb::TagCountFb>> tags = {
      fb::CreateTagCountFb(b, b.CreateString("t"), 2),
      fb::CreateTagCountFb(b, b.CreateString("t"), 3)};
  auto mv = b.CreateVector(models);
  auto tv = b.CreateVector(tags);
  auto reg = [&] { return fb::CreateLatestFb(b); };
  auto l1 = reg(), l2 = reg(), l3 = reg();
  fb::SessionDeltaFbBuilder d(b);
  d.add_trace_count(1);
  d.add_models(mv);
  d.add_tags(tv);
  d.add_last(l1);
  d.add_last_user(l2);
  d.add_last_name(l3);
  b.Finish(d.Finish());
  const std::string odd(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  std::mt19937_64 rng(3);
  const std::string normal = RandomDelta(&rng).Encode();
  const std::vector<std::string> values = {normal, odd, odd};
  SessionDelta want;
  ASSERT_TRUE(Reference(values, &want));
  EXPECT_EQ(want.models.at("z").calls, 10);  // Later entry, twice.
  EXPECT_EQ(want.tags.at("t"), 6);
  SessionFold fold;
  for (const std::string& v : values) ASSERT_TRUE(fold.Add(v));
  SessionDelta got;
  fold.Materialize(&got);
  EXPECT_EQ(got, want);
  EXPECT_EQ(fold.Encode(), want.Encode());
}

// Entries that fold to zero (a contribution and its removal) are dropped
// from the encoding as from the materialized delta; a fold with no first
// register encodes without one.
TEST(SessionFoldTest, ZeroEntriesAndAMissingFirstRegisterEncodeAsMaterialized) {
  Trace t = MakeTrace("t", "s", kT0);
  t.spans.push_back(LlmSpan("sp", kT0, 10, 5, 7, "m"));
  t.tags = {"a"};
  SessionDelta removed;
  removed.SubtractCounters(SessionDelta::FromTrace(t, 1));
  const std::vector<std::string> values = {SessionDelta::FromTrace(t, 1).Encode(),
                                           removed.Encode()};
  SessionDelta want;
  ASSERT_TRUE(Reference(values, &want));
  EXPECT_TRUE(want.models.empty());
  EXPECT_TRUE(want.tags.empty());
  SessionFold fold;
  for (const std::string& v : values) ASSERT_TRUE(fold.Add(v));
  EXPECT_EQ(fold.Encode(), want.Encode());
  const std::string removed_bytes = removed.Encode();  // Viewed by the fold: kept alive.
  SessionFold no_first;
  ASSERT_TRUE(no_first.Add(removed_bytes));
  SessionDelta only_removed;
  no_first.Materialize(&only_removed);
  EXPECT_FALSE(only_removed.has_first);
  EXPECT_EQ(no_first.Encode(), removed.Encode());
  EXPECT_EQ(fold.IndexState(), SessionIndexState::Of(want));
  EXPECT_TRUE(fold.IndexState().tags.empty());
  EXPECT_EQ(no_first.IndexState(), SessionIndexState::Of(removed));
}

// The indexer's in-memory path: deltas folded as they are (AddDelta,
// between encoded values), and held deltas composed by moving
// (SessionDelta::Absorb), give what decoding and adding gives, and each
// absorbed delta is left an identity.
TEST(SessionFoldTest, AddDeltaAndAbsorbEqualDecodeAndAdd) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::vector<SessionDelta> deltas;
    std::vector<std::string> values;
    for (uint64_t n = 1 + rng() % 8; n > 0; --n) {
      deltas.push_back(RandomDelta(&rng));
      values.push_back(deltas.back().Encode());
    }
    SessionDelta want;
    ASSERT_TRUE(Reference(values, &want));
    SessionFold fold;
    for (std::size_t i = 0; i < deltas.size(); ++i) {
      if (i % 3 == 1) {
        ASSERT_TRUE(fold.Add(values[i]));
      } else {
        fold.AddDelta(deltas[i]);
      }
    }
    EXPECT_EQ(fold.count(), deltas.size());
    SessionDelta got;
    fold.Materialize(&got);
    ASSERT_EQ(got, want) << "round " << round;
    ASSERT_EQ(fold.Encode(), want.Encode()) << "round " << round;
    ASSERT_EQ(fold.IndexState(), SessionIndexState::Of(want)) << "round " << round;
    SessionDelta absorbed;
    for (SessionDelta& d : deltas) {
      absorbed.Absorb(std::move(d));
      ASSERT_TRUE(d.IsIdentity());
      ASSERT_EQ(d, SessionDelta());
    }
    ASSERT_EQ(absorbed, want) << "round " << round;
  }
}

// The indexer's budgets count a delta it keeps in memory by
// ApproximateBytes as they counted its encoding: close to it for the
// shapes ingest makes (previews of up to a kilobyte, ids, a few models and
// tags); within a quarter of it for the small random ones above (a retraction
// alone encodes in a few hundred bytes: what the budgets add up is
// dominated by the previews).
TEST(SessionFoldTest, ApproximateBytesFollowTheEncoding) {
  std::mt19937_64 rng(5);
  double encoded = 0, approximate = 0;
  SessionDelta session;
  for (int i = 0; i < 2000; ++i) {
    Trace t = MakeTrace("trace-" + std::to_string(rng()), "s", kT0 + i * kSec);
    t.input = Payload{std::string(1 + rng() % 1500, 'i'), false};
    t.output = Payload{std::string(1 + rng() % 1500, 'o'), rng() % 2 == 0};
    t.user_id = "user-" + std::to_string(rng() % 100);
    t.spans.push_back(LlmSpan("sp", t.start_ns, 10, 5, 7, "model-" + std::to_string(rng() % 4)));
    t.tags = {"tag-" + std::to_string(rng() % 6)};
    const SessionDelta d = SessionDelta::FromTrace(t, 1);
    session.Add(d);
    const double e = static_cast<double>(d.Encode().size());
    const double a = static_cast<double>(d.ApproximateBytes());
    EXPECT_NEAR(a / e, 1.0, 0.15) << e << " encoded, " << a << " approximated";
    encoded += e;
    approximate += a;
  }
  EXPECT_NEAR(approximate / encoded, 1.0, 0.05);
  const double e = static_cast<double>(session.Encode().size());
  EXPECT_NEAR(static_cast<double>(session.ApproximateBytes()) / e, 1.0, 0.1);
  for (int i = 0; i < 200; ++i) {
    const SessionDelta d = RandomDelta(&rng);
    const double small = static_cast<double>(d.Encode().size());
    EXPECT_NEAR(static_cast<double>(d.ApproximateBytes()) / small, 1.0, 0.25) << small;
  }
}

}  // namespace
}  // namespace sessionstore
