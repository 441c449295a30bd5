// Copyright sessionstore authors.
//
// LineReader: the lines of a stream in bounded memory. A line longer than
// the limit is read to its end and skipped, never held, so any input (a
// 5 GB line included) is read with at most the limit plus one buffer.
//
// Thread safety: one reader per thread.

#ifndef SESSIONSTORE_TOOLS_LINE_READER_H_
#define SESSIONSTORE_TOOLS_LINE_READER_H_

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace sessionstore {

class LineReader {
 public:
  // Reads `in` (not owned; must outlive the reader) in chunks of
  // `buffer_bytes` (at least 4); lines over `limit` bytes are skipped.
  LineReader(std::istream* in, std::size_t limit, std::size_t buffer_bytes = 1u << 20);

  // The next line, without its '\n', in *line; *length is its size in bytes
  // (also for a skipped line). A line over the limit leaves *line empty and
  // sets *oversize. A UTF-8 byte order mark at the start of the stream is
  // not part of the first line. Returns false at the end of the stream (or
  // on a read error: see bad()).
  bool Next(std::string* line, std::size_t* length, bool* oversize);
  // True if the stream failed with a read error (not the end of input).
  bool bad() const { return in_->bad(); }

 private:
  // Refills the buffer; false when the stream has no more bytes.
  bool Fill();

  std::istream* const in_;
  const std::size_t limit_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool at_start_ = true;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_LINE_READER_H_
