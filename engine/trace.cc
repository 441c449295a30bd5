// Copyright sessionstore authors.
//
// Free functions of the trace data model (api/sessionstore/trace.h).

#include "sessionstore/trace.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace sessionstore {

namespace {
// Indexed by SpanKind's value. DO NOT CHANGE the order: kinds are stored.
constexpr std::array<std::string_view, 9> kKindNames = {
    "other", "llm", "chain", "tool", "agent", "retriever", "embedding", "reranker", "guardrail"};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}
}  // namespace

std::string_view SpanKindName(SpanKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kKindNames.size() ? kKindNames[i] : "other";
}

std::string_view TraceStatusName(TraceStatus status) {
  switch (status) {
    case TraceStatus::kOk:
      return "ok";
    case TraceStatus::kError:
      return "error";
    case TraceStatus::kUnset:
      break;
  }
  return "unset";
}

bool ParseSpanKind(std::string_view name, SpanKind* kind) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (EqualsIgnoreCase(name, kKindNames[i])) {
      *kind = static_cast<SpanKind>(i);
      return true;
    }
  }
  return false;
}

TraceUsage ComputeTraceUsage(const Trace& trace) {
  TraceUsage u;
  u.has_error = trace.status == TraceStatus::kError;
  int64_t start = trace.start_ns;
  bool has_end = trace.end_ns.has_value();
  int64_t end = trace.end_ns.value_or(trace.start_ns);
  if (trace.spans.empty()) {
    u.prompt_tokens = trace.prompt_tokens;
    u.completion_tokens = trace.completion_tokens;
    u.cost_nano_usd = trace.cost_nano_usd;
  }
  for (const Span& span : trace.spans) {
    if (span.status == TraceStatus::kError) u.has_error = true;
    if (IsGenerationKind(span.kind)) {
      u.prompt_tokens += span.prompt_tokens;
      u.completion_tokens += span.completion_tokens;
      u.cost_nano_usd += span.cost_nano_usd;
    }
    if (span.start_ns) start = std::min(start, *span.start_ns);
    if (span.end_ns) {
      end = has_end ? std::max(end, *span.end_ns) : *span.end_ns;
      has_end = true;
    }
  }
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  u.effective_start_ns = start;
  u.effective_end_ns = has_end ? std::max(end, start) : start;
  return u;
}

int64_t UsdToNano(double usd) {
  const double nano = std::round(usd * 1e9);
  if (!(nano > -9.2e18 && nano < 9.2e18)) {
    return nano < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(nano);
}

double NanoToUsd(int64_t nano) { return static_cast<double>(nano) / 1e9; }

}  // namespace sessionstore
