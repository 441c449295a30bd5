// Copyright sessionstore authors.
//
// The JSON Lines ingest format: parsed with simdjson's DOM API, printed with
// JsonObjectWriter. See README.md, "Ingest format".

#include "sessionstore/json.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sessionstore/json_writer.h"
#include "sessionstore/time_format.h"

namespace sessionstore {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// The name of a field in messages ("cost_usd", "tags[2]", "spans[0].model"),
// built only when a message needs it: ingest parses every field of every
// line, and a message is rare.
struct Field {
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);
  explicit Field(std::string_view b, std::size_t i = kNoIndex, std::string_view k = {})
      : base(b), index(i), key(k) {}

  std::string_view base;
  std::size_t index;
  std::string_view key;

  std::string Name() const {
    std::string name(base);
    if (index != kNoIndex) name += "[" + std::to_string(index) + "]";
    if (!key.empty()) {
      name += '.';
      name += key;
    }
    return name;
  }
};

Status Bad(const Field& field, const std::string& why) {
  return Status::InvalidArgument(field.Name() + ": " + why);
}

const char* TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "value";
}

Status WrongType(const Field& field, const element& e, const char* want) {
  return Bad(field, std::string("expected ") + want + ", got " + TypeName(e.type()));
}

Status GetString(const Field& field, const element& e, std::string* out) {
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return WrongType(field, e, "a string");
  out->assign(v);
  return Status::OK();
}

Status GetInt(const Field& field, const element& e, int64_t* out) {
  int64_t v = 0;
  if (e.get_int64().get(v) == simdjson::SUCCESS) {
    *out = v;
    return Status::OK();
  }
  // Integers past int64 are clamped to its range: every integer field is
  // validated against a much smaller limit, whose message names it.
  if (e.type() == element_type::UINT64) {
    *out = std::numeric_limits<int64_t>::max();
    return Status::OK();
  }
  double d = 0;
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    if (std::nearbyint(d) != d) return Bad(field, "expected an integer");
    if (std::fabs(d) < 9.0e18) {
      *out = static_cast<int64_t>(d);
    } else {
      *out = d > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    }
    return Status::OK();
  }
  return WrongType(field, e, "an integer");
}

Status GetNumber(const Field& field, const element& e, double* out) {
  if (e.get_double().get(*out) != simdjson::SUCCESS) return WrongType(field, e, "a number");
  if (!std::isfinite(*out)) return Bad(field, "not a finite number");
  return Status::OK();
}

Status GetTimeField(const Field& field, const element& e, int64_t* out) {
  if (e.type() == element_type::STRING) {
    std::string_view v;
    if (e.get_string().get(v) != simdjson::SUCCESS) return WrongType(field, e, "a string");
    if (ParseTime(v, out)) return Status::OK();
    // A valid time whose year is past what nanoseconds since 1970 can hold
    // gets the range message, as years before 1970 do.
    std::string in_range(v);
    int64_t ignored = 0;
    const bool year_digits = in_range.size() > 4 && in_range[4] == '-' &&
                             std::all_of(in_range.begin(), in_range.begin() + 4,
                                         [](char c) { return c >= '0' && c <= '9'; });
    if (year_digits && in_range.compare(0, 4, "2262") >= 0 &&
        ParseTime(in_range.replace(0, 4, "2000"), &ignored)) {
      return Bad(field,
                 "outside 1970-01-01 to 2262-04-11: \"" + std::string(v.substr(0, 64)) + "\"");
    }
    return Bad(field, "not an RFC 3339 time: \"" + std::string(v.substr(0, 64)) + "\"");
  }
  if (e.type() == element_type::INT64 || e.type() == element_type::UINT64) {
    return GetInt(field, e, out);
  }
  if (e.type() == element_type::DOUBLE) {
    return Bad(field,
               "expected an RFC 3339 string or integer nanoseconds, got a number with a fraction "
               "or exponent");
  }
  return WrongType(field, e, "an RFC 3339 string or integer nanoseconds");
}

