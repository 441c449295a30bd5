// Copyright sessionstore authors.
//
// The messages and field numbers read (OTLP specification, trace service):
//
//   ExportTraceServiceRequest  1 resource_spans: ResourceSpans (repeated)
//   ResourceSpans              1 resource: Resource   2 scope_spans: ScopeSpans (repeated)
//   Resource                   1 attributes: KeyValue (repeated)
//   ScopeSpans                 2 spans: Span (repeated)
//   Span                       1 trace_id: bytes  2 span_id: bytes  4 parent_span_id: bytes
//                              5 name: string  7 start_time_unix_nano: fixed64
//                              8 end_time_unix_nano: fixed64  9 attributes: KeyValue (repeated)
//                              11 events: Event (repeated)  15 status: Status
//   Span.Event                 1 time_unix_nano: fixed64  2 name: string  3 attributes
//   Status                     2 message: string  3 code: enum
//   KeyValue                   1 key: string  2 value: AnyValue
//   AnyValue (oneof)           1 string  2 bool  3 int64  4 double  5 ArrayValue
//                              6 KeyValueList  7 bytes
//   ArrayValue / KeyValueList  1 values (repeated AnyValue / KeyValue)
//   ExportTraceServiceResponse 1 partial_success: 1 rejected_spans: int64
//                                                 2 error_message: string
//
// Every other field is skipped by its wire type.

#include "tools/otlp/otlp_proto_decoder.h"

#include <simdjson.h>

#include <cstring>

namespace sessionstore {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

const char* WireTypeName(uint32_t w) {
  switch (w) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLen:
      return "length-delimited";
    case kFixed32:
      return "fixed32";
    case 3:
    case 4:
      return "group";
  }
  return "invalid";
}

// Reads one message's fields from a byte range. Every read checks the bounds;
// the first error sticks and is reported with the message's name.
class WireReader {
 public:
  WireReader(std::string_view bytes, const char* message) : p_(bytes), message_(message) {}

  bool done() const { return p_.empty(); }

  // Reads the next field key. False at the end or on error (see error()).
  bool Next(uint32_t* field, uint32_t* wire) {
    if (p_.empty() || !error_.empty()) return false;
    uint64_t key = 0;
    if (!Varint(&key)) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    if (*field == 0 || (key >> 3) > 0x1fffffff) return Fail("field number out of range");
    return true;
  }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_.empty()) return Fail("truncated varint");
      const auto b = static_cast<unsigned char>(p_[0]);
      p_.remove_prefix(1);
      *v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return Fail("varint longer than 10 bytes");
  }

  bool Fixed64(uint64_t* v) {
    if (p_.size() < 8) return Fail("truncated fixed64");
    unsigned char b[8];
    std::memcpy(b, p_.data(), 8);
    *v = 0;
    for (int i = 7; i >= 0; --i) *v = (*v << 8) | b[i];
    p_.remove_prefix(8);
    return true;
  }

  bool Bytes(std::string_view* v) {
    uint64_t n = 0;
    if (!Varint(&n)) return false;
    if (n > p_.size()) {
      return Fail("length " + std::to_string(n) + " past the end (" + std::to_string(p_.size()) +
                  " bytes left)");
    }
    *v = p_.substr(0, n);
    p_.remove_prefix(n);
    return true;
  }

  // Reads a string field, which protobuf requires to be UTF-8.
  bool Utf8(uint32_t field, std::string* out) {
    std::string_view v;
    if (!Bytes(&v)) return false;
    if (!simdjson::validate_utf8(v.data(), v.size())) {
      return Fail("field " + std::to_string(field) + ": string is not valid UTF-8");
    }
    out->assign(v);
    return true;
  }

  bool Skip(uint32_t wire) {
    uint64_t ignored = 0;
    std::string_view sv;
    switch (wire) {
      case kVarint:
        return Varint(&ignored);
      case kFixed64:
        return Fixed64(&ignored);
      case kLen:
        return Bytes(&sv);
      case kFixed32:
        if (p_.size() < 4) return Fail("truncated fixed32");
        p_.remove_prefix(4);
        return true;
    }
    return Fail(std::string("unsupported wire type ") + WireTypeName(wire));
  }

  // True if `wire` is what `field` needs; else records the error.
  bool Expect(uint32_t field, uint32_t wire, uint32_t want) {
    if (wire == want) return true;
    return Fail("field " + std::to_string(field) + ": wire type " + WireTypeName(wire) +
                ", expected " + WireTypeName(want));
  }

  bool Fail(const std::string& why) {
    if (error_.empty()) error_ = std::string(message_) + ": " + why;
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  std::string_view p_;
  const char* message_;
  std::string error_;
};

// Decoding state shared by the message decoders: the first error and the
// item budget.
class Decoder {
 public:
  Status status() const {
    return error_.empty() ? Status::OK() : Status::InvalidArgument("protobuf: " + error_);
  }

