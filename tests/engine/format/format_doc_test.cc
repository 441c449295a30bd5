// Copyright sessionstore authors.
//
// docs/format.md is the contract for what sessionstore writes. This test
// reads it and checks it against the code, so the two cannot drift: the
// format version, the column families, and every key and small-value
// production of the key grammar, evaluated token by token with sample
// values and compared byte for byte with what the codec writes.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/aggregate/session_index_state.h"
#include "engine/column_families.h"
#include "engine/format/format_version.h"
#include "engine/format/keys.h"

namespace sessionstore {
namespace {

std::string ReadFormatDoc() {
  std::ifstream in(std::string(SESSIONSTORE_SOURCE_DIR) + "/docs/format.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The productions of the ```-fenced grammar block under "## Key grammar":
// name -> its tokens, continuation lines (indented) included.
std::map<std::string, std::vector<std::string>> GrammarProductions(const std::string& doc) {
  std::map<std::string, std::vector<std::string>> out;
  // Every code block of the section.
  const std::size_t section = doc.find("## Key grammar");
  if (section == std::string::npos) return out;
  const std::size_t section_end = doc.find("\n## ", section + 1);
  std::string blocks;
  for (std::size_t at = section;;) {
    const std::size_t begin = doc.find("```\n", at);
    if (begin == std::string::npos || begin > section_end) break;
    const std::size_t end = doc.find("```", begin + 4);
    if (end == std::string::npos) break;
    blocks += doc.substr(begin + 4, end - begin - 4);
    at = end + 3;
  }
  std::istringstream lines(blocks);
  std::string line, current;
  while (std::getline(lines, line)) {
    const std::size_t def = line.find(":=");
    std::string body;
    if (def != std::string::npos && line[0] != ' ') {
      std::istringstream name(line.substr(0, def));
      name >> current;
      body = line.substr(def + 2);
    } else if (!current.empty()) {
      body = line;
    }
    std::istringstream tokens(body);
    std::string token;
    while (tokens >> token) out[current].push_back(token);
  }
  return out;
}

// Sample values the productions are evaluated with.
struct Sample {
  std::string session_id = "session-7";
  std::string trace_id = "trace-3";
  std::string user_id = "user-5";
  int64_t start_ns = 1'700'000'000'123'456'789;
  uint64_t seq = 1234;
  char order = kOrderCost;
  SessionIndexEntry entry{
      1'700'000'000'000'000'000, 1'700'000'100'000'000'000, 987654, 4321, 12, 100'000'000'000};
  std::map<std::string, uint64_t> fixed() const {
    return {{"seq", seq},
            {"~metric(order)", ~OrderMetric(order, entry)},
            {"~metric(l)", ~OrderMetric(kOrderLast, entry)},
            {"cost", static_cast<uint64_t>(entry.cost_nano_usd)},
            {"tokens", static_cast<uint64_t>(entry.total_tokens)},
            {"traces", static_cast<uint64_t>(entry.trace_count)},
            {"duration", static_cast<uint64_t>(entry.duration_ns)}};
  }
  std::map<std::string, int64_t> times() const {
    return {{"time", start_ns}, {"time(first)", entry.first_ns}, {"time(last)", entry.last_ns}};
  }
  std::map<std::string, std::string> strings() const {
    std::string prefix;
    PutSessionPrefix(&prefix, SessionHash(session_id), session_id);
    std::string hash;
    PutFixed64BE(&hash, SessionHash(session_id));
    return {{"session_prefix", prefix}, {"session_hash", hash}, {"session_id", session_id},
            {"trace_id", trace_id},     {"user_id", user_id},   {"order", std::string(1, order)}};
  }
};

// The bytes a production describes, token by token; stops at the first
// token that is not part of the grammar (a trailing annotation such as "CF
// traces"). Sets *unknown to that token, if any, for the failure message.
std::string Evaluate(const std::vector<std::string>& tokens, const Sample& s,
                     std::string* unknown) {
  const auto fixed = s.fixed();
  const auto times = s.times();
  const auto strings = s.strings();
  std::string out;
  unknown->clear();
  for (const std::string& t : tokens) {
    if (t.size() == 3 && t[0] == '\'' && t[2] == '\'') {
      out.push_back(t[1]);
    } else if (t.size() == 4 && t.rfind("0x", 0) == 0) {
      out.push_back(static_cast<char>(std::stoi(t.substr(2), nullptr, 16)));
    } else if (strings.count(t) != 0) {
      out += strings.at(t);
    } else if (times.count(t) != 0) {
      PutTime(&out, times.at(t));
    } else if (t.rfind("fixed64-BE(", 0) == 0 && t.back() == ')' &&
               fixed.count(t.substr(11, t.size() - 12)) != 0) {
      PutFixed64BE(&out, fixed.at(t.substr(11, t.size() - 12)));
    } else if (t.rfind("varint32(len(", 0) == 0 && t.size() > 15 &&
               strings.count(t.substr(13, t.size() - 15)) != 0) {
      PutVarint32(&out, static_cast<uint32_t>(strings.at(t.substr(13, t.size() - 15)).size()));
    } else {
      *unknown = t;
      break;
    }
  }
  return out;
}

class FormatDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = ReadFormatDoc();
    ASSERT_FALSE(doc_.empty()) << "docs/format.md not found under " << SESSIONSTORE_SOURCE_DIR;
    grammar_ = GrammarProductions(doc_);
    ASSERT_FALSE(grammar_.empty()) << "no key grammar block in docs/format.md";
  }
  // The production's bytes; fails the test if the production is missing.
  std::string Production(const std::string& name) {
    EXPECT_EQ(grammar_.count(name), 1u) << name << " is not in the key grammar";
    if (grammar_.count(name) == 0) return "";
    std::string unknown;
    return Evaluate(grammar_.at(name), sample_, &unknown);
  }

  std::string doc_;
  std::map<std::string, std::vector<std::string>> grammar_;
  Sample sample_;
};

TEST_F(FormatDocTest, VersionIsTheOneTheCodeWrites) {
  EXPECT_NE(
      doc_.find("# sessionstore on-disk format, version " + std::string(kFormatVersion) + "\n"),
      std::string::npos)
      << "the title must name format version " << kFormatVersion;
  EXPECT_NE(doc_.find("`" + std::string(kFormatVersionKey) + "` | `\"" + kFormatVersion + "\"`"),
            std::string::npos)
      << "the default family's row must hold the version";
  EXPECT_NE(doc_.find("\n- " + std::string(kFormatVersion) + ": "), std::string::npos)
      << "the version history must describe version " << kFormatVersion;
}

TEST_F(FormatDocTest, EveryColumnFamilyIsDocumented) {
  for (const char* name : kColumnFamilyNames) {
    EXPECT_NE(doc_.find("| `" + std::string(name) + "` |"), std::string::npos) << name;
  }
}

TEST_F(FormatDocTest, KeyProductionsMatchTheCodec) {
  const Sample& s = sample_;
  const std::string prefix = s.strings().at("session_prefix");
  EXPECT_EQ(Production("session_prefix"), prefix);
  EXPECT_EQ(Production("trace_key"),
            TraceKey(SessionHash(s.session_id), s.session_id, s.start_ns, s.trace_id));
  EXPECT_EQ(Production("trace_id_key"), s.trace_id);
  EXPECT_EQ(Production("session_key"), prefix);
  EXPECT_EQ(Production("dirty_key"), DirtyKey(s.seq));
  EXPECT_EQ(Production("round_key"), RoundKey(s.seq));
  EXPECT_EQ(Production("state_key"), StateKey(prefix));
  EXPECT_EQ(Production("locator"), EncodeLocator(s.start_ns, s.session_id));
}

TEST_F(FormatDocTest, OrdersAndValueFormatBytesMatchTheCode) {
  // order := 'l' | 'f' | ...: the same bytes, in the same order.
  std::string orders;
  for (const std::string& t : grammar_["order"]) {
    if (t.size() == 3 && t[0] == '\'') orders.push_back(t[1]);
  }
  EXPECT_EQ(orders, std::string(std::begin(kSessionOrders), std::end(kSessionOrders)));
  // index_state := 0x02 ...: its format byte.
  ASSERT_FALSE(grammar_["index_state"].empty());
  const std::string state = EncodeIndexState(SessionIndexState());
  EXPECT_EQ(std::stoi(grammar_["index_state"][0].substr(2), nullptr, 16),
            static_cast<unsigned char>(state[0]));
}

// The evaluator itself: a production that disagrees with the codec is
// caught, not skipped.
TEST_F(FormatDocTest, EvaluatorRejectsAWrongProduction) {
  std::string unknown;
  const std::string wrong =
      Evaluate({"'X'", "fixed64-BE(metric)", "session_prefix"}, sample_, &unknown);
  EXPECT_EQ(unknown, "fixed64-BE(metric)");
  EXPECT_NE(wrong, StateKey(sample_.strings().at("session_prefix")));
}

}  // namespace
}  // namespace sessionstore
