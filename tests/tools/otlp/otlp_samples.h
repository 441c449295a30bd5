// Copyright sessionstore authors.
//
// The real OTLP request bodies of tests/data/otlp/, for the tests that use
// them.

#ifndef SESSIONSTORE_TESTS_TOOLS_OTLP_OTLP_SAMPLES_H_
#define SESSIONSTORE_TESTS_TOOLS_OTLP_OTLP_SAMPLES_H_

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sessionstore::testing {

// The bytes of tests/data/otlp/<name>; a test failure if it cannot be read.
inline std::string ReadOtlpSample(const std::string& name) {
  std::ifstream in(std::string(SESSIONSTORE_SOURCE_DIR) + "/tests/data/otlp/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_TOOLS_OTLP_OTLP_SAMPLES_H_
