// Copyright sessionstore authors.
//
// Maps a decoded OTLP request to trace versions for Store::Ingest. Spans
// group by trace id; each request gives one partial version per trace, and
// versions from several requests (children before their root, retries)
// merge by the store's upsert rules. The mapping, attribute by attribute, and
// where the upsert rules make it inexact: README.md, "OpenTelemetry (OTLP)".
//
// In short, per version of a trace (the spans of the trace in one request):
//   - name, status, error, input and output come from the root span (no
//     parent) when it is in the request, and are left absent otherwise;
//     input/output fall back to the first/last generation span of the
//     request when the root carries none;
//   - start and end are the minimum and maximum over the spans;
//   - session id, user id, tags and metadata come from any span, the root
//     first; the resource's service.name becomes metadata "service.name";
//   - each span keeps its kind, model, usage, cost, TTFT, input, output and
//     every attribute not mapped to one of those (as JSON text).

#ifndef SESSIONSTORE_TOOLS_OTLP_OTLP_TRACE_MAPPER_H_
#define SESSIONSTORE_TOOLS_OTLP_OTLP_TRACE_MAPPER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "sessionstore/trace.h"
#include "tools/otlp/otlp_request.h"

namespace sessionstore {

struct OtlpMapResult {
  // One version per trace id of the request, in order of first appearance.
  std::vector<Trace> traces;
  // Rejected spans (bad ids or times) and why; they are left out of traces.
  std::size_t rejected_spans = 0;
  std::vector<std::string> errors;  // At most kMaxErrors, "span <id>: why".
  static constexpr std::size_t kMaxErrors = 10;
};

// Maps `request` into *result (overwritten). Deterministic: the same request
// always gives the same versions, whatever the order of its spans, so a
// resent request changes nothing once ingested. Pure function: safe from any
// thread.
void MapOtlpRequest(const OtlpRequest& request, OtlpMapResult* result);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OTLP_OTLP_TRACE_MAPPER_H_
