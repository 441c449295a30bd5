// Copyright sessionstore authors.
//
// libFuzzer target: the JSON Lines ingest parser (sessionstore/json.h) and
// RFC 3339 times (sessionstore/time_format.h), which read user input. A
// line must parse or be rejected with a message, never crash; what parses
// must print (AppendTraceJson) to JSON that parses again to the same trace.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sessionstore/json.h"
#include "sessionstore/time_format.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  int64_t ns = 0;
  if (ss::ParseTime(in, &ns)) {
    int64_t again = 0;
    if (!ss::ParseTime(ss::FormatTime(ns), &again) || again != ns) std::abort();
  }
  ss::Trace trace;
  const ss::Status s = ss::ParseTraceJson(in, &trace);
  if (!s.ok()) {
    if (s.message().empty()) std::abort();  // A rejection always says why.
    return 0;
  }
  std::string json;
  ss::AppendTraceJson(trace, &json);
  ss::Trace again;
  if (!ss::ParseTraceJson(json, &again).ok()) std::abort();
  return 0;
}
