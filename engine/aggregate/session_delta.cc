// Copyright sessionstore authors.

#include "engine/aggregate/session_delta.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/aggregate/aggregate_math.h"
#include "engine/aggregate/session_delta_encoder.h"
#include "engine/format/keys.h"
#include "engine/format/trace_codec.h"
#include "session_delta_generated.h"

namespace sessionstore {

namespace {

void Add(int64_t* a, int64_t b, int64_t sign) { SaturatingAccumulate(a, b, sign); }

void AddCounters(SessionDelta* a, const SessionDelta& b, int64_t sign) {
  Add(&a->trace_count, b.trace_count, sign);
  Add(&a->error_count, b.error_count, sign);
  Add(&a->span_count, b.span_count, sign);
  Add(&a->prompt_tokens, b.prompt_tokens, sign);
  Add(&a->completion_tokens, b.completion_tokens, sign);
  Add(&a->cost_nano_usd, b.cost_nano_usd, sign);
  Add(&a->ttft_sum_ns, b.ttft_sum_ns, sign);
  Add(&a->ttft_count, b.ttft_count, sign);
  for (const auto& [name, usage] : b.models) AddModelUsage(&a->models, name, usage, sign);
  for (const auto& [tag, n] : b.tags) AddTagCount(&a->tags, tag, sign < 0 ? -n : n);
}

// False when the register is missing: every supported format writes all
// three.
bool DecodeLatest(const fb::LatestFb* in, LatestRegister* out) {
  *out = LatestRegister();
  if (in == nullptr) return false;
  out->has_best = in->has_best();
  if (out->has_best) {
    out->start_ns = in->start_ns();
    if (in->trace_id()) out->trace_id = in->trace_id()->str();
    out->version = in->version();
    DecodePayload(in->value(), &out->value);
  }
  out->has_floor = in->has_floor();
  if (out->has_floor) {
    out->floor_start_ns = in->floor_start_ns();
    if (in->floor_trace_id()) out->floor_trace_id = in->floor_trace_id()->str();
  }
  return true;
}

}  // namespace

bool IsZero(const ModelUsage& m) {
  return m.calls == 0 && m.prompt_tokens == 0 && m.completion_tokens == 0 && m.cost_nano_usd == 0;
}

void AccumulateUsage(ModelUsage* a, const ModelUsage& d, int64_t sign) {
  Add(&a->calls, d.calls, sign);
  Add(&a->prompt_tokens, d.prompt_tokens, sign);
  Add(&a->completion_tokens, d.completion_tokens, sign);
  Add(&a->cost_nano_usd, d.cost_nano_usd, sign);
}

void AddModelUsage(std::map<std::string, ModelUsage>* models, const std::string& name,
                   const ModelUsage& d, int64_t sign) {
  auto it = models->try_emplace(name).first;
  AccumulateUsage(&it->second, d, sign);
  if (IsZero(it->second)) models->erase(it);
}

void AddTagCount(std::map<std::string, int64_t>* tags, const std::string& tag, int64_t n) {
  auto it = tags->try_emplace(tag, 0).first;
  Add(&it->second, n, 1);
  if (it->second == 0) tags->erase(it);
}

SessionDelta SessionDelta::RetractionOf(const Trace& old) {
  SessionDelta d;
  d.last.Retract(old.start_ns, old.trace_id);
  if (!old.user_id.empty()) d.last_user.Retract(old.start_ns, old.trace_id);
  if (!old.session_name.empty()) d.last_name.Retract(old.start_ns, old.trace_id);
  return d;
}

std::size_t PreviewLength(std::string_view value) {
  if (value.size() <= kPreviewBytes) return value.size();
  std::size_t cut = kPreviewBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut never
  // splits a character.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

SessionDelta SessionDelta::FromTrace(const Trace& trace, uint64_t version) {
  SessionDelta d;
  d.AddTrace(trace, version);
  return d;
}

namespace {

// The trace's usage per model, summed as a map of its own would hold it
// (each model's spans in span order, from zero), so that adding each sum
// equals Add of that map, saturation included. Sorted stably (a trace may
// name up to kMaxSpans models: no search per span). The thread's vector is
// reused.
using ModelSums = std::vector<std::pair<const std::string*, ModelUsage>>;

void SumModels(const Trace& trace, ModelSums* sums) {
  sums->clear();
  ReleaseIfLarge(sums);  // A large one is given back.
  if (trace.spans.empty()) {
    if (!trace.model.empty() || trace.prompt_tokens != 0 || trace.completion_tokens != 0 ||
        trace.cost_nano_usd != 0) {
      sums->push_back({&trace.model, ModelUsage{1, trace.prompt_tokens, trace.completion_tokens,
                                                trace.cost_nano_usd}});
    }
    return;
  }
  for (const Span& span : trace.spans) {
    if (IsGenerationKind(span.kind)) {
      sums->push_back({&span.model, ModelUsage{1, span.prompt_tokens, span.completion_tokens,
                                               span.cost_nano_usd}});
    }
  }
  auto by_name = [](const auto& a, const auto& b) { return *a.first < *b.first; };
  if (sums->size() <= 16) {
    // Insertion sort (stable, no buffer): a trace names a few models.
    for (std::size_t i = 1; i < sums->size(); ++i) {
      std::rotate(std::upper_bound(sums->begin(), sums->begin() + i, (*sums)[i], by_name),
                  sums->begin() + i, sums->begin() + i + 1);
    }
  } else {
    std::stable_sort(sums->begin(), sums->end(), by_name);
  }
  // Each run of one model folded into its first entry, in span order.
  std::size_t out = 0;
  for (std::size_t i = 0; i < sums->size(); ++i) {
    const auto [model, usage] = (*sums)[i];
    if (out > 0 && *(*sums)[out - 1].first == *model) {
      AccumulateUsage(&(*sums)[out - 1].second, usage, 1);
    } else {
      ModelUsage sum;  // From zero, as a new map entry.
      AccumulateUsage(&sum, usage, 1);
      (*sums)[out++] = {model, sum};
    }
  }
  sums->resize(out);
}

}  // namespace

void SessionDelta::AddTrace(const Trace& trace, uint64_t v) {
  const TraceUsage usage = ComputeTraceUsage(trace);
  int64_t ttft_sum = 0;
  int64_t ttft_n = 0;
  for (const Span& span : trace.spans) {
    if (span.ttft_ns) {
      ttft_sum += *span.ttft_ns;
      ttft_n += 1;
    }
  }
  // The counters as AddCounters adds FromTrace's.
  SaturatingAccumulate(&trace_count, 1, 1);
  SaturatingAccumulate(&error_count, usage.has_error ? 1 : 0, 1);
  SaturatingAccumulate(&span_count, static_cast<int64_t>(trace.spans.size()), 1);
  SaturatingAccumulate(&prompt_tokens, usage.prompt_tokens, 1);
  SaturatingAccumulate(&completion_tokens, usage.completion_tokens, 1);
  SaturatingAccumulate(&cost_nano_usd, usage.cost_nano_usd, 1);
  SaturatingAccumulate(&ttft_sum_ns, ttft_sum, 1);
  SaturatingAccumulate(&ttft_count, ttft_n, 1);
  thread_local ModelSums sums;
  SumModels(trace, &sums);
  for (const auto& [model, u] : sums) AddModelUsage(&models, *model, u, 1);
  // Tags are distinct in a stored (normalized) trace, but a repeated one
  // counts once per occurrence, as FromTrace's map did.
  for (const std::string& tag : trace.tags) AddTagCount(&tags, tag, 1);
  // The first-trace register: KeepFirst of the trace's offer.
  const int64_t first = usage.effective_start_ns;
  if (!has_first || std::tie(first, trace.trace_id) < std::tie(first_start_ns, first_trace_id) ||
      (std::tie(first, trace.trace_id) == std::tie(first_start_ns, first_trace_id) &&
       v > first_version)) {
    has_first = true;
    first_start_ns = first;
    first_trace_id = trace.trace_id;
    first_version = v;
    const std::size_t cut = PreviewLength(trace.input.value);
    first_input.value.assign(trace.input.value, 0, cut);
    first_input.is_json = cut == trace.input.value.size() && trace.input.is_json;
  }
  KeepMax(&has_max_end, &max_end_ns, true, usage.effective_end_ns);
  const std::size_t out_cut = PreviewLength(trace.output.value);
  last.Offer(trace.start_ns, trace.trace_id, v,
             std::string_view(trace.output.value).substr(0, out_cut),
             out_cut == trace.output.value.size() && trace.output.is_json);
  if (!trace.user_id.empty()) {
    last_user.Offer(trace.start_ns, trace.trace_id, v, trace.user_id, false);
  }
  if (!trace.session_name.empty()) {
    last_name.Offer(trace.start_ns, trace.trace_id, v, trace.session_name, false);
  }
}

void SessionDelta::Add(const SessionDelta& other) {
  AddCounters(this, other, 1);
  KeepFirst(this, other);
  KeepMax(&has_max_end, &max_end_ns, other.has_max_end, other.max_end_ns);
  last.Then(other.last);
  last_user.Then(other.last_user);
  last_name.Then(other.last_name);
}

void SessionDelta::Absorb(SessionDelta&& other) noexcept {
  SaturatingAccumulate(&trace_count, other.trace_count, 1);
  SaturatingAccumulate(&error_count, other.error_count, 1);
  SaturatingAccumulate(&span_count, other.span_count, 1);
  SaturatingAccumulate(&prompt_tokens, other.prompt_tokens, 1);
  SaturatingAccumulate(&completion_tokens, other.completion_tokens, 1);
  SaturatingAccumulate(&cost_nano_usd, other.cost_nano_usd, 1);
  SaturatingAccumulate(&ttft_sum_ns, other.ttft_sum_ns, 1);
  SaturatingAccumulate(&ttft_count, other.ttft_count, 1);
  // As AddModelUsage and AddTagCount, but an entry this delta lacks moves
  // over as its node (a node insert allocates nothing).
  for (auto it = other.models.begin(); it != other.models.end();) {
    const auto next = std::next(it);
    const auto mine = models.find(it->first);
    if (mine != models.end()) {
      AccumulateUsage(&mine->second, it->second, 1);
      if (IsZero(mine->second)) models.erase(mine);
    } else if (!IsZero(it->second)) {
      models.insert(other.models.extract(it));
    }
    it = next;
  }
  for (auto it = other.tags.begin(); it != other.tags.end();) {
    const auto next = std::next(it);
    const auto mine = tags.find(it->first);
    if (mine != tags.end()) {
      SaturatingAccumulate(&mine->second, it->second, 1);
      if (mine->second == 0) tags.erase(mine);
    } else if (it->second != 0) {
      tags.insert(other.tags.extract(it));
    }
    it = next;
  }
  KeepFirst(this, std::move(other));
  KeepMax(&has_max_end, &max_end_ns, other.has_max_end, other.max_end_ns);
  ComposeLatest(&last, std::move(other.last));
  ComposeLatest(&last_user, std::move(other.last_user));
  ComposeLatest(&last_name, std::move(other.last_name));
  other = SessionDelta();  // Moved and move-assigned: nothing allocated.
}

void SessionDelta::SubtractCounters(const SessionDelta& other) { AddCounters(this, other, -1); }

bool SessionDelta::IsIdentity() const {
  return trace_count == 0 && error_count == 0 && span_count == 0 && prompt_tokens == 0 &&
         completion_tokens == 0 && cost_nano_usd == 0 && ttft_sum_ns == 0 && ttft_count == 0 &&
         !has_first && !has_max_end && models.empty() && tags.empty() && last.IsIdentity() &&
         last_user.IsIdentity() && last_name.IsIdentity();
}

std::string SessionDelta::Encode() const { return EncodeDeltaFields(*this); }

std::size_t SessionDelta::ApproximateBytes() const {
  // Fitted to encodings (tests/engine/aggregate/session_fold_test.cc):
  // 96 bytes for the tables of an empty delta, 8 a counter that is not
  // zero, and for each part present its table and offsets plus its
  // strings' bytes.
  const int64_t counters[8] = {trace_count,   error_count,       span_count,
                               prompt_tokens, completion_tokens, cost_nano_usd,
                               ttft_sum_ns,   ttft_count};
  std::size_t n = 96 + (has_max_end ? 8 : 0);
  for (const int64_t c : counters) n += c != 0 ? 8 : 0;
  for (const LatestRegister* r : {&last, &last_user, &last_name}) {
    if (r->has_best) n += 64 + r->trace_id.size() + r->value.value.size();
    if (r->has_floor) n += 24 + r->floor_trace_id.size();
  }
  if (has_first) n += 48 + first_trace_id.size() + first_input.value.size();
  for (const auto& [name, usage] : models) n += 64 + name.size();
  for (const auto& [tag, count] : tags) n += 36 + tag.size();
  return n;
}

const fb::SessionDeltaFb* VerifiedSessionDelta(std::string_view bytes) {
  // Every table takes at least 4 bytes: bound the table count by the size,
  // not by the Verifier's default of one million, which a large valid
  // aggregate (many tags or models) could exceed.
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                 /*max_depth=*/64, /*max_tables=*/bytes.size() / 4 + 16);
  if (!fb::VerifySessionDeltaFbBuffer(verifier)) return nullptr;
  return fb::GetSessionDeltaFb(bytes.data());
}

bool SessionDelta::Decode(std::string_view raw, SessionDelta* out) {
  AlignScratch scratch;
  const fb::SessionDeltaFb* d = VerifiedSessionDelta(AlignedForFlatBuffers(raw, scratch.get()));
  if (d == nullptr) return false;
  *out = SessionDelta();
  out->trace_count = d->trace_count();
  out->error_count = d->error_count();
  out->span_count = d->span_count();
  out->prompt_tokens = d->prompt_tokens();
  out->completion_tokens = d->completion_tokens();
  out->cost_nano_usd = d->cost_nano_usd();
  out->ttft_sum_ns = d->ttft_sum_ns();
  out->ttft_count = d->ttft_count();
  out->has_first = d->has_first();
  if (out->has_first) {
    out->first_start_ns = d->first_start_ns();
    if (d->first_trace_id()) out->first_trace_id = d->first_trace_id()->str();
    out->first_version = d->first_version();
    DecodePayload(d->first_input(), &out->first_input);
  }
  out->has_max_end = d->has_max_end();
  out->max_end_ns = d->max_end_ns();
  if (const auto* models = d->models()) {
    for (const fb::ModelUsageFb* m : *models) {
      ModelUsage u{m->calls(), m->prompt_tokens(), m->completion_tokens(), m->cost_nano_usd()};
      if (!IsZero(u)) out->models[m->model() ? m->model()->str() : std::string()] = u;
    }
  }
  if (const auto* tags = d->tags()) {
    for (const fb::TagCountFb* t : *tags) {
      if (t->traces() != 0) out->tags[t->tag() ? t->tag()->str() : std::string()] = t->traces();
    }
  }
  return DecodeLatest(d->last(), &out->last) && DecodeLatest(d->last_user(), &out->last_user) &&
         DecodeLatest(d->last_name(), &out->last_name);
}

void SessionDelta::MoveToSummary(SessionSummary* s) {
  s->trace_count = trace_count;
  s->error_count = error_count;
  s->span_count = span_count;
  s->prompt_tokens = prompt_tokens;
  s->completion_tokens = completion_tokens;
  s->total_tokens = SaturatingAdd(prompt_tokens, completion_tokens);
  s->cost_nano_usd = cost_nano_usd;
  s->ttft_sum_ns = ttft_sum_ns;
  s->ttft_count = ttft_count;
  s->first_trace_at_ns = has_first ? first_start_ns : 0;
  s->duration_ns = (has_first && has_max_end) ? SaturatingSub(max_end_ns, first_start_ns) : 0;
  s->first_input = std::move(first_input);
  s->models = std::move(models);
  s->tags = std::move(tags);
}

}  // namespace sessionstore
