// Copyright sessionstore authors.
//
// The CLI's `--json` output (tools/output_json.h).

#include "tools/output_json.h"

#include <cmath>
#include <cstdio>

#include "sessionstore/json_writer.h"
#include "sessionstore/time_format.h"

namespace sessionstore {

namespace {

template <typename T, typename AppendFn>
void AppendPage(const char* key, const std::vector<T>& items, AppendFn append,
                const std::string& next_cursor, std::string* out) {
  JsonObjectWriter w(out);
  std::string* list = w.Key(key);
  list->push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) list->push_back(',');
    append(items[i], list);
  }
  list->push_back(']');
  w.String("next_cursor", next_cursor);
}

// Nanoseconds as a JSON number of milliseconds with six decimals.
std::string Milliseconds(double ns) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6f", ns / 1e6);
  return buf;
}

// A number with six decimals (means, rates).
std::string Fixed6(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.6f", v);
  return buf;
}

// How a distribution's values print: counts, durations or costs.
enum class Unit { kCount, kNanos, kNanoUsd };

void AppendDistribution(const Distribution& d, Unit unit, std::string* out) {
  JsonObjectWriter w(out);
  auto value = [&](std::string_view key, int64_t v) {
    if (unit == Unit::kNanos) {
      w.Raw(key, Milliseconds(static_cast<double>(v)));
    } else if (unit == Unit::kNanoUsd) {
      w.Usd(key, v);
    } else {
      w.Int(key, v);
    }
  };
  if (unit == Unit::kNanos) {
    w.Raw("mean", Milliseconds(d.mean));
  } else if (unit == Unit::kNanoUsd) {
    w.Usd("mean", std::llround(d.mean));
  } else {
    w.Raw("mean", Fixed6(d.mean));
  }
  value("p50", d.p50);
  value("p90", d.p90);
  value("p99", d.p99);
  value("min", d.min);
  value("max", d.max);
}

// The members of one SessionStats, on an open object.
void AppendStatsMembers(const SessionStats& s, JsonObjectWriter* w) {
  w->Int("session_count", s.session_count);
  w->Int("error_sessions", s.error_sessions);
  w->Int("goal_sessions", s.goal_sessions);
  w->Raw("error_session_rate", Fixed6(s.error_session_rate));
  w->Raw("completion_rate", Fixed6(s.completion_rate));
  AppendDistribution(s.traces, Unit::kCount, w->Key("traces"));
  AppendDistribution(s.duration_ns, Unit::kNanos, w->Key("duration_ms"));
  AppendDistribution(s.cost_nano_usd, Unit::kNanoUsd, w->Key("cost_usd"));
  AppendDistribution(s.total_tokens, Unit::kCount, w->Key("total_tokens"));
}

}  // namespace

void AppendAnalyticsJson(const AnalyticsReport& report, std::string* out) {
  JsonObjectWriter w(out);
  AppendStatsMembers(report.overall, &w);
  std::string* list = w.Key("buckets");
  list->push_back('[');
  for (std::size_t i = 0; i < report.buckets.size(); ++i) {
    if (i > 0) list->push_back(',');
    JsonObjectWriter bw(list);
    bw.String("start", FormatTime(report.buckets[i].first));
    AppendStatsMembers(report.buckets[i].second, &bw);
  }
  list->push_back(']');
}

void AppendSessionJson(const SessionSummary& s, std::string* out, const SessionDetail* detail) {
  JsonObjectWriter w(out);
  w.String("session_id", s.session_id);
  w.String("session_name", s.session_name);
  w.String("user_id", s.user_id);
  w.Int("trace_count", s.trace_count);
  w.Int("error_count", s.error_count);
  w.Int("span_count", s.span_count);
  w.Int("prompt_tokens", s.prompt_tokens);
  w.Int("completion_tokens", s.completion_tokens);
  w.Int("total_tokens", s.total_tokens);
  w.Usd("cost_usd", s.cost_nano_usd);
  w.String("first_trace_at", FormatTime(s.first_trace_at_ns));
  w.String("last_trace_at", FormatTime(s.last_trace_at_ns));
  w.Raw("duration_ms", Milliseconds(static_cast<double>(s.duration_ns)));
  {
    JsonObjectWriter models(w.Key("models"));
    for (const auto& [name, m] : s.models) {
      JsonObjectWriter mw(models.Key(name));
      mw.Int("calls", m.calls);
      mw.Int("prompt_tokens", m.prompt_tokens);
      mw.Int("completion_tokens", m.completion_tokens);
      mw.Usd("cost_usd", m.cost_nano_usd);
    }
  }
  {
    JsonObjectWriter tags(w.Key("tags"));
    for (const auto& [tag, n] : s.tags) tags.Int(tag, n);
  }
  w.Raw("ttft_ms_avg", s.ttft_count > 0 ? Milliseconds(s.ttft_avg_ns()) : "null");
  // Previews may be cut JSON, so they are always strings.
  w.String("first_input", s.first_input.value);
  w.String("last_output", s.last_output.value);
  if (detail == nullptr) return;
  const LatencyPercentiles& l = detail->latency;
  w.Raw("latency_ms_p50", l.p50_ns ? Milliseconds(static_cast<double>(*l.p50_ns)) : "null");
  w.Raw("latency_ms_p90", l.p90_ns ? Milliseconds(static_cast<double>(*l.p90_ns)) : "null");
  w.Raw("latency_ms_p99", l.p99_ns ? Milliseconds(static_cast<double>(*l.p99_ns)) : "null");
  if (!detail->longest_gap) {
    w.Raw("longest_idle_gap", "null");
    return;
  }
  const IdleGap& g = *detail->longest_gap;
  JsonObjectWriter gw(w.Key("longest_idle_gap"));
  gw.String("from", FormatTime(g.from_ns));
  gw.String("to", FormatTime(g.from_ns + g.idle_ns));
  gw.Raw("idle_ms", Milliseconds(static_cast<double>(g.idle_ns)));
  gw.String("after_trace_id", g.after_trace_id);
  gw.String("before_trace_id", g.before_trace_id);
}

