// Copyright sessionstore authors.
//
// libFuzzer target: the stored trace record (engine/format/trace_codec.h).
// A record read back from disk is untrusted: DecodeTrace must reject bad
// bytes without crashing or reading out of bounds, and what decodes must
// re-encode to a record that decodes to the same trace. DecodeTraceOutput
// (the partial read) must agree with the full decode. scripts/fuzz.sh runs it.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/format/trace_codec.h"

namespace ss = sessionstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ss::Trace trace;
  uint64_t version = 0;
  const bool decoded = ss::DecodeTrace(in, &trace, &version);
  ss::Payload output;
  int64_t start = 0;
  const bool partial = ss::DecodeTraceOutput(in, &output, &start);
  if (decoded && (!partial || !(output == trace.output) || start != trace.start_ns)) std::abort();
  if (decoded) {
    ss::Trace again;
    uint64_t v2 = 0;
    if (!ss::DecodeTrace(ss::EncodeTrace(trace, version), &again, &v2) || !(again == trace) ||
        v2 != version) {
      std::abort();
    }
  }
  return 0;
}
