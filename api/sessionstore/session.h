// Copyright sessionstore authors.
//
// SessionSummary: the per-session aggregate a sessions list and a session
// header show. Plain value type.

#ifndef SESSIONSTORE_SESSION_H_
#define SESSIONSTORE_SESSION_H_

#include <cstdint>
#include <map>
#include <string>

#include "sessionstore/trace.h"

namespace sessionstore {

// Length of the first_input / last_output previews, in bytes. Longer payloads
// are cut at a UTF-8 character boundary at or below this length.
inline constexpr std::size_t kPreviewBytes = 1024;

struct ModelUsage {
  int64_t calls = 0;  // Generation spans (or span-less traces) with the model.
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_nano_usd = 0;

  bool operator==(const ModelUsage&) const = default;
};

// Exact aggregate over the stored traces of one session. See docs/format.md
// for every field's definition.
struct SessionSummary {
  std::string session_id;
  std::string session_name;  // Of the latest trace (by start, trace id) that has one.
  std::string user_id;       // Of the latest trace that has one.
  int64_t trace_count = 0;
  int64_t error_count = 0;  // Traces with status error or an error span.
  int64_t span_count = 0;
  int64_t prompt_tokens = 0;  // Generation spans only (see TraceUsage).
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;  // prompt_tokens + completion_tokens.
  int64_t cost_nano_usd = 0;
  int64_t first_trace_at_ns = 0;  // Min trace start.
  int64_t last_trace_at_ns = 0;   // Max trace start.
  int64_t duration_ns = 0;        // Max trace end - first_trace_at_ns.
  std::map<std::string, ModelUsage> models;
  std::map<std::string, int64_t> tags;  // Tag -> traces carrying it.
  int64_t ttft_count = 0;               // Spans that report a TTFT.
  int64_t ttft_sum_ns = 0;
  Payload first_input;  // Preview of the earliest trace's input.
  Payload last_output;  // Preview of the latest trace's output.

  // Mean time to first token in ns; 0 when no span reports one.
  double ttft_avg_ns() const {
    return ttft_count == 0 ? 0.0 : static_cast<double>(ttft_sum_ns) / ttft_count;
  }
  bool operator==(const SessionSummary&) const = default;
};

// Returns `payload` cut to at most kPreviewBytes at a UTF-8 boundary. A cut
// JSON payload becomes plain text (it is no longer valid JSON).
Payload MakePreview(const Payload& payload);

}  // namespace sessionstore

#endif  // SESSIONSTORE_SESSION_H_
