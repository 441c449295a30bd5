// Copyright sessionstore authors.
//
// RFC 3339 times, as the ingest format and the CLI write them, converted to
// and from nanoseconds since the Unix epoch. Pure functions: safe from any
// thread.

#ifndef SESSIONSTORE_TIME_FORMAT_H_
#define SESSIONSTORE_TIME_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sessionstore {

// Parses an RFC 3339 date-time ("2024-05-01T12:00:00.5Z") into *ns,
// nanoseconds since the epoch. Accepts "T", "t" or a space between date and
// time, any number of fraction digits (past the ninth they are dropped) and
// an offset that is required: "Z", "z" or "+HH:MM"/"-HH:MM". Returns false,
// leaving *ns unchanged, on any other text, an impossible date
// ("2023-02-29") or a time that int64 nanoseconds cannot hold (outside about
// 1677 to 2262).
bool ParseTime(std::string_view text, int64_t* ns);

// Returns `ns` (nanoseconds since the epoch; any value) as RFC 3339 UTC:
// "2024-05-01T12:00:00Z" for a whole second, else with nine fraction digits
// ("2024-05-01T12:00:00.500000000Z"). For every `ns` that ParseTime can
// return, ParseTime gives it back.
std::string FormatTime(int64_t ns);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TIME_FORMAT_H_
