// Copyright sessionstore authors.

#include "bench/otlp/otlp_load_body.h"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>
#include <vector>

namespace sessionstore::bench {

// An attribute value as both encodings need it. Strings here are generated
// from plain ASCII without quotes or backslashes, so JSON needs no escaping.
// Outside the anonymous namespace: OtlpLoadBody::SpanSpec holds them.
struct Attr {
  enum class Type { kString, kInt, kDouble, kStringArray } type;
  std::string_view key;
  std::string str;
  int64_t i = 0;
  double d = 0;
  std::vector<std::string> array;
};

namespace {

Attr Str(std::string_view key, std::string value) {
  return {Attr::Type::kString, key, std::move(value), 0, 0, {}};
}
Attr Int(std::string_view key, int64_t value) { return {Attr::Type::kInt, key, {}, value, 0, {}}; }
Attr Dbl(std::string_view key, double value) {
  return {Attr::Type::kDouble, key, {}, 0, value, {}};
}

// ---- protobuf wire format ----
constexpr int kVarint = 0, kFixed64 = 1, kLen = 2;

void PutVarint(std::string* o, uint64_t v) {
  while (v >= 0x80) {
    o->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  o->push_back(static_cast<char>(v));
}
void PutTag(std::string* o, int field, int wire) {
  PutVarint(o, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire));
}
void PutLen(std::string* o, int field, std::string_view bytes) {
  PutTag(o, field, kLen);
  PutVarint(o, bytes.size());
  o->append(bytes);
}
void PutFixed64(std::string* o, int field, uint64_t v) {
  PutTag(o, field, kFixed64);
  for (int i = 0; i < 8; ++i) o->push_back(static_cast<char>(v >> (8 * i)));
}
void PutInt(std::string* o, int field, uint64_t v) {
  PutTag(o, field, kVarint);
  PutVarint(o, v);
}

// AnyValue: string 1, int 3, double 4, array 5 (ArrayValue.values 1).
std::string ProtoAnyValue(const Attr& a) {
  std::string v;
  switch (a.type) {
    case Attr::Type::kString:
      PutLen(&v, 1, a.str);
      break;
    case Attr::Type::kInt:
      PutInt(&v, 3, static_cast<uint64_t>(a.i));
      break;
    case Attr::Type::kDouble: {
      uint64_t bits = 0;
      std::memcpy(&bits, &a.d, sizeof(bits));
      PutFixed64(&v, 4, bits);
      break;
    }
    case Attr::Type::kStringArray: {
      std::string arr, item;
      for (const std::string& s : a.array) {
        item.clear();
        PutLen(&item, 1, s);
        PutLen(&arr, 1, item);
      }
      PutLen(&v, 5, arr);
      break;
    }
  }
  return v;
}

// KeyValue {key 1, value 2} as field `field` of the enclosing message.
void PutProtoAttrs(std::string* o, int field, const std::vector<Attr>& attrs) {
  std::string kv;
  for (const Attr& a : attrs) {
    kv.clear();
    PutLen(&kv, 1, a.key);
    PutLen(&kv, 2, ProtoAnyValue(a));
    PutLen(o, field, kv);
  }
}

// ---- JSON ----
void AppendHex(std::string* o, const void* bytes, std::size_t n) {
  static const char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(bytes);
  for (std::size_t i = 0; i < n; ++i) {
    o->push_back(kHex[p[i] >> 4]);
    o->push_back(kHex[p[i] & 15]);
  }
}
void AppendJsonString(std::string* o, std::string_view s) {
  o->push_back('"');
  o->append(s);
  o->push_back('"');
}
void AppendJsonAttrs(std::string* o, const std::vector<Attr>& attrs) {
  o->append("\"attributes\":[");
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    const Attr& a = attrs[i];
    if (i > 0) o->push_back(',');
    o->append("{\"key\":");
    AppendJsonString(o, a.key);
    o->append(",\"value\":{");
    switch (a.type) {
      case Attr::Type::kString:
        o->append("\"stringValue\":");
        AppendJsonString(o, a.str);
        break;
      case Attr::Type::kInt:
        o->append("\"intValue\":" + std::to_string(a.i));
        break;
      case Attr::Type::kDouble: {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", a.d);
        o->append("\"doubleValue\":").append(buf);
        break;
      }
      case Attr::Type::kStringArray:
        o->append("\"arrayValue\":{\"values\":[");
        for (std::size_t j = 0; j < a.array.size(); ++j) {
          if (j > 0) o->push_back(',');
          o->append("{\"stringValue\":");
          AppendJsonString(o, a.array[j]);
          o->push_back('}');
        }
        o->append("]}");
        break;
    }
    o->append("}}");
  }
  o->push_back(']');
}

constexpr const char* kModels[] = {"gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06",
                                   "claude-3-5-sonnet-20241022"};
constexpr double kUsdPerToken[] = {0.0000006, 0.00001, 0.000015};

}  // namespace

