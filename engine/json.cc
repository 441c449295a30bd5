// Copyright sessionstore authors.
//
// The JSON Lines ingest format (parsed with simdjson's DOM API) and the JSON
// the CLI prints. See README.md, "Ingest format".

#include "sessionstore/json.h"

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <limits>

namespace sessionstore {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument(field + ": " + why);
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

Status WrongType(const std::string& field, const element& e, const char* want) {
  return Bad(field, std::string("expected ") + want + ", got " + TypeName(e.type()));
}

Status GetString(const std::string& field, const element& e, std::string* out) {
  std::string_view v;
  if (e.get_string().get(v) != simdjson::SUCCESS) return WrongType(field, e, "a string");
  out->assign(v);
  return Status::OK();
}

Status GetInt(const std::string& field, const element& e, int64_t* out) {
  int64_t v = 0;
  if (e.get_int64().get(v) == simdjson::SUCCESS) {
    *out = v;
    return Status::OK();
  }
  double d = 0;
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    if (std::nearbyint(d) == d && std::fabs(d) < 9.0e18) {
      *out = static_cast<int64_t>(d);
      return Status::OK();
    }
    return Bad(field, "expected an integer");
  }
  if (e.type() == element_type::UINT64) return Bad(field, "integer out of range");
  return WrongType(field, e, "an integer");
}

Status GetNumber(const std::string& field, const element& e, double* out) {
  if (e.get_double().get(*out) != simdjson::SUCCESS) return WrongType(field, e, "a number");
  if (!std::isfinite(*out)) return Bad(field, "not a finite number");
  return Status::OK();
}

Status GetTimeField(const std::string& field, const element& e, int64_t* out) {
  if (e.type() == element_type::STRING) {
    std::string_view v;
    if (e.get_string().get(v) != simdjson::SUCCESS || !ParseTime(v, out)) {
      return Bad(field, "not an RFC 3339 time: \"" + std::string(v.substr(0, 64)) + "\"");
    }
    return Status::OK();
  }
  if (e.type() == element_type::INT64 || e.type() == element_type::UINT64) {
    return GetInt(field, e, out);
  }
  return WrongType(field, e, "an RFC 3339 string or integer nanoseconds");
}

Status GetStatus(const std::string& field, const element& e, TraceStatus* out) {
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
    return Bad(field, "expected \"ok\" or \"error\", got \"" + v.substr(0, 32) + "\"");
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

Status GetJsonMap(const std::string& field, const element& e,
                  std::map<std::string, std::string>* out) {
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return WrongType(field, e, "an object");
  for (auto [key, value] : obj) (*out)[std::string(key)] = simdjson::minify(value);
  return Status::OK();
}

Status GetCost(const std::string& field, const element& e, int64_t* out) {
  double d = 0;
  Status s = GetNumber(field, e, &d);
  if (!s.ok()) return s;
  if (d < 0) return Bad(field, "negative");
  if (d > 1e9) return Bad(field, "too large");
  *out = UsdToNano(d);
  return Status::OK();
}

Status ParseSpan(const std::string& p, const element& e, Span* span) {
  object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return WrongType(p, e, "an object");
  bool has_id = false;
  for (auto [key, v] : obj) {
    if (v.is_null()) continue;
    const std::string f = p + "." + std::string(key);
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
  if (!has_id) return Bad(p + ".span_id", "required");
  return Status::OK();
}

}  // namespace

Status ParseTraceJson(std::string_view json, Trace* trace) {
  *trace = Trace();
  thread_local simdjson::dom::parser parser;
  element doc;
  const auto err = parser.parse(json.data(), json.size()).get(doc);
  if (err != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
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
    const std::string f(key);
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
      simdjson::dom::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS) {
        s = WrongType(f, v, "an array of strings");
      } else {
        std::size_t i = 0;
        for (element tag : arr) {
          std::string t;
          s = GetString("tags[" + std::to_string(i++) + "]", tag, &t);
          if (!s.ok()) break;
          trace->tags.push_back(std::move(t));
        }
      }
    } else if (key == "spans") {
      simdjson::dom::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS) {
        s = WrongType(f, v, "an array of span objects");
      } else {
        trace->spans.reserve(arr.size());
        std::size_t i = 0;
        for (element span : arr) {
          trace->spans.emplace_back();
          s = ParseSpan("spans[" + std::to_string(i++) + "]", span, &trace->spans.back());
          if (!s.ok()) break;
        }
      }
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
  if (!has_id) return Bad("trace_id", "required");
  if (!has_start) return Bad("start_time", "required");
  return Status::OK();
}

