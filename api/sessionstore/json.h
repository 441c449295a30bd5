// Copyright sessionstore authors.
//
// The JSON Lines ingest format and the JSON output of the CLI (see README.md,
// "Ingest format"). Pure functions: safe from any thread.

#ifndef SESSIONSTORE_JSON_H_
#define SESSIONSTORE_JSON_H_

#include <string>
#include <string_view>

#include "sessionstore/session.h"
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

// Appends the session as the `session --json` object (see README.md).
void AppendSessionJson(const SessionSummary& session, std::string* out);

// Appends one timeline row: trace_id, name, times, status, usage, cost,
// input and output.
void AppendTimelineEntryJson(const Trace& trace, std::string* out);

// Formats nanoseconds since the epoch as RFC 3339 UTC with nanoseconds.
std::string FormatTime(int64_t ns);
// Parses an RFC 3339 time ("2024-05-01T12:00:00.5Z", offsets allowed).
bool ParseTime(std::string_view text, int64_t* ns);

}  // namespace sessionstore

#endif  // SESSIONSTORE_JSON_H_
