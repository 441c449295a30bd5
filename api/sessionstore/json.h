// Copyright sessionstore authors.
//
// The JSON Lines ingest format (see README.md, "Ingest format"): one trace
// per JSON object. Pure functions: safe from any thread.

#ifndef SESSIONSTORE_JSON_H_
#define SESSIONSTORE_JSON_H_

#include <string>
#include <string_view>

#include "sessionstore/status.h"
#include "sessionstore/trace.h"

namespace sessionstore {

// Parses one JSON object in the ingest format into *trace (overwritten).
// Returns InvalidArgument naming the field and the reason ("spans[2].kind:
// unknown span kind \"foo\"") on bad input. Does not apply ingest validation
// beyond types (Store::Ingest does).
Status ParseTraceJson(std::string_view json, Trace* trace);

// Appends the trace in the ingest format. Parsing the result gives back an
// equal Trace for any trace parsed from this format; exceptions, possible only
// through the C++ API: bytes that are not UTF-8 become U+FFFD, an is_json
// payload holding a JSON string comes back as plain text, and time to first
// token is printed in milliseconds (exact to the nanosecond below 2^53 ns).
void AppendTraceJson(const Trace& trace, std::string* out);

}  // namespace sessionstore

#endif  // SESSIONSTORE_JSON_H_
