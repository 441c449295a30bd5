// Copyright sessionstore authors.
//
// Conversion of RocksDB statuses to sessionstore's Status at the API
// boundary, and the printable form of ids used in every error message.

#ifndef SESSIONSTORE_ENGINE_UTIL_ROCKS_STATUS_H_
#define SESSIONSTORE_ENGINE_UTIL_ROCKS_STATUS_H_

#include <rocksdb/status.h>

#include <string>
#include <string_view>

#include "sessionstore/status.h"

namespace sessionstore {

// OK for OK; otherwise the matching code with "<context>: <rocksdb message>".
Status FromRocks(const rocksdb::Status& s, std::string_view context);

// `s` quoted, with bytes outside printable ASCII as \xNN, cut after 128
// bytes (ids may hold any bytes).
std::string Printable(std::string_view s);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_UTIL_ROCKS_STATUS_H_
