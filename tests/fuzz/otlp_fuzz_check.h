// Copyright sessionstore authors.
//
// The invariants the OTLP fuzz targets check on every decoded request.

#ifndef SESSIONSTORE_TESTS_FUZZ_OTLP_FUZZ_CHECK_H_
#define SESSIONSTORE_TESTS_FUZZ_OTLP_FUZZ_CHECK_H_

#include <cstdlib>

#include "tools/otlp/otlp_trace_mapper.h"

namespace sessionstore {

// Maps `request` and aborts unless every span is either rejected or in a
// trace with a 32-hex-digit id, a 16-hex-digit span id and a start.
inline void CheckMapping(const OtlpRequest& request) {
  OtlpMapResult mapped;
  MapOtlpRequest(request, &mapped);
  std::size_t spans = mapped.rejected_spans;
  for (const Trace& t : mapped.traces) {
    if (t.trace_id.size() != 32 || t.spans.empty()) std::abort();
    for (const Span& s : t.spans) {
      if (s.span_id.size() != 16 || !s.start_ns || *s.start_ns < t.start_ns) std::abort();
    }
    spans += t.spans.size();
  }
  if (spans != request.SpanCount()) std::abort();
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_TESTS_FUZZ_OTLP_FUZZ_CHECK_H_
