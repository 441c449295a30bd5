// Copyright sessionstore authors.
//
// QueryApi: the server's read endpoints, independent of the HTTP library.
// Each answer is JSON with the same fields as the CLI's `--json` output
// (tools/output_json.h):
//
//   GET /healthz                                      {"status":"ok"}
//   GET /v1/sessions?from=&to=&user=&order=&asc=&limit=&cursor=&search=&tag=
//       &model=&errors=&min-cost=&max-cost=&min-tokens=&max-tokens=
//       &min-traces=&max-traces=&min-duration=&max-duration=
//                                                     `sessions --json` with the same
//                                                     filters (tag repeatable: all)
//   GET /v1/sessions/{id}                             `session --json` (404 if absent):
//                                                     the aggregate, latency percentiles
//                                                     and longest idle gap (reads every
//                                                     trace of the session)
//   GET /v1/sessions/{id}/traces?from=&to=&limit=&cursor=&desc=
//                                                     `timeline --json`
//   GET /v1/traces/{id}                               `trace --json` (404 if absent)
//   GET /v1/search?q=&from=&to=&session=&user=&limit=&cursor=
//                                                     `search --json` (q required)
//   GET /v1/analytics?from=&to=&user=&tag=&goal-tag=&by=
//                                                     `analytics --json` (tag repeatable:
//                                                     all; goal-tag default conversion;
//                                                     by: day or hour)
//
// Path segments and query values are percent-decoded ("a%2Fb" is the id
// "a/b"). Errors are {"error":"..."} with 400 (bad argument), 404 (unknown
// path or id) or 500 (store error).
//
// Thread safety: Get may be called from any number of threads.

#ifndef SESSIONSTORE_TOOLS_SERVER_QUERY_API_H_
#define SESSIONSTORE_TOOLS_SERVER_QUERY_API_H_

#include <map>
#include <string>
#include <string_view>

#include "sessionstore/store.h"

namespace sessionstore {

struct HttpReply {
  int status = 200;
  std::string body;  // JSON.
};

// Percent-decodes `in` into *out ('+' stays '+' in paths; in query values the
// caller maps it to a space first). False on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out);

class QueryApi {
 public:
  // `store` is not owned and must outlive the API.
  explicit QueryApi(Store* store) : store_(store) {}

  // Answers a GET of `target`, the raw request target ("/v1/sessions?limit=5").
  HttpReply Get(std::string_view target) const;

 private:
  using Params = std::multimap<std::string, std::string>;  // Repeated keys kept.

  HttpReply ListSessions(const Params& params) const;
  HttpReply Session(const std::string& id) const;
  HttpReply Timeline(const std::string& id, const Params& params) const;
  HttpReply Trace(const std::string& id) const;
  HttpReply Search(const Params& params) const;
  HttpReply Analytics(const Params& params) const;

  Store* const store_;
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SERVER_QUERY_API_H_