  bool Request(std::string_view bytes, OtlpRequest* out) {
    WireReader r(bytes, "ExportTraceServiceRequest");
    uint32_t f, w;
    while (r.Next(&f, &w)) {
      if (f != 1) {
        if (!r.Skip(w)) break;
        continue;
      }
      std::string_view sub;
      if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
      out->resource_spans.emplace_back();
      if (!ResourceSpans(sub, &out->resource_spans.back())) return false;
    }
    return Done(r);
  }

 private:
  bool Done(const WireReader& r) {
    if (!r.error().empty() && error_.empty()) error_ = r.error();
    return error_.empty();
  }

  bool Spend(WireReader* r) {
    if (++items_ <= kOtlpMaxItems) return true;
    return r->Fail("more than " + std::to_string(kOtlpMaxItems) + " items in the request");
  }

  bool ResourceSpans(std::string_view bytes, OtlpResourceSpans* out) {
    WireReader r(bytes, "ResourceSpans");
    uint32_t f, w;
    while (r.Next(&f, &w)) {
      std::string_view sub;
      if (f != 1 && f != 2) {
        if (!r.Skip(w)) break;
        continue;
      }
      if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
      const bool ok = f == 1 ? Message(sub, "Resource", 1, &out->resource_attributes)
                             : ScopeSpans(sub, &out->spans);
      if (!ok) return false;
    }
    return Done(r);
  }

  // A message whose only field read is a repeated KeyValue (Resource).
  bool Message(std::string_view bytes, const char* name, uint32_t attr_field,
               std::vector<OtlpKeyValue>* attributes) {
    WireReader r(bytes, name);
    uint32_t f, w;
    while (r.Next(&f, &w)) {
      if (f != attr_field) {
        if (!r.Skip(w)) break;
        continue;
      }
      if (!Attribute(&r, f, w, attributes)) return false;
    }
    return Done(r);
  }

  bool ScopeSpans(std::string_view bytes, std::vector<OtlpSpan>* spans) {
    WireReader r(bytes, "ScopeSpans");
    uint32_t f, w;
    while (r.Next(&f, &w)) {
      if (f != 2) {
        if (!r.Skip(w)) break;
        continue;
      }
      std::string_view sub;
      if (!r.Expect(f, w, kLen) || !r.Bytes(&sub) || !Spend(&r)) break;
      spans->emplace_back();
      if (!Span(sub, &spans->back())) return false;
    }
    return Done(r);
  }

  // Reads one KeyValue field into *attributes.
  bool Attribute(WireReader* r, uint32_t f, uint32_t w, std::vector<OtlpKeyValue>* attributes) {
    std::string_view sub;
    if (!r->Expect(f, w, kLen) || !r->Bytes(&sub) || !Spend(r)) return Done(*r);
    if (attributes->size() >= kOtlpMaxAttributes) {
      r->Fail("more than " + std::to_string(kOtlpMaxAttributes) + " attributes");
      return Done(*r);
    }
    attributes->emplace_back();
    return KeyValue(sub, &attributes->back(), 0);
  }

  bool Span(std::string_view bytes, OtlpSpan* out);
  bool Event(std::string_view bytes, OtlpEvent* out);
  bool SpanStatus(std::string_view bytes, OtlpSpan* out);
  bool KeyValue(std::string_view bytes, OtlpKeyValue* out, int depth);
  bool AnyValue(std::string_view bytes, OtlpValue* out, int depth);
  bool ValueList(std::string_view bytes, OtlpValue* out, int depth);

  std::size_t items_ = 0;
  std::string error_;
};

bool Decoder::Span(std::string_view bytes, OtlpSpan* out) {
  WireReader r(bytes, "Span");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    std::string_view sub;
    switch (f) {
      case 1:
      case 2:
      case 4:
        if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
        (f == 1 ? out->trace_id : f == 2 ? out->span_id : out->parent_span_id).assign(sub);
        continue;
      case 5:
        if (!r.Expect(f, w, kLen) || !r.Utf8(f, &out->name)) break;
        continue;
      case 7:
      case 8:
        if (!r.Expect(f, w, kFixed64)) break;
        if (!r.Fixed64(f == 7 ? &out->start_time_unix_nano : &out->end_time_unix_nano)) break;
        continue;
      case 9:
        if (!Attribute(&r, f, w, &out->attributes)) return false;
        continue;
      case 11:
        if (!r.Expect(f, w, kLen) || !r.Bytes(&sub) || !Spend(&r)) break;
        out->events.emplace_back();
        if (!Event(sub, &out->events.back())) return false;
        continue;
      case 15:
        if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
        if (!SpanStatus(sub, out)) return false;
        continue;
      default:
        if (!r.Skip(w)) break;
        continue;
    }
    break;  // A failed read.
  }
  return Done(r);
}

