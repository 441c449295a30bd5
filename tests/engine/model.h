// Copyright sessionstore authors.
//
// TraceModel: a deliberately simple in-memory model of the store's
// semantics, written independently of the engine, for randomized tests.
// It keeps every trace's merged version and recomputes every aggregate from
// scratch on each query.

#ifndef SESSIONSTORE_TESTS_ENGINE_MODEL_H_
#define SESSIONSTORE_TESTS_ENGINE_MODEL_H_

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sessionstore/session.h"
#include "sessionstore/store.h"
#include "sessionstore/trace.h"

namespace sessionstore::testing {

class TraceModel {
 public:
  // Applies one accepted version. Returns false if the model says the store
  // must reject it (different session).
  bool Apply(const Trace& in) {
    auto it = traces_.find(in.trace_id);
    if (it == traces_.end()) {
      traces_[in.trace_id] = Canonical(in);
      return true;
    }
    Trace& t = it->second;
    if (!in.session_id.empty() && !t.session_id.empty() && in.session_id != t.session_id) {
      return false;
    }
    // Before any change: the stored version's effective end.
    const int64_t prev_effective_end = t.end_ns.value_or(t.start_ns);
    auto take = [](std::string* dst, const std::string& src) {
      if (!src.empty()) *dst = src;
    };
    take(&t.session_id, in.session_id);
    take(&t.session_name, in.session_name);
    take(&t.user_id, in.user_id);
    take(&t.name, in.name);
    take(&t.error, in.error);
    take(&t.model, in.model);
    if (in.status != TraceStatus::kUnset) t.status = in.status;
    if (!in.input.empty()) t.input = in.input;
    if (!in.output.empty()) t.output = in.output;
    for (const auto& kv : in.metadata) t.metadata[kv.first] = kv.second;
    for (const auto& tag : in.tags) t.tags.push_back(tag);
    for (const Span& s : in.spans) {
      Span* old = nullptr;
      for (Span& candidate : t.spans) {
        if (candidate.span_id == s.span_id) old = &candidate;
      }
      if (old == nullptr) {
        t.spans.push_back(s);
        continue;
      }
      // Present fields of the incoming span win.
      if (!s.parent_span_id.empty()) old->parent_span_id = s.parent_span_id;
      if (!s.name.empty()) old->name = s.name;
      if (s.kind != SpanKind::kOther) old->kind = s.kind;
      if (s.start_ns) old->start_ns = s.start_ns;
      if (s.end_ns) old->end_ns = s.end_ns;
      if (s.status != TraceStatus::kUnset) old->status = s.status;
      if (!s.error.empty()) old->error = s.error;
      if (!s.model.empty()) old->model = s.model;
      if (s.prompt_tokens) old->prompt_tokens = s.prompt_tokens;
      if (s.completion_tokens) old->completion_tokens = s.completion_tokens;
      if (s.cost_nano_usd) old->cost_nano_usd = s.cost_nano_usd;
      if (s.ttft_ns) old->ttft_ns = s.ttft_ns;
      if (!s.input.empty()) old->input = s.input;
      if (!s.output.empty()) old->output = s.output;
      for (const auto& kv : s.attributes) old->attributes[kv.first] = kv.second;
    }
    if (in.prompt_tokens) t.prompt_tokens = in.prompt_tokens;
    if (in.completion_tokens) t.completion_tokens = in.completion_tokens;
    if (in.cost_nano_usd) t.cost_nano_usd = in.cost_nano_usd;
    if (in.end_ns) t.end_ns = t.end_ns ? std::max(*t.end_ns, *in.end_ns) : *in.end_ns;
    const int64_t prev_start = t.start_ns;
    std::optional<int64_t> prev_end = t.end_ns;
    t = Canonical(t);
    t.start_ns = std::min({t.start_ns, prev_start, Canonical(in).start_ns});
    if (prev_end) t.end_ns = std::max(*t.end_ns, *prev_end);
    // A version without an end counted its start as its end; ends never
    // decrease.
    if (t.end_ns ? *t.end_ns < prev_effective_end : prev_effective_end > t.start_ns) {
      t.end_ns = prev_effective_end;
    }
    return true;
  }

  // The stored form: tags sorted/unique, spans by (start, id), start and end
  // covering the spans.
  static Trace Canonical(Trace t) {
    std::sort(t.tags.begin(), t.tags.end());
    t.tags.erase(std::unique(t.tags.begin(), t.tags.end()), t.tags.end());
    auto key = [](const Span& s) {
      return std::make_tuple(s.start_ns.value_or(std::numeric_limits<int64_t>::min()), s.span_id);
    };
    std::sort(t.spans.begin(), t.spans.end(),
              [&](const Span& a, const Span& b) { return key(a) < key(b); });
    bool any_end = t.end_ns.has_value();
    int64_t end = t.end_ns.value_or(std::numeric_limits<int64_t>::min());
    for (const Span& s : t.spans) {
      if (s.start_ns) t.start_ns = std::min(t.start_ns, *s.start_ns);
      if (s.end_ns) {
        any_end = true;
        end = std::max(end, *s.end_ns);
      }
    }
    if (any_end) t.end_ns = std::max(end, t.start_ns);
    return t;
  }

