// Copyright sessionstore authors.

#include "tools/line_reader.h"

#include <cstring>

namespace sessionstore {

LineReader::LineReader(std::istream* in, std::size_t limit, std::size_t buffer_bytes)
    : in_(in), limit_(limit), buf_(buffer_bytes < 4 ? 4 : buffer_bytes) {}

bool LineReader::Fill() {
  pos_ = 0;
  end_ = 0;
  if (!*in_) return false;
  in_->read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
  end_ = static_cast<std::size_t>(in_->gcount());
  return end_ > 0;
}

bool LineReader::Next(std::string* line, std::size_t* length, bool* oversize) {
  line->clear();
  *length = 0;
  *oversize = false;
  bool any = false;
  for (;;) {
    if (pos_ == end_ && !Fill()) return any;
    if (at_start_) {
      at_start_ = false;
      // A byte order mark that some editors write: not part of the record.
      if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
      if (pos_ == end_) continue;
    }
    any = true;
    const char* start = buf_.data() + pos_;
    const std::size_t avail = end_ - pos_;
    const void* nl = std::memchr(start, '\n', avail);
    const std::size_t take = nl ? static_cast<const char*>(nl) - start : avail;
    *length += take;
    if (!*oversize && *length > limit_) {
      *oversize = true;
      std::string().swap(*line);  // Release what was held.
    }
    if (!*oversize) line->append(start, take);
    pos_ += take;
    if (nl != nullptr) {
      ++pos_;
      return true;
    }
  }
}

}  // namespace sessionstore
