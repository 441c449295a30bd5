// Copyright sessionstore authors.
//
// Ingest-side rules for traces: validation of an incoming version, the
// canonical stored form, and the merge of a stored trace with a later
// version (upsert semantics, see Store::Ingest). Pure functions.

#ifndef SESSIONSTORE_ENGINE_TRACE_VERSIONS_H_
#define SESSIONSTORE_ENGINE_TRACE_VERSIONS_H_

#include "sessionstore/status.h"
#include "sessionstore/trace.h"

namespace sessionstore {

// Checks one incoming trace. InvalidArgument names the field and the reason,
// e.g. "spans[3].span_id: duplicate \"abc\"".
Status ValidateTrace(const Trace& trace);

// Brings a valid trace into stored form: tags sorted and unique, spans sorted
// by (start, span id), start lowered to cover the spans' starts and end
// raised to cover their ends.
void NormalizeTrace(Trace* trace);

// True when NormalizeTrace would leave `trace` as it is, so the writer can
// encode it without a copy.
bool IsNormalized(const Trace& trace);

// Returns the stored form of `stored` updated by `incoming` (both normalized,
// same trace id, compatible sessions): spans merge by span id, and within a
// span as within the trace the incoming version's present fields win;
// non-empty incoming fields win (a status wins unless
// unset; zero usage counts as absent); tags union; metadata merges by key;
// start is the minimum and end the maximum.
Trace MergeTraceVersions(const Trace& stored, const Trace& incoming);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_TRACE_VERSIONS_H_
