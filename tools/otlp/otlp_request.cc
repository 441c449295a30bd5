// Copyright sessionstore authors.

#include "tools/otlp/otlp_request.h"

#include <cmath>
#include <cstdio>

#include "sessionstore/json_writer.h"

namespace sessionstore {

namespace {

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out->push_back('"');
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out->push_back(kAlphabet[(v >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out->push_back(kAlphabet[(v >> 18) & 63]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out->push_back('=');
  }
  out->push_back('"');
}

void AppendDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    *out += "\"NaN\"";
  } else if (std::isinf(d)) {
    *out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    *out += buf;
  }
}

}  // namespace

std::size_t OtlpRequest::SpanCount() const {
  std::size_t n = 0;
  for (const OtlpResourceSpans& rs : resource_spans) n += rs.spans.size();
  return n;
}

const OtlpValue* FindAttribute(const std::vector<OtlpKeyValue>& attributes, std::string_view key) {
  for (const OtlpKeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

void AppendOtlpValueJson(const OtlpValue& value, std::string* out) {
  switch (value.type) {
    case OtlpValue::Type::kEmpty:
      *out += "null";
      return;
    case OtlpValue::Type::kString:
      AppendJsonString(out, value.str);
      return;
    case OtlpValue::Type::kBool:
      *out += value.b ? "true" : "false";
      return;
    case OtlpValue::Type::kInt:
      *out += std::to_string(value.i);
      return;
    case OtlpValue::Type::kDouble:
      AppendDouble(value.d, out);
      return;
    case OtlpValue::Type::kBytes:
      AppendBase64(value.str, out);
      return;
    case OtlpValue::Type::kArray:
      out->push_back('[');
      for (std::size_t i = 0; i < value.array.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendOtlpValueJson(value.array[i], out);
      }
      out->push_back(']');
      return;
    case OtlpValue::Type::kKvList: {
      JsonObjectWriter w(out);
      for (const OtlpKeyValue& kv : value.kvlist) AppendOtlpValueJson(kv.value, w.Key(kv.key));
      return;
    }
  }
}

std::string HexId(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

}  // namespace sessionstore
