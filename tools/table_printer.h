// Copyright sessionstore authors.
//
// TablePrinter: aligned plain-text tables for the CLI. Not thread-safe.

#ifndef SESSIONSTORE_TOOLS_TABLE_PRINTER_H_
#define SESSIONSTORE_TOOLS_TABLE_PRINTER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sessionstore {

class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display helpers shared by the CLI commands.
std::string FormatUsd(int64_t nano_usd);
std::string FormatDurationNs(int64_t ns);
// One line, at most max_chars characters (UTF-8 aware), newlines as spaces.
std::string Ellipsize(std::string_view text, std::size_t max_chars);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_TABLE_PRINTER_H_
