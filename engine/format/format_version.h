// Copyright sessionstore authors.
//
// The on-disk format version, stored in the default column family when a
// store is created and checked on every open. docs/format.md describes this
// version; tests/engine/format/format_doc_test.cc keeps the two in step.

#ifndef SESSIONSTORE_ENGINE_FORMAT_FORMAT_VERSION_H_
#define SESSIONSTORE_ENGINE_FORMAT_FORMAT_VERSION_H_

namespace sessionstore {

// DO NOT CHANGE: stored on disk.
inline constexpr char kFormatVersionKey[] = "sessionstore.format_version";
// The version this build writes and reads. Version-4 to version-8 stores
// are upgraded by their first writable open (engine/store_upgrade.h), and
// a version-8 store is also read as it is by a read-only open (version 9
// only adds round records, which a version-8 store has none of); any other
// version is refused with NotSupported. Change only with docs/format.md.
inline constexpr char kFormatVersion[] = "9";
// The version before: readable as it is (see above).
inline constexpr char kPreviousFormatVersion[] = "8";

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_FORMAT_FORMAT_VERSION_H_
