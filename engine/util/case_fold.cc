// TEMPORARY (replaced by the fold branch).
#include "engine/util/case_fold.h"
namespace sessionstore {
char32_t FoldCodePoint(char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
std::string FoldCase(std::string_view utf8) {
  std::string out(utf8);
  for (char& c : out) c = static_cast<char>(FoldCodePoint(static_cast<unsigned char>(c)));
  return out;
}
bool FindFolded(std::string_view haystack, std::string_view needle, std::size_t* pos,
                std::size_t* len) {
  const std::string h = FoldCase(haystack);
  const std::size_t at = h.find(needle);
  if (at == std::string::npos) return false;
  if (pos) *pos = at;
  if (len) *len = needle.size();
  return true;
}
}  // namespace sessionstore
