// Copyright sessionstore authors.
//
// Format 4 -> 5: a version-4 store (its 'O' and 'U' entries and version
// written here over a version-5 store, as version 4 left them) is upgraded
// by a writable open and refused by a read-only one.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/aggregate/session_merge_operator.h"
#include "engine/column_families.h"
#include "engine/format/format_version.h"
#include "engine/rocksdb_options.h"
#include "engine/store_impl.h"
#include "tests/engine/test_util.h"

namespace sessionstore {
namespace {

using testing::ExpectVerifyClean;
using testing::IngestOrDie;
using testing::kSec;
using testing::kT0;
using testing::MakeTrace;
using testing::OpenOrDie;
using testing::TempDir;

// Opens the store's families with bare RocksDB and applies `edit`.
template <typename Edit>
void EditRaw(const std::string& path, Edit edit) {
  rocksdb::DBOptions o = MakeDBOptions(Options());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(
                  o, path, MakeColumnFamilies(Options(), std::make_shared<SessionMergeOperator>()),
                  &handles, &raw)
                  .ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  edit(db.get(), ColumnFamilies::FromHandles(handles));
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
}

std::size_t IndexKeysNotStates(const std::string& path, std::string* version) {
  std::size_t n = 0;
  EditRaw(path, [&](rocksdb::DB* db, const ColumnFamilies& cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf.index));
    for (it->SeekToFirst(); it->Valid(); it->Next()) n += it->key()[0] != kStateTag;
    ASSERT_TRUE(
        db->Get(rocksdb::ReadOptions(), cf.default_family, kFormatVersionKey, version).ok());
  });
  return n;
}

TEST(StoreUpgradeTest, Version4IsUpgradedByAWritableOpenOnly) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path());
    IngestOrDie(store.get(), {MakeTrace("t1", "s1", kT0), MakeTrace("t2", "s2", kT0 + kSec)});
  }
  EditRaw(dir.path(), [](rocksdb::DB* db, const ColumnFamilies& cf) {
    rocksdb::WriteBatch wb;
    ASSERT_TRUE(wb.Put(cf.index, "Ol" + std::string(8, '\1') + "x", "entry").ok());
    ASSERT_TRUE(wb.Put(cf.index, "U\1u" + std::string(8, '\1') + "x", "entry").ok());
    ASSERT_TRUE(wb.Put(cf.default_family, kFormatVersionKey, kUpgradableFormatVersion).ok());
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &wb).ok());
  });
  {
    Options ro;
    ro.read_only = true;
    std::unique_ptr<Store> store;
    Status s = Store::Open(ro, dir.path(), &store);
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
    EXPECT_NE(s.ToString().find("open it once writable"), std::string::npos) << s.ToString();
  }
  {
    auto store = OpenOrDie(dir.path());
    ExpectVerifyClean(store.get());
    SessionPage page;
    ASSERT_TRUE(store->ListSessions(ListSessionsOptions(), &page).ok());
    ASSERT_EQ(page.sessions.size(), 2u);
    EXPECT_EQ(page.sessions[0].session_id, "s2");
  }
  std::string version;
  EXPECT_EQ(IndexKeysNotStates(dir.path(), &version), 0u);
  EXPECT_EQ(version, kFormatVersion);
}

}  // namespace
}  // namespace sessionstore
