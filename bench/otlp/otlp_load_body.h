// Copyright sessionstore authors.
//
// OtlpLoadBody: the request bodies of bench/otlp/otlp_load.cc, shaped as an
// OpenTelemetry SDK's batch exporter sends them: one ExportTraceServiceRequest
// with one resource (service.name, telemetry.sdk.*), one scope and a random
// number of whole traces, each a root `chat-turn` span (AGENT, with
// session.id, user.id, input.value, output.value, tag.tags) and children that
// alternate LLM spans (model, token counts, cost, a first_token event) and
// TOOL spans. Encoded as OTLP/protobuf (field numbers of
// opentelemetry/proto/trace/v1/trace.proto) or OTLP/JSON (hex ids, times as
// decimal strings), by hand: the program needs no libprotobuf.
//
// Thread safety: none; use one instance per thread.

#ifndef SESSIONSTORE_BENCH_OTLP_OTLP_LOAD_BODY_H_
#define SESSIONSTORE_BENCH_OTLP_OTLP_LOAD_BODY_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace sessionstore::bench {

struct LoadShape {
  // Traces per request, drawn uniformly. Default: 1 to 50.
  int min_traces = 1;
  int max_traces = 50;
  // Spans per trace (the root included), drawn uniformly. Default: 1 to 5.
  int min_spans = 1;
  int max_spans = 5;
  // Distinct session ids the traces are spread over (uniformly), and users
  // (session i belongs to user i % users). Default: 2000 and 200.
  int sessions = 2000;
  int users = 200;
  // Bytes of input.value and of output.value on each root span; 1 KB as the
  // mean of bench/'s in-process workload. Default: 1024.
  int payload_bytes = 1024;
  // OTLP/JSON instead of OTLP/protobuf. Default: false.
  bool json = false;
};

class OtlpLoadBody {
 public:
  // `seed` makes the sequence of bodies reproducible; give each thread its
  // own. Trace ids are drawn from the seeded generator (128 random bits), so
  // different seeds give distinct traces.
  OtlpLoadBody(const LoadShape& shape, uint64_t seed);

  // Replaces *body with the next request, its traces starting around
  // `now_ns`. Returns the number of spans in it; *traces gets the number of
  // traces.
  int Next(int64_t now_ns, std::string* body, int* traces);

 private:
  struct SpanSpec;
  struct TraceSpec;

  // Draws one trace's spans.
  void DrawTrace(int64_t start_ns, TraceSpec* t);
  void AppendProtoSpan(const TraceSpec& t, const SpanSpec& s, std::string* out) const;
  void AppendJsonSpan(const TraceSpec& t, const SpanSpec& s, std::string* out) const;
  std::string ProtoRequest(const std::string& spans) const;
  std::string JsonRequest(const std::string& spans) const;
  // `prefix` and then payload_bytes of random words (text that compresses
  // like chat, not like one repeated phrase).
  std::string Text(std::string_view prefix);

  const LoadShape shape_;
  std::mt19937_64 rng_;
};

}  // namespace sessionstore::bench

#endif  // SESSIONSTORE_BENCH_OTLP_OTLP_LOAD_BODY_H_
