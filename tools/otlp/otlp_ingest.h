// Copyright sessionstore authors.
//
// One OTLP export request body, from bytes to the store: decode (JSON or
// protobuf), map to trace versions, ingest, and count what was rejected in
// spans, as OTLP's partial success reports it. Used by `sessionstore ingest
// --format otlp-*` and by `sessionstore serve`.

#ifndef SESSIONSTORE_TOOLS_OTLP_OTLP_INGEST_H_
#define SESSIONSTORE_TOOLS_OTLP_OTLP_INGEST_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sessionstore/status.h"
#include "sessionstore/store.h"
#include "tools/otlp/otlp_trace_mapper.h"

namespace sessionstore {

enum class OtlpEncoding { kJson, kProtobuf };

// Decodes `body` and maps it into *mapped. Returns the decoder's
// InvalidArgument for a malformed body (then nothing of it is usable).
// Safe from any thread.
Status DecodeOtlpBody(OtlpEncoding encoding, std::string_view body, OtlpMapResult* mapped);

// What became of one request's spans.
struct OtlpIngestReport {
  std::size_t spans = 0;           // Spans in the request.
  std::size_t rejected_spans = 0;  // By the mapping or with a rejected trace.
  std::size_t traces = 0;          // Trace versions sent to the store.
  std::size_t rejected_traces = 0;
  std::vector<std::string> errors;  // First reasons, for partialSuccess's message.

  // The reasons joined with "; " (empty when nothing was rejected).
  std::string Message() const;
};

// Fills *report from a mapped request and the store's result for its
// traces; rejections[i] are the store's rejections whose index is into
// mapped.traces.
void ReportOtlpIngest(const OtlpMapResult& mapped, const std::vector<RejectedTrace>& rejections,
                      OtlpIngestReport* report);

// Decodes, maps and ingests one body with one Store::Ingest call. Returns
// InvalidArgument for a malformed body (nothing ingested), the store's error
// if the write failed, else OK with *report filled. `store` must be open for
// writing.
Status IngestOtlpBody(Store* store, OtlpEncoding encoding, std::string_view body,
                      OtlpIngestReport* report);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OTLP_OTLP_INGEST_H_
