// Copyright sessionstore authors.
//
// Which plan each listing runs. That every plan returns the same pages as
// an in-memory model is tested by store_model_test.cc, whose seeds force
// each half of the lockstep plan.

#include "engine/session_list_planner.h"

#include <gtest/gtest.h>

namespace sessionstore {
namespace {

TEST(SessionListPlannerTest, ChoosesThePlanByUserOrderAndWindow) {
  ListSessionsOptions o;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kOrderIndex);  // Newest, all time.
  o.order = SessionOrder::kCost;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kOrderIndex);  // No lower bound.
  o.from_ns = 1;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kWindowLockstep);
  o.order = SessionOrder::kLastActivity;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kOrderIndex);  // The bound is the key.
  o.order = SessionOrder::kFirstActivity;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kOrderIndex);
  o.user_id = "u";
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kUserIndex);
  o.order = SessionOrder::kDuration;
  EXPECT_EQ(SessionListPlanner::Choose(o), ListPlan::kUserIndex);
}

}  // namespace
}  // namespace sessionstore
