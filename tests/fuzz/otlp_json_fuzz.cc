// Copyright sessionstore authors.
//
// libFuzzer target for the OTLP/JSON decoder (tools/otlp/otlp_json_decoder.h)
// and the mapping of what it decodes (see otlp_proto_fuzz.cc).
//
//   cmake --build build-fuzz --target otlp_json_fuzz
//   build-fuzz/tests/otlp_json_fuzz -max_total_time=60 CORPUS_DIR

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/otlp_fuzz_check.h"
#include "tools/otlp/otlp_json_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  sessionstore::OtlpRequest request;
  const sessionstore::Status s = sessionstore::DecodeOtlpJson(in, &request);
  if (!s.ok() && !s.IsInvalidArgument()) std::abort();
  if (s.ok()) sessionstore::CheckMapping(request);
  return 0;
}
