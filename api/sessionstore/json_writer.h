// Copyright sessionstore authors.
//
// Writing JSON text: string escaping and a writer for one object. The
// ingest-format printer (AppendTraceJson in sessionstore/json.h) is built on
// them, and so can an embedder that prints the data model in JSON of its own
// shape (the CLI's `--json` output is).

#ifndef SESSIONSTORE_JSON_WRITER_H_
#define SESSIONSTORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sessionstore/trace.h"

namespace sessionstore {

// Appends `s` to *out as a quoted JSON string: quotes, backslashes and
// control characters escaped, valid UTF-8 copied as is, and every byte that
// does not start a valid UTF-8 sequence (possible through the C++ API)
// written as U+FFFD, so the result is always valid JSON. Safe from any
// thread.
void AppendJsonString(std::string* out, std::string_view s);

// Writes one JSON object at the end of *out: "{" on construction, the members
// in the order they are added, "}" on destruction. *out must outlive the
// writer, and while it lives nothing else may append to *out except the one
// value after each Key(). Not thread-safe.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string* out);
  ~JsonObjectWriter();
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  // Starts a member named `key` and returns *out, to which the caller must
  // append exactly one JSON value (a nested JsonObjectWriter on it must be
  // destroyed before the next member). Duplicate keys are not detected.
  std::string* Key(std::string_view key);
  // Adds a member whose value is the string `value` (see AppendJsonString).
  void String(std::string_view key, std::string_view value);
  // Adds a member whose value is the integer `value`.
  void Int(std::string_view key, int64_t value);
  // Adds a member whose value is `json`, copied verbatim. REQUIRES: `json` is
  // one valid JSON value.
  void Raw(std::string_view key, std::string_view json);
  // Adds an amount in nano-USD as a number of US dollars with at most nine
  // decimals and no trailing zeros (1'500'000'000 -> 1.5, 0 -> 0).
  void Usd(std::string_view key, int64_t nano_usd);
  // Adds a payload: its value verbatim when `is_json` (REQUIRES: then valid
  // JSON, as every parsed or stored payload is), else its text as a string.
  void Payload(std::string_view key, const sessionstore::Payload& payload);

 private:
  std::string* out_;
  bool first_ = true;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_JSON_WRITER_H_
