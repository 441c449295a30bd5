// Copyright sessionstore authors.

#include "engine/aggregate/session_fold.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/aggregate/aggregate_math.h"
#include "engine/aggregate/session_delta_encoder.h"
#include "session_delta_generated.h"

namespace sessionstore {

namespace {

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

SessionFold::PayloadView ViewPayload(const fb::PayloadFb* p) {
  if (p == nullptr) return {};
  return {View(p->value()), p->is_json()};
}

// As SessionDelta::Decode reads a register (all fields zero unless set).
SessionFold::RegisterView ViewLatest(const fb::LatestFb& in) {
  SessionFold::RegisterView r;
  r.has_best = in.has_best();
  if (r.has_best) {
    r.start_ns = in.start_ns();
    r.trace_id = View(in.trace_id());
    r.version = in.version();
    r.value = ViewPayload(in.value());
  }
  r.has_floor = in.has_floor();
  if (r.has_floor) {
    r.floor_start_ns = in.floor_start_ns();
    r.floor_trace_id = View(in.floor_trace_id());
  }
  return r;
}

SessionFold::PayloadView ViewPayload(const Payload& p) { return {p.value, p.is_json}; }

// A register's fields, viewed (all zero unless set, as ViewLatest above).
SessionFold::RegisterView ViewLatest(const LatestRegister& in) {
  SessionFold::RegisterView r;
  r.has_best = in.has_best;
  if (r.has_best) {
    r.start_ns = in.start_ns;
    r.trace_id = in.trace_id;
    r.version = in.version;
    r.value = ViewPayload(in.value);
  }
  r.has_floor = in.has_floor;
  if (r.has_floor) {
    r.floor_start_ns = in.floor_start_ns;
    r.floor_trace_id = in.floor_trace_id;
  }
  return r;
}

// `with_value` false: keys only (the index's `last` register).
LatestRegister Own(const SessionFold::RegisterView& v, bool with_value = true) {
  LatestRegister r;
  r.has_best = v.has_best;
  r.start_ns = v.start_ns;
  r.trace_id.assign(v.trace_id);
  r.version = v.version;
  if (with_value) r.value = Payload{std::string(v.value.value), v.value.is_json};
  r.has_floor = v.has_floor;
  r.floor_start_ns = v.floor_start_ns;
  r.floor_trace_id.assign(v.floor_trace_id);
  return r;
}

// The entry of `name` in a vector sorted by name, inserted (zero) if absent.
template <typename V>
typename V::value_type::second_type& EntryOf(V* v, std::string_view name) {
  auto it = std::lower_bound(v->begin(), v->end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it == v->end() || it->first != name) it = v->insert(it, {name, {}});
  return it->second;
}

// True when the entries' names are strictly ascending: each name at most
// once, so adding them one by one equals Decode's map (later duplicates
// would overwrite there).
template <typename Entries, typename NameOf>
bool StrictlyAscending(const Entries* entries, NameOf name_of) {
  if (entries == nullptr) return true;
  for (flatbuffers::uoffset_t i = 1; i < entries->size(); ++i) {
    if (!(name_of(entries->Get(i - 1)) < name_of(entries->Get(i)))) return false;
  }
  return true;
}

}  // namespace

bool SessionFold::Add(std::string_view raw) {
  std::string_view bytes = raw;
  if (reinterpret_cast<uintptr_t>(raw.data()) % 8 != 0) bytes = owned_.emplace_back(raw);
  const fb::SessionDeltaFb* d = VerifiedSessionDelta(bytes);
  if (d == nullptr || d->last() == nullptr || d->last_user() == nullptr ||
      d->last_name() == nullptr) {
    return false;
  }
  const int64_t counters[8] = {d->trace_count(),   d->error_count(),       d->span_count(),
                               d->prompt_tokens(), d->completion_tokens(), d->cost_nano_usd(),
                               d->ttft_sum_ns(),   d->ttft_count()};
  for (int i = 0; i < 8; ++i) SaturatingAccumulate(&counters_[i], counters[i], 1);
  FirstView first;
  if (d->has_first()) {
    first.has_first = true;
    first.first_start_ns = d->first_start_ns();
    first.first_trace_id = View(d->first_trace_id());
    first.first_version = d->first_version();
    first.first_input = ViewPayload(d->first_input());
  }
  KeepFirst(&first_, first);
  KeepMax(&has_max_end_, &max_end_ns_, d->has_max_end(), d->max_end_ns());
  const auto model_name = [](const fb::ModelUsageFb* m) { return View(m->model()); };
  const auto tag_name = [](const fb::TagCountFb* t) { return View(t->tag()); };
  if (!StrictlyAscending(d->models(), model_name) || !StrictlyAscending(d->tags(), tag_name)) {
    if (!AddDecoded(bytes)) return false;
  } else {
    if (const auto* models = d->models()) {
      for (const fb::ModelUsageFb* m : *models) {
        const ModelUsage u{m->calls(), m->prompt_tokens(), m->completion_tokens(),
                           m->cost_nano_usd()};
        if (!IsZero(u)) AccumulateUsage(&EntryOf(&models_, model_name(m)), u, 1);
      }
    }
    if (const auto* tags = d->tags()) {
      for (const fb::TagCountFb* t : *tags) {
        if (t->traces() != 0) SaturatingAccumulate(&EntryOf(&tags_, tag_name(t)), t->traces(), 1);
      }
    }
  }
  ComposeLatest(&latest_[0], ViewLatest(*d->last()));
  ComposeLatest(&latest_[1], ViewLatest(*d->last_user()));
  ComposeLatest(&latest_[2], ViewLatest(*d->last_name()));
  ++count_;
  return true;
}

void SessionFold::AddDelta(const SessionDelta& d) {
  const int64_t counters[8] = {d.trace_count,       d.error_count,   d.span_count,  d.prompt_tokens,
                               d.completion_tokens, d.cost_nano_usd, d.ttft_sum_ns, d.ttft_count};
  for (int i = 0; i < 8; ++i) SaturatingAccumulate(&counters_[i], counters[i], 1);
  if (d.has_first) {
    KeepFirst(&first_, FirstView{true, d.first_start_ns, d.first_trace_id, d.first_version,
                                 ViewPayload(d.first_input)});
  }
  KeepMax(&has_max_end_, &max_end_ns_, d.has_max_end, d.max_end_ns);
  // The maps hold each name once: entries add one by one, as Decode's would.
  for (const auto& [name, usage] : d.models) {
    if (!IsZero(usage)) AccumulateUsage(&EntryOf(&models_, name), usage, 1);
  }
  for (const auto& [tag, n] : d.tags) {
    if (n != 0) SaturatingAccumulate(&EntryOf(&tags_, tag), n, 1);
  }
  ComposeLatest(&latest_[0], ViewLatest(d.last));
  ComposeLatest(&latest_[1], ViewLatest(d.last_user));
  ComposeLatest(&latest_[2], ViewLatest(d.last_name));
  ++count_;
}

bool SessionFold::AddDecoded(std::string_view bytes) {
  SessionDelta decoded;
  if (!SessionDelta::Decode(bytes, &decoded)) return false;
  for (const auto& [name, usage] : decoded.models) {
    AccumulateUsage(&EntryOf(&models_, owned_.emplace_back(name)), usage, 1);
  }
  for (const auto& [tag, n] : decoded.tags) {
    SaturatingAccumulate(&EntryOf(&tags_, owned_.emplace_back(tag)), n, 1);
  }
  return true;
}

void SessionFold::Materialize(SessionDelta* out) const {
  *out = SessionDelta();
  int64_t* const counters[8] = {&out->trace_count,   &out->error_count,       &out->span_count,
                                &out->prompt_tokens, &out->completion_tokens, &out->cost_nano_usd,
                                &out->ttft_sum_ns,   &out->ttft_count};
  for (int i = 0; i < 8; ++i) *counters[i] = counters_[i];
  if (first_.has_first) {
    out->has_first = true;
    out->first_start_ns = first_.first_start_ns;
    out->first_trace_id.assign(first_.first_trace_id);
    out->first_version = first_.first_version;
    out->first_input = Payload{std::string(first_.first_input.value), first_.first_input.is_json};
  }
  out->has_max_end = has_max_end_;
  out->max_end_ns = max_end_ns_;
  for (const auto& [name, usage] : models_) {
    if (!IsZero(usage)) out->models.emplace_hint(out->models.end(), std::string(name), usage);
  }
  for (const auto& [tag, n] : tags_) {
    if (n != 0) out->tags.emplace_hint(out->tags.end(), std::string(tag), n);
  }
  out->last = Own(latest_[0]);
  out->last_user = Own(latest_[1]);
  out->last_name = Own(latest_[2]);
}

SessionIndexState SessionFold::IndexState() const {
  // As SessionIndexState::Of(Materialize()): the same fields, the same
  // zero entries dropped (tests/engine/aggregate/session_fold_test.cc).
  SessionIndexState s;
  s.trace_count = counters_[0];
  s.error_count = counters_[1];
  s.cost_nano_usd = counters_[5];
  s.total_tokens = SaturatingAdd(counters_[3], counters_[4]);
  s.has_first = first_.has_first;
  s.first_ns = first_.has_first ? first_.first_start_ns : 0;
  s.has_max_end = has_max_end_;
  s.max_end_ns = has_max_end_ ? max_end_ns_ : 0;
  s.last = Own(latest_[0], /*with_value=*/false);
  s.last_user = Own(latest_[1]);
  s.last_name = Own(latest_[2]);
  for (const auto& [name, usage] : models_) {
    if (!IsZero(usage)) s.models.emplace_hint(s.models.end(), std::string(name), usage);
  }
  for (const auto& [tag, n] : tags_) {
    if (n != 0) s.tags.emplace_hint(s.tags.end(), std::string(tag), n);
  }
  return s;
}

std::string SessionFold::Encode() const {
  // SessionDelta's fields as views into the folded values: what
  // Materialize would copy (zero map entries dropped), encoded in place.
  struct Fields {
    int64_t trace_count, error_count, span_count, prompt_tokens, completion_tokens, cost_nano_usd,
        ttft_sum_ns, ttft_count;
    bool has_first;
    int64_t first_start_ns;
    std::string_view first_trace_id;
    uint64_t first_version;
    PayloadView first_input;
    bool has_max_end;
    int64_t max_end_ns;
    std::vector<std::pair<std::string_view, ModelUsage>>& models;
    std::vector<std::pair<std::string_view, int64_t>>& tags;
    const RegisterView &last, &last_user, &last_name;
  };
  thread_local std::vector<std::pair<std::string_view, ModelUsage>> models;
  thread_local std::vector<std::pair<std::string_view, int64_t>> tags;
  models.clear();
  tags.clear();
  for (const auto& entry : models_) {
    if (!IsZero(entry.second)) models.push_back(entry);
  }
  for (const auto& entry : tags_) {
    if (entry.second != 0) tags.push_back(entry);
  }
  const Fields f{counters_[0],
                 counters_[1],
                 counters_[2],
                 counters_[3],
                 counters_[4],
                 counters_[5],
                 counters_[6],
                 counters_[7],
                 first_.has_first,  // The first_* fields are encoded only with it.
                 first_.first_start_ns,
                 first_.first_trace_id,
                 first_.first_version,
                 first_.first_input,
                 has_max_end_,
                 max_end_ns_,
                 models,
                 tags,
                 latest_[0],
                 latest_[1],
                 latest_[2]};
  std::string encoded = EncodeDeltaFields(f);
  ReleaseIfLarge(&models);
  ReleaseIfLarge(&tags);
  return encoded;
}

}  // namespace sessionstore
