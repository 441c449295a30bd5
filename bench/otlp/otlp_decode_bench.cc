// Copyright sessionstore authors.
//
// OTLP/protobuf decoding: this project's wire decoder (tools/otlp/
// otlp_proto_decoder.cc) against libprotobuf with generated code from
// otlp_trace_bench.proto, on the real JS SDK body (tests/data/otlp) and on
// that body repeated 64 times (576 spans, as a busy SDK batch). libprotobuf
// is measured parsing alone and parsing plus the copy into OtlpRequest, which
// is what the mapping needs. OTLP/JSON and the mapping are shown beside them.
//
//   build/bench/otlp_decode_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "otlp/otlp_trace_bench.pb.h"
#include "tools/otlp/otlp_json_decoder.h"
#include "tools/otlp/otlp_proto_decoder.h"
#include "tools/otlp/otlp_trace_mapper.h"

namespace ss = sessionstore;
namespace pb = sessionstore::bench;

namespace {

std::string ReadSample(const std::string& name) {
  std::ifstream in(std::string(SESSIONSTORE_SOURCE_DIR) + "/tests/data/otlp/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Concatenated request bodies are one request with all their resource_spans
// (repeated fields concatenate), in both protobuf and our decoder.
std::string Repeat(const std::string& body, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += body;
  return out;
}

const std::string& ProtoBody(int copies) {
  static const std::string one = ReadSample("otlp-002-traces-httpproto.pb");
  static const std::string many = Repeat(one, 64);
  return copies == 1 ? one : many;
}

void Convert(const pb::AnyValue& in, ss::OtlpValue* out);

void Convert(const pb::KeyValue& in, ss::OtlpKeyValue* out) {
  out->key = in.key();
  Convert(in.value(), &out->value);
}

void Convert(const pb::AnyValue& in, ss::OtlpValue* out) {
  using T = ss::OtlpValue::Type;
  switch (in.value_case()) {
    case pb::AnyValue::kStringValue:
      out->type = T::kString;
      out->str = in.string_value();
      break;
    case pb::AnyValue::kBoolValue:
      out->type = T::kBool;
      out->b = in.bool_value();
      break;
    case pb::AnyValue::kIntValue:
      out->type = T::kInt;
      out->i = in.int_value();
      break;
    case pb::AnyValue::kDoubleValue:
      out->type = T::kDouble;
      out->d = in.double_value();
      break;
    case pb::AnyValue::kBytesValue:
      out->type = T::kBytes;
      out->str = in.bytes_value();
      break;
    case pb::AnyValue::kArrayValue:
      out->type = T::kArray;
      for (const auto& v : in.array_value().values()) Convert(v, &out->array.emplace_back());
      break;
    case pb::AnyValue::kKvlistValue:
      out->type = T::kKvList;
      for (const auto& kv : in.kvlist_value().values()) Convert(kv, &out->kvlist.emplace_back());
      break;
    default:
      break;
  }
}

void Convert(const pb::ExportTraceServiceRequest& in, ss::OtlpRequest* out) {
  for (const auto& rs : in.resource_spans()) {
    auto& ors = out->resource_spans.emplace_back();
    for (const auto& kv : rs.resource().attributes()) {
      Convert(kv, &ors.resource_attributes.emplace_back());
    }
    for (const auto& scope : rs.scope_spans()) {
      for (const auto& s : scope.spans()) {
        auto& os = ors.spans.emplace_back();
        os.trace_id = s.trace_id();
        os.span_id = s.span_id();
        os.parent_span_id = s.parent_span_id();
        os.name = s.name();
        os.start_time_unix_nano = s.start_time_unix_nano();
        os.end_time_unix_nano = s.end_time_unix_nano();
        for (const auto& kv : s.attributes()) Convert(kv, &os.attributes.emplace_back());
        for (const auto& e : s.events()) {
          auto& oe = os.events.emplace_back();
          oe.time_unix_nano = e.time_unix_nano();
          oe.name = e.name();
          for (const auto& kv : e.attributes()) Convert(kv, &oe.attributes.emplace_back());
        }
        os.status_code = static_cast<ss::OtlpStatusCode>(s.status().code());
        os.status_message = s.status().message();
      }
    }
  }
}

void Counters(benchmark::State& state, const std::string& body, std::size_t spans) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(state.iterations() * spans),
                                                 benchmark::Counter::kIsRate);
}

void BM_OwnWireDecoder(benchmark::State& state) {
  const std::string& body = ProtoBody(static_cast<int>(state.range(0)));
  ss::OtlpRequest req;
  for (auto _ : state) {
    if (!ss::DecodeOtlpProto(body, &req).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(req);
  }
  Counters(state, body, req.SpanCount());
}

void BM_LibprotobufParse(benchmark::State& state) {
  const std::string& body = ProtoBody(static_cast<int>(state.range(0)));
  pb::ExportTraceServiceRequest msg;
  for (auto _ : state) {
    if (!msg.ParseFromString(body)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(msg);
  }
  Counters(state, body, static_cast<std::size_t>(9 * state.range(0)));
}

void BM_LibprotobufParseAndCopy(benchmark::State& state) {
  const std::string& body = ProtoBody(static_cast<int>(state.range(0)));
  pb::ExportTraceServiceRequest msg;
  ss::OtlpRequest req;
  for (auto _ : state) {
    if (!msg.ParseFromString(body)) state.SkipWithError("parse failed");
    req = ss::OtlpRequest();
    Convert(msg, &req);
    benchmark::DoNotOptimize(req);
  }
  Counters(state, body, req.SpanCount());
}

void BM_OtlpJsonDecoder(benchmark::State& state) {
  static const std::string body = ReadSample("otlp-001-traces-httpjson.json");
  ss::OtlpRequest req;
  for (auto _ : state) {
    if (!ss::DecodeOtlpJson(body, &req).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(req);
  }
  Counters(state, body, req.SpanCount());
}

void BM_MapToTraces(benchmark::State& state) {
  const std::string& body = ProtoBody(static_cast<int>(state.range(0)));
  ss::OtlpRequest req;
  if (!ss::DecodeOtlpProto(body, &req).ok()) state.SkipWithError("decode failed");
  // Copies of the body repeat its ids: give each copy trace ids of its own.
  for (std::size_t i = 0; i < req.resource_spans.size(); ++i) {
    for (ss::OtlpSpan& span : req.resource_spans[i].spans) span.trace_id[0] = static_cast<char>(i);
  }
  ss::OtlpMapResult mapped;
  for (auto _ : state) {
    ss::MapOtlpRequest(req, &mapped);
    benchmark::DoNotOptimize(mapped);
  }
  if (mapped.rejected_spans != 0) state.SkipWithError("spans rejected");
  Counters(state, body, req.SpanCount());
}

BENCHMARK(BM_OwnWireDecoder)->Arg(1)->Arg(64);
BENCHMARK(BM_LibprotobufParse)->Arg(1)->Arg(64);
BENCHMARK(BM_LibprotobufParseAndCopy)->Arg(1)->Arg(64);
BENCHMARK(BM_OtlpJsonDecoder);
BENCHMARK(BM_MapToTraces)->Arg(1)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
