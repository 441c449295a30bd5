// Copyright sessionstore authors.
//
// SessionTable against a brute-force model: random rows, changes and
// removals, then every order, direction, window and user filter, walked
// page by page through resume positions.

#include "engine/session_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace sessionstore {
namespace {

std::string Prefix(int i) {
  std::string p;
  PutSessionPrefix(&p, static_cast<uint64_t>(i % 7), "s" + std::to_string(i));  // Hash ties.
  return p;
}

struct Model {
  std::map<std::string, SessionTableChange> rows;  // Listed sessions.

  std::vector<ListPosition> All(const TableQuery& q) const {
    std::vector<ListPosition> out;
    for (const auto& [prefix, c] : rows) {
      if (!q.user_id.empty() && c.user_id != q.user_id) continue;
      if (!(c.entry.first_ns < q.to_ns && c.entry.last_ns >= q.from_ns)) continue;
      out.push_back({~OrderMetric(q.order, c.entry), prefix});
    }
    auto less = [](const ListPosition& a, const ListPosition& b) {
      return a.inv != b.inv ? a.inv < b.inv : a.prefix < b.prefix;
    };
    std::sort(out.begin(), out.end(), less);
    if (!q.descending) std::reverse(out.begin(), out.end());
    return out;
  }
};

SessionTableChange RandomChange(std::mt19937_64& rng, int session) {
  SessionTableChange c;
  c.prefix = Prefix(session);
  c.listed = rng() % 10 != 0;
  c.entry.first_ns = static_cast<int64_t>(rng() % 100);
  c.entry.last_ns = c.entry.first_ns + static_cast<int64_t>(rng() % 50);
  c.entry.cost_nano_usd = static_cast<int64_t>(rng() % 5);  // Many ties.
  c.entry.total_tokens = static_cast<int64_t>(rng() % 1000);
  c.entry.trace_count = 1 + static_cast<int64_t>(rng() % 4);
  c.entry.duration_ns = c.entry.last_ns - c.entry.first_ns;
  const int user = static_cast<int>(rng() % 4);
  c.user_id = user == 0 ? "" : "u" + std::to_string(user);
  return c;
}

TEST(SessionTableTest, EveryListingWalkedByPagesMatchesTheModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    SessionTable table;
    Model model;
    std::vector<SessionTableChange> initial;
    for (int i = 0; i < 60; ++i) {
      SessionTableChange c = RandomChange(rng, i);
      if (!c.listed) continue;
      model.rows[c.prefix] = c;
      initial.push_back(c);
    }
    table.Load(initial);
    std::vector<SessionTableChange> changes;
    for (int i = 0; i < 80; ++i) {
      SessionTableChange c = RandomChange(rng, static_cast<int>(rng() % 90));
      if (c.listed) {
        model.rows[c.prefix] = c;
      } else {
        model.rows.erase(c.prefix);
      }
      changes.push_back(c);
    }
    table.Apply(changes);
    ASSERT_EQ(table.size(), model.rows.size());
    for (int k = 0; k < 60; ++k) {
      TableQuery q;
      q.order = kSessionOrders[rng() % std::size(kSessionOrders)];
      q.descending = rng() % 2 == 0;
      q.has_from = rng() % 2 == 0;
      q.from_ns = q.has_from ? static_cast<int64_t>(rng() % 120) : INT64_MIN;
      q.to_ns = rng() % 2 == 0 ? static_cast<int64_t>(rng() % 120) : INT64_MAX;
      const int user = static_cast<int>(rng() % 4);
      const std::string user_id = user == 0 ? "" : "u" + std::to_string(user);
      q.user_id = user_id;
      const std::size_t page = 1 + rng() % 7;
      const std::vector<ListPosition> want = model.All(q);
      std::vector<ListPosition> got;
      ListPosition resume;
      for (int pages = 0; pages < 200; ++pages) {
        q.want = page;
        std::vector<ListPosition> p = table.Select(q);
        for (const ListPosition& x : p) got.push_back(x);
        if (p.size() < page) break;
        resume = p.back();
        q.resume = &resume;
      }
      ASSERT_EQ(got.size(), want.size()) << "seed " << seed << " query " << k;
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].inv, want[i].inv) << "seed " << seed << " query " << k << " row " << i;
        EXPECT_EQ(got[i].prefix, want[i].prefix);
      }
    }
  }
}

TEST(SessionTableTest, FindFollowsChangesAndRemovals) {
  SessionTable table;
  EXPECT_FALSE(table.loaded());
  table.Load({});
  EXPECT_TRUE(table.loaded());
  SessionTableChange c{Prefix(1), true, {}, "alice"};
  c.entry.last_ns = 5;
  table.Apply({c});
  SessionIndexEntry e;
  std::string user;
  ASSERT_TRUE(table.Find(Prefix(1), &e, &user));
  EXPECT_EQ(e.last_ns, 5);
  EXPECT_EQ(user, "alice");
  c.user_id = "bob";
  table.Apply({c});
  TableQuery q;
  q.to_ns = INT64_MAX;
  q.from_ns = INT64_MIN;
  q.want = 5;
  q.user_id = "alice";
  EXPECT_TRUE(table.Select(q).empty());  // Moved to bob's list.
  q.user_id = "bob";
  EXPECT_EQ(table.Select(q).size(), 1u);
  c.listed = false;
  table.Apply({c});
  EXPECT_FALSE(table.Find(Prefix(1), &e, &user));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.Select(q).empty());
}

}  // namespace
}  // namespace sessionstore