// ---------------------------------------------------------------- output --

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

// Appends `s` as a JSON string. Bytes that are not valid UTF-8 (possible
// through the C++ API) become U+FFFD so the output is always valid JSON.
void AppendString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out->append("\ufffd");
      } else {
        out->append(s.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  ~ObjectWriter() { out_->push_back('}'); }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string* Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    AppendString(out_, key);
    out_->push_back(':');
    return out_;
  }
  void Str(std::string_view key, std::string_view v) { AppendString(Key(key), v); }
  void Int(std::string_view key, int64_t v) { Key(key)->append(std::to_string(v)); }
  void Raw(std::string_view key, std::string_view json) { Key(key)->append(json); }
  void Bool(std::string_view key, bool v) { Key(key)->append(v ? "true" : "false"); }
  void Usd(std::string_view key, int64_t nano) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%.9f", NanoToUsd(nano));
    // Trim trailing zeros: 0.001200000 -> 0.0012.
    std::string s(buf);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    Key(key)->append(s);
  }
  void Payload(std::string_view key, const sessionstore::Payload& p) {
    if (p.is_json) {
      Raw(key, p.value);
    } else {
      Str(key, p.value);
    }
  }
  void Time(std::string_view key, int64_t ns) { Str(key, FormatTime(ns)); }

 private:
  std::string* out_;
  bool first_ = true;
};

std::string_view StatusName(TraceStatus s) {
  switch (s) {
    case TraceStatus::kOk:
      return "ok";
    case TraceStatus::kError:
      return "error";
    case TraceStatus::kUnset:
      break;
  }
  return "unset";
}

void AppendMap(std::string* out, const std::map<std::string, std::string>& m) {
  ObjectWriter w(out);
  for (const auto& [k, v] : m) w.Raw(k, v);
}

}  // namespace

