// Copyright sessionstore authors.
//
// CaptureStderr: what the code under test writes to std::cerr, for tests.

#ifndef SESSIONSTORE_TESTS_TOOLS_CAPTURE_STDERR_H_
#define SESSIONSTORE_TESTS_TOOLS_CAPTURE_STDERR_H_

#include <iostream>
#include <sstream>
#include <string>

namespace sessionstore::testing {

// Sends std::cerr to a buffer until destroyed, then restores its buffer,
// whatever happens. Not for concurrent use with other redirections.
class CaptureStderr {
 public:
  CaptureStderr() : old_(std::cerr.rdbuf(captured_.rdbuf())) {}
  ~CaptureStderr() { std::cerr.rdbuf(old_); }
  CaptureStderr(const CaptureStderr&) = delete;
  CaptureStderr& operator=(const CaptureStderr&) = delete;
  // Everything written so far.
  std::string text() const { return captured_.str(); }

 private:
  std::stringstream captured_;
  std::streambuf* old_;
};

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_TOOLS_CAPTURE_STDERR_H_
