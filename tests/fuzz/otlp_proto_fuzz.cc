// Copyright sessionstore authors.
//
// libFuzzer target for the OTLP/protobuf decoder (tools/otlp/
// otlp_proto_decoder.h) and the mapping of what it decodes. The decoder must
// reject bad bytes with InvalidArgument, never crash or read out of bounds;
// what decodes must map to traces with well-formed ids.
//
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSESSIONSTORE_BUILD_FUZZERS=ON
//   cmake --build build-fuzz --target otlp_proto_fuzz
//   build-fuzz/tests/otlp_proto_fuzz -max_total_time=60 CORPUS_DIR

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/otlp_fuzz_check.h"
#include "tools/otlp/otlp_proto_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  sessionstore::OtlpRequest request;
  const sessionstore::Status s = sessionstore::DecodeOtlpProto(in, &request);
  if (!s.ok() && !s.IsInvalidArgument()) std::abort();
  if (s.ok()) sessionstore::CheckMapping(request);
  return 0;
}