  const std::map<std::string, Trace>& traces() const { return traces_; }

  // Deletes as Store::DeleteSession, DeleteUser and DeleteTracesBefore do;
  // returns what they must report.
  DeleteResult EraseSession(const std::string& session) {
    return EraseIf([&](const Trace& t) { return t.session_id == session; });
  }
  DeleteResult EraseUser(const std::string& user) {
    std::set<std::string> sessions;
    for (const auto& kv : traces_) {
      if (kv.second.user_id == user && !kv.second.session_id.empty()) {
        sessions.insert(kv.second.session_id);
      }
    }
    return EraseIf([&](const Trace& t) {
      return t.session_id.empty() ? t.user_id == user : sessions.count(t.session_id) != 0;
    });
  }
  DeleteResult EraseBefore(int64_t time_ns) {
    return EraseIf([&](const Trace& t) { return t.start_ns < time_ns; });
  }

  // Traces of a session ordered by (start, trace id).
  std::vector<const Trace*> SessionTraces(const std::string& session) const {
    std::vector<const Trace*> out;
    for (const auto& kv : traces_) {
      if (kv.second.session_id == session) out.push_back(&kv.second);
    }
    std::sort(out.begin(), out.end(), [](const Trace* a, const Trace* b) {
      return std::tie(a->start_ns, a->trace_id) < std::tie(b->start_ns, b->trace_id);
    });
    return out;
  }

  template <typename Pred>
  DeleteResult EraseIf(Pred doomed) {
    DeleteResult r;
    std::map<std::string, std::pair<int, int>> by_session;  // (deleted, kept)
    for (auto it = traces_.begin(); it != traces_.end();) {
      const bool gone = doomed(it->second);
      if (!it->second.session_id.empty()) {
        auto& c = by_session[it->second.session_id];
        ++(gone ? c.first : c.second);
      }
      if (gone) {
        ++r.traces_deleted;
        it = traces_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [session, c] : by_session) {
      if (c.first == 0) continue;
      ++(c.second == 0 ? r.sessions_deleted : r.sessions_trimmed);
    }
    return r;
  }

  std::vector<std::string> Sessions() const {
    std::vector<std::string> out;
    for (const auto& kv : traces_) {
      if (!kv.second.session_id.empty()) out.push_back(kv.second.session_id);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  SessionSummary Summary(const std::string& session) const {
    SessionSummary s;
    s.session_id = session;
    const auto traces = SessionTraces(session);
    int64_t max_end = std::numeric_limits<int64_t>::min();
    for (const Trace* t : traces) {
      ++s.trace_count;
      bool error = t->status == TraceStatus::kError;
      s.span_count += static_cast<int64_t>(t->spans.size());
      auto add_model = [&](const std::string& m, int64_t p, int64_t c, int64_t cost) {
        ModelUsage& u = s.models[m];
        u.calls += 1;
        u.prompt_tokens += p;
        u.completion_tokens += c;
        u.cost_nano_usd += cost;
        s.prompt_tokens += p;
        s.completion_tokens += c;
        s.cost_nano_usd += cost;
      };
      if (t->spans.empty() &&
          (!t->model.empty() || t->prompt_tokens || t->completion_tokens || t->cost_nano_usd)) {
        add_model(t->model, t->prompt_tokens, t->completion_tokens, t->cost_nano_usd);
      }
      for (const Span& sp : t->spans) {
        if (sp.status == TraceStatus::kError) error = true;
        if (sp.kind == SpanKind::kLlm || sp.kind == SpanKind::kEmbedding) {
          add_model(sp.model, sp.prompt_tokens, sp.completion_tokens, sp.cost_nano_usd);
        }
        if (sp.ttft_ns) {
          s.ttft_count++;
          s.ttft_sum_ns += *sp.ttft_ns;
        }
      }
      if (error) ++s.error_count;
      for (const auto& tag : t->tags) s.tags[tag]++;
      max_end = std::max(max_end, t->end_ns.value_or(t->start_ns));
      if (!t->user_id.empty()) s.user_id = t->user_id;  // Later traces win.
      if (!t->session_name.empty()) s.session_name = t->session_name;
    }
    s.total_tokens = s.prompt_tokens + s.completion_tokens;
    if (!traces.empty()) {
      s.first_trace_at_ns = traces.front()->start_ns;
      s.last_trace_at_ns = traces.back()->start_ns;
      s.duration_ns = max_end - s.first_trace_at_ns;
      s.first_input = MakePreview(traces.front()->input);
      s.last_output = MakePreview(traces.back()->output);
    }
    // Models with nothing in them do not appear.
    for (auto it = s.models.begin(); it != s.models.end();) {
      it = it->second == ModelUsage{} ? s.models.erase(it) : std::next(it);
    }
    return s;
  }

 private:
  std::map<std::string, Trace> traces_;
};

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_ENGINE_MODEL_H_
