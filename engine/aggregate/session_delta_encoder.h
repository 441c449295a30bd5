// Copyright sessionstore authors.
//
// The FlatBuffers encoding of a session delta (schema/session_delta.fbs),
// written once for every representation that has SessionDelta's fields:
// SessionDelta itself (owning strings and maps) and SessionFold's folded
// view (strings viewed in the encoded values it folded), so that a fold is
// encoded without first copying it into a SessionDelta.
//
// A representation `Delta` has SessionDelta's members by name: the eight
// counters, has_first / first_start_ns / first_trace_id / first_version /
// first_input (.value, .is_json), has_max_end / max_end_ns, models and tags
// (ranges of (name, ModelUsage) and (name, count) pairs, ascending by name,
// with no zero entries) and the registers last, last_user and last_name
// (LatestRegister's members). Strings may be std::string or
// std::string_view.
//
// Internal to engine/aggregate/ (session_delta.cc, session_fold.cc).

#ifndef SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_ENCODER_H_
#define SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_ENCODER_H_

#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "session_delta_generated.h"

namespace sessionstore {

// Frees a thread's scratch vector that grew past 4096 entries (a value
// with that many models or tags is rare; the memory is not kept for it).
template <typename V>
void ReleaseIfLarge(V* v) {
  if (v->capacity() > 4096) V().swap(*v);
}

template <typename Register>
flatbuffers::Offset<fb::LatestFb> EncodeLatestFields(flatbuffers::FlatBufferBuilder* b,
                                                     const Register& r) {
  flatbuffers::Offset<flatbuffers::String> tid, ftid;
  flatbuffers::Offset<fb::PayloadFb> value;
  if (r.has_best) {
    tid = b->CreateString(std::string_view(r.trace_id));
    value = fb::CreatePayloadFb(*b, b->CreateString(std::string_view(r.value.value)),
                                r.value.is_json);
  }
  if (r.has_floor) ftid = b->CreateString(std::string_view(r.floor_trace_id));
  fb::LatestFbBuilder l(*b);
  l.add_has_best(r.has_best);
  if (r.has_best) {
    l.add_start_ns(r.start_ns);
    l.add_trace_id(tid);
    l.add_version(r.version);
    l.add_value(value);
  }
  l.add_has_floor(r.has_floor);
  if (r.has_floor) {
    l.add_floor_start_ns(r.floor_start_ns);
    l.add_floor_trace_id(ftid);
  }
  return l.Finish();
}

// The encoded delta. One builder and offset vectors per thread (and
// representation), reused: the buffer grows to the largest value encoded
// (released past 1 MiB, the vectors past 4096 entries), so an encode
// allocates its result only.
template <typename Delta>
std::string EncodeDeltaFields(const Delta& d) {
  struct Scratch {
    flatbuffers::FlatBufferBuilder builder{1024};
    std::vector<flatbuffers::Offset<fb::ModelUsageFb>> models;
    std::vector<flatbuffers::Offset<fb::TagCountFb>> tags;
  };
  thread_local Scratch scratch;
  flatbuffers::FlatBufferBuilder& b = scratch.builder;
  b.Clear();
  std::vector<flatbuffers::Offset<fb::ModelUsageFb>>& models_fb = scratch.models;
  models_fb.clear();
  for (const auto& [name, m] : d.models) {
    models_fb.push_back(fb::CreateModelUsageFb(b, b.CreateString(std::string_view(name)), m.calls,
                                               m.prompt_tokens, m.completion_tokens,
                                               m.cost_nano_usd));
  }
  std::vector<flatbuffers::Offset<fb::TagCountFb>>& tags_fb = scratch.tags;
  tags_fb.clear();
  for (const auto& [tag, n] : d.tags) {
    tags_fb.push_back(fb::CreateTagCountFb(b, b.CreateString(std::string_view(tag)), n));
  }
  flatbuffers::Offset<flatbuffers::String> first_tid;
  flatbuffers::Offset<fb::PayloadFb> first_in;
  if (d.has_first) {
    first_tid = b.CreateString(std::string_view(d.first_trace_id));
    first_in = fb::CreatePayloadFb(b, b.CreateString(std::string_view(d.first_input.value)),
                                   d.first_input.is_json);
  }
  auto models_vec = b.CreateVector(models_fb);
  auto tags_vec = b.CreateVector(tags_fb);
  auto last_fb = EncodeLatestFields(&b, d.last);
  auto last_user_fb = EncodeLatestFields(&b, d.last_user);
  auto last_name_fb = EncodeLatestFields(&b, d.last_name);
  fb::SessionDeltaFbBuilder out(b);
  out.add_trace_count(d.trace_count);
  out.add_error_count(d.error_count);
  out.add_span_count(d.span_count);
  out.add_prompt_tokens(d.prompt_tokens);
  out.add_completion_tokens(d.completion_tokens);
  out.add_cost_nano_usd(d.cost_nano_usd);
  out.add_ttft_sum_ns(d.ttft_sum_ns);
  out.add_ttft_count(d.ttft_count);
  out.add_has_first(d.has_first);
  if (d.has_first) {
    out.add_first_start_ns(d.first_start_ns);
    out.add_first_trace_id(first_tid);
    out.add_first_version(d.first_version);
    out.add_first_input(first_in);
  }
  out.add_has_max_end(d.has_max_end);
  out.add_max_end_ns(d.max_end_ns);
  out.add_models(models_vec);
  out.add_tags(tags_vec);
  out.add_last(last_fb);
  out.add_last_user(last_user_fb);
  out.add_last_name(last_name_fb);
  b.Finish(out.Finish());
  std::string encoded(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  if (encoded.size() > (std::size_t{1} << 20)) b.Reset();
  ReleaseIfLarge(&models_fb);
  ReleaseIfLarge(&tags_fb);
  return encoded;
}

}  // namespace sessionstore

#endif  // SESSIONSTORE_ENGINE_AGGREGATE_SESSION_DELTA_ENCODER_H_
