// Copyright sessionstore authors.
//
// FlatBuffers encoding of a stored trace (schema/trace_record.fbs). Decoding
// verifies the buffer first: bytes read from disk are untrusted.

#ifndef SESSIONSTORE_ENGINE_FORMAT_TRACE_CODEC_H_
#define SESSIONSTORE_ENGINE_FORMAT_TRACE_CODEC_H_

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "sessionstore/trace.h"

namespace sessionstore {

namespace fb {
struct PayloadFb;
}  // namespace fb

// Decodes the Payload table shared by the trace and session schemas; an
// absent table gives an empty payload.
void DecodePayload(const fb::PayloadFb* p, Payload* out);

// Encodes `trace` with its stored version counter.
std::string EncodeTrace(const Trace& trace, uint64_t version);
// Verifies and decodes. Returns false if `bytes` is not a valid record.
bool DecodeTrace(std::string_view bytes, Trace* trace, uint64_t* version);
// Verifies and reads only the user id, input and output (content search:
// no span decode).
bool DecodeTraceText(std::string_view bytes, std::string* user_id, Payload* input,
                     Payload* output);
// Verifies and reads only the output and the start (cheap: no span decode).
bool DecodeTraceOutput(std::string_view bytes, Payload* output, int64_t* start_ns);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_FORMAT_TRACE_CODEC_H_