struct OtlpLoadBody::SpanSpec {
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;  // 0 for the root.
  std::string name;
  int otel_kind = 1;  // SPAN_KIND_INTERNAL; 2 server, 3 client.
  int64_t start_ns = 0, end_ns = 0;
  int64_t first_token_ns = 0;  // 0: no first_token event.
  std::string error;           // Non-empty: ERROR status and an exception event.
  std::vector<Attr> attrs;
};

struct OtlpLoadBody::TraceSpec {
  unsigned char trace_id[16];
  std::vector<SpanSpec> spans;
};

OtlpLoadBody::OtlpLoadBody(const LoadShape& shape, uint64_t seed) : shape_(shape), rng_(seed) {}

std::string OtlpLoadBody::Text(std::string_view prefix) {
  static constexpr const char* kWords[] = {
      "how",      "do",      "i",       "change", "the",      "plan",    "on",      "my",
      "account",  "and",     "what",    "will",   "it",       "cost",    "per",     "month",
      "you",      "can",     "upgrade", "from",   "settings", "billing", "page",    "or",
      "ask",      "support", "to",      "switch", "your",     "invoice", "shows",   "a",
      "prorated", "charge",  "for",     "rest",   "of",       "cycle",   "team",    "seats",
      "are",      "billed",  "yearly",  "with",   "discount", "is",      "there",   "trial",
      "pro",      "free",    "limits",  "api",    "calls",    "tokens",  "storage", "export",
      "data",     "delete",  "history", "please", "thanks",   "sure",    "here",    "steps"};
  std::string text(prefix);
  std::uniform_int_distribution<std::size_t> word(0, std::size(kWords) - 1);
  while (text.size() < prefix.size() + static_cast<std::size_t>(shape_.payload_bytes)) {
    text += kWords[word(rng_)];
    text.push_back(' ');
  }
  text.resize(prefix.size() + static_cast<std::size_t>(shape_.payload_bytes));
  return text;
}

void OtlpLoadBody::DrawTrace(int64_t start_ns, TraceSpec* t) {
  auto uniform = [this](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  };
  for (int half = 0; half < 2; ++half) {
    const uint64_t r = rng_();
    std::memcpy(t->trace_id + 8 * half, &r, 8);
  }
  const int64_t session = uniform(0, shape_.sessions - 1);
  const std::string session_id = "load-session-" + std::to_string(session);
  const std::string user_id = "load-user-" + std::to_string(session % shape_.users);
  const int n = static_cast<int>(uniform(shape_.min_spans, shape_.max_spans));
  const int64_t duration = uniform(500, 5000) * 1'000'000;
  t->spans.assign(static_cast<std::size_t>(n), SpanSpec{});
  for (int i = 0; i < n; ++i) {
    SpanSpec& s = t->spans[static_cast<std::size_t>(i)];
    s.span_id = static_cast<uint64_t>(i) + 1;
    s.attrs = {Str("session.id", session_id), Str("user.id", user_id)};
    if (i == 0) {
      s.name = "chat-turn";
      s.otel_kind = 2;
      s.start_ns = start_ns;
      s.end_ns = start_ns + duration;
      s.attrs.push_back(Str("openinference.span.kind", "AGENT"));
      s.attrs.push_back(Str("input.value", Text("question: ")));
      s.attrs.push_back(Str("output.value", Text("answer: ")));
      s.attrs.push_back({Attr::Type::kStringArray, "tag.tags", {}, 0, 0, {"support", "load"}});
      continue;
    }
    s.parent_span_id = 1;
    s.start_ns = start_ns + duration * (i - 1) / n;
    s.end_ns = start_ns + duration * i / n;
    if (i % 2 == 1) {  // LLM
      const int m = static_cast<int>(uniform(0, 2));
      const int64_t prompt = uniform(50, 2000), completion = uniform(10, 500);
      s.name = "ChatCompletion";
      s.otel_kind = 3;
      s.first_token_ns = s.start_ns + (s.end_ns - s.start_ns) / 4;
      s.attrs.push_back(Str("openinference.span.kind", "LLM"));
      s.attrs.push_back(Str("llm.model_name", kModels[m]));
      s.attrs.push_back(Int("llm.token_count.prompt", prompt));
      s.attrs.push_back(Int("llm.token_count.completion", completion));
      s.attrs.push_back(Dbl("llm.cost.total", (prompt + completion) * kUsdPerToken[m]));
    } else {  // TOOL; one in 20 fails.
      s.name = "search_docs";
      s.attrs.push_back(Str("openinference.span.kind", "TOOL"));
      s.attrs.push_back(Str("tool.name", "search_docs"));
      if (uniform(0, 19) == 0) s.error = "search backend timed out";
    }
  }
}