// Accepts "ok", "error" and "unset" (any case); "unset" means not said.
Status GetStatus(const Field& field, const element& e, TraceStatus* out) {
  std::string v;
  Status s = GetString(field, e, &v);
  if (!s.ok()) return s;
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "ok") {
    *out = TraceStatus::kOk;
  } else if (v == "error") {
    *out = TraceStatus::kError;
  } else if (v == "unset") {
    *out = TraceStatus::kUnset;
  } else {
    return Bad(field, "expected \"ok\", \"error\" or \"unset\", got \"" + v.substr(0, 32) + "\"");
  }
  return Status::OK();
}

void GetPayload(const element& e, Payload* out) {
  std::string_view v;
  if (e.get_string().get(v) == simdjson::SUCCESS) {
    *out = Payload{std::string(v), false};
  } else {
    *out = Payload{simdjson::minify(e), true};
  }
}

Status GetJsonMap(const Field& field, const element& e, std::map<std::string, std::string>* out) {
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return WrongType(field, e, "an object");
  for (auto [key, value] : obj) (*out)[std::string(key)] = simdjson::minify(value);
  return Status::OK();
}

Status GetCost(const Field& field, const element& e, int64_t* out) {
  double d = 0;
  Status s = GetNumber(field, e, &d);
  if (!s.ok()) return s;
  if (d < 0) return Bad(field, "negative");
  // Past 1e9, nano-USD would overflow; ValidateTrace's limit is far below.
  if (d > 1e9) return Bad(field, "larger than 1099.5 USD");
  *out = UsdToNano(d);
  return Status::OK();
}

Status ParseSpan(std::size_t index, const element& e, Span* span) {
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    return WrongType(Field{"spans", index}, e, "an object");
  }
  bool has_id = false;
  for (auto [key, v] : obj) {
    if (v.is_null()) continue;
    const Field f{"spans", index, key};
    Status s;
    if (key == "span_id") {
      s = GetString(f, v, &span->span_id);
      has_id = true;
    } else if (key == "parent_span_id") {
      s = GetString(f, v, &span->parent_span_id);
    } else if (key == "name") {
      s = GetString(f, v, &span->name);
    } else if (key == "kind") {
      std::string kind;
      s = GetString(f, v, &kind);
      if (s.ok() && !ParseSpanKind(kind, &span->kind)) {
        s = Bad(f, "unknown span kind \"" + kind.substr(0, 32) +
                       "\" (llm, chain, tool, agent, retriever, embedding, reranker, guardrail, "
                       "other)");
      }
    } else if (key == "start_time") {
      int64_t t = 0;
      s = GetTimeField(f, v, &t);
      span->start_ns = t;
    } else if (key == "end_time") {
      int64_t t = 0;
      s = GetTimeField(f, v, &t);
      span->end_ns = t;
    } else if (key == "status") {
      s = GetStatus(f, v, &span->status);
    } else if (key == "error") {
      s = GetString(f, v, &span->error);
    } else if (key == "model") {
      s = GetString(f, v, &span->model);
    } else if (key == "prompt_tokens") {
      s = GetInt(f, v, &span->prompt_tokens);
    } else if (key == "completion_tokens") {
      s = GetInt(f, v, &span->completion_tokens);
    } else if (key == "cost_usd") {
      s = GetCost(f, v, &span->cost_nano_usd);
    } else if (key == "time_to_first_token_ms") {
      double ms = 0;
      s = GetNumber(f, v, &ms);
      if (s.ok() && (ms < 0 || ms > 3.6e6)) s = Bad(f, "outside 0 to 3600000 (one hour)");
      if (s.ok()) span->ttft_ns = static_cast<int64_t>(std::llround(ms * 1e6));
    } else if (key == "input") {
      GetPayload(v, &span->input);
    } else if (key == "output") {
      GetPayload(v, &span->output);
    } else if (key == "attributes") {
      s = GetJsonMap(f, v, &span->attributes);
    }
    if (!s.ok()) return s;
  }
  if (!has_id) return Bad(Field{"spans", index, "span_id"}, "required");
  return Status::OK();
}

