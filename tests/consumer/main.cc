// Embeds sessionstore through its installed headers and CMake package:
// ingests two traces and checks the session aggregate.
#include <sessionstore/store.h>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer DIR\n");
    return 2;
  }
  std::unique_ptr<sessionstore::Store> store;
  sessionstore::Status s = sessionstore::Store::Open(sessionstore::Options(), argv[1], &store);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<sessionstore::Trace> traces(2);
  for (int i = 0; i < 2; ++i) {
    traces[i].trace_id = "t" + std::to_string(i);
    traces[i].session_id = "s";
    traces[i].start_ns = 1'000'000'000LL * (i + 1);
    traces[i].prompt_tokens = 10;
  }
  sessionstore::IngestResult r;
  if (!(s = store->Ingest(traces, &r)).ok()) return 1;
  sessionstore::SessionSummary summary;
  if (!(s = store->GetSession("s", &summary)).ok()) return 1;
  std::printf("trace_count=%lld prompt_tokens=%lld\n", static_cast<long long>(summary.trace_count),
              static_cast<long long>(summary.prompt_tokens));
  return summary.trace_count == 2 && summary.prompt_tokens == 20 ? 0 : 1;
}
