// Copyright sessionstore authors.

#include "engine/format/trace_codec.h"

#include <flatbuffers/flatbuffers.h>

#include <vector>

#include "engine/format/keys.h"
#include "trace_record_generated.h"

namespace sessionstore {

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// What one thread's encodes reuse: the builder (its buffer grows to the
// largest record built, and is released past kKeptBuilderBytes) and the
// offset vectors. Encoding a trace then allocates its result only (it took
// two to five allocations; bench/README.md, "fewer allocations per trace").
struct EncodeScratch {
  FlatBufferBuilder builder{1024};
  std::vector<Offset<fb::SpanFb>> spans;
  std::vector<Offset<flatbuffers::String>> strings;
  std::vector<Offset<fb::KeyValueFb>> kvs;
};
constexpr std::size_t kKeptBuilderBytes = std::size_t{1} << 20;

EncodeScratch& ThreadScratch() {
  thread_local EncodeScratch scratch;
  scratch.builder.Clear();
  scratch.spans.clear();
  return scratch;
}

Offset<flatbuffers::Vector<Offset<fb::KeyValueFb>>> WriteMap(
    FlatBufferBuilder* b, const std::map<std::string, std::string>& m,
    std::vector<Offset<fb::KeyValueFb>>* scratch) {
  if (m.empty()) return 0;
  std::vector<Offset<fb::KeyValueFb>>& kvs = *scratch;
  kvs.clear();
  for (const auto& [k, v] : m) {
    kvs.push_back(fb::CreateKeyValueFb(*b, b->CreateString(k), b->CreateString(v)));
  }
  return b->CreateVector(kvs);
}

Offset<flatbuffers::String> WriteString(FlatBufferBuilder* b, const std::string& s) {
  return s.empty() ? 0 : b->CreateString(s);
}

void ReadMap(const flatbuffers::Vector<Offset<fb::KeyValueFb>>* kvs,
             std::map<std::string, std::string>* out) {
  out->clear();
  if (kvs == nullptr) return;
  for (const fb::KeyValueFb* kv : *kvs) {
    (*out)[kv->key() ? kv->key()->str() : std::string()] = kv->json() ? kv->json()->str() : "";
  }
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

TraceStatus ReadStatus(uint8_t v) {
  return v <= 2 ? static_cast<TraceStatus>(v) : TraceStatus::kUnset;
}

// The Payload table of a trace or span: a null offset (field absent) for an
// empty payload.
Offset<fb::PayloadFb> EncodePayload(FlatBufferBuilder* b, const Payload& p) {
  if (p.empty()) return 0;
  return fb::CreatePayloadFb(*b, b->CreateString(p.value), p.is_json);
}

}  // namespace

void DecodePayload(const fb::PayloadFb* p, Payload* out) {
  *out = Payload();
  if (p == nullptr) return;
  if (p->value()) out->value = p->value()->str();
  out->is_json = p->is_json();
}

std::string EncodeTrace(const Trace& t, uint64_t version) {
  EncodeScratch& scratch = ThreadScratch();
  FlatBufferBuilder& b = scratch.builder;
  std::vector<Offset<fb::SpanFb>>& spans = scratch.spans;
  for (const Span& s : t.spans) {
    auto id = b.CreateString(s.span_id);
    auto parent = WriteString(&b, s.parent_span_id);
    auto name = WriteString(&b, s.name);
    auto error = WriteString(&b, s.error);
    auto model = WriteString(&b, s.model);
    auto input = EncodePayload(&b, s.input);
    auto output = EncodePayload(&b, s.output);
    auto attrs = WriteMap(&b, s.attributes, &scratch.kvs);
    fb::SpanFbBuilder sb(b);
    sb.add_span_id(id);
    sb.add_parent_span_id(parent);
    sb.add_name(name);
    sb.add_kind(static_cast<fb::SpanKindFb>(s.kind));
    sb.add_has_start(s.start_ns.has_value());
    sb.add_start_ns(s.start_ns.value_or(0));
    sb.add_has_end(s.end_ns.has_value());
    sb.add_end_ns(s.end_ns.value_or(0));
    sb.add_status(static_cast<uint8_t>(s.status));
    sb.add_error(error);
    sb.add_model(model);
    sb.add_prompt_tokens(s.prompt_tokens);
    sb.add_completion_tokens(s.completion_tokens);
    sb.add_cost_nano_usd(s.cost_nano_usd);
    sb.add_has_ttft(s.ttft_ns.has_value());
    sb.add_ttft_ns(s.ttft_ns.value_or(0));
    sb.add_input(input);
    sb.add_output(output);
    sb.add_attributes(attrs);
    spans.push_back(sb.Finish());
  }
  auto spans_vec = spans.empty() ? 0 : b.CreateVector(spans);
  std::vector<Offset<flatbuffers::String>>& tags = scratch.strings;
  tags.clear();
  for (const std::string& tag : t.tags) tags.push_back(b.CreateString(tag));
  auto tags_vec = tags.empty() ? 0 : b.CreateVector(tags);
  auto trace_id = b.CreateString(t.trace_id);
  auto session_id = WriteString(&b, t.session_id);
  auto session_name = WriteString(&b, t.session_name);
  auto user_id = WriteString(&b, t.user_id);
  auto name = WriteString(&b, t.name);
  auto error = WriteString(&b, t.error);
  auto input = EncodePayload(&b, t.input);
  auto output = EncodePayload(&b, t.output);
  auto metadata = WriteMap(&b, t.metadata, &scratch.kvs);
  auto model = WriteString(&b, t.model);
  fb::TraceRecordFbBuilder r(b);
  r.add_trace_id(trace_id);
  r.add_session_id(session_id);
  r.add_session_name(session_name);
  r.add_user_id(user_id);
  r.add_name(name);
  r.add_start_ns(t.start_ns);
  r.add_has_end(t.end_ns.has_value());
  r.add_end_ns(t.end_ns.value_or(0));
  r.add_status(static_cast<uint8_t>(t.status));
  r.add_error(error);
  r.add_input(input);
  r.add_output(output);
  r.add_metadata(metadata);
  r.add_tags(tags_vec);
  r.add_spans(spans_vec);
  r.add_model(model);
  r.add_prompt_tokens(t.prompt_tokens);
  r.add_completion_tokens(t.completion_tokens);
  r.add_cost_nano_usd(t.cost_nano_usd);
  r.add_version(version);
  b.Finish(r.Finish());
  std::string record(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  if (record.size() > kKeptBuilderBytes) b.Reset();
  return record;
}

namespace {
const fb::TraceRecordFb* VerifiedRecord(std::string_view bytes) {
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                 /*max_depth=*/64, /*max_tables=*/bytes.size() / 4 + 16);
  if (!fb::VerifyTraceRecordFbBuffer(verifier)) return nullptr;
  const fb::TraceRecordFb* r = fb::GetTraceRecordFb(bytes.data());
  if (r->trace_id() == nullptr || r->trace_id()->size() == 0) return nullptr;
  return r;
}
}  // namespace

bool DecodeTrace(std::string_view raw, Trace* t, uint64_t* version) {
  AlignScratch scratch;
  const fb::TraceRecordFb* r = VerifiedRecord(AlignedForFlatBuffers(raw, scratch.get()));
  if (r == nullptr) return false;
  *t = Trace();
  t->trace_id = Str(r->trace_id());
  t->session_id = Str(r->session_id());
  t->session_name = Str(r->session_name());
  t->user_id = Str(r->user_id());
  t->name = Str(r->name());
  t->start_ns = r->start_ns();
  if (r->has_end()) t->end_ns = r->end_ns();
  t->status = ReadStatus(r->status());
  t->error = Str(r->error());
  DecodePayload(r->input(), &t->input);
  DecodePayload(r->output(), &t->output);
  ReadMap(r->metadata(), &t->metadata);
  if (const auto* tags = r->tags()) {
    t->tags.reserve(tags->size());
    for (const flatbuffers::String* tag : *tags) t->tags.push_back(tag->str());
  }
  if (const auto* spans = r->spans()) {
    t->spans.resize(spans->size());
    for (flatbuffers::uoffset_t i = 0; i < spans->size(); ++i) {
      const fb::SpanFb* s = spans->Get(i);
      Span& span = t->spans[i];
      span.span_id = Str(s->span_id());
      span.parent_span_id = Str(s->parent_span_id());
      span.name = Str(s->name());
      const auto kind = static_cast<uint8_t>(s->kind());
      span.kind = kind <= static_cast<uint8_t>(SpanKind::kGuardrail) ? static_cast<SpanKind>(kind)
                                                                     : SpanKind::kOther;
      if (s->has_start()) span.start_ns = s->start_ns();
      if (s->has_end()) span.end_ns = s->end_ns();
      span.status = ReadStatus(s->status());
      span.error = Str(s->error());
      span.model = Str(s->model());
      span.prompt_tokens = s->prompt_tokens();
      span.completion_tokens = s->completion_tokens();
      span.cost_nano_usd = s->cost_nano_usd();
      if (s->has_ttft()) span.ttft_ns = s->ttft_ns();
      DecodePayload(s->input(), &span.input);
      DecodePayload(s->output(), &span.output);
      ReadMap(s->attributes(), &span.attributes);
    }
  }
  t->model = Str(r->model());
  t->prompt_tokens = r->prompt_tokens();
  t->completion_tokens = r->completion_tokens();
  t->cost_nano_usd = r->cost_nano_usd();
  *version = r->version();
  return true;
}

bool DecodeTraceText(std::string_view raw, std::string* user_id, Payload* input, Payload* output) {
  AlignScratch scratch;
  const fb::TraceRecordFb* r = VerifiedRecord(AlignedForFlatBuffers(raw, scratch.get()));
  if (r == nullptr) return false;
  *user_id = Str(r->user_id());
  DecodePayload(r->input(), input);
  DecodePayload(r->output(), output);
  return true;
}

bool DecodeTraceOutput(std::string_view raw, Payload* output, int64_t* start_ns) {
  AlignScratch scratch;
  const fb::TraceRecordFb* r = VerifiedRecord(AlignedForFlatBuffers(raw, scratch.get()));
  if (r == nullptr) return false;
  DecodePayload(r->output(), output);
  *start_ns = r->start_ns();
  return true;
}

}  // namespace sessionstore
