// Copyright sessionstore authors.
//
// ContentSearch: Store::Search, a scan of the `traces` family for traces
// whose input or output contains a text (Unicode simple case folding,
// engine/util/case_fold.h), newest first.
// There is no text index: `traces` is ordered by session, then start, so
//   - one session: a descending RangeScan of the session's window, which
//     already yields newest first and stops after the page and one more hit;
//   - every session: a forward skip-scan (per session a Seek to the
//     window's start, its traces in the window, a Seek past the session),
//     keeping the newest `limit + 1` hits in a heap. Its cost is reading
//     every trace of the window, for every page. With a window that has a
//     lower bound, the sessions come from the in-memory session table
//     (those active in the window, after a catch-up) instead of a walk of
//     every session, plus the traces without a session.
// Cursors bind the text, window, session and user, and hold the (start,
// trace id) of the page's last hit; the next page has the hits strictly
// older in that order.
//
// Thread safety: Search may be called concurrently.

#ifndef SESSIONSTORE_ENGINE_CONTENT_SEARCH_H_
#define SESSIONSTORE_ENGINE_CONTENT_SEARCH_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session_indexer.h"
#include "engine/session_table.h"
#include "engine/store_context.h"
#include "sessionstore/store.h"

namespace sessionstore {

class ContentSearch {
 public:
  // Every argument must outlive the search. Unless `read_only`, a windowed
  // search first catches the indexer up (read-your-writes).
  ContentSearch(const StoreContext* context, SessionIndexer* indexer, const SessionTable* table,
                bool read_only)
      : ctx_(context), indexer_(indexer), table_(table), read_only_(read_only) {}

  // As Store::Search.
  Status Search(std::string_view text, const SearchOptions& options, SearchPage* page) const;

 private:
  // The sessions active in the search's window (and the prefix of the
  // traces without a session), from the session table.
  Status WindowSessions(const SearchOptions& o, std::vector<std::string>* prefixes) const;

  const StoreContext* const ctx_;
  SessionIndexer* const indexer_;
  const SessionTable* const table_;
  const bool read_only_;
};

// Bytes of context on each side of the match in a snippet.
inline constexpr std::size_t kSnippetContextBytes = 60;

// Returns the snippet of a match of `length` bytes at `offset` of `text`:
// up to kSnippetContextBytes on each side, cut at UTF-8 character
// boundaries, "..." where cut, line breaks and tabs as spaces. Pure.
std::string MakeSnippet(std::string_view text, std::size_t offset, std::size_t length);

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_CONTENT_SEARCH_H_
