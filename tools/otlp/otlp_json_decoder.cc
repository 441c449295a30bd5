// Copyright sessionstore authors.
//
// OTLP/JSON with simdjson's DOM API. The shape read:
//
//   {"resourceSpans":[{"resource":{"attributes":[KeyValue...]},
//     "scopeSpans":[{"spans":[{"traceId":"<32 hex>","spanId":"<16 hex>",
//       "parentSpanId":"<16 hex>","name":"...","startTimeUnixNano":"<ns>",
//       "endTimeUnixNano":"<ns>","attributes":[...],
//       "events":[{"timeUnixNano":"<ns>","name":"...","attributes":[...]}],
//       "status":{"code":2,"message":"..."}}]}]}]}
//   KeyValue: {"key":"...","value":AnyValue}
//   AnyValue: {"stringValue":"..."} | {"boolValue":true} | {"intValue":"12"}
//           | {"doubleValue":1.5} | {"bytesValue":"<base64>"}
//           | {"arrayValue":{"values":[AnyValue...]}}
//           | {"kvlistValue":{"values":[KeyValue...]}} | {}

#include "tools/otlp/otlp_json_decoder.h"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "sessionstore/json_writer.h"

namespace sessionstore {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Finds member `camel` (or its snake_case spelling) of `obj`; null counts as
// absent.
bool Member(const object& obj, std::string_view camel, std::string_view snake, element* out) {
  for (auto [key, value] : obj) {
    if ((key == camel || key == snake) && !value.is_null()) {
      *out = value;
      return true;
    }
  }
  return false;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// An empty JSON array to iterate when a member is absent.
const array& Empty() {
  static const array empty = [] {
    static simdjson::dom::parser parser;
    array a;
    const auto err = parser.parse(simdjson::padded_string(std::string_view("[]"))).get(a);
    if (err != simdjson::SUCCESS) std::abort();  // Cannot happen: "[]" is valid JSON.
    return a;
  }();
  return empty;
}

bool DecodeBase64(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else
      return false;
    if (pad > 0) return false;  // Data after padding.
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return pad <= 2;
}

class JsonDecoder {
 public:
  Status status() const { return error_.empty() ? Status::OK() : Status::InvalidArgument(error_); }

  bool Request(const element& doc, OtlpRequest* out) {
    object obj;
    if (!Object(doc, "request", &obj)) return false;
    std::optional<array> rs;
    if (!ArrayMember(obj, "resourceSpans", "resource_spans", "", &rs)) return false;
    std::size_t i = 0;
    for (element e : rs ? *rs : Empty()) {
      out->resource_spans.emplace_back();
      if (!ResourceSpans(e, Index("resourceSpans", i++), &out->resource_spans.back())) {
        return false;
      }
    }
    return true;
  }

 private:
  static std::string Index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }
  static std::string Dot(const std::string& path, std::string_view name) {
    return path.empty() ? std::string(name) : path + "." + std::string(name);
  }

  bool Fail(const std::string& path, const std::string& why) {
    if (error_.empty()) error_ = (path.empty() ? "request" : path) + ": " + why;
    return false;
  }

  bool Spend(const std::string& path) {
    if (++items_ <= kOtlpMaxItems) return true;
    return Fail(path, "more than " + std::to_string(kOtlpMaxItems) + " items in the request");
  }

  bool Object(const element& e, const std::string& path, object* out) {
    if (e.get_object().get(*out) == simdjson::SUCCESS) return true;
    return Fail(path, "expected an object");
  }

  // An optional array member: *out holds it, or is empty when absent (a
  // default-constructed simdjson array must not be iterated).
  bool ArrayMember(const object& obj, std::string_view camel, std::string_view snake,
                   const std::string& path, std::optional<array>* out) {
    out->reset();
    element e;
    if (!Member(obj, camel, snake, &e)) return true;
    array a;
    if (e.get_array().get(a) != simdjson::SUCCESS) {
      return Fail(Dot(path, camel), "expected an array");
    }
    *out = a;
    return true;
  }

  bool String(const object& obj, std::string_view camel, std::string_view snake,
              const std::string& path, std::string* out) {
    element e;
    if (!Member(obj, camel, snake, &e)) return true;
    std::string_view v;
    if (e.get_string().get(v) != simdjson::SUCCESS)
      return Fail(Dot(path, camel), "expected a string");
    out->assign(v);
    return true;
  }

  bool Id(const object& obj, std::string_view camel, std::string_view snake,
          const std::string& path, std::string* out) {
    std::string hex;
    if (!String(obj, camel, snake, path, &hex)) return false;
    if (DecodeHex(hex, out)) return true;
    return Fail(Dot(path, camel), "not a hex string");
  }

  // An unsigned 64-bit integer as a decimal string or a number.
  bool Uint64(const object& obj, std::string_view camel, std::string_view snake,
              const std::string& path, uint64_t* out) {
    element e;
    if (!Member(obj, camel, snake, &e)) return true;
    if (e.get_uint64().get(*out) == simdjson::SUCCESS) return true;
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty() && s.size() <= 20) {
      uint64_t v = 0;
      bool ok = true;
      for (const char c : s) {
        if (c < '0' || c > '9' || v > (std::numeric_limits<uint64_t>::max() - (c - '0')) / 10) {
          ok = false;
          break;
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (ok) {
        *out = v;
        return true;
      }
    }
    return Fail(Dot(path, camel), "expected an unsigned 64-bit integer (number or string)");
  }

  bool Attributes(const object& obj, std::string_view camel, const std::string& path,
                  std::vector<OtlpKeyValue>* out, int depth);
  bool KeyValue(const element& e, const std::string& path, OtlpKeyValue* out, int depth);
  bool Value(const element& e, const std::string& path, OtlpValue* out, int depth);
  bool ScalarValue(std::string_view key, const element& v, const std::string& path, OtlpValue* out);
  bool ResourceSpans(const element& e, const std::string& path, OtlpResourceSpans* out);
  bool Span(const element& e, const std::string& path, OtlpSpan* out);
  bool Event(const element& e, const std::string& path, OtlpEvent* out);
  bool SpanStatus(const object& span, const std::string& path, OtlpSpan* out);

  std::size_t items_ = 0;
  std::string error_;
};

bool JsonDecoder::ResourceSpans(const element& e, const std::string& path, OtlpResourceSpans* out) {
  object obj;
  if (!Object(e, path, &obj)) return false;
  element resource;
  if (Member(obj, "resource", "resource", &resource)) {
    object robj;
    const std::string rpath = Dot(path, "resource");
    if (!Object(resource, rpath, &robj) ||
        !Attributes(robj, "attributes", rpath, &out->resource_attributes, 0)) {
      return false;
    }
  }
  std::optional<array> scopes;
  if (!ArrayMember(obj, "scopeSpans", "scope_spans", path, &scopes)) return false;
  std::size_t i = 0;
  for (element scope : scopes ? *scopes : Empty()) {
    const std::string spath = Index(Dot(path, "scopeSpans"), i++);
    object sobj;
    std::optional<array> spans;
    if (!Object(scope, spath, &sobj) || !ArrayMember(sobj, "spans", "spans", spath, &spans)) {
      return false;
    }
    std::size_t j = 0;
    for (element span : spans ? *spans : Empty()) {
      const std::string p = Index(Dot(spath, "spans"), j++);
      if (!Spend(p)) return false;
      out->spans.emplace_back();
      if (!Span(span, p, &out->spans.back())) return false;
    }
  }
  return true;
}

bool JsonDecoder::Span(const element& e, const std::string& path, OtlpSpan* out) {
  object obj;
  if (!Object(e, path, &obj)) return false;
  if (!Id(obj, "traceId", "trace_id", path, &out->trace_id) ||
      !Id(obj, "spanId", "span_id", path, &out->span_id) ||
      !Id(obj, "parentSpanId", "parent_span_id", path, &out->parent_span_id) ||
      !String(obj, "name", "name", path, &out->name) ||
      !Uint64(obj, "startTimeUnixNano", "start_time_unix_nano", path, &out->start_time_unix_nano) ||
      !Uint64(obj, "endTimeUnixNano", "end_time_unix_nano", path, &out->end_time_unix_nano) ||
      !Attributes(obj, "attributes", path, &out->attributes, 0) || !SpanStatus(obj, path, out)) {
    return false;
  }
  std::optional<array> events;
  if (!ArrayMember(obj, "events", "events", path, &events)) return false;
  std::size_t i = 0;
  for (element ev : events ? *events : Empty()) {
    const std::string p = Index(Dot(path, "events"), i++);
    if (!Spend(p)) return false;
    out->events.emplace_back();
    if (!Event(ev, p, &out->events.back())) return false;
  }
  return true;
}

bool JsonDecoder::Event(const element& e, const std::string& path, OtlpEvent* out) {
  object obj;
  return Object(e, path, &obj) &&
         Uint64(obj, "timeUnixNano", "time_unix_nano", path, &out->time_unix_nano) &&
         String(obj, "name", "name", path, &out->name) &&
         Attributes(obj, "attributes", path, &out->attributes, 0);
}

bool JsonDecoder::SpanStatus(const object& span, const std::string& path, OtlpSpan* out) {
  element e;
  if (!Member(span, "status", "status", &e)) return true;
  const std::string spath = Dot(path, "status");
  object obj;
  if (!Object(e, spath, &obj) || !String(obj, "message", "message", spath, &out->status_message)) {
    return false;
  }
  element code;
  if (!Member(obj, "code", "code", &code)) return true;
  int64_t n = 0;
  std::string_view name;
  if (code.get_int64().get(n) == simdjson::SUCCESS) {
    out->status_code = n >= 0 && n <= 2 ? static_cast<OtlpStatusCode>(n) : OtlpStatusCode::kUnset;
  } else if (code.get_string().get(name) == simdjson::SUCCESS) {
    out->status_code = name == "STATUS_CODE_ERROR" ? OtlpStatusCode::kError
                       : name == "STATUS_CODE_OK"  ? OtlpStatusCode::kOk
                                                   : OtlpStatusCode::kUnset;
  } else {
    return Fail(Dot(spath, "code"), "expected an integer");
  }
  return true;
}

bool JsonDecoder::Attributes(const object& obj, std::string_view camel, const std::string& path,
                             std::vector<OtlpKeyValue>* out, int depth) {
  std::optional<array> attrs;
  if (!ArrayMember(obj, camel, camel, path, &attrs)) return false;
  std::size_t i = 0;
  for (element kv : attrs ? *attrs : Empty()) {
    const std::string p = Index(Dot(path, camel), i++);
    if (out->size() >= kOtlpMaxAttributes) {
      return Fail(p, "more than " + std::to_string(kOtlpMaxAttributes) + " attributes");
    }
    if (!Spend(p)) return false;
    out->emplace_back();
    if (!KeyValue(kv, p, &out->back(), depth)) return false;
  }
  return true;
}

bool JsonDecoder::KeyValue(const element& e, const std::string& path, OtlpKeyValue* out,
                           int depth) {
  object obj;
  if (!Object(e, path, &obj) || !String(obj, "key", "key", path, &out->key)) return false;
  element v;
  if (!Member(obj, "value", "value", &v)) return true;  // An empty value.
  return Value(v, Dot(path, "value"), &out->value, depth);
}

bool JsonDecoder::Value(const element& e, const std::string& path, OtlpValue* out, int depth) {
  object obj;
  if (!Object(e, path, &obj)) return false;
  for (auto [key, v] : obj) {
    if (v.is_null()) continue;
    const bool is_array = key == "arrayValue" || key == "array_value";
    if (!is_array && key != "kvlistValue" && key != "kvlist_value") {
      if (!ScalarValue(key, v, path, out)) return false;
      continue;
    }
    const std::string p = Dot(path, key);
    if (depth + 1 > kOtlpMaxValueDepth) {
      return Fail(p, "values nested deeper than " + std::to_string(kOtlpMaxValueDepth));
    }
    object list;
    std::optional<array> values;
    if (!Object(v, p, &list) || !ArrayMember(list, "values", "values", p, &values)) return false;
    *out = OtlpValue();
    out->type = is_array ? OtlpValue::Type::kArray : OtlpValue::Type::kKvList;
    std::size_t i = 0;
    for (element item : values ? *values : Empty()) {
      const std::string ip = Index(Dot(p, "values"), i++);
      if (!Spend(ip)) return false;
      if (is_array) {
        out->array.emplace_back();
        if (!Value(item, ip, &out->array.back(), depth + 1)) return false;
      } else {
        out->kvlist.emplace_back();
        if (!KeyValue(item, ip, &out->kvlist.back(), depth + 1)) return false;
      }
    }
  }
  return true;
}

bool JsonDecoder::ScalarValue(std::string_view key, const element& v, const std::string& path,
                              OtlpValue* out) {
  using Type = OtlpValue::Type;
  const std::string p = Dot(path, key);
  std::string_view s;
  if (key == "stringValue" || key == "string_value") {
    if (v.get_string().get(s) != simdjson::SUCCESS) return Fail(p, "expected a string");
    *out = OtlpValue();
    out->type = Type::kString;
    out->str.assign(s);
  } else if (key == "boolValue" || key == "bool_value") {
    *out = OtlpValue();
    out->type = Type::kBool;
    if (v.get_bool().get(out->b) != simdjson::SUCCESS) return Fail(p, "expected a boolean");
  } else if (key == "intValue" || key == "int_value") {
    *out = OtlpValue();
    out->type = Type::kInt;
    if (v.get_int64().get(out->i) == simdjson::SUCCESS) return true;
    std::size_t used = 0;
    if (v.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > 20 ||
        s.find_first_not_of("-0123456789") != std::string_view::npos) {
      return Fail(p, "expected a 64-bit integer (number or string)");
    }
    try {
      out->i = std::stoll(std::string(s), &used);
    } catch (...) {
      used = 0;
    }
    if (used != s.size()) return Fail(p, "expected a 64-bit integer (number or string)");
  } else if (key == "doubleValue" || key == "double_value") {
    *out = OtlpValue();
    out->type = Type::kDouble;
    if (v.get_double().get(out->d) == simdjson::SUCCESS) return true;
    if (v.get_string().get(s) != simdjson::SUCCESS) return Fail(p, "expected a number");
    if (s == "NaN")
      out->d = std::nan("");
    else if (s == "Infinity")
      out->d = std::numeric_limits<double>::infinity();
    else if (s == "-Infinity")
      out->d = -std::numeric_limits<double>::infinity();
    else
      return Fail(p, "expected a number");
  } else if (key == "bytesValue" || key == "bytes_value") {
    *out = OtlpValue();
    out->type = Type::kBytes;
    if (v.get_string().get(s) != simdjson::SUCCESS || !DecodeBase64(s, &out->str)) {
      return Fail(p, "expected a base64 string");
    }
  }
  return true;  // Unknown members are ignored.
}

}  // namespace

Status DecodeOtlpJson(std::string_view body, OtlpRequest* request) {
  *request = OtlpRequest();
  // A parser keeps the memory of the largest document it parsed: a large body
  // gets a parser of its own, so server threads do not each hold one.
  thread_local simdjson::dom::parser small_parser;
  simdjson::dom::parser large_parser;
  simdjson::dom::parser& parser = body.size() <= (1u << 20) ? small_parser : large_parser;
  element doc;
  const auto err = parser.parse(body.data(), body.size()).get(doc);
  if (err != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  JsonDecoder decoder;
  decoder.Request(doc, request);
  return decoder.status();
}

std::string EncodeOtlpJsonResponse(int64_t rejected_spans, std::string_view error_message) {
  std::string out;
  {
    JsonObjectWriter w(&out);
    if (rejected_spans != 0 || !error_message.empty()) {
      JsonObjectWriter partial(w.Key("partialSuccess"));
      partial.String("rejectedSpans", std::to_string(rejected_spans));
      partial.String("errorMessage", error_message);
    }
  }
  return out;
}

}  // namespace sessionstore
