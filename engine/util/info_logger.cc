// Copyright sessionstore authors.

#include "engine/util/info_logger.h"

#include <sys/time.h>

#include <ctime>
#include <filesystem>
#include <system_error>

namespace sessionstore {

std::shared_ptr<InfoLogger> InfoLogger::Open(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > max_bytes && !ec) {
    std::filesystem::rename(path, path + ".old", ec);
  }
  return std::shared_ptr<InfoLogger>(new InfoLogger(std::fopen(path.c_str(), "a")));
}

InfoLogger::~InfoLogger() { (void)CloseImpl(); }

rocksdb::Status InfoLogger::CloseImpl() {
  std::lock_guard<std::mutex> l(mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  return rocksdb::Status::OK();
}

void InfoLogger::Logv(const char* format, va_list ap) {
  char line[1024];
  struct timeval now;
  gettimeofday(&now, nullptr);
  struct tm t;
  localtime_r(&now.tv_sec, &t);
  int n = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        static_cast<long>(now.tv_usec));
  if (n < 0) n = 0;
  va_list copy;
  va_copy(copy, ap);
  const int m = std::vsnprintf(line + n, sizeof(line) - n, format, copy);
  va_end(copy);
  std::size_t len = static_cast<std::size_t>(n) + (m < 0 ? 0 : static_cast<std::size_t>(m));
  if (len > sizeof(line) - 2) len = sizeof(line) - 2;  // Cut long messages.
  if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
  std::lock_guard<std::mutex> l(mu_);
  if (file_ == nullptr) return;
  // Errors (a full disk) drop the message; the log is never worth a crash.
  if (std::fwrite(line, 1, len, file_) == len) std::fflush(file_);
  std::clearerr(file_);
}

}  // namespace sessionstore
