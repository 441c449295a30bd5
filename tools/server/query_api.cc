// Copyright sessionstore authors.

#include "tools/server/query_api.h"

#include <charconv>
#include <vector>

#include "sessionstore/json.h"
#include "sessionstore/json_writer.h"
#include "tools/output_json.h"
#include "tools/query_args.h"
#include "tools/session_detail.h"

namespace sessionstore {

namespace {

HttpReply Error(int status, std::string_view message) {
  HttpReply r;
  r.status = status;
  {
    JsonObjectWriter w(&r.body);
    w.String("error", message);
  }
  return r;
}

HttpReply FromStatus(const Status& s) {
  if (s.IsNotFound()) return Error(404, s.message());
  if (s.IsInvalidArgument()) return Error(400, s.message());
  return Error(500, s.ToString());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits "a=1&b=x%20y" into decoded pairs. False on a malformed escape.
bool ParseQuery(std::string_view query, std::multimap<std::string, std::string>* params) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string item(query.substr(0, amp));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    for (char& c : item) {
      if (c == '+') c = ' ';
    }
    const std::size_t eq = item.find('=');
    std::string key, value;
    if (!PercentDecode(std::string_view(item).substr(0, eq), &key)) return false;
    if (eq != std::string::npos && !PercentDecode(std::string_view(item).substr(eq + 1), &value)) {
      return false;
    }
    params->emplace(std::move(key), std::move(value));
  }
  return true;
}

// A flag such as asc or desc: present and not "false" or "0".
bool Flag(const std::multimap<std::string, std::string>& params, const std::string& name) {
  const auto it = params.find(name);
  return it != params.end() && it->second != "false" && it->second != "0";
}

// An optional integer in [lo, hi]; false with *error set if malformed.
bool Limit(const std::multimap<std::string, std::string>& params, std::size_t lo, std::size_t hi,
           std::size_t* out, std::string* error) {
  const auto it = params.find("limit");
  if (it == params.end()) return true;
  std::size_t v = 0;
  const std::string& t = it->second;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || v < lo || v > hi) {
    *error = "limit: expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  *out = v;
  return true;
}

bool Window(const std::multimap<std::string, std::string>& params, int64_t* from, int64_t* to,
            std::string* error) {
  for (const auto& [name, dst] : {std::pair{"from", from}, std::pair{"to", to}}) {
    const auto it = params.find(name);
    if (it != params.end() && !ParseTimeArg(it->second, dst)) {
      *error = std::string(name) + ": expected RFC 3339 or integer nanoseconds";
      return false;
    }
  }
  return true;
}

// ListSessions' filter parameters (named as the CLI's flags).
SessionFilterArgs FilterArgs(const std::multimap<std::string, std::string>& params) {
  SessionFilterArgs f;
  auto one = [&](const char* name, std::string* dst) {
    if (const auto it = params.find(name); it != params.end()) *dst = it->second;
  };
  one("search", &f.search);
  one("model", &f.model);
  const auto [lo, hi] = params.equal_range("tag");
  for (auto it = lo; it != hi; ++it) f.tags.push_back(it->second);
  f.errors = Flag(params, "errors");
  one("min-cost", &f.min_cost);
  one("max-cost", &f.max_cost);
  one("min-tokens", &f.min_tokens);
  one("max-tokens", &f.max_tokens);
  one("min-traces", &f.min_traces);
  one("max-traces", &f.max_traces);
  one("min-duration", &f.min_duration);
  one("max-duration", &f.max_duration);
  return f;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

HttpReply QueryApi::Get(std::string_view target) const {
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  Params params;
  if (q != std::string_view::npos && !ParseQuery(target.substr(q + 1), &params)) {
    return Error(400, "malformed percent-escape in the query");
  }
  std::vector<std::string> parts;  // Decoded path segments.
  for (std::size_t pos = 1; pos <= path.size() && !path.empty();) {
    const std::size_t slash = std::min(path.find('/', pos), path.size());
    std::string segment;
    if (!PercentDecode(path.substr(pos, slash - pos), &segment)) {
      return Error(400, "malformed percent-escape in the path");
    }
    parts.push_back(std::move(segment));
    pos = slash + 1;
  }
  if (parts.size() == 1 && parts[0] == "healthz") return HttpReply{200, R"({"status":"ok"})"};
  if (parts.size() < 2 || parts[0] != "v1") return Error(404, "no such endpoint");
  if (parts[1] == "sessions") {
    if (parts.size() == 2) return ListSessions(params);
    if (parts.size() == 3 && !parts[2].empty()) return Session(parts[2]);
    if (parts.size() == 4 && !parts[2].empty() && parts[3] == "traces") {
      return Timeline(parts[2], params);
    }
  }
  if (parts[1] == "traces" && parts.size() == 3 && !parts[2].empty()) return Trace(parts[2]);
  if (parts[1] == "search" && parts.size() == 2) return Search(params);
  if (parts[1] == "analytics" && parts.size() == 2) return Analytics(params);
  return Error(404, "no such endpoint");
}

HttpReply QueryApi::ListSessions(const Params& params) const {
  ListSessionsOptions opts;
  opts.limit = 20;  // As `sessions`.
  std::string error;
  if (!Window(params, &opts.from_ns, &opts.to_ns, &error) ||
      !Limit(params, 1, 100000, &opts.limit, &error)) {
    return Error(400, error);
  }
  if (const auto it = params.find("order");
      it != params.end() && !ParseSessionOrder(it->second, &opts.order)) {
    return Error(400, "order: expected last, first, cost, tokens, traces, duration or errors");
  }
  if (const auto it = params.find("user"); it != params.end()) opts.user_id = it->second;
  if (const auto it = params.find("cursor"); it != params.end()) opts.cursor = it->second;
  opts.descending = !Flag(params, "asc");
  const Status fs = ApplySessionFilters(FilterArgs(params), "", &opts);
  if (!fs.ok()) return FromStatus(fs);
  SessionPage page;
  const Status s = store_->ListSessions(opts, &page);
  if (!s.ok()) return FromStatus(s);
  HttpReply r;
  AppendSessionPageJson(page.sessions, page.next_cursor, &r.body);
  return r;
}

HttpReply QueryApi::Session(const std::string& id) const {
  SessionSummary summary;
  Status s = store_->GetSession(id, &summary);
  if (!s.ok()) return FromStatus(s);
  SessionDetail detail;
  if (!(s = ComputeSessionDetail(store_, id, &detail)).ok()) return FromStatus(s);
  HttpReply r;
  AppendSessionJson(summary, &r.body, &detail);
  return r;
}

HttpReply QueryApi::Timeline(const std::string& id, const Params& params) const {
  TimelineOptions opts;
  std::string error;
  if (!Window(params, &opts.from_ns, &opts.to_ns, &error) ||
      !Limit(params, 1, 1000000, &opts.limit, &error)) {
    return Error(400, error);
  }
  if (const auto it = params.find("cursor"); it != params.end()) opts.cursor = it->second;
  opts.descending = Flag(params, "desc");
  TimelinePage page;
  const Status s = store_->Timeline(id, opts, &page);
  if (!s.ok()) return FromStatus(s);
  HttpReply r;
  AppendTimelinePageJson(page.traces, page.next_cursor, &r.body);
  return r;
}

HttpReply QueryApi::Trace(const std::string& id) const {
  sessionstore::Trace t;
  const Status s = store_->GetTrace(id, &t);
  if (!s.ok()) return FromStatus(s);
  HttpReply r;
  AppendTraceJson(t, &r.body);
  return r;
}

HttpReply QueryApi::Search(const Params& params) const {
  SearchOptions opts;
  opts.limit = 20;  // As `search`.
  const auto q = params.find("q");
  if (q == params.end() || q->second.empty()) return Error(400, "q: the text to find is required");
  std::string error;
  if (!Window(params, &opts.from_ns, &opts.to_ns, &error) ||
      !Limit(params, 1, 100000, &opts.limit, &error)) {
    return Error(400, error);
  }
  if (const auto it = params.find("session"); it != params.end()) opts.session_id = it->second;
  if (const auto it = params.find("user"); it != params.end()) opts.user_id = it->second;
  if (const auto it = params.find("cursor"); it != params.end()) opts.cursor = it->second;
  SearchPage page;
  const Status s = store_->Search(q->second, opts, &page);
  if (!s.ok()) return FromStatus(s);
  HttpReply r;
  AppendSearchPageJson(page, &r.body);
  return r;
}

HttpReply QueryApi::Analytics(const Params& params) const {
  AnalyticsOptions opts;
  std::string error;
  if (!Window(params, &opts.from_ns, &opts.to_ns, &error)) return Error(400, error);
  if (const auto it = params.find("by");
      it != params.end() && !ParseBucketName(it->second, &opts.bucket_ns)) {
    return Error(400, "by: expected day or hour");
  }
  if (const auto it = params.find("user"); it != params.end()) opts.user_id = it->second;
  if (const auto it = params.find("goal-tag"); it != params.end()) opts.goal_tag = it->second;
  const auto [lo, hi] = params.equal_range("tag");
  for (auto it = lo; it != hi; ++it) opts.tags.push_back(it->second);
  AnalyticsReport report;
  const Status s = store_->Analytics(opts, &report);
  if (!s.ok()) return FromStatus(s);
  HttpReply r;
  AppendAnalyticsJson(report, &r.body);
  return r;
}

}  // namespace sessionstore
