// Copyright sessionstore authors.

#include "sessionstore/json_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace sessionstore {
namespace {

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, StringEscapes) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\n\nr\rt\t"), R"("q\"b\\n\nr\rt\t")");
  EXPECT_EQ(JsonString(std::string("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
}

TEST(JsonWriterTest, StringReplacesInvalidUtf8) {
  // Valid two-, three- and four-byte sequences pass unchanged.
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A stray byte, a truncated sequence, an overlong form and a surrogate:
  // each byte that starts no valid sequence becomes U+FFFD.
  EXPECT_EQ(JsonString("a\xffz"), "\"a\xef\xbf\xbdz\"");
  EXPECT_EQ(JsonString("\xc3("), "\"\xef\xbf\xbd(\"");
  EXPECT_EQ(JsonString("\xe0\x80\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonWriterTest, ObjectMembersInOrder) {
  std::string out = "[";
  {
    JsonObjectWriter w(&out);
    w.String("s", "x");
    w.Int("i", -3);
    w.Raw("r", "[1,null]");
    w.Usd("zero", 0);
    w.Usd("usd", 1'500'000'000);
    w.Usd("nano", 123'000);
    w.Payload("text", Payload{"{not json", false});
    w.Payload("json", Payload{R"({"a":1})", true});
    JsonObjectWriter nested(w.Key("o"));
  }
  out += "]";
  EXPECT_EQ(out, R"([{"s":"x","i":-3,"r":[1,null],"zero":0,"usd":1.5,"nano":0.000123,)"
                 R"("text":"{not json","json":{"a":1},"o":{}}])");
}

}  // namespace
}  // namespace sessionstore
