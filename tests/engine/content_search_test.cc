// Copyright sessionstore authors.

#include "engine/content_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "engine/util/case_fold.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::kSec;
using testing::kT0;

TEST(ContentSearchTest, SnippetCutsAtCharacterBoundaries) {
  EXPECT_EQ(MakeSnippet("short\ntext", 6, 4), "short text");
  const std::string before(100, 'a'), after(100, 'b');
  EXPECT_EQ(MakeSnippet(before + "KEY" + after, 100, 3),
            "..." + std::string(60, 'a') + "KEY" + std::string(60, 'b') + "...");
  // A 2-byte character straddling each cut is left out whole: 60 bytes
  // before KEY start at é's second byte, 60 after end at é's first.
  const std::string e = "\xc3\xa9";  // é
  const std::string text = e + std::string(59, 'a') + "KEY" + std::string(59, 'b') + e + "z";
  EXPECT_EQ(MakeSnippet(text, 61, 3),
            "..." + std::string(59, 'a') + "KEY" + std::string(59, 'b') + "...");
  EXPECT_EQ(MakeSnippet("KEY", 0, 3), "KEY");
}

class ContentSearchStoreTest : public ::testing::Test {
 protected:
  std::vector<std::string> Ids(const SearchPage& page) {
    std::vector<std::string> ids;
    for (const SearchHit& h : page.hits) ids.push_back(h.trace_id);
    return ids;
  }
  SearchPage SearchOrDie(std::string_view text, const SearchOptions& o) {
    SearchPage page;
    Status s = store_->Search(text, o, &page);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return page;
  }
  // Every page of the query; at most 1000 pages.
  std::vector<std::string> AllPages(std::string_view text, SearchOptions o) {
    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
      SearchPage page = SearchOrDie(text, o);
      for (auto& id : Ids(page)) ids.push_back(id);
      if (page.next_cursor.empty()) break;
      o.cursor = page.next_cursor;
    }
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_ = testing::OpenOrDie(dir_.path());
};

TEST_F(ContentSearchStoreTest, ExactHitsNewestFirstWithFilters) {
  using testing::Turn;
  Trace loose = Turn("t5", "", kT0 + 50 * kSec, "no session", "about RocksDB");
  loose.user_id = "u2";
  std::vector<Trace> traces = {Turn("t1", "chat", kT0 + 10 * kSec, "Hello RocksDB world", "Hi"),
                               Turn("t2", "chat", kT0 + 20 * kSec, "LSM tree?", "rocksdb uses one"),
                               Turn("t3", "chat", kT0 + 30 * kSec, "unrelated", "nothing"),
                               Turn("t4", "other", kT0 + 20 * kSec, "ROCKSDB compaction", "x"),
                               loose};
  for (int i = 0; i < 4; ++i) traces[i].user_id = i < 3 ? "u1" : "u2";
  testing::IngestOrDie(store_.get(), traces);

  SearchPage page = SearchOrDie("rocksdb", SearchOptions());
  // t4 and t2 start together: the larger trace id first.
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t5", "t4", "t2", "t1"}));
  EXPECT_TRUE(page.next_cursor.empty());
  EXPECT_EQ(page.hits[0].session_id, "");
  EXPECT_EQ(page.hits[0].field, "output");
  EXPECT_EQ(page.hits[0].snippet, "about RocksDB");
  EXPECT_EQ(page.hits[1].session_id, "other");
  EXPECT_EQ(page.hits[1].start_ns, kT0 + 20 * kSec);
  EXPECT_EQ(page.hits[3].field, "input");
  EXPECT_EQ(page.hits[3].snippet, "Hello RocksDB world");

  SearchOptions o;
  o.session_id = "chat";
  EXPECT_EQ(Ids(SearchOrDie("ROCKSdb", o)), (std::vector<std::string>{"t2", "t1"}));
  o = SearchOptions();
  o.user_id = "u2";
  EXPECT_EQ(Ids(SearchOrDie("rocksdb", o)), (std::vector<std::string>{"t5", "t4"}));
  o = SearchOptions();
  o.from_ns = kT0 + 20 * kSec;
  o.to_ns = kT0 + 50 * kSec;  // Exclusive: not t5.
  EXPECT_EQ(Ids(SearchOrDie("rocksdb", o)), (std::vector<std::string>{"t4", "t2"}));
  o = SearchOptions();
  o.limit = 1;
  EXPECT_EQ(AllPages("rocksdb", o), (std::vector<std::string>{"t5", "t4", "t2", "t1"}));
  o.session_id = "chat";
  EXPECT_EQ(AllPages("rocksdb", o), (std::vector<std::string>{"t2", "t1"}));
  EXPECT_TRUE(SearchOrDie("absent words", SearchOptions()).hits.empty());
}

