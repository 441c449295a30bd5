// Copyright sessionstore authors.
//
// OTLP/JSON: decodes an ExportTraceServiceRequest in the OTLP JSON encoding
// (lowerCamelCase field names, also accepted in snake_case; trace and span
// ids as hex strings; 64-bit integers and times as decimal strings or
// numbers; enums as integers; bytes as base64) and encodes the
// ExportTraceServiceResponse.

#ifndef SESSIONSTORE_TOOLS_OTLP_OTLP_JSON_DECODER_H_
#define SESSIONSTORE_TOOLS_OTLP_OTLP_JSON_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sessionstore/status.h"
#include "tools/otlp/otlp_request.h"

namespace sessionstore {

// Decodes `body` into *request (overwritten). Unknown fields are ignored and
// null means absent. Returns InvalidArgument with the JSON path of the
// problem ("resourceSpans[0].scopeSpans[1].spans[3].traceId: not a hex
// string") for invalid JSON or UTF-8, a member of the wrong type, an id that
// is not hex, a time that is not an unsigned integer, or nesting and item
// counts over the limits of otlp_request.h; *request is then unspecified.
// Safe from any thread (a parser per thread).
Status DecodeOtlpJson(std::string_view body, OtlpRequest* request);

// Returns the JSON ExportTraceServiceResponse: {} on full success, else
// {"partialSuccess":{"rejectedSpans":"N","errorMessage":"..."}} (int64 as a
// string, per OTLP/JSON).
std::string EncodeOtlpJsonResponse(int64_t rejected_spans, std::string_view error_message);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OTLP_OTLP_JSON_DECODER_H_
