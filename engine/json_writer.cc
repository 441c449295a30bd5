// Copyright sessionstore authors.
//
// JSON string escaping and JsonObjectWriter (api/sessionstore/json_writer.h).

#include "sessionstore/json_writer.h"

#include <cstdio>

namespace sessionstore {

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

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
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

JsonObjectWriter::JsonObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }

JsonObjectWriter::~JsonObjectWriter() { out_->push_back('}'); }

std::string* JsonObjectWriter::Key(std::string_view key) {
  if (!first_) out_->push_back(',');
  first_ = false;
  AppendJsonString(out_, key);
  out_->push_back(':');
  return out_;
}

void JsonObjectWriter::String(std::string_view key, std::string_view value) {
  AppendJsonString(Key(key), value);
}

void JsonObjectWriter::Int(std::string_view key, int64_t value) {
  Key(key)->append(std::to_string(value));
}

void JsonObjectWriter::Raw(std::string_view key, std::string_view json) { Key(key)->append(json); }

void JsonObjectWriter::Usd(std::string_view key, int64_t nano_usd) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.9f", NanoToUsd(nano_usd));
  // Trim trailing zeros: 0.001200000 -> 0.0012.
  std::string s(buf);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  Key(key)->append(s);
}

void JsonObjectWriter::Payload(std::string_view key, const sessionstore::Payload& payload) {
  if (payload.is_json) {
    Raw(key, payload.value);
  } else {
    String(key, payload.value);
  }
}

}  // namespace sessionstore
