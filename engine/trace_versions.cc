// Copyright sessionstore authors.

#include "engine/trace_versions.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sessionstore {

namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s.substr(0, 64));
  if (s.size() > 64) out.append("...");
  out.push_back('"');
  return out;
}

Status Invalid(std::string_view field, const std::string& why) {
  return Status::InvalidArgument(std::string(field) + ": " + why);
}

Status CheckId(std::string_view field, const std::string& id, bool required) {
  if (required && id.empty()) return Invalid(field, "required and must not be empty");
  if (id.size() > kMaxIdBytes) {
    return Invalid(field, "longer than " + std::to_string(kMaxIdBytes) + " bytes (" +
                              std::to_string(id.size()) + ")");
  }
  return Status::OK();
}

Status CheckUsage(std::string_view prefix, int64_t prompt, int64_t completion, int64_t cost) {
  if (prompt < 0)
    return Invalid(std::string(prefix) + "prompt_tokens",
                   "negative (" + std::to_string(prompt) + ")");
  if (completion < 0) {
    return Invalid(std::string(prefix) + "completion_tokens",
                   "negative (" + std::to_string(completion) + ")");
  }
  if (cost < 0) return Invalid(std::string(prefix) + "cost_usd", "negative");
  if (prompt > kMaxTokens)
    return Invalid(std::string(prefix) + "prompt_tokens", "larger than 2^40");
  if (completion > kMaxTokens)
    return Invalid(std::string(prefix) + "completion_tokens", "larger than 2^40");
  if (cost > kMaxCostNanoUsd)
    return Invalid(std::string(prefix) + "cost_usd", "larger than 1099.5 USD");
  return Status::OK();
}

template <typename T>
void MaybeTake(T* dst, const T& src) {
  if (!src.empty()) *dst = src;
}

bool SpanBefore(const Span& a, const Span& b) {
  const int64_t sa = a.start_ns.value_or(std::numeric_limits<int64_t>::min());
  const int64_t sb = b.start_ns.value_or(std::numeric_limits<int64_t>::min());
  return std::tie(sa, a.span_id) < std::tie(sb, b.span_id);
}

// A later version of a span: its present fields win (zero counts as absent
// for usage), so a stale partial resend never undoes a completed span.
void MergeSpan(Span* m, const Span& in) {
  MaybeTake(&m->parent_span_id, in.parent_span_id);
  MaybeTake(&m->name, in.name);
  if (in.kind != SpanKind::kOther) m->kind = in.kind;
  if (in.start_ns) m->start_ns = in.start_ns;
  if (in.end_ns) m->end_ns = in.end_ns;
  if (in.status != TraceStatus::kUnset) m->status = in.status;
  MaybeTake(&m->error, in.error);
  MaybeTake(&m->model, in.model);
  if (in.prompt_tokens != 0) m->prompt_tokens = in.prompt_tokens;
  if (in.completion_tokens != 0) m->completion_tokens = in.completion_tokens;
  if (in.cost_nano_usd != 0) m->cost_nano_usd = in.cost_nano_usd;
  if (in.ttft_ns) m->ttft_ns = in.ttft_ns;
  if (!in.input.empty()) m->input = in.input;
  if (!in.output.empty()) m->output = in.output;
  for (const auto& [k, v] : in.attributes) m->attributes[k] = v;
}

Status CheckTime(std::string_view field, int64_t ns) {
  if (ns < 0 || ns == std::numeric_limits<int64_t>::max()) {
    return Invalid(field, "outside 1970-01-01 to 2262-04-11");
  }
  return Status::OK();
}

// Checks one span; field names in errors are relative to the span.
Status ValidateSpan(const Span& span) {
  Status s = CheckId("span_id", span.span_id, true);
  if (!s.ok()) return s;
  if (!(s = CheckId("parent_span_id", span.parent_span_id, false)).ok()) return s;
  if (span.start_ns && !(s = CheckTime("start_time", *span.start_ns)).ok()) return s;
  if (span.end_ns && !(s = CheckTime("end_time", *span.end_ns)).ok()) return s;
  if (!(s = CheckId("model", span.model, false)).ok()) return s;
  if (span.start_ns && span.end_ns && *span.end_ns < *span.start_ns) {
    return Invalid("end_time", "before start_time");
  }
  if (!(s = CheckUsage("", span.prompt_tokens, span.completion_tokens, span.cost_nano_usd)).ok()) {
    return s;
  }
  if (span.ttft_ns && (*span.ttft_ns < 0 || *span.ttft_ns > kMaxTtftNs)) {
    return Invalid("time_to_first_token_ms", "outside 0 to 1 hour");
  }
  return Status::OK();
}

// The position of the first span whose id an earlier span has, or
// spans.size(). Sorts positions instead of filling a set of nodes: this runs
// for every trace.
std::size_t FirstDuplicateSpanId(const std::vector<Span>& spans) {
  std::size_t dup = spans.size();
  if (spans.size() < 2) return dup;
  std::vector<uint32_t> order(spans.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return std::tie(spans[a].span_id, a) < std::tie(spans[b].span_id, b);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (spans[order[k]].span_id == spans[order[k - 1]].span_id) {
      dup = std::min<std::size_t>(dup, order[k]);
    }
  }
  return dup;
}

// The trace or one of its spans has an end time: the stored end covers them.
bool HasAnyEnd(const Trace& t) {
  if (t.end_ns.has_value()) return true;
  return std::any_of(t.spans.begin(), t.spans.end(),
                     [](const Span& span) { return span.end_ns.has_value(); });
}

}  // namespace