// Appends the strings of the array `e` to *tags, stopping at the first
// element that is not a string.
Status GetTags(const Field& field, const element& e, std::vector<std::string>* tags) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) != simdjson::SUCCESS) {
    return WrongType(field, e, "an array of strings");
  }
  Status s;
  std::size_t i = 0;
  for (element tag : arr) {
    std::string t;
    s = GetString(Field{"tags", i++}, tag, &t);
    if (!s.ok()) break;
    tags->push_back(std::move(t));
  }
  return s;
}

// Appends the spans of the array `e` to *spans, stopping at the first bad one
// (which stays appended, partly parsed).
Status GetSpans(const Field& field, const element& e, std::vector<Span>* spans) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) != simdjson::SUCCESS) {
    return WrongType(field, e, "an array of span objects");
  }
  spans->reserve(arr.size());
  Status s;
  std::size_t i = 0;
  for (element span : arr) {
    spans->emplace_back();
    s = ParseSpan(i++, span, &spans->back());
    if (!s.ok()) break;
  }
  return s;
}

}  // namespace

Status ParseTraceJson(std::string_view json, Trace* trace) {
  *trace = Trace();
  if (json.substr(0, 3) == "\xEF\xBB\xBF") {
    return Status::InvalidArgument(
        "not valid JSON: starts with a UTF-8 byte order mark (ingest ignores one only at the "
        "start of a file)");
  }
  thread_local simdjson::dom::parser parser;
  element doc;
  const auto err = parser.parse(json.data(), json.size()).get(doc);
  if (err != simdjson::SUCCESS) {
    std::string why = std::string("not valid JSON: ") + simdjson::error_message(err);
    if (err == simdjson::NUMBER_ERROR) {
      why += " (malformed, or out of range: integers up to 2^64-1, others up to about 1.8e308)";
    }
    return Status::InvalidArgument(why);
  }
  object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("expected a JSON object, got ") +
                                   TypeName(doc.type()));
  }
  bool has_id = false;
  bool has_start = false;
  for (auto [key, v] : obj) {
    if (v.is_null()) continue;
    const Field f{key};
    Status s;
    if (key == "trace_id") {
      s = GetString(f, v, &trace->trace_id);
      has_id = true;
    } else if (key == "session_id") {
      s = GetString(f, v, &trace->session_id);
    } else if (key == "session_name") {
      s = GetString(f, v, &trace->session_name);
    } else if (key == "user_id") {
      s = GetString(f, v, &trace->user_id);
    } else if (key == "name") {
      s = GetString(f, v, &trace->name);
    } else if (key == "start_time") {
      s = GetTimeField(f, v, &trace->start_ns);
      has_start = true;
    } else if (key == "end_time") {
      int64_t t = 0;
      s = GetTimeField(f, v, &t);
      trace->end_ns = t;
    } else if (key == "status") {
      s = GetStatus(f, v, &trace->status);
    } else if (key == "error") {
      s = GetString(f, v, &trace->error);
    } else if (key == "input") {
      GetPayload(v, &trace->input);
    } else if (key == "output") {
      GetPayload(v, &trace->output);
    } else if (key == "metadata") {
      s = GetJsonMap(f, v, &trace->metadata);
    } else if (key == "tags") {
      s = GetTags(f, v, &trace->tags);
    } else if (key == "spans") {
      s = GetSpans(f, v, &trace->spans);
    } else if (key == "model") {
      s = GetString(f, v, &trace->model);
    } else if (key == "prompt_tokens") {
      s = GetInt(f, v, &trace->prompt_tokens);
    } else if (key == "completion_tokens") {
      s = GetInt(f, v, &trace->completion_tokens);
    } else if (key == "cost_usd") {
      s = GetCost(f, v, &trace->cost_nano_usd);
    }
    if (!s.ok()) return s;
  }
  if (!has_id) return Bad(Field{"trace_id"}, "required");
  if (!has_start) return Bad(Field{"start_time"}, "required");
  return Status::OK();
}