void OtlpLoadBody::AppendProtoSpan(const TraceSpec& t, const SpanSpec& s, std::string* out) const {
  std::string span;
  PutLen(&span, 1, std::string_view(reinterpret_cast<const char*>(t.trace_id), 16));
  PutLen(&span, 2, std::string_view(reinterpret_cast<const char*>(&s.span_id), 8));
  if (s.parent_span_id != 0) {
    PutLen(&span, 4, std::string_view(reinterpret_cast<const char*>(&s.parent_span_id), 8));
  }
  PutLen(&span, 5, s.name);
  PutInt(&span, 6, static_cast<uint64_t>(s.otel_kind));
  PutFixed64(&span, 7, static_cast<uint64_t>(s.start_ns));
  PutFixed64(&span, 8, static_cast<uint64_t>(s.end_ns));
  PutProtoAttrs(&span, 9, s.attrs);
  std::string event, status;
  if (s.first_token_ns != 0) {
    PutFixed64(&event, 1, static_cast<uint64_t>(s.first_token_ns));
    PutLen(&event, 2, "first_token");
    PutLen(&span, 11, event);
  }
  if (!s.error.empty()) {
    event.clear();
    PutFixed64(&event, 1, static_cast<uint64_t>(s.end_ns));
    PutLen(&event, 2, "exception");
    PutProtoAttrs(&event, 3,
                  {Str("exception.type", "TimeoutError"), Str("exception.message", s.error)});
    PutLen(&span, 11, event);
    PutLen(&status, 2, s.error);
    PutInt(&status, 3, 2);  // STATUS_CODE_ERROR
  } else {
    PutInt(&status, 3, 1);  // STATUS_CODE_OK
  }
  PutLen(&span, 15, status);
  PutLen(out, 2, span);  // ScopeSpans.spans
}

void OtlpLoadBody::AppendJsonSpan(const TraceSpec& t, const SpanSpec& s, std::string* out) const {
  if (out->back() != '[') out->push_back(',');
  out->append("{\"traceId\":\"");
  AppendHex(out, t.trace_id, 16);
  out->append("\",\"spanId\":\"");
  AppendHex(out, &s.span_id, 8);
  if (s.parent_span_id != 0) {
    out->append("\",\"parentSpanId\":\"");
    AppendHex(out, &s.parent_span_id, 8);
  }
  out->append("\",\"name\":");
  AppendJsonString(out, s.name);
  out->append(",\"kind\":" + std::to_string(s.otel_kind) + ",\"startTimeUnixNano\":\"" +
              std::to_string(s.start_ns) + "\",\"endTimeUnixNano\":\"" + std::to_string(s.end_ns) +
              "\",");
  AppendJsonAttrs(out, s.attrs);
  out->append(",\"events\":[");
  if (s.first_token_ns != 0) {
    out->append("{\"timeUnixNano\":\"" + std::to_string(s.first_token_ns) +
                "\",\"name\":\"first_token\"}");
  }
  if (!s.error.empty()) {
    if (out->back() != '[') out->push_back(',');
    out->append("{\"timeUnixNano\":\"" + std::to_string(s.end_ns) + "\",\"name\":\"exception\",");
    AppendJsonAttrs(out,
                    {Str("exception.type", "TimeoutError"), Str("exception.message", s.error)});
    out->append("}],\"status\":{\"code\":2,\"message\":");
    AppendJsonString(out, s.error);
    out->append("}}");
  } else {
    out->append("],\"status\":{\"code\":1}}");
  }
}

std::string OtlpLoadBody::ProtoRequest(const std::string& spans) const {
  std::string resource, scope, scope_spans, resource_spans, request;
  PutProtoAttrs(&resource, 1,
                {Str("service.name", "otlp-load"), Str("telemetry.sdk.language", "cpp"),
                 Str("telemetry.sdk.name", "sessionstore-otlp-load")});
  PutLen(&scope, 1, "otlp-load.chat");
  PutLen(&scope, 2, "1.0.0");
  PutLen(&scope_spans, 1, scope);
  scope_spans += spans;
  PutLen(&resource_spans, 1, resource);
  PutLen(&resource_spans, 2, scope_spans);
  PutLen(&request, 1, resource_spans);
  return request;
}

std::string OtlpLoadBody::JsonRequest(const std::string& spans) const {
  std::string out = "{\"resourceSpans\":[{\"resource\":{";
  AppendJsonAttrs(&out, {Str("service.name", "otlp-load"), Str("telemetry.sdk.language", "cpp"),
                         Str("telemetry.sdk.name", "sessionstore-otlp-load")});
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":\"otlp-load.chat\",\"version\":\"1.0.0\"},";
  out += spans;
  out += "]}]}]}";
  return out;
}

int OtlpLoadBody::Next(int64_t now_ns, std::string* body, int* traces) {
  *traces = static_cast<int>(
      std::uniform_int_distribution<int>(shape_.min_traces, shape_.max_traces)(rng_));
  std::string spans = shape_.json ? "\"spans\":[" : "";
  int span_count = 0;
  TraceSpec t;
  for (int i = 0; i < *traces; ++i) {
    DrawTrace(now_ns + i * 1000, &t);
    // Children first, as an SDK's batch holds them (they end before the root).
    for (std::size_t j = t.spans.size(); j-- > 0;) {
      if (shape_.json) {
        AppendJsonSpan(t, t.spans[j], &spans);
      } else {
        AppendProtoSpan(t, t.spans[j], &spans);
      }
    }
    span_count += static_cast<int>(t.spans.size());
  }
  *body = shape_.json ? JsonRequest(spans) : ProtoRequest(spans);
  return span_count;
}

}  // namespace sessionstore::bench
