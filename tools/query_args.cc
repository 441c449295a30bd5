// Copyright sessionstore authors.

#include "tools/query_args.h"

#include <charconv>

#include "sessionstore/time_format.h"

namespace sessionstore {

bool ParseTimeArg(std::string_view text, int64_t* ns) {
  if (text.empty()) return false;
  if (ParseTime(text, ns)) return true;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  *ns = v;
  return true;
}

const std::vector<std::pair<std::string, SessionOrder>>& SessionOrderNames() {
  static const std::vector<std::pair<std::string, SessionOrder>> kNames = {
      {"last", SessionOrder::kLastActivity}, {"first", SessionOrder::kFirstActivity},
      {"cost", SessionOrder::kCost},         {"tokens", SessionOrder::kTotalTokens},
      {"traces", SessionOrder::kTraceCount}, {"duration", SessionOrder::kDuration},
      {"errors", SessionOrder::kErrorCount}};
  return kNames;
}

bool ParseSessionOrder(std::string_view name, SessionOrder* order) {
  for (const auto& [n, o] : SessionOrderNames()) {
    if (n == name) {
      *order = o;
      return true;
    }
  }
  return false;
}

}  // namespace sessionstore
