// Copyright sessionstore authors.
//
// The dirty marker codec: format 8 (added traces' keys, changed traces'
// deltas) and format 7 (whole deltas, read by the upgrade).

#include "engine/format/dirty_marker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/format/keys.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::MakeTrace;

std::string Prefix(uint64_t hash, const std::string& id) {
  std::string p;
  PutSessionPrefix(&p, hash, id);
  return p;
}

std::vector<MarkedSession> TwoSessions() {
  MarkedSession a;
  a.prefix = Prefix(7, "sess");
  a.added = {{100, "t1"}, {0, std::string("t\0x", 3)}};
  MarkedSession b;
  b.prefix = Prefix(9, std::string("a\0b", 3));
  const SessionDelta moved = SessionDelta::FromTrace(MakeTrace("t2", "other", 200), 3);
  b.changed = {{"t2", moved.Encode()}, {"", SessionDelta().Encode()}};
  b.added = {{50, "t3"}};
  return {a, b};
}

TEST(DirtyMarkerTest, RoundTrip) {
  const std::vector<MarkedSession> sessions = TwoSessions();
  const std::string marker = EncodeDirtyMarker(sessions);
  std::vector<MarkedSession> listed = {MarkedSession()};  // Cleared by Decode.
  ASSERT_TRUE(DecodeDirtyMarker(marker, &listed));
  EXPECT_EQ(listed, sessions);
  SessionDelta back;
  ASSERT_TRUE(SessionDelta::Decode(listed[1].changed[0].delta, &back));
  EXPECT_EQ(back, SessionDelta::FromTrace(MakeTrace("t2", "other", 200), 3));
  // Far smaller than the deltas of the same traces.
  std::size_t deltas = 0;
  for (const char* id : {"t1", "t3"}) {
    deltas += SessionDelta::FromTrace(MakeTrace(id, "sess", 100), 1).Encode().size();
  }
  EXPECT_LT(EncodeDirtyMarker({sessions[0]}).size() * 4, deltas);
}

TEST(DirtyMarkerTest, DamageIsRefused) {
  const std::vector<MarkedSession> sessions = TwoSessions();
  const std::string marker = EncodeDirtyMarker(sessions);
  std::vector<MarkedSession> listed;
  EXPECT_FALSE(DecodeDirtyMarker("", &listed));
  EXPECT_FALSE(DecodeDirtyMarker(marker + "x", &listed));
  // Every cut but the one between the sessions (a marker of the first).
  const std::size_t first = EncodeDirtyMarker({sessions[0]}).size();
  for (std::size_t cut = 0; cut < marker.size(); ++cut) {
    EXPECT_EQ(DecodeDirtyMarker(marker.substr(0, cut), &listed), cut == first) << cut;
  }
  // Sessions out of order, or repeated.
  EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({sessions[1], sessions[0]}), &listed));
  EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({sessions[0], sessions[0]}), &listed));
  // A session without a trace.
  MarkedSession empty;
  empty.prefix = Prefix(1, "e");
  EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({empty}), &listed));
  // An added trace without an id, or at a time outside [0, INT64_MAX).
  for (const MarkedSession::Added& bad :
       {MarkedSession::Added{1, ""}, MarkedSession::Added{-1, "t"},
        MarkedSession::Added{INT64_MAX, "t"}}) {
    MarkedSession m;
    m.prefix = Prefix(1, "e");
    m.added = {bad};
    EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({m}), &listed));
  }
  // A trace id longer than any key holds.
  MarkedSession longer;
  longer.prefix = Prefix(1, "e");
  longer.added = {{1, std::string(kMaxIdBytes + 1, 'x')}};
  EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({longer}), &listed));
  // A delta that fails verification: its length kept, its bytes damaged.
  MarkedSession damaged = sessions[1];
  damaged.changed[0].delta.assign(damaged.changed[0].delta.size(), 'x');
  EXPECT_FALSE(DecodeDirtyMarker(EncodeDirtyMarker({damaged}), &listed));
  // A count that promises more entries than the bytes hold.
  std::string huge = Prefix(1, "e");
  huge += "\xff\xff\xff\x0f";
  EXPECT_FALSE(DecodeDirtyMarker(huge, &listed));
}

TEST(DirtyMarkerTest, Version7MarkerRoundTrip) {
  const std::string a = Prefix(7, "sess");
  const std::string b = Prefix(9, std::string("a\0b", 3));
  const SessionDelta da = SessionDelta::FromTrace(MakeTrace("t1", "sess", 100), 1);
  SessionDelta db = SessionDelta::FromTrace(MakeTrace("t2", "other", 200), 3);
  db.Add(SessionDelta::FromTrace(MakeTrace("t3", "other", 50), 1));
  const std::vector<Version7DirtySession> sessions = {{a, da.Encode()}, {b, db.Encode()}};
  const std::string marker = EncodeVersion7DirtyMarker(sessions);
  std::vector<Version7DirtySession> listed;
  ASSERT_TRUE(DecodeVersion7DirtyMarker(marker, &listed));
  EXPECT_EQ(listed, sessions);
  EXPECT_FALSE(DecodeVersion7DirtyMarker("", &listed));
  EXPECT_FALSE(DecodeVersion7DirtyMarker(marker + "x", &listed));
  EXPECT_FALSE(DecodeVersion7DirtyMarker(marker.substr(0, marker.size() - 1), &listed));
  EXPECT_FALSE(DecodeVersion7DirtyMarker(a, &listed));  // A prefix without its delta.
  const std::string damaged =
      EncodeVersion7DirtyMarker({{a, std::string(da.Encode().size(), 'x')}});
  EXPECT_FALSE(DecodeVersion7DirtyMarker(damaged, &listed));
}

}  // namespace
}  // namespace sessionstore