Status ValidateTrace(const Trace& t) {
  Status s = CheckId("trace_id", t.trace_id, true);
  if (!s.ok()) return s;
  if (!(s = CheckId("session_id", t.session_id, false)).ok()) return s;
  // The user id becomes an index key; both are shown in every listing.
  if (!(s = CheckId("user_id", t.user_id, false)).ok()) return s;
  if (!(s = CheckId("session_name", t.session_name, false)).ok()) return s;
  if (!(s = CheckTime("start_time", t.start_ns)).ok()) return s;
  if (t.end_ns && !(s = CheckTime("end_time", *t.end_ns)).ok()) return s;
  if (t.tags.size() > kMaxTags) {
    return Invalid("tags", "more than " + std::to_string(kMaxTags) + " tags (" +
                               std::to_string(t.tags.size()) + ")");
  }
  for (std::size_t i = 0; i < t.tags.size(); ++i) {
    if (t.tags[i].size() > kMaxIdBytes) {  // The field name is built only for an error.
      return CheckId("tags[" + std::to_string(i) + "]", t.tags[i], false);
    }
  }
  if (!(s = CheckId("model", t.model, false)).ok()) return s;
  if (t.spans.size() > kMaxSpans) {
    return Invalid("spans", "more than " + std::to_string(kMaxSpans) + " spans (" +
                                std::to_string(t.spans.size()) + ")");
  }
  if (t.end_ns && *t.end_ns < t.start_ns) return Invalid("end_time", "before start_time");
  if (!(s = CheckUsage("", t.prompt_tokens, t.completion_tokens, t.cost_nano_usd)).ok()) return s;
  const std::size_t duplicate = FirstDuplicateSpanId(t.spans);
  for (std::size_t i = 0; i < t.spans.size(); ++i) {
    // The "spans[i]." prefix is built only for an error: this runs for every
    // span on the ingest path.
    s = ValidateSpan(t.spans[i]);
    if (s.ok() && i == duplicate) {
      s = Invalid("span_id", "duplicate " + Quote(t.spans[i].span_id));
    }
    if (!s.ok()) {
      return Status::InvalidArgument("spans[" + std::to_string(i) + "]." + s.message());
    }
  }
  return Status::OK();
}

bool IsNormalized(const Trace& t) {
  for (std::size_t i = 1; i < t.tags.size(); ++i) {
    if (!(t.tags[i - 1] < t.tags[i])) return false;
  }
  if (!std::is_sorted(t.spans.begin(), t.spans.end(), SpanBefore)) return false;
  const TraceUsage u = ComputeTraceUsage(t);
  if (t.start_ns != u.effective_start_ns) return false;
  return !HasAnyEnd(t) || t.end_ns == u.effective_end_ns;
}

void NormalizeTrace(Trace* t) {
  std::sort(t->tags.begin(), t->tags.end());
  t->tags.erase(std::unique(t->tags.begin(), t->tags.end()), t->tags.end());
  std::sort(t->spans.begin(), t->spans.end(), SpanBefore);
  const TraceUsage u = ComputeTraceUsage(*t);
  t->start_ns = u.effective_start_ns;
  if (HasAnyEnd(*t)) t->end_ns = u.effective_end_ns;
}

Trace MergeTraceVersions(const Trace& stored, const Trace& in) {
  Trace m = stored;
  MaybeTake(&m.session_id, in.session_id);
  MaybeTake(&m.session_name, in.session_name);
  MaybeTake(&m.user_id, in.user_id);
  MaybeTake(&m.name, in.name);
  if (in.status != TraceStatus::kUnset) m.status = in.status;
  MaybeTake(&m.error, in.error);
  if (!in.input.empty()) m.input = in.input;
  if (!in.output.empty()) m.output = in.output;
  for (const auto& [k, v] : in.metadata) m.metadata[k] = v;
  m.tags.insert(m.tags.end(), in.tags.begin(), in.tags.end());
  if (!in.spans.empty()) {
    std::map<std::string, Span> by_id;
    for (const Span& s : stored.spans) by_id[s.span_id] = s;
    for (const Span& s : in.spans) {
      auto [it, fresh] = by_id.try_emplace(s.span_id, s);
      if (!fresh) MergeSpan(&it->second, s);
    }
    m.spans.clear();
    m.spans.reserve(by_id.size());
    for (auto& [id, s] : by_id) m.spans.push_back(std::move(s));
  }
  MaybeTake(&m.model, in.model);
  if (in.prompt_tokens != 0) m.prompt_tokens = in.prompt_tokens;
  if (in.completion_tokens != 0) m.completion_tokens = in.completion_tokens;
  if (in.cost_nano_usd != 0) m.cost_nano_usd = in.cost_nano_usd;
  m.start_ns = std::min(stored.start_ns, in.start_ns);
  if (in.end_ns) m.end_ns = m.end_ns ? std::max(*m.end_ns, *in.end_ns) : *in.end_ns;
  NormalizeTrace(&m);
  // The end never decreases: a stored version without an end counted its
  // start as its end, so an earlier start must not pull the end below it
  // (the session's max_end register relies on this).
  const int64_t stored_end = ComputeTraceUsage(stored).effective_end_ns;
  if (m.end_ns ? *m.end_ns < stored_end : stored_end > m.start_ns) m.end_ns = stored_end;
  return m;
}

}  // namespace sessionstore
