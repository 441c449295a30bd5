// Copyright sessionstore authors.

#include "tools/otlp/otlp_ingest.h"

#include "tools/otlp/otlp_json_decoder.h"
#include "tools/otlp/otlp_proto_decoder.h"

namespace sessionstore {

Status DecodeOtlpBody(OtlpEncoding encoding, std::string_view body, OtlpMapResult* mapped) {
  OtlpRequest request;
  Status s = encoding == OtlpEncoding::kJson ? DecodeOtlpJson(body, &request)
                                             : DecodeOtlpProto(body, &request);
  if (!s.ok()) {
    *mapped = OtlpMapResult();
    return s;
  }
  MapOtlpRequest(request, mapped);
  return Status::OK();
}

std::string OtlpIngestReport::Message() const {
  std::string out;
  for (const std::string& e : errors) {
    if (!out.empty()) out += "; ";
    out += e;
  }
  if (rejected_spans > 0 && out.empty()) out = "spans rejected";
  return out;
}

void ReportOtlpIngest(const OtlpMapResult& mapped, const std::vector<RejectedTrace>& rejections,
                      OtlpIngestReport* report) {
  *report = OtlpIngestReport();
  report->traces = mapped.traces.size();
  report->rejected_spans = mapped.rejected_spans;
  report->spans = mapped.rejected_spans;
  for (const Trace& t : mapped.traces) report->spans += t.spans.size();
  report->errors = mapped.errors;
  for (const RejectedTrace& r : rejections) {
    if (r.index >= mapped.traces.size()) continue;
    ++report->rejected_traces;
    report->rejected_spans += mapped.traces[r.index].spans.size();
    if (report->errors.size() < OtlpMapResult::kMaxErrors) {
      report->errors.push_back("trace " + r.trace_id + ": " + r.reason.message());
    }
  }
}

Status IngestOtlpBody(Store* store, OtlpEncoding encoding, std::string_view body,
                      OtlpIngestReport* report) {
  *report = OtlpIngestReport();
  OtlpMapResult mapped;
  Status s = DecodeOtlpBody(encoding, body, &mapped);
  if (!s.ok()) return s;
  IngestResult result;
  if (!mapped.traces.empty() && !(s = store->Ingest(mapped.traces, &result)).ok()) return s;
  ReportOtlpIngest(mapped, result.rejected, report);
  return Status::OK();
}

}  // namespace sessionstore