void AppendTraceJson(const Trace& t, std::string* out) {
  ObjectWriter w(out);
  w.Str("trace_id", t.trace_id);
  if (!t.session_id.empty()) w.Str("session_id", t.session_id);
  if (!t.session_name.empty()) w.Str("session_name", t.session_name);
  if (!t.user_id.empty()) w.Str("user_id", t.user_id);
  if (!t.name.empty()) w.Str("name", t.name);
  w.Int("start_time", t.start_ns);
  if (t.end_ns) w.Int("end_time", *t.end_ns);
  if (t.status != TraceStatus::kUnset) w.Str("status", StatusName(t.status));
  if (!t.error.empty()) w.Str("error", t.error);
  if (!t.input.empty()) w.Payload("input", t.input);
  if (!t.output.empty()) w.Payload("output", t.output);
  if (!t.metadata.empty()) AppendMap(w.Key("metadata"), t.metadata);
  if (!t.tags.empty()) {
    std::string* o = w.Key("tags");
    o->push_back('[');
    for (std::size_t i = 0; i < t.tags.size(); ++i) {
      if (i > 0) o->push_back(',');
      AppendString(o, t.tags[i]);
    }
    o->push_back(']');
  }
  if (!t.model.empty()) w.Str("model", t.model);
  if (t.prompt_tokens != 0) w.Int("prompt_tokens", t.prompt_tokens);
  if (t.completion_tokens != 0) w.Int("completion_tokens", t.completion_tokens);
  if (t.cost_nano_usd != 0) w.Usd("cost_usd", t.cost_nano_usd);
  if (!t.spans.empty()) {
    std::string* o = w.Key("spans");
    o->push_back('[');
    for (std::size_t i = 0; i < t.spans.size(); ++i) {
      if (i > 0) o->push_back(',');
      const Span& s = t.spans[i];
      ObjectWriter sw(o);
      sw.Str("span_id", s.span_id);
      if (!s.parent_span_id.empty()) sw.Str("parent_span_id", s.parent_span_id);
      if (!s.name.empty()) sw.Str("name", s.name);
      sw.Str("kind", SpanKindName(s.kind));
      if (s.start_ns) sw.Int("start_time", *s.start_ns);
      if (s.end_ns) sw.Int("end_time", *s.end_ns);
      if (s.status != TraceStatus::kUnset) sw.Str("status", StatusName(s.status));
      if (!s.error.empty()) sw.Str("error", s.error);
      if (!s.model.empty()) sw.Str("model", s.model);
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

void AppendSessionJson(const SessionSummary& s, std::string* out) {
  ObjectWriter w(out);
  w.Str("session_id", s.session_id);
  w.Str("session_name", s.session_name);
  w.Str("user_id", s.user_id);
  w.Int("trace_count", s.trace_count);
  w.Int("error_count", s.error_count);
  w.Int("span_count", s.span_count);
  w.Int("prompt_tokens", s.prompt_tokens);
  w.Int("completion_tokens", s.completion_tokens);
  w.Int("total_tokens", s.total_tokens);
  w.Usd("cost_usd", s.cost_nano_usd);
  w.Time("first_trace_at", s.first_trace_at_ns);
  w.Time("last_trace_at", s.last_trace_at_ns);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(s.duration_ns) / 1e6);
  w.Raw("duration_ms", buf);
  {
    ObjectWriter models(w.Key("models"));
    for (const auto& [name, m] : s.models) {
      ObjectWriter mw(models.Key(name));
      mw.Int("calls", m.calls);
      mw.Int("prompt_tokens", m.prompt_tokens);
      mw.Int("completion_tokens", m.completion_tokens);
      mw.Usd("cost_usd", m.cost_nano_usd);
    }
  }
  {
    ObjectWriter tags(w.Key("tags"));
    for (const auto& [tag, n] : s.tags) tags.Int(tag, n);
  }
  if (s.ttft_count > 0) {
    std::snprintf(buf, sizeof(buf), "%.6f", s.ttft_avg_ns() / 1e6);
    w.Raw("ttft_ms_avg", buf);
  } else {
    w.Raw("ttft_ms_avg", "null");
  }
  // Previews may be cut JSON, so they are always strings.
  w.Str("first_input", s.first_input.value);
  w.Str("last_output", s.last_output.value);
}

void AppendTimelineEntryJson(const Trace& t, std::string* out) {
  const TraceUsage u = ComputeTraceUsage(t);
  ObjectWriter w(out);
  w.Str("trace_id", t.trace_id);
  w.Str("name", t.name);
  w.Time("start_time", t.start_ns);
  if (t.end_ns) {
    w.Time("end_time", *t.end_ns);
  } else {
    w.Raw("end_time", "null");
  }
  w.Str("status", u.has_error ? "error" : StatusName(t.status));
  w.Int("span_count", static_cast<int64_t>(t.spans.size()));
  w.Int("prompt_tokens", u.prompt_tokens);
  w.Int("completion_tokens", u.completion_tokens);
  w.Int("total_tokens", u.total_tokens);
  w.Usd("cost_usd", u.cost_nano_usd);
  if (t.input.empty()) {
    w.Raw("input", "null");
  } else {
    w.Payload("input", t.input);
  }
  if (t.output.empty()) {
    w.Raw("output", "null");
  } else {
    w.Payload("output", t.output);
  }
}

// ------------------------------------------------------------------ time --

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era/day-of-era
// civil calendar conversion).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseTime(std::string_view s, int64_t* ns) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 9; ++i) frac *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return false;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;  // RFC 3339 requires an offset.
  }
  if (pos != s.size()) return false;
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // int64 nanoseconds cover the years 1677 to 2262.
  constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / 1'000'000'000 - 1;
  if (secs > kMaxSecs || secs < -kMaxSecs) return false;
  *ns = secs * 1'000'000'000 + frac;
  return true;
}

std::string FormatTime(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  if (frac == 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60),
                  static_cast<long long>(frac));
  }
  return buf;
}

}  // namespace sessionstore
