// Copyright sessionstore authors.
//
// Arguments shared by the CLI's read commands and the server's query API:
// times and session orders as users write them. Pure functions: safe from
// any thread.

#ifndef SESSIONSTORE_TOOLS_QUERY_ARGS_H_
#define SESSIONSTORE_TOOLS_QUERY_ARGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sessionstore/store.h"

namespace sessionstore {

// Parses RFC 3339 or integer nanoseconds into *ns. False (and *ns
// unchanged) on anything else, including an empty string.
bool ParseTimeArg(std::string_view text, int64_t* ns);

// The session order names ("last", "first", "cost", "tokens", "traces",
// "duration"), in SessionOrder's order.
const std::vector<std::pair<std::string, SessionOrder>>& SessionOrderNames();

// Parses an order name into *order. False if unknown.
bool ParseSessionOrder(std::string_view name, SessionOrder* order);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_QUERY_ARGS_H_
