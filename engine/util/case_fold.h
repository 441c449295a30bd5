// TEMPORARY (replaced by the fold branch).
#ifndef SESSIONSTORE_ENGINE_UTIL_CASE_FOLD_H_
#define SESSIONSTORE_ENGINE_UTIL_CASE_FOLD_H_
#include <cstddef>
#include <string>
#include <string_view>
namespace sessionstore {
char32_t FoldCodePoint(char32_t c);
std::string FoldCase(std::string_view utf8);
bool FindFolded(std::string_view haystack, std::string_view folded_needle,
                std::size_t* pos = nullptr, std::size_t* len = nullptr);
}  // namespace sessionstore
#endif
