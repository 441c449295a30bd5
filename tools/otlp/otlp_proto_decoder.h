// Copyright sessionstore authors.
//
// OTLP/protobuf: decodes an ExportTraceServiceRequest body straight from the
// protobuf wire format (no generated code; field numbers per the OTLP
// specification, listed in otlp_proto_decoder.cc), and encodes the
// ExportTraceServiceResponse. Why a decoder of our own and not libprotobuf:
// bench/README.md ("OTLP/protobuf decoding").

#ifndef SESSIONSTORE_TOOLS_OTLP_OTLP_PROTO_DECODER_H_
#define SESSIONSTORE_TOOLS_OTLP_OTLP_PROTO_DECODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "sessionstore/status.h"
#include "tools/otlp/otlp_request.h"

namespace sessionstore {

// Decodes `body` into *request (overwritten). Unknown fields are skipped, as
// protobuf requires. Returns InvalidArgument naming the message and field on
// a truncated body, a wrong wire type for a known field, a length past the
// end, a string that is not UTF-8, nesting or item counts over the limits of
// otlp_request.h; *request is then unspecified. Never reads outside `body`.
// Pure function: safe from any thread.
Status DecodeOtlpProto(std::string_view body, OtlpRequest* request);

// Returns an ExportTraceServiceResponse in the wire format: empty (full
// success) when rejected_spans is 0 and error_message is empty, else with its
// partial_success.
std::string EncodeOtlpProtoResponse(int64_t rejected_spans, std::string_view error_message);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OTLP_OTLP_PROTO_DECODER_H_
