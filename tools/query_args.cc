// Copyright sessionstore authors.

#include "tools/query_args.h"

#include <charconv>
#include <cstdint>

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

bool ParseBucketName(std::string_view name, int64_t* bucket_ns) {
  if (name == "day") {
    *bucket_ns = 86'400'000'000'000;
  } else if (name == "hour") {
    *bucket_ns = 3'600'000'000'000;
  } else {
    return false;
  }
  return true;
}

bool ParseUsdNano(std::string_view text, int64_t* nano_usd) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 9 || (dot != std::string_view::npos && frac.empty())) {
    return false;
  }
  int64_t units = 0, part = 0;
  auto all_digits = [](std::string_view t) {
    return t.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!all_digits(whole) || !all_digits(frac)) return false;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), units);
  if (ec != std::errc() || end != whole.data() + whole.size()) return false;
  if (!frac.empty()) {
    std::from_chars(frac.data(), frac.data() + frac.size(), part);
    for (std::size_t i = frac.size(); i < 9; ++i) part *= 10;
  }
  constexpr int64_t kNano = 1'000'000'000;
  if (units > (INT64_MAX - part) / kNano) return false;
  *nano_usd = units * kNano + part;
  return true;
}

bool ParseDurationArg(std::string_view text, int64_t* ns) {
  static const std::pair<std::string_view, int64_t> kUnits[] = {{"ms", 1'000'000},
                                                                {"s", 1'000'000'000},
                                                                {"m", 60'000'000'000},
                                                                {"h", 3'600'000'000'000},
                                                                {"d", 86'400'000'000'000}};
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data() || n < 0) return false;
  const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  int64_t scale = unit.empty() ? 1'000'000 : 0;  // Bare integers are milliseconds.
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) scale = factor;
  }
  if (scale == 0 || n > INT64_MAX / scale) return false;
  *ns = n * scale;
  return true;
}

namespace {

using Parser = bool (*)(std::string_view, int64_t*);

bool ParseCount(std::string_view text, int64_t* v) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && end == text.data() + text.size() && *v >= 0 && !text.empty();
}

// Parses one bound into *dst unless `text` is empty.
Status ParseBound(const std::string& text, std::string_view prefix, const char* name,
                  const char* expects, Parser parse, int64_t* dst) {
  if (text.empty() || parse(text, dst)) return Status::OK();
  return Status::InvalidArgument(std::string(prefix) + name + ": expected " + expects + ", got '" +
                                 text + "'");
}

}  // namespace

Status ApplySessionFilters(const SessionFilterArgs& a, std::string_view prefix,
                           ListSessionsOptions* o) {
  o->search = a.search;
  o->tags = a.tags;
  o->model = a.model;
  o->errors_only = a.errors;
  struct Bound {
    const std::string& text;
    const char* name;
    const char* expects;
    Parser parse;
    int64_t* dst;
  };
  static const char kUsd[] = "a non-negative amount of USD (at most 9 decimals)";
  static const char kInt[] = "a non-negative integer";
  static const char kDur[] = "a duration such as 90s, 5m, 2h or milliseconds";
  const Bound bounds[] = {
      {a.min_cost, "min-cost", kUsd, ParseUsdNano, &o->cost_nano_usd.min},
      {a.max_cost, "max-cost", kUsd, ParseUsdNano, &o->cost_nano_usd.max},
      {a.min_tokens, "min-tokens", kInt, ParseCount, &o->total_tokens.min},
      {a.max_tokens, "max-tokens", kInt, ParseCount, &o->total_tokens.max},
      {a.min_traces, "min-traces", kInt, ParseCount, &o->trace_count.min},
      {a.max_traces, "max-traces", kInt, ParseCount, &o->trace_count.max},
      {a.min_duration, "min-duration", kDur, ParseDurationArg, &o->duration_ns.min},
      {a.max_duration, "max-duration", kDur, ParseDurationArg, &o->duration_ns.max}};
  for (const Bound& b : bounds) {
    Status s = ParseBound(b.text, prefix, b.name, b.expects, b.parse, b.dst);
    if (!s.ok()) return s;
  }
  const std::pair<const char*, const Int64Range*> ranges[] = {{"cost", &o->cost_nano_usd},
                                                              {"tokens", &o->total_tokens},
                                                              {"traces", &o->trace_count},
                                                              {"duration", &o->duration_ns}};
  for (const auto& [name, r] : ranges) {
    if (r->min > r->max) {
      return Status::InvalidArgument(std::string(prefix) + "min-" + name + " is above " +
                                     std::string(prefix) + "max-" + name);
    }
  }
  return Status::OK();
}

}  // namespace sessionstore