// Unicode simple case folding: a query in another case than the text finds
// it, and the snippet is cut from the original text around the matching
// stretch, whose byte length may differ from the query's.
TEST_F(ContentSearchStoreTest, FoldsNonAsciiLetters) {
  using testing::Turn;
  testing::IngestOrDie(
      store_.get(),
      {Turn("t1", "s", kT0, "Привет, МИР", "да"), Turn("t2", "s", kT0 + kSec, "x", "ΣΊΣΥΦΟΣ"),
       Turn("t3", "s", kT0 + 2 * kSec, "Die Straße", "STRA\u1E9EE"),
       Turn("t4", "s", kT0 + 3 * kSec, "ÉCOLE", "5 \u212A = -268.15 °C"),
       Turn("t5", "s", kT0 + 4 * kSec, std::string(70, 'a') + "\u212A" + std::string(70, 'b'),
            "")});
  SearchPage page = SearchOrDie("мир", SearchOptions());
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(page.hits[0].snippet, "Привет, МИР");
  page = SearchOrDie("σίσυφος", SearchOptions());  // Final sigma folds to sigma.
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t2"}));
  EXPECT_EQ(page.hits[0].field, "output");
  EXPECT_EQ(Ids(SearchOrDie("straße", SearchOptions())), (std::vector<std::string>{"t3"}));
  EXPECT_EQ(SearchOrDie("STRASSE", SearchOptions()).hits.size(), 0u);  // Simple folding only.
  page = SearchOrDie("école", SearchOptions());                        // Finds ÉCOLE.
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t4"}));
  page = SearchOrDie("5 K =", SearchOptions());  // KELVIN SIGN (3 bytes) folds to k.
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t4"}));
  EXPECT_EQ(page.hits[0].snippet, "5 \u212A = -268.15 °C");
  // The snippet's context is counted from the 3-byte match, in the text.
  page = SearchOrDie("k", SearchOptions());
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"t5", "t4"}));
  EXPECT_EQ(page.hits[0].snippet,
            "..." + std::string(60, 'a') + "\u212A" + std::string(60, 'b') + "...");
}

TEST_F(ContentSearchStoreTest, RejectsEmptyTextAndForeignCursors) {
  testing::IngestOrDie(store_.get(), {testing::Turn("t1", "s", kT0, "abc", "abc"),
                                      testing::Turn("t2", "s", kT0 + kSec, "abc", "abc")});
  SearchPage page;
  EXPECT_TRUE(store_->Search("", SearchOptions(), &page).IsInvalidArgument());
  SearchOptions o;
  o.limit = 1;
  ASSERT_TRUE(store_->Search("abc", o, &page).ok());
  ASSERT_FALSE(page.next_cursor.empty());
  o.cursor = page.next_cursor;
  EXPECT_TRUE(store_->Search("abd", o, &page).IsInvalidArgument());  // Other text.
  o.session_id = "s";
  EXPECT_TRUE(store_->Search("abc", o, &page).IsInvalidArgument());  // Other session.
  o.session_id.clear();
  o.cursor = "zz";
  EXPECT_TRUE(store_->Search("abc", o, &page).IsInvalidArgument());
}

// Search against a brute-force scan of what was ingested: random words,
// many equal starts, every page walked, with and without each filter.
TEST_F(ContentSearchStoreTest, MatchesBruteForceOnARandomStore) {
  std::mt19937_64 rng(12);
  const std::vector<std::string> words = {"alpha", "Beta",  "GAMMA", "delta",   "rocks",
                                          "db",    "ΣΟΦΊΑ", "Мир",   "\u212Aey"};
  auto sentence = [&] {
    std::string s;
    for (int i = 0; i < 4; ++i) s += words[rng() % words.size()] + (rng() % 2 ? " " : "");
    return s;
  };
  std::vector<Trace> traces;
  for (int i = 0; i < 400; ++i) {
    Trace t = testing::Turn("t" + std::to_string(i),
                            rng() % 8 == 0 ? "" : "s" + std::to_string(rng() % 12),
                            kT0 + static_cast<int64_t>(rng() % 40) * kSec, sentence(), sentence());
    t.user_id = "u" + std::to_string(rng() % 3);
    traces.push_back(t);
  }
  testing::IngestOrDie(store_.get(), traces);
  auto fold = [](const std::string& s) { return FoldCase(s); };
  std::size_t total_hits = 0;
  for (const std::string needle :
       {"gamma", "BETA", "sdb", "a d", "alphaalpha", "zeta", "σοφία", "МИР", "KEY"}) {
    for (int variant = 0; variant < 4; ++variant) {
      SearchOptions o;
      o.limit = 1 + rng() % 30;
      if (variant == 1) o.session_id = "s3";
      if (variant == 2) o.user_id = "u1";
      if (variant == 3) {
        o.from_ns = kT0 + 10 * kSec;
        o.to_ns = kT0 + 25 * kSec;
      }
      std::vector<const Trace*> want;
      for (const Trace& t : traces) {
        if ((!o.session_id.empty() && t.session_id != o.session_id) ||
            (!o.user_id.empty() && t.user_id != o.user_id) || t.start_ns < o.from_ns ||
            t.start_ns >= o.to_ns) {
          continue;
        }
        if (fold(t.input.value).find(fold(needle)) != std::string::npos ||
            fold(t.output.value).find(fold(needle)) != std::string::npos) {
          want.push_back(&t);
        }
      }
      std::sort(want.begin(), want.end(), [](const Trace* a, const Trace* b) {
        return a->start_ns != b->start_ns ? a->start_ns > b->start_ns : a->trace_id > b->trace_id;
      });
      std::vector<std::string> want_ids;
      for (const Trace* t : want) want_ids.push_back(t->trace_id);
      EXPECT_EQ(AllPages(needle, o), want_ids) << needle << " variant " << variant;
      total_hits += want_ids.size();
    }
  }
  EXPECT_GT(total_hits, 500u);  // The comparison is not vacuous.
}

}  // namespace
}  // namespace sessionstore
