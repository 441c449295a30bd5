// Copyright sessionstore authors.

#include "tools/workload_generator.h"

#include <algorithm>
#include <cmath>

namespace sessionstore {

namespace {
constexpr const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3-70b",
                                   "text-embedding-3-small"};
constexpr const char* kTags[] = {"prod", "beta", "support", "sales", "goal:resolved", "vip"};
constexpr const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ra",  "to", "shi", "ver",
                                      "an", "el", "or", "us", "qui", "be", "da",  "fen"};
}  // namespace

WorkloadGenerator::WorkloadGenerator(const WorkloadOptions& options)
    : options_(options),
      rng_(options.seed),
      session_clock_(std::max<std::size_t>(options.sessions, 1), 0),
      session_turns_(std::max<std::size_t>(options.sessions, 1), 0) {
  // A vocabulary with a Zipf-like use pattern compresses like real text.
  std::uniform_int_distribution<int> len(1, 4);
  std::uniform_int_distribution<std::size_t> syl(0, std::size(kSyllables) - 1);
  for (int i = 0; i < 2000; ++i) {
    std::string w;
    for (int j = len(rng_); j > 0; --j) w += kSyllables[syl(rng_)];
    words_.push_back(std::move(w));
  }
  // Power law over the vocabulary (low indexes are common words), as a
  // lookup table so that generating text costs no floating point.
  word_table_.resize(kWordTableSize);
  for (std::size_t i = 0; i < kWordTableSize; ++i) {
    const double u = (static_cast<double>(i) + 0.5) / kWordTableSize;
    word_table_[i] =
        std::min(static_cast<std::size_t>(std::pow(u, 3) * words_.size()), words_.size() - 1);
  }
  std::uniform_int_distribution<int64_t> offset(0, 30LL * 86400 * 1'000'000'000);
  for (auto& clock : session_clock_) clock = options_.start_ns + offset(rng_);
}

std::size_t WorkloadGenerator::PayloadSize() {
  // Log-normal with sigma 1.2: mean = exp(mu + sigma^2 / 2).
  const double sigma = 1.2;
  const double mu = std::log(static_cast<double>(options_.mean_payload_bytes)) - sigma * sigma / 2;
  std::lognormal_distribution<double> d(mu, sigma);
  return std::min<std::size_t>(static_cast<std::size_t>(d(rng_)) + 1, 64 * 1024);
}

std::string WorkloadGenerator::Text(std::size_t bytes) {
  std::string s;
  s.reserve(bytes + 16);
  while (s.size() < bytes) {
    const uint64_t r = rng_();
    s += words_[word_table_[r & (kWordTableSize - 1)]];
    s += (r >> 32) % 100 < 8 ? ". " : " ";
  }
  s.resize(bytes);
  return s;
}

Trace WorkloadGenerator::MakeTrace(std::size_t n) {
  std::uniform_real_distribution<double> u(0, 1);
  // Heavy-tailed session choice: P(index < k) = (k / N)^(1/3).
  const auto session =
      std::min(static_cast<std::size_t>(std::pow(u(rng_), 3) * session_clock_.size()),
               session_clock_.size() - 1);
  Trace t;
  t.trace_id = "tr-" + std::to_string(options_.seed) + "-" + std::to_string(n);
  t.session_id = "sess-" + std::to_string(session);
  t.user_id = "user-" + std::to_string(session % std::max<std::size_t>(options_.users, 1));
  if (session_turns_[session] == 0) t.session_name = "conversation " + std::to_string(session);
  t.name = u(rng_) < 0.7 ? "chat" : "agent-run";
  std::exponential_distribution<double> gap(1.0 / 45.0);  // Seconds between turns.
  session_clock_[session] += static_cast<int64_t>((gap(rng_) + 1.0) * 1e9);
  ++session_turns_[session];
  t.start_ns = session_clock_[session];
  t.input = Payload{Text(PayloadSize()), false};
  t.output = Payload{Text(PayloadSize()), false};
  t.tags.push_back(kTags[static_cast<std::size_t>(u(rng_) * std::size(kTags)) % std::size(kTags)]);
  t.metadata["env"] = u(rng_) < 0.8 ? "\"prod\"" : "\"staging\"";
  const int spans = 1 + static_cast<int>(u(rng_) * 5) % 5;
  int64_t clock = t.start_ns;
  for (int i = 0; i < spans; ++i) {
    Span s;
    s.span_id = "sp-" + std::to_string(i);
    if (i > 0) s.parent_span_id = "sp-0";
    s.start_ns = clock;
    const int64_t dur = static_cast<int64_t>((0.2 + u(rng_) * 3.0) * 1e9);
    if (i == 0) {
      s.kind = t.name == "chat" ? SpanKind::kChain : SpanKind::kAgent;
      s.name = t.name;
    } else {
      const double r = u(rng_);
      s.kind = r < 0.6 ? SpanKind::kLlm : r < 0.8 ? SpanKind::kTool : SpanKind::kRetriever;
      s.name = s.kind == SpanKind::kLlm    ? "completion"
               : s.kind == SpanKind::kTool ? "tool"
                                           : "search";
    }
    if (s.kind == SpanKind::kLlm || (spans == 1 && i == 0)) {
      if (spans == 1) s.kind = SpanKind::kLlm;
      s.model = kModels[static_cast<std::size_t>(u(rng_) * 4) % 4];
      s.prompt_tokens = 50 + static_cast<int64_t>(u(rng_) * 2000);
      s.completion_tokens = 10 + static_cast<int64_t>(u(rng_) * 500);
      s.cost_nano_usd = s.prompt_tokens * 2500 + s.completion_tokens * 10000;
      s.ttft_ns = static_cast<int64_t>((0.1 + u(rng_)) * 1e9);
    }
    s.end_ns = clock + dur;
    if (i > 0) clock += dur / 2;
    t.spans.push_back(std::move(s));
  }
  // The root span covers its children.
  int64_t end = t.start_ns;
  for (const Span& s : t.spans) end = std::max(end, *s.end_ns);
  t.spans[0].end_ns = end;
  t.end_ns = end;
  if (u(rng_) < options_.error_fraction) {
    Span& failing = t.spans.back();
    failing.status = TraceStatus::kError;
    failing.error = "upstream timeout after 30s";
    t.status = TraceStatus::kError;
    t.error = "span " + failing.span_id + " failed";
  } else {
    t.status = TraceStatus::kOk;
  }
  return t;
}

bool WorkloadGenerator::Next(Trace* trace) {
  std::uniform_real_distribution<double> u(0, 1);
  // Deferred versions come due after some other sends (out-of-order arrival).
  if (!later_.empty() && (later_.front().first == 0 || produced_ >= options_.traces)) {
    *trace = std::move(later_.front().second);
    later_.pop_front();
  } else if (produced_ < options_.traces) {
    Trace full = MakeTrace(produced_++);
    if (u(rng_) < options_.partial_fraction) {
      // First a partial version: root span only, no output, no end.
      Trace partial = full;
      partial.output = Payload();
      partial.end_ns.reset();
      partial.status = TraceStatus::kUnset;
      partial.error.clear();
      partial.spans.resize(1);
      partial.spans[0].end_ns.reset();
      later_.emplace_back(static_cast<std::size_t>(1 + u(rng_) * 50), std::move(full));
      *trace = std::move(partial);
    } else {
      *trace = std::move(full);
    }
  } else {
    return false;
  }
  for (auto& [wait, t] : later_) {
    if (wait > 0) --wait;
  }
  if (u(rng_) < options_.retry_fraction) later_.emplace_back(1 + u(rng_) * 20, *trace);
  std::stable_sort(later_.begin(), later_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return true;
}

}  // namespace sessionstore
