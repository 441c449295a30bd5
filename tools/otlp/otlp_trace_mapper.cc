// Copyright sessionstore authors.

#include "tools/otlp/otlp_trace_mapper.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace sessionstore {

namespace {

// Attribute names (OpenInference, OpenTelemetry GenAI, Langfuse). Session and
// user ids are looked up in this order, on the root span first.
constexpr std::array<std::string_view, 3> kSessionKeys = {"session.id", "gen_ai.conversation.id",
                                                          "langfuse.session.id"};
constexpr std::array<std::string_view, 3> kMetadataSessionKeys = {"session_id", "thread_id",
                                                                  "conversation_id"};
constexpr std::array<std::string_view, 3> kUserKeys = {"user.id", "enduser.id", "langfuse.user.id"};
constexpr std::array<std::string_view, 3> kModelKeys = {"llm.model_name", "gen_ai.response.model",
                                                        "gen_ai.request.model"};
constexpr std::string_view kMetadataPrefix = "metadata.";

// A span mapped, with what it offers to its trace.
struct MappedSpan {
  Span span;
  std::size_t resource = 0;  // Index into the request's resource_spans.
  // Session id candidates: kSessionKeys, then the metadata's keys.
  std::array<std::string, kSessionKeys.size() + 1> session;
  std::array<std::string, kUserKeys.size()> user;
  std::vector<std::string> tags;
  std::map<std::string, std::string> metadata;  // Key -> JSON text.
};

bool AsString(const OtlpValue& v, std::string* out) {
  if (v.type == OtlpValue::Type::kString) {
    *out = v.str;
  } else if (v.type == OtlpValue::Type::kInt) {
    *out = std::to_string(v.i);
  } else {
    return false;
  }
  return true;
}

bool AsDouble(const OtlpValue& v, double* out) {
  if (v.type == OtlpValue::Type::kDouble) {
    *out = v.d;
  } else if (v.type == OtlpValue::Type::kInt) {
    *out = static_cast<double>(v.i);
  } else if (v.type == OtlpValue::Type::kString) {
    char* end = nullptr;
    *out = std::strtod(v.str.c_str(), &end);
    if (v.str.empty() || end != v.str.c_str() + v.str.size()) return false;
  } else {
    return false;
  }
  return std::isfinite(*out);
}

bool AsInt(const OtlpValue& v, int64_t* out) {
  if (v.type == OtlpValue::Type::kInt) {
    *out = v.i;
    return true;
  }
  double d = 0;
  if (!AsDouble(v, &d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// The kind from openinference.span.kind, else from gen_ai.operation.name.
bool KindOf(const std::vector<OtlpKeyValue>& attrs, SpanKind* kind) {
  if (const OtlpValue* v = FindAttribute(attrs, "openinference.span.kind")) {
    if (v->type == OtlpValue::Type::kString && ParseSpanKind(v->str, kind)) return true;
  }
  const OtlpValue* op = FindAttribute(attrs, "gen_ai.operation.name");
  if (op == nullptr || op->type != OtlpValue::Type::kString) return false;
  static const std::map<std::string_view, SpanKind> kOperations = {
      {"chat", SpanKind::kLlm},
      {"text_completion", SpanKind::kLlm},
      {"generate_content", SpanKind::kLlm},
      {"embeddings", SpanKind::kEmbedding},
      {"execute_tool", SpanKind::kTool},
      {"invoke_agent", SpanKind::kAgent},
      {"create_agent", SpanKind::kAgent}};
  const auto it = kOperations.find(op->str);
  if (it == kOperations.end()) return false;
  *kind = it->second;
  return true;
}

// A JSON text's minified form if it is a JSON document other than a string.
bool MinifiedJson(std::string_view text, std::string* out, simdjson::dom::element* doc,
                  simdjson::dom::parser* parser) {
  if (parser->parse(text.data(), text.size()).get(*doc) != simdjson::SUCCESS) return false;
  if (doc->is_string()) return false;
  *out = simdjson::minify(*doc);
  return true;
}

// input.value / output.value, stored as the ingest format stores a payload
// (ParseTraceJson), so that an export ingests back to the same trace: a
// string as its text, or, when the mime type says JSON, as the JSON document
// it holds (unless that is a string); any other value as JSON in simdjson's
// compact form, except that a JSON string (bytes as base64, a NaN) is kept
// as its text; an empty value is no payload (JSON null: absent).
Payload PayloadOf(const OtlpValue& v, const OtlpValue* mime, simdjson::dom::parser* parser) {
  Payload p;
  simdjson::dom::element doc;
  if (v.type == OtlpValue::Type::kEmpty) return p;
  if (v.type != OtlpValue::Type::kString) {
    std::string json;
    AppendOtlpValueJson(v, &json);
    std::string_view text;
    if (parser->parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
      p.value = std::move(json);  // Not reached: AppendOtlpValueJson writes valid JSON.
    } else if (doc.get_string().get(text) == simdjson::SUCCESS) {
      p.value = std::string(text);
    } else {
      p = Payload{simdjson::minify(doc), true};
    }
    return p;
  }
  if (mime != nullptr && mime->type == OtlpValue::Type::kString &&
      mime->str.find("json") != std::string::npos && MinifiedJson(v.str, &p.value, &doc, parser)) {
    p.is_json = true;
    return p;
  }
  p.value = v.str;
  return p;
}

// tag.tags: an array of strings or its JSON text.
bool TagsOf(const OtlpValue& v, std::vector<std::string>* tags, simdjson::dom::parser* parser) {
  if (v.type == OtlpValue::Type::kArray) {
    for (const OtlpValue& t : v.array) {
      if (t.type != OtlpValue::Type::kString) return false;
    }
    for (const OtlpValue& t : v.array) tags->push_back(t.str);
    return true;
  }
  simdjson::dom::array arr;
  if (v.type != OtlpValue::Type::kString ||
      parser->parse(v.str.data(), v.str.size()).get(arr) != simdjson::SUCCESS) {
    return false;
  }
  std::vector<std::string> parsed;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return false;
    parsed.emplace_back(s);
  }
  tags->insert(tags->end(), parsed.begin(), parsed.end());
  return true;
}

// `metadata` as JSON text of an object: its members, and a session id under
// one of kMetadataSessionKeys.
bool MetadataOf(const OtlpValue& v, MappedSpan* m, simdjson::dom::parser* parser) {
  simdjson::dom::object obj;
  if (v.type != OtlpValue::Type::kString ||
      parser->parse(v.str.data(), v.str.size()).get(obj) != simdjson::SUCCESS) {
    return false;
  }
  for (auto [key, value] : obj) {
    m->metadata.emplace(std::string(key), simdjson::minify(value));
  }
  for (std::string_view key : kMetadataSessionKeys) {
    simdjson::dom::element e;
    if (obj.at_key(key).get(e) != simdjson::SUCCESS) continue;
    std::string_view s;
    int64_t n = 0;
    if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
      m->session.back() = std::string(s);
    } else if (e.get_int64().get(n) == simdjson::SUCCESS) {
      m->session.back() = std::to_string(n);
    } else {
      continue;
    }
    break;
  }
  return true;
}

// Usage, model and TTFT attributes; true for each attribute it consumed.
bool TakeUsage(const OtlpKeyValue& kv, Span* span) {
  int64_t n = 0;
  double d = 0;
  if (kv.key == "llm.token_count.prompt" || kv.key == "gen_ai.usage.input_tokens") {
    if (!AsInt(kv.value, &n)) return false;
    if (span->prompt_tokens == 0) span->prompt_tokens = n;
    return true;
  }
  if (kv.key == "llm.token_count.completion" || kv.key == "gen_ai.usage.output_tokens") {
    if (!AsInt(kv.value, &n)) return false;
    if (span->completion_tokens == 0) span->completion_tokens = n;
    return true;
  }
  if (kv.key == "llm.cost.total") {
    if (!AsDouble(kv.value, &d) || std::fabs(d) > 1e9) return false;
    span->cost_nano_usd = UsdToNano(d);
    return true;
  }
  if (kv.key == "llm.time_to_first_token_ms") {
    if (!AsDouble(kv.value, &d) || d < 0 || d * 1e6 > static_cast<double>(kMaxTtftNs)) return false;
    if (!span->ttft_ns) span->ttft_ns = std::llround(d * 1e6);
    return true;
  }
  return false;
}

// True if the attribute was mapped to a field of the span or its trace.
bool TakeAttribute(const OtlpKeyValue& kv, const std::vector<OtlpKeyValue>& attrs, MappedSpan* m,
                   simdjson::dom::parser* parser) {
  std::string s;
  for (std::size_t i = 0; i < kSessionKeys.size(); ++i) {
    if (kv.key == kSessionKeys[i]) return AsString(kv.value, &m->session[i]);
  }
  for (std::size_t i = 0; i < kUserKeys.size(); ++i) {
    if (kv.key == kUserKeys[i]) return AsString(kv.value, &m->user[i]);
  }
  if (kv.key == "openinference.span.kind") return m->span.kind != SpanKind::kOther;
  for (std::string_view key : kModelKeys) {
    if (FindAttribute(attrs, key) == nullptr) continue;
    if (kv.key != key) break;  // Only the first model attribute present is the model.
    return AsString(kv.value, &m->span.model);
  }
  if (kv.key == "input.value" || kv.key == "output.value") {
    const bool in = kv.key == "input.value";
    (in ? m->span.input : m->span.output) = PayloadOf(
        kv.value, FindAttribute(attrs, in ? "input.mime_type" : "output.mime_type"), parser);
    return true;
  }
  if (kv.key == "tag.tags") return TagsOf(kv.value, &m->tags, parser);
  if (kv.key == "metadata") return MetadataOf(kv.value, m, parser);
  if (kv.key.size() > kMetadataPrefix.size() && kv.key.starts_with(kMetadataPrefix)) {
    AppendOtlpValueJson(kv.value, &s);
    m->metadata.emplace(kv.key.substr(kMetadataPrefix.size()), std::move(s));
    return true;
  }
  return TakeUsage(kv, &m->span);
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// Checks ids and times. Returns an empty string if the span can be mapped.
std::string SpanProblem(const OtlpSpan& s) {
  constexpr uint64_t kMaxNs = std::numeric_limits<int64_t>::max() - 1;
  if (s.trace_id.size() != 16 || AllZero(s.trace_id))
    return "trace id must be 16 bytes, not all zero";
  if (s.span_id.size() != 8 || AllZero(s.span_id)) return "span id must be 8 bytes, not all zero";
  if (!s.parent_span_id.empty() && s.parent_span_id.size() != 8) {
    return "parent span id must be 8 bytes";
  }
  if (s.start_time_unix_nano == 0) return "start time is required";
  if (s.start_time_unix_nano > kMaxNs || s.end_time_unix_nano > kMaxNs) {
    return "time after 2262-04-11";
  }
  if (s.end_time_unix_nano != 0 && s.end_time_unix_nano < s.start_time_unix_nano) {
    return "end time before start time";
  }
  return "";
}

// Status, error and TTFT from the span's status and events.
void MapStatusAndEvents(const OtlpSpan& s, Span* span) {
  span->status = s.status_code == OtlpStatusCode::kError ? TraceStatus::kError
                 : s.status_code == OtlpStatusCode::kOk  ? TraceStatus::kOk
                                                         : TraceStatus::kUnset;
  span->error = s.status_message;
  for (const OtlpEvent& ev : s.events) {
    if (ev.name == "exception") {
      span->status = TraceStatus::kError;
      if (span->error.empty()) {
        std::string type, message;
        if (const OtlpValue* v = FindAttribute(ev.attributes, "exception.type"))
          AsString(*v, &type);
        if (const OtlpValue* v = FindAttribute(ev.attributes, "exception.message")) {
          AsString(*v, &message);
        }
        span->error = type.empty() ? message : message.empty() ? type : type + ": " + message;
      }
    } else if (ev.name == "first_token" && ev.time_unix_nano >= s.start_time_unix_nano &&
               ev.time_unix_nano - s.start_time_unix_nano <= static_cast<uint64_t>(kMaxTtftNs)) {
      span->ttft_ns = static_cast<int64_t>(ev.time_unix_nano - s.start_time_unix_nano);
    }
  }
}

void MapSpan(const OtlpSpan& s, std::size_t resource, MappedSpan* m,
             simdjson::dom::parser* parser) {
  m->resource = resource;
  Span& span = m->span;
  span.span_id = HexId(s.span_id);
  if (!AllZero(s.parent_span_id)) span.parent_span_id = HexId(s.parent_span_id);
  span.name = s.name;
  span.start_ns = static_cast<int64_t>(s.start_time_unix_nano);
  if (s.end_time_unix_nano != 0) span.end_ns = static_cast<int64_t>(s.end_time_unix_nano);
  MapStatusAndEvents(s, &span);
  KindOf(s.attributes, &span.kind);
  for (const OtlpKeyValue& kv : s.attributes) {
    if (TakeAttribute(kv, s.attributes, m, parser) || span.attributes.count(kv.key) > 0) continue;
    AppendOtlpValueJson(kv.value, &span.attributes[kv.key]);
  }
}

// Root first, then by (start, span id): the order in which spans offer
// session, user and metadata.
bool OfferedBefore(const MappedSpan& a, const MappedSpan& b) {
  const bool ra = a.span.parent_span_id.empty(), rb = b.span.parent_span_id.empty();
  if (ra != rb) return ra;
  return std::tie(*a.span.start_ns, a.span.span_id) < std::tie(*b.span.start_ns, b.span.span_id);
}

// Input from the first generation span, output from the last one to end.
void FallBackToGenerations(const std::vector<MappedSpan>& spans, Trace* t) {
  using Key = std::tuple<int64_t, const std::string&>;
  const auto start_key = [](const Span& s) { return Key(*s.start_ns, s.span_id); };
  const auto end_key = [](const Span& s) { return Key(s.end_ns.value_or(*s.start_ns), s.span_id); };
  const Span* first = nullptr;
  const Span* last = nullptr;
  for (const MappedSpan& m : spans) {
    const Span& s = m.span;
    if (!IsGenerationKind(s.kind)) continue;
    if (!s.input.empty() && (first == nullptr || start_key(s) < start_key(*first))) first = &s;
    if (!s.output.empty() && (last == nullptr || end_key(s) > end_key(*last))) last = &s;
  }
  if (t->input.empty() && first != nullptr) t->input = first->input;
  if (t->output.empty() && last != nullptr) t->output = last->output;
}

// Builds one trace version from its spans (sorted by OfferedBefore).
void BuildTrace(const OtlpRequest& request, std::vector<MappedSpan>* spans, Trace* t) {
  std::sort(spans->begin(), spans->end(), OfferedBefore);
  const MappedSpan& first = spans->front();
  const bool has_root = first.span.parent_span_id.empty();
  if (has_root) {
    const Span& root = first.span;
    t->name = root.name;
    t->status = root.status;
    t->error = root.error;
    t->input = root.input;
    t->output = root.output;
    FallBackToGenerations(*spans, t);
  }
  for (std::size_t i = 0; i < first.session.size() && t->session_id.empty(); ++i) {
    for (const MappedSpan& m : *spans) {
      if (!m.session[i].empty()) t->session_id = m.session[i];
      if (!t->session_id.empty()) break;
    }
  }
  for (std::size_t i = 0; i < first.user.size() && t->user_id.empty(); ++i) {
    for (const MappedSpan& m : *spans) {
      if (!m.user[i].empty()) t->user_id = m.user[i];
      if (!t->user_id.empty()) break;
    }
  }
  t->start_ns = std::numeric_limits<int64_t>::max();
  for (MappedSpan& m : *spans) {
    t->start_ns = std::min(t->start_ns, *m.span.start_ns);
    if (m.span.end_ns) t->end_ns = std::max(t->end_ns.value_or(0), *m.span.end_ns);
    t->tags.insert(t->tags.end(), m.tags.begin(), m.tags.end());
    t->metadata.insert(m.metadata.begin(), m.metadata.end());  // The first offer wins.
    t->spans.push_back(std::move(m.span));
  }
  std::sort(t->tags.begin(), t->tags.end());
  t->tags.erase(std::unique(t->tags.begin(), t->tags.end()), t->tags.end());
  const auto& resource = request.resource_spans[first.resource].resource_attributes;
  std::string service;
  if (const OtlpValue* v = FindAttribute(resource, "service.name"); v && AsString(*v, &service)) {
    std::string json;
    AppendOtlpValueJson(*v, &json);
    t->metadata.emplace("service.name", std::move(json));
  }
}

}  // namespace

void MapOtlpRequest(const OtlpRequest& request, OtlpMapResult* result) {
  *result = OtlpMapResult();
  // Parses the small JSON texts in attributes (metadata, tags, JSON inputs);
  // one per thread keeps its buffers between requests.
  thread_local simdjson::dom::parser parser;
  std::vector<std::vector<MappedSpan>> groups;
  std::unordered_map<std::string, std::size_t> group_of;  // Trace id bytes -> index.
  std::vector<std::string> ids;
  std::set<std::pair<std::string, std::string>> seen;  // (trace id, span id)
  for (std::size_t r = 0; r < request.resource_spans.size(); ++r) {
    for (const OtlpSpan& s : request.resource_spans[r].spans) {
      std::string problem = SpanProblem(s);
      if (problem.empty() && !seen.emplace(s.trace_id, s.span_id).second) {
        problem = "repeated in the request";
      }
      if (!problem.empty()) {
        ++result->rejected_spans;
        if (result->errors.size() < OtlpMapResult::kMaxErrors) {
          result->errors.push_back("span " + HexId(s.span_id) + ": " + problem);
        }
        continue;
      }
      const auto [it, added] = group_of.emplace(s.trace_id, groups.size());
      if (added) {
        groups.emplace_back();
        ids.push_back(HexId(s.trace_id));
      }
      groups[it->second].emplace_back();
      MapSpan(s, r, &groups[it->second].back(), &parser);
    }
  }
  result->traces.resize(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    result->traces[i].trace_id = ids[i];
    BuildTrace(request, &groups[i], &result->traces[i]);
  }
}

}  // namespace sessionstore
