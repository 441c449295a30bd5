// Copyright sessionstore authors.
//
// Arguments shared by the CLI's read commands and the server's query API:
// times, session orders and analytics buckets as users write them. Pure functions: safe from
// any thread.

#ifndef SESSIONSTORE_TOOLS_QUERY_ARGS_H_
#define SESSIONSTORE_TOOLS_QUERY_ARGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sessionstore/status.h"
#include "sessionstore/store.h"

namespace sessionstore {

// Parses RFC 3339 or integer nanoseconds into *ns. False (and *ns
// unchanged) on anything else, including an empty string.
bool ParseTimeArg(std::string_view text, int64_t* ns);

// The session order names ("last", "first", "cost", "tokens", "traces",
// "duration", "errors"), in SessionOrder's order.
const std::vector<std::pair<std::string, SessionOrder>>& SessionOrderNames();

// Parses an order name into *order. False if unknown.
bool ParseSessionOrder(std::string_view name, SessionOrder* order);

// Parses an analytics bucket name ("day" or "hour", as `analytics --by`
// and GET /v1/analytics?by= spell it) into AnalyticsOptions::bucket_ns.
// False if unknown.
bool ParseBucketName(std::string_view name, int64_t* bucket_ns);

// Parses a non-negative amount of US dollars with at most 9 decimals
// ("0.25", "3", "0.000001") into nano-USD. False on anything else or
// overflow.
bool ParseUsdNano(std::string_view text, int64_t* nano_usd);

// Parses a non-negative duration: an integer with a unit (ms, s, m, h, d),
// or a bare integer of milliseconds ("90s", "5m", "2h", "1500"). False on
// anything else or overflow.
bool ParseDurationArg(std::string_view text, int64_t* ns);

// ListSessions' filters as the `sessions` flags and the query API's
// parameters spell them (empty strings: not given).
struct SessionFilterArgs {
  std::string search;
  std::vector<std::string> tags;
  std::string model;
  bool errors = false;
  std::string min_cost, max_cost;          // USD
  std::string min_tokens, max_tokens;      // integers
  std::string min_traces, max_traces;      // integers
  std::string min_duration, max_duration;  // ParseDurationArg
};

// Sets the filters of *options from `args`. Returns InvalidArgument naming
// the option (`prefix` followed by e.g. "min-cost": "--" for the CLI, ""
// for the query API) and what it expects, or when a minimum is above its
// maximum.
Status ApplySessionFilters(const SessionFilterArgs& args, std::string_view prefix,
                           ListSessionsOptions* options);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_QUERY_ARGS_H_