bool Decoder::Event(std::string_view bytes, OtlpEvent* out) {
  WireReader r(bytes, "Span.Event");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    if (f == 1) {
      if (!r.Expect(f, w, kFixed64) || !r.Fixed64(&out->time_unix_nano)) break;
    } else if (f == 2) {
      if (!r.Expect(f, w, kLen) || !r.Utf8(f, &out->name)) break;
    } else if (f == 3) {
      if (!Attribute(&r, f, w, &out->attributes)) return false;
    } else if (!r.Skip(w)) {
      break;
    }
  }
  return Done(r);
}

bool Decoder::SpanStatus(std::string_view bytes, OtlpSpan* out) {
  WireReader r(bytes, "Status");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    if (f == 2) {
      if (!r.Expect(f, w, kLen) || !r.Utf8(f, &out->status_message)) break;
    } else if (f == 3) {
      uint64_t code = 0;
      if (!r.Expect(f, w, kVarint) || !r.Varint(&code)) break;
      // Unknown codes read as unset, as protobuf's open enums allow.
      out->status_code = code <= 2 ? static_cast<OtlpStatusCode>(code) : OtlpStatusCode::kUnset;
    } else if (!r.Skip(w)) {
      break;
    }
  }
  return Done(r);
}

bool Decoder::KeyValue(std::string_view bytes, OtlpKeyValue* out, int depth) {
  WireReader r(bytes, "KeyValue");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    std::string_view sub;
    if (f == 1) {
      if (!r.Expect(f, w, kLen) || !r.Utf8(f, &out->key)) break;
    } else if (f == 2) {
      if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
      if (!AnyValue(sub, &out->value, depth)) return false;
    } else if (!r.Skip(w)) {
      break;
    }
  }
  return Done(r);
}

bool Decoder::AnyValue(std::string_view bytes, OtlpValue* out, int depth) {
  using Type = OtlpValue::Type;
  WireReader r(bytes, "AnyValue");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    std::string_view sub;
    uint64_t v = 0;
    bool ok = true;
    if (f == 1 || f == 7) {
      *out = OtlpValue();
      ok = r.Expect(f, w, kLen) && (f == 1 ? r.Utf8(f, &out->str) : r.Bytes(&sub));
      if (f == 7) out->str.assign(sub);
      out->type = f == 1 ? Type::kString : Type::kBytes;
    } else if (f == 2 || f == 3) {
      ok = r.Expect(f, w, kVarint) && r.Varint(&v);
      *out = OtlpValue();
      out->type = f == 2 ? Type::kBool : Type::kInt;
      out->b = v != 0;
      out->i = static_cast<int64_t>(v);
    } else if (f == 4) {
      ok = r.Expect(f, w, kFixed64) && r.Fixed64(&v);
      *out = OtlpValue();
      out->type = Type::kDouble;
      std::memcpy(&out->d, &v, sizeof(v));
    } else if (f == 5 || f == 6) {
      if (!r.Expect(f, w, kLen) || !r.Bytes(&sub)) break;
      if (depth + 1 > kOtlpMaxValueDepth) {
        r.Fail("values nested deeper than " + std::to_string(kOtlpMaxValueDepth));
        break;
      }
      *out = OtlpValue();
      out->type = f == 5 ? Type::kArray : Type::kKvList;
      if (!ValueList(sub, out, depth + 1)) return false;
    } else {
      ok = r.Skip(w);
    }
    if (!ok) break;
  }
  return Done(r);
}

// ArrayValue or KeyValueList: field 1 repeated.
bool Decoder::ValueList(std::string_view bytes, OtlpValue* out, int depth) {
  const bool array = out->type == OtlpValue::Type::kArray;
  WireReader r(bytes, array ? "ArrayValue" : "KeyValueList");
  uint32_t f, w;
  while (r.Next(&f, &w)) {
    if (f != 1) {
      if (!r.Skip(w)) break;
      continue;
    }
    std::string_view sub;
    if (!r.Expect(f, w, kLen) || !r.Bytes(&sub) || !Spend(&r)) break;
    if (array) {
      out->array.emplace_back();
      if (!AnyValue(sub, &out->array.back(), depth)) return false;
    } else {
      out->kvlist.emplace_back();
      if (!KeyValue(sub, &out->kvlist.back(), depth)) return false;
    }
  }
  return Done(r);
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

Status DecodeOtlpProto(std::string_view body, OtlpRequest* request) {
  *request = OtlpRequest();
  Decoder decoder;
  decoder.Request(body, request);
  return decoder.status();
}

std::string EncodeOtlpProtoResponse(int64_t rejected_spans, std::string_view error_message) {
  std::string partial;
  if (rejected_spans != 0) {
    partial.push_back(static_cast<char>((1 << 3) | kVarint));
    PutVarint(static_cast<uint64_t>(rejected_spans), &partial);
  }
  if (!error_message.empty()) {
    partial.push_back(static_cast<char>((2 << 3) | kLen));
    PutVarint(error_message.size(), &partial);
    partial.append(error_message);
  }
  std::string out;
  if (partial.empty()) return out;
  out.push_back(static_cast<char>((1 << 3) | kLen));
  PutVarint(partial.size(), &out);
  out += partial;
  return out;
}

}  // namespace sessionstore
