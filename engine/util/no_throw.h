// Copyright sessionstore authors.
//
// The exception boundary: no exception crosses the public API (status.h).
// Every Store method runs its body through NoThrow, which turns an escaping
// exception (std::bad_alloc above all: the engine does not throw otherwise)
// into an IOError naming the operation.

#ifndef SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_
#define SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_

#include <exception>
#include <new>
#include <string>

#include "sessionstore/status.h"

namespace sessionstore {

// Returns fn(), or an IOError "<operation>: <what>" if it throws.
template <typename Fn>
Status NoThrow(const char* operation, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Status::IOError(std::string(operation) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::IOError(std::string(operation) + ": " + e.what());
  } catch (...) {
    return Status::IOError(std::string(operation) + ": unknown exception");
  }
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_NO_THROW_H_
