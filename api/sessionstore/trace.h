// Copyright sessionstore authors.
//
// The data model: a Trace (one request of an LLM application: a chat turn,
// an agent run) holds Spans (LLM calls, tools, retrievers, ...). Traces that
// share a session id form a session.
//
// Plain value types: copyable, no internal synchronization.

#ifndef SESSIONSTORE_TRACE_H_
#define SESSIONSTORE_TRACE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

// Limits enforced on ingest (InvalidArgument when exceeded).
// Trace, span and session ids: at most this many bytes.
inline constexpr std::size_t kMaxIdBytes = 1024;
// Encoded size of one stored trace (after merging versions).
inline constexpr std::size_t kMaxTraceBytes = 32u << 20;
// Tags per trace (each at most kMaxIdBytes) and spans per trace.
inline constexpr std::size_t kMaxTags = 1024;
inline constexpr std::size_t kMaxSpans = 100'000;
// Per trace or span: tokens, cost (about 1099.5 USD) and time to first token
// (one hour). Times must lie in [0, INT64_MAX): 1970 to 2262.
inline constexpr int64_t kMaxTokens = int64_t{1} << 40;
inline constexpr int64_t kMaxCostNanoUsd = int64_t{1} << 40;
inline constexpr int64_t kMaxTtftNs = 3600LL * 1'000'000'000;

// Input or output of a trace or span. `is_json` false: `value` is plain text
// (a JSON string is stored as its decoded text). `is_json` true: `value` is
// a JSON document (object, array, number, boolean or null) in compact form.
struct Payload {
  std::string value;
  bool is_json = false;

  bool empty() const { return value.empty() && !is_json; }
  bool operator==(const Payload&) const = default;
};

// Span kinds, following OpenInference's span kinds.
enum class SpanKind : unsigned char {
  kOther = 0,
  kLlm = 1,
  kChain = 2,
  kTool = 3,
  kAgent = 4,
  kRetriever = 5,
  kEmbedding = 6,
  kReranker = 7,
  kGuardrail = 8,
};

// Returns the lower-case name ("llm", "tool", ...).
std::string_view SpanKindName(SpanKind kind);
// Parses a kind name, case-insensitively. Returns false if unknown.
bool ParseSpanKind(std::string_view name, SpanKind* kind);
// True for kinds whose token usage and cost count in aggregates (llm,
// embedding). Wrapper spans (chain, agent, ...) often repeat their children's
// usage and are not summed.
inline bool IsGenerationKind(SpanKind kind) {
  return kind == SpanKind::kLlm || kind == SpanKind::kEmbedding;
}

// Status of a trace or span, as in OpenTelemetry. kUnset means "not said":
// on ingest it never overwrites a stored status.
enum class TraceStatus : unsigned char { kUnset = 0, kOk = 1, kError = 2 };

// Returns the lower-case name: "ok", "error" or "unset" (also for a value
// outside the enum).
std::string_view TraceStatusName(TraceStatus status);

// Times are nanoseconds since the Unix epoch. Money is fixed-point nano-USD
// (1 USD = 1'000'000'000) so sums are exact and independent of order.
struct Span {
  std::string span_id;  // Required, unique within its trace.
  std::string parent_span_id;
  std::string name;
  SpanKind kind = SpanKind::kOther;
  std::optional<int64_t> start_ns;
  std::optional<int64_t> end_ns;
  TraceStatus status = TraceStatus::kUnset;
  std::string error;  // Error message.
  std::string model;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_nano_usd = 0;
  std::optional<int64_t> ttft_ns;  // Time to first token.
  Payload input;
  Payload output;
  // Attribute name -> JSON text of its value.
  std::map<std::string, std::string> attributes;

  bool operator==(const Span&) const = default;
};

struct Trace {
  std::string trace_id;    // Required.
  std::string session_id;  // Empty: the trace belongs to no session.
  std::string session_name;
  std::string user_id;
  std::string name;
  int64_t start_ns = 0;  // Required.
  std::optional<int64_t> end_ns;
  TraceStatus status = TraceStatus::kUnset;
  std::string error;
  Payload input;
  Payload output;
  // Key -> JSON text of its value.
  std::map<std::string, std::string> metadata;
  std::vector<std::string> tags;  // Sorted and unique once stored.
  std::vector<Span> spans;        // Sorted by (start, span id) once stored.
  // Usage of a trace without spans (ignored when the trace has spans). On
  // ingest, zero and empty mean "not said" and keep a stored value.
  std::string model;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_nano_usd = 0;

  bool operator==(const Trace&) const = default;
};

// What a trace contributes to its session's usage figures, with the
// aggregate's rules: generation spans only, or the trace's own fields when it
// has no spans.
struct TraceUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cost_nano_usd = 0;
  bool has_error = false;          // Trace status error or any error span.
  int64_t effective_start_ns = 0;  // Min over the trace's and spans' times.
  int64_t effective_end_ns = 0;    // Max over them; start if none has an end.
};

// Computes a trace's usage. Pure function, safe from any thread.
TraceUsage ComputeTraceUsage(const Trace& trace);

// Converts between USD and fixed-point nano-USD (rounded half away from zero).
int64_t UsdToNano(double usd);
double NanoToUsd(int64_t nano);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TRACE_H_
