// Copyright sessionstore authors.
//
// SessionMatches: the check every listed row passes again as read, so a
// page never holds a session that stopped matching while ingest went on.

#include "engine/session_list_planner.h"

#include <gtest/gtest.h>

#include "engine/util/case_fold.h"

namespace sessionstore {
namespace {

SessionSummary Summary() {
  SessionSummary s;
  s.session_id = "Chat-42";
  s.session_name = "Überweisung";
  s.user_id = "u1";
  s.trace_count = 3;
  s.error_count = 1;
  s.total_tokens = 500;
  s.cost_nano_usd = 2'000'000;
  s.first_trace_at_ns = 100;
  s.last_trace_at_ns = 200;
  s.duration_ns = 150;
  s.models["gpt-4o"] = ModelUsage{1, 2, 3, 4};
  s.tags["vip"] = 2;
  s.tags["beta"] = 1;
  return s;
}

bool Matches(const ListSessionsOptions& o) {
  return SessionMatches(Summary(), o, FoldCase(o.search));
}

TEST(SessionListPlannerTest, EachFilterAcceptsAndRejects) {
  ListSessionsOptions o;
  EXPECT_TRUE(Matches(o));
  o.search = "CHAT-4";
  EXPECT_TRUE(Matches(o));
  o.search = "ÜBERWEIS";  // The name, folded.
  EXPECT_TRUE(Matches(o));
  o.search = "chat-43";
  EXPECT_FALSE(Matches(o));
  o = ListSessionsOptions();
  o.tags = {"vip", "beta"};
  EXPECT_TRUE(Matches(o));
  o.tags = {"vip", "gone"};
  EXPECT_FALSE(Matches(o));
  o = ListSessionsOptions();
  o.model = "gpt-4o";
  EXPECT_TRUE(Matches(o));
  o.model = "gpt-4";
  EXPECT_FALSE(Matches(o));
  o = ListSessionsOptions();
  o.errors_only = true;
  EXPECT_TRUE(Matches(o));
  o.cost_nano_usd = {2'000'000, 2'000'000};  // Inclusive at both ends.
  o.total_tokens = {500, 500};
  o.trace_count = {3, 3};
  o.duration_ns = {150, 150};
  EXPECT_TRUE(Matches(o));
  for (Int64Range* r : {&o.cost_nano_usd, &o.total_tokens, &o.trace_count, &o.duration_ns}) {
    const Int64Range keep = *r;
    r->max -= 1;
    EXPECT_FALSE(Matches(o));
    *r = keep;
    r->min += 1;
    EXPECT_FALSE(Matches(o));
    *r = keep;
  }
  o = ListSessionsOptions();
  o.user_id = "u2";
  EXPECT_FALSE(Matches(o));
  o = ListSessionsOptions();
  o.from_ns = 201;  // Last activity before the window.
  EXPECT_FALSE(Matches(o));
  o.from_ns = 200;
  o.to_ns = 100;  // First activity at the window's (exclusive) end.
  EXPECT_FALSE(Matches(o));
  o.to_ns = 101;
  EXPECT_TRUE(Matches(o));
}

}  // namespace
}  // namespace sessionstore
