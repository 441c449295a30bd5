// Copyright sessionstore authors.
//
// InfoLogger: RocksDB's info log (the store's LOG file), written with plain
// stdio and never failing. RocksDB's own file logger keeps writing through
// a file writer that already failed when the disk is full, which Debian's
// librocksdb (built with assertions) turns into an abort of the whole
// process; this one drops what it cannot write.
//
// Thread safety: Logv may be called from any thread.

#ifndef SESSIONSTORE_ENGINE_UTIL_INFO_LOGGER_H_
#define SESSIONSTORE_ENGINE_UTIL_INFO_LOGGER_H_

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace sessionstore {

class InfoLogger final : public rocksdb::Logger {
 public:
  // Appends to `path`, first moving a file over `max_bytes` to `path`.old.
  // Never fails: if the file cannot be opened, messages are dropped.
  static std::shared_ptr<InfoLogger> Open(const std::string& path, std::size_t max_bytes);
  ~InfoLogger() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  explicit InfoLogger(std::FILE* file) : file_(file) {}
  rocksdb::Status CloseImpl() override;

  std::mutex mu_;
  std::FILE* file_;  // Null: messages are dropped. Guarded by mu_.
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_INFO_LOGGER_H_
