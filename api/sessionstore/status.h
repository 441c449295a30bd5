// Copyright sessionstore authors.
//
// Status reports the outcome of an operation. Every fallible call returns a
// Status (or fills an out parameter and returns one). Exceptions:
//   - Store methods never throw. An exception inside one (in practice only
//     std::bad_alloc) is returned as IOError naming the operation; a batch
//     whose Ingest fails that way was not written. The store's background
//     indexing thread turns exceptions into errors the same way (reported by
//     the next ListSessions, Verify or Flush) and loses no work.
//   - The free functions and value types of the other headers (json.h,
//     json_writer.h, time_format.h, trace.h, session.h) allocate through the standard library and may
//     throw std::bad_alloc as it does; they throw nothing else.
//
// Thread safety: a Status is a value type; distinct objects may be used from
// different threads without synchronization.

#ifndef SESSIONSTORE_STATUS_H_
#define SESSIONSTORE_STATUS_H_

#include <string>
#include <string_view>

namespace sessionstore {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kInvalidArgument = 2,
    kCorruption = 3,
    kIOError = 4,
    kBusy = 5,
    kNotSupported = 6,
  };

  // Creates an OK status. Cheap: no allocation.
  Status() noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }

  Code code() const { return code_; }
  // The message without the code name; empty for OK.
  const std::string& message() const { return message_; }
  // "OK" or "<Code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_STATUS_H_
