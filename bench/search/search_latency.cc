// Copyright sessionstore authors.
//
// search_latency: in-process latency of Store::Search (no process start or
// store open in the figures) on an existing store, for the queries given
// as arguments. Public API only.
//
// Usage: search_latency DB RUNS QUERY...
//   QUERY: text[|session=ID][|from=T|to=T][|user=U]   (times in ns or RFC 3339)
// Prints per query the hits of the first page (limit 20), and the min,
// median and max of RUNS runs in ms.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sessionstore/store.h"
#include "tools/query_args.h"

namespace ss = sessionstore;

namespace {

// Parses "text|key=value|..." into the text and options; false if malformed.
bool ParseQuery(const std::string& spec, std::string* text, ss::SearchOptions* o) {
  std::stringstream in(spec);
  std::string part;
  std::getline(in, *text, '|');
  while (std::getline(in, part, '|')) {
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "session") {
      o->session_id = value;
    } else if (key == "user") {
      o->user_id = value;
    } else if (key == "from" || key == "to") {
      if (!ss::ParseTimeArg(value, key == "from" ? &o->from_ns : &o->to_ns)) return false;
    } else {
      return false;
    }
  }
  return !text->empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: search_latency DB RUNS QUERY...\n");
    return 2;
  }
  ss::Options options;
  options.read_only = true;
  options.create_if_missing = false;
  std::unique_ptr<ss::Store> store;
  ss::Status s = ss::Store::Open(options, argv[1], &store);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 2;
  }
  const int runs = std::max(1, std::atoi(argv[2]));
  for (int q = 3; q < argc; ++q) {
    std::string text;
    ss::SearchOptions o;
    if (!ParseQuery(argv[q], &text, &o)) {
      std::fprintf(stderr, "bad query: %s\n", argv[q]);
      return 2;
    }
    std::vector<double> ms;
    ss::SearchPage page;
    for (int r = 0; r < runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      s = store->Search(text, o, &page);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!s.ok()) {
        std::fprintf(stderr, "search: %s\n", s.ToString().c_str());
        return 2;
      }
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-70s hits %2zu  min %8.2f  median %8.2f  max %8.2f ms\n", argv[q],
                page.hits.size(), ms.front(), ms[ms.size() / 2], ms.back());
  }
  return 0;
}