void AppendUsageJson(std::string_view session_id, const std::vector<UsageRow>& usage,
                     std::string* out) {
  JsonObjectWriter w(out);
  w.String("session_id", session_id);
  std::string* list = w.Key("usage");
  list->push_back('[');
  for (std::size_t i = 0; i < usage.size(); ++i) {
    if (i > 0) list->push_back(',');
    const UsageRow& r = usage[i];
    JsonObjectWriter rw(list);
    rw.String("trace_id", r.trace_id);
    rw.String("start_time", FormatTime(r.start_ns));
    rw.Int("prompt_tokens", r.prompt_tokens);
    rw.Int("completion_tokens", r.completion_tokens);
    rw.Usd("cost_usd", r.cost_nano_usd);
    rw.Raw("latency_ms",
           r.latency_ns ? Milliseconds(static_cast<double>(*r.latency_ns)) : "null");
    rw.Usd("cumulative_cost_usd", r.cumulative_cost_nano_usd);
  }
  list->push_back(']');
}

void AppendTimelineEntryJson(const Trace& t, std::string* out) {
  AppendTimelineEntryWithMark(t, nullptr, out);
}

void AppendTimelineEntryWithMark(const Trace& t, const IdleMark* mark, std::string* out) {
  const TraceUsage u = ComputeTraceUsage(t);
  JsonObjectWriter w(out);
  w.String("trace_id", t.trace_id);
  w.String("name", t.name);
  w.String("start_time", FormatTime(t.start_ns));
  if (t.end_ns) {
    w.String("end_time", FormatTime(*t.end_ns));
  } else {
    w.Raw("end_time", "null");
  }
  w.String("status", u.has_error ? "error" : TraceStatusName(t.status));
  w.Int("span_count", static_cast<int64_t>(t.spans.size()));
  w.Int("prompt_tokens", u.prompt_tokens);
  w.Int("completion_tokens", u.completion_tokens);
  w.Int("total_tokens", u.total_tokens);
  w.Usd("cost_usd", u.cost_nano_usd);
  if (t.input.empty()) {
    w.Raw("input", "null");
  } else {
    w.Payload("input", t.input);
  }
  if (t.output.empty()) {
    w.Raw("output", "null");
  } else {
    w.Payload("output", t.output);
  }
  if (mark == nullptr) return;
  w.Raw("idle_before_ms", mark->idle_before_ns
                              ? Milliseconds(static_cast<double>(*mark->idle_before_ns))
                              : "null");
  w.Raw("gap", mark->gap ? "true" : "false");
}

void AppendSessionPageJson(const std::vector<SessionSummary>& sessions,
                           const std::string& next_cursor, std::string* out) {
  AppendPage(
      "sessions", sessions,
      [](const SessionSummary& s, std::string* o) { AppendSessionJson(s, o); }, next_cursor, out);
}

void AppendTimelinePageJson(const std::vector<Trace>& traces, const std::string& next_cursor,
                            std::string* out, const std::vector<IdleMark>* marks) {
  if (marks == nullptr) {
    AppendPage("traces", traces, AppendTimelineEntryJson, next_cursor, out);
    return;
  }
  std::size_t i = 0;
  AppendPage(
      "traces", traces,
      [&](const Trace& t, std::string* o) { AppendTimelineEntryWithMark(t, &(*marks)[i++], o); },
      next_cursor, out);
}

void AppendSearchPageJson(const SearchPage& page, std::string* out) {
  AppendPage(
      "traces", page.hits,
      [](const SearchHit& h, std::string* o) {
        JsonObjectWriter w(o);
        w.String("session_id", h.session_id);
        w.String("trace_id", h.trace_id);
        w.String("start_time", FormatTime(h.start_ns));
        w.String("field", h.field);
        w.String("snippet", h.snippet);
      },
      page.next_cursor, out);
}

}  // namespace sessionstore
