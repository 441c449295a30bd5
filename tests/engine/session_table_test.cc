// Copyright sessionstore authors.
//
// SessionTable against a brute-force model: random rows, changes and
// removals, then every order, direction, window, user filter and random
// combinations of the other filters, walked page by page through resume
// positions.

#include "engine/session_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/util/case_fold.h"

namespace sessionstore {
namespace {

std::string Prefix(int i) {
  std::string p;
  PutSessionPrefix(&p, static_cast<uint64_t>(i % 7), "s" + std::to_string(i));  // Hash ties.
  return p;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The filter as the model applies it (ASCII-only names here, so lowering
// ASCII is the folding).
bool ModelPasses(const SessionTableChange& c, const TableFilter* f) {
  if (f == nullptr) return true;
  const SessionIndexEntry& e = c.entry;
  if (f->errors_only && e.error_count == 0) return false;
  if (e.cost_nano_usd < f->min_cost || e.cost_nano_usd > f->max_cost) return false;
  if (e.total_tokens < f->min_tokens || e.total_tokens > f->max_tokens) return false;
  if (e.trace_count < f->min_traces || e.trace_count > f->max_traces) return false;
  if (e.duration_ns < f->min_duration || e.duration_ns > f->max_duration) return false;
  if (!f->model.empty() && !Has(c.models, f->model)) return false;
  for (const std::string& t : f->tags) {
    if (!Has(c.tags, t)) return false;
  }
  if (f->folded_search.empty()) return true;
  auto lower = [](std::string x) {
    for (char& ch : x) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return x;
  };
  std::string_view rest = c.prefix, id;
  uint64_t hash = 0;
  EXPECT_TRUE(GetSessionPrefix(&rest, &hash, &id));
  return lower(std::string(id)).find(f->folded_search) != std::string::npos ||
         lower(c.session_name).find(f->folded_search) != std::string::npos;
}

struct Model {
  std::map<std::string, SessionTableChange> rows;  // Listed sessions.

  std::vector<ListPosition> All(const TableQuery& q) const {
    std::vector<ListPosition> out;
    for (const auto& [prefix, c] : rows) {
      if (!q.user_id.empty() && c.user_id != q.user_id) continue;
      if (!(c.entry.first_ns < q.to_ns && c.entry.last_ns >= q.from_ns)) continue;
      if (!ModelPasses(c, q.filter)) continue;
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
  c.entry.error_count = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 3) : 0;
  const int user = static_cast<int>(rng() % 4);
  c.user_id = user == 0 ? "" : "u" + std::to_string(user);
  static const char* const kNames[] = {"", "Checkout Flow", "refund", "S1 retry", "Onboarding"};
  c.session_name = kNames[rng() % std::size(kNames)];
  for (const char* t : {"goal", "vip", "beta", "conversion"}) {
    if (rng() % 3 == 0) c.tags.push_back(t);
  }
  std::sort(c.tags.begin(), c.tags.end());
  for (const char* m : {"gpt-4o", "claude", "llama"}) {
    if (rng() % 2 == 0) c.models.push_back(m);
  }
  std::sort(c.models.begin(), c.models.end());
  return c;
}

// A random combination of filters, sometimes none.
TableFilter RandomFilter(std::mt19937_64& rng) {
  TableFilter f;
  static const char* const kSearches[] = {"", "", "s1", "flow", "re", "zzz", "3"};
  f.folded_search = kSearches[rng() % std::size(kSearches)];
  if (rng() % 4 == 0) f.tags.push_back(rng() % 2 == 0 ? "goal" : "vip");
  if (rng() % 6 == 0) f.tags.push_back("beta");
  if (rng() % 8 == 0) f.tags.push_back("never-seen");
  if (rng() % 4 == 0) f.model = rng() % 5 == 0 ? "unknown-model" : "claude";
  f.errors_only = rng() % 5 == 0;
  if (rng() % 3 == 0) f.min_cost = static_cast<int64_t>(rng() % 5);
  if (rng() % 3 == 0) f.max_cost = static_cast<int64_t>(rng() % 5);
  if (rng() % 4 == 0) f.min_tokens = static_cast<int64_t>(rng() % 1000);
  if (rng() % 4 == 0) f.max_traces = static_cast<int64_t>(rng() % 5);
  if (rng() % 4 == 0) f.min_duration = static_cast<int64_t>(rng() % 40);
  return f;
}

// walk_budget 0: the default (walks stream to the end on these small
// tables); 1: every walk gives way to a pass over the compact rows at once.
class SessionTableTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(SessionTableTest, EveryListingWalkedByPagesMatchesTheModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    SessionTable table(GetParam());
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
    for (int k = 0; k < 200; ++k) {
      TableQuery q;
      q.order = kSessionOrders[rng() % std::size(kSessionOrders)];
      q.descending = rng() % 2 == 0;
      q.has_from = rng() % 2 == 0;
      q.from_ns = q.has_from ? static_cast<int64_t>(rng() % 120) : INT64_MIN;
      q.to_ns = rng() % 2 == 0 ? static_cast<int64_t>(rng() % 120) : INT64_MAX;
      const int user = static_cast<int>(rng() % 4);
      const std::string user_id = user == 0 ? "" : "u" + std::to_string(user);
      q.user_id = user_id;
      const TableFilter filter = RandomFilter(rng);
      q.filter = rng() % 3 == 0 ? nullptr : &filter;
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

INSTANTIATE_TEST_SUITE_P(WalkBudgets, SessionTableTest, ::testing::Values(0, 1));

TEST(SessionTableFindTest, FindFollowsChangesAndRemovals) {
  SessionTable table;
  EXPECT_FALSE(table.loaded());
  table.Load({});
  EXPECT_TRUE(table.loaded());
  SessionTableChange c;
  c.prefix = Prefix(1);
  c.listed = true;
  c.user_id = "alice";
  c.session_name = "Support chat";
  c.tags = {"b", "a"};  // Find returns them sorted.
  c.models = {"m"};
  c.entry.last_ns = 5;
  table.Apply({c});
  SessionTableChange row;
  ASSERT_TRUE(table.Find(Prefix(1), &row));
  EXPECT_EQ(row.entry.last_ns, 5);
  EXPECT_EQ(row.user_id, "alice");
  EXPECT_EQ(row.session_name, "Support chat");
  EXPECT_EQ(row.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(row.models, std::vector<std::string>{"m"});
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
  EXPECT_FALSE(table.Find(Prefix(1), &row));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.Select(q).empty());
}

// The search's byte-pair prefilter keeps every row FindFolded would
// match, non-ASCII text and ids included, and the pass agrees with the walk.
TEST(SessionTableFindTest, SearchFindsFoldedNonAsciiNamesAndIds) {
  for (std::size_t budget : {std::size_t{0}, std::size_t{1}}) {
    SessionTable table(budget);
    std::vector<SessionTableChange> rows;
    for (int i = 0; i < 40; ++i) {
      SessionTableChange c;
      c.prefix = Prefix(i);
      c.listed = true;
      c.entry.last_ns = i;
      c.session_name = i % 10 == 3 ? "Überweisung Ärger " + std::to_string(i) : "plain";
      rows.push_back(c);
    }
    SessionTableChange greek;
    PutSessionPrefix(&greek.prefix, 99, "ΣΊΣΥΦΟΣ-id");
    greek.listed = true;
    greek.entry.last_ns = 100;
    rows.push_back(greek);
    table.Load(rows);
    auto count = [&](const std::string& text) {
      TableFilter f;
      f.folded_search = FoldCase(text);
      TableQuery q;
      q.from_ns = INT64_MIN;
      q.to_ns = INT64_MAX;
      q.filter = &f;
      q.want = 100;
      return table.Select(q).size();
    };
    EXPECT_EQ(count("ÄRGER"), 4u) << budget;
    EXPECT_EQ(count("überweisung ärger 13"), 1u) << budget;
    EXPECT_EQ(count("ÄRGERX"), 0u) << budget;
    EXPECT_EQ(count("σίσυφος-ID"), 1u) << budget;
    EXPECT_EQ(count("S2"), 11u) << budget;  // Ids s2 and s20..s29.
  }
}

}  // namespace
}  // namespace sessionstore
