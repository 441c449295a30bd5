// Copyright sessionstore authors.
//
// OtlpRequest: an OTLP trace export request (ExportTraceServiceRequest) as
// the decoders produce it, independent of its encoding (OTLP/JSON or
// OTLP/protobuf). Only what the mapping to traces needs is kept: resource
// attributes, spans with their attributes, events and status. Instrumentation
// scopes, links, trace state and flags are read past.
//
// Plain value types: copyable, no internal synchronization.

#ifndef SESSIONSTORE_TOOLS_OTLP_OTLP_REQUEST_H_
#define SESSIONSTORE_TOOLS_OTLP_OTLP_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

// Limits the decoders enforce (InvalidArgument when exceeded), so a hostile
// body costs bounded memory and stack.
// Nesting of array and key-value-list values inside one attribute value.
inline constexpr int kOtlpMaxValueDepth = 16;
// Attributes per span, event or resource.
inline constexpr std::size_t kOtlpMaxAttributes = 4096;
// Items per request: spans, events, attributes and values nested in them.
// Bounds the decoded request's memory (about 2^21 items * 100 bytes) whatever
// the body holds.
inline constexpr std::size_t kOtlpMaxItems = std::size_t{1} << 21;

struct OtlpKeyValue;

// One attribute value (OTLP's AnyValue). `type` says which member holds it.
struct OtlpValue {
  enum class Type : unsigned char {
    kEmpty,
    kString,
    kBool,
    kInt,
    kDouble,
    kArray,
    kKvList,
    kBytes
  };
  Type type = Type::kEmpty;
  std::string str;  // kString (UTF-8) or kBytes (raw bytes).
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::vector<OtlpValue> array;      // kArray.
  std::vector<OtlpKeyValue> kvlist;  // kKvList.
};

struct OtlpKeyValue {
  std::string key;
  OtlpValue value;
};

struct OtlpEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  std::vector<OtlpKeyValue> attributes;
};

// OTLP status codes (Status.code).
enum class OtlpStatusCode : unsigned char { kUnset = 0, kOk = 1, kError = 2 };

struct OtlpSpan {
  // Raw id bytes (16 for a trace id, 8 for a span id when well-formed; the
  // mapper checks). parent_span_id is empty for a root span.
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string name;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  std::vector<OtlpKeyValue> attributes;
  std::vector<OtlpEvent> events;
  OtlpStatusCode status_code = OtlpStatusCode::kUnset;
  std::string status_message;
};

// The spans of one resource (all scopes flattened).
struct OtlpResourceSpans {
  std::vector<OtlpKeyValue> resource_attributes;
  std::vector<OtlpSpan> spans;
};

struct OtlpRequest {
  std::vector<OtlpResourceSpans> resource_spans;

  // Total spans over all resources.
  std::size_t SpanCount() const;
};

// Returns the attribute named `key` in `attributes` (the first if repeated),
// or nullptr. The pointer is valid while `attributes` is unchanged.
const OtlpValue* FindAttribute(const std::vector<OtlpKeyValue>& attributes, std::string_view key);

// Appends `value` as JSON text: strings quoted, integers and booleans as
// such, a finite double as a number (NaN and infinities as strings, as OTLP/
// JSON writes them), arrays and key-value lists as arrays and objects, bytes
// as a base64 string, an empty value as null. Safe from any thread.
void AppendOtlpValueJson(const OtlpValue& value, std::string* out);

// Returns `bytes` as lower-case hex (ids).
std::string HexId(std::string_view bytes);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OTLP_OTLP_REQUEST_H_
