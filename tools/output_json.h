// Copyright sessionstore authors.
//
// The JSON the CLI prints for `session --json`, `sessions --json`,
// `timeline --json`, `search --json` and `analytics --json` (fields listed in README.md).
// Presentation only: the ingest format is sessionstore/json.h. Pure functions: safe from any
// thread.

#ifndef SESSIONSTORE_TOOLS_OUTPUT_JSON_H_
#define SESSIONSTORE_TOOLS_OUTPUT_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessionstore/session.h"
#include "sessionstore/store.h"
#include "sessionstore/trace.h"
#include "tools/session_detail.h"

namespace sessionstore {

// Appends the session as one JSON object: ids, counts, usage, cost, first and
// last trace times (RFC 3339), duration_ms, models, tags, ttft_ms_avg (null
// without TTFT data) and the input/output previews (always strings). With
// `detail` (`session --json`), also latency_ms_p50/p90/p99 (null when no
// trace has an end) and longest_idle_gap ({from, to, idle_ms,
// after_trace_id, before_trace_id} or null).
void AppendSessionJson(const SessionSummary& session, std::string* out,
                       const SessionDetail* detail = nullptr);

// Appends `session --usage --json`: {"session_id":...,"usage":[{trace_id,
// start_time, prompt_tokens, completion_tokens, cost_usd, latency_ms (null
// without an end), cumulative_cost_usd}, ...]}.
void AppendUsageJson(std::string_view session_id, const std::vector<UsageRow>& usage,
                     std::string* out);



// Appends one timeline row as a JSON object: trace_id, name, start and end
// times (end null if unknown), status ("error" if any span failed), span
// count, usage, cost, input and output (null when absent).
void AppendTimelineEntryJson(const Trace& trace, std::string* out);

// As AppendTimelineEntryJson, plus idle_before_ms and gap when `mark` is
// non-null.
void AppendTimelineEntryWithMark(const Trace& trace, const IdleMark* mark, std::string* out);

// Appends a page as {"sessions":[...],"next_cursor":"..."} (`sessions
// --json`, GET /v1/sessions).
void AppendSessionPageJson(const std::vector<SessionSummary>& sessions,
                           const std::string& next_cursor, std::string* out);

// Appends a page as {"traces":[...],"next_cursor":"..."} (`timeline --json`,
// GET /v1/sessions/{id}/traces), each trace as AppendTimelineEntryJson.
// With `marks` (one per trace, `timeline --gaps`), each entry also has
// idle_before_ms (null for the session's first trace) and gap (bool).
void AppendTimelinePageJson(const std::vector<Trace>& traces, const std::string& next_cursor,
                            std::string* out, const std::vector<IdleMark>* marks = nullptr);

// Appends `search --json`: {"traces":[{session_id, trace_id, start_time,
// field, snippet}, ...],"next_cursor":"..."}.
void AppendSearchPageJson(const SearchPage& page, std::string* out);

// Appends `analytics --json` (GET /v1/analytics): the overall statistics
// as {session_count, error_sessions, goal_sessions, error_session_rate,
// completion_rate, traces, duration_ms, cost_usd, total_tokens, buckets},
// each distribution as {mean, p50, p90, p99, min, max} (durations in ms
// with six decimals, costs in USD as cost_usd elsewhere, the mean cost
// rounded to the nano-USD, other means and the rates with six decimals),
// and buckets as [{"start":RFC 3339, the same statistics' fields}, ...].
void AppendAnalyticsJson(const AnalyticsReport& report, std::string* out);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_OUTPUT_JSON_H_