// ---------------------------------------------------------------- output --

namespace {

void AppendMap(std::string* out, const std::map<std::string, std::string>& m) {
  JsonObjectWriter w(out);
  for (const auto& [k, v] : m) w.Raw(k, v);
}

}  // namespace

void AppendTraceJson(const Trace& t, std::string* out) {
  JsonObjectWriter w(out);
  w.String("trace_id", t.trace_id);
  if (!t.session_id.empty()) w.String("session_id", t.session_id);
  if (!t.session_name.empty()) w.String("session_name", t.session_name);
  if (!t.user_id.empty()) w.String("user_id", t.user_id);
  if (!t.name.empty()) w.String("name", t.name);
  w.Int("start_time", t.start_ns);
  if (t.end_ns) w.Int("end_time", *t.end_ns);
  if (t.status != TraceStatus::kUnset) w.String("status", TraceStatusName(t.status));
  if (!t.error.empty()) w.String("error", t.error);
  if (!t.input.empty()) w.Payload("input", t.input);
  if (!t.output.empty()) w.Payload("output", t.output);
  if (!t.metadata.empty()) AppendMap(w.Key("metadata"), t.metadata);
  if (!t.tags.empty()) {
    std::string* o = w.Key("tags");
    o->push_back('[');
    for (std::size_t i = 0; i < t.tags.size(); ++i) {
      if (i > 0) o->push_back(',');
      AppendJsonString(o, t.tags[i]);
    }
    o->push_back(']');
  }
  if (!t.model.empty()) w.String("model", t.model);
  if (t.prompt_tokens != 0) w.Int("prompt_tokens", t.prompt_tokens);
  if (t.completion_tokens != 0) w.Int("completion_tokens", t.completion_tokens);
  if (t.cost_nano_usd != 0) w.Usd("cost_usd", t.cost_nano_usd);
  if (!t.spans.empty()) {
    std::string* o = w.Key("spans");
    o->push_back('[');
    for (std::size_t i = 0; i < t.spans.size(); ++i) {
      if (i > 0) o->push_back(',');
      const Span& s = t.spans[i];
      JsonObjectWriter sw(o);
      sw.String("span_id", s.span_id);
      if (!s.parent_span_id.empty()) sw.String("parent_span_id", s.parent_span_id);
      if (!s.name.empty()) sw.String("name", s.name);
      sw.String("kind", SpanKindName(s.kind));
      if (s.start_ns) sw.Int("start_time", *s.start_ns);
      if (s.end_ns) sw.Int("end_time", *s.end_ns);
      if (s.status != TraceStatus::kUnset) sw.String("status", TraceStatusName(s.status));
      if (!s.error.empty()) sw.String("error", s.error);
      if (!s.model.empty()) sw.String("model", s.model);
      if (s.prompt_tokens != 0) sw.Int("prompt_tokens", s.prompt_tokens);
      if (s.completion_tokens != 0) sw.Int("completion_tokens", s.completion_tokens);
      if (s.cost_nano_usd != 0) sw.Usd("cost_usd", s.cost_nano_usd);
      if (s.ttft_ns) {
        char buf[48];
        std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(*s.ttft_ns) / 1e6);
        sw.Raw("time_to_first_token_ms", buf);
      }
      if (!s.input.empty()) sw.Payload("input", s.input);
      if (!s.output.empty()) sw.Payload("output", s.output);
      if (!s.attributes.empty()) AppendMap(sw.Key("attributes"), s.attributes);
    }
    o->push_back(']');
  }
}

}  // namespace sessionstore
