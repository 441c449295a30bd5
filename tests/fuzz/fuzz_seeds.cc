// Copyright sessionstore authors.
//
// fuzz_seeds DIR: writes seed inputs for each fuzz target into DIR/<target>/
// (valid encodings the targets' decoders accept, so fuzzing starts from
// inside the formats instead of guessing them): trace records, session
// deltas, index states, dirty markers, keys, locators,
// cursors, JSON lines, and real write-ahead logs of a small store. Built and
// run by scripts/fuzz.sh.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/aggregate/session_delta.h"
#include "engine/aggregate/session_index_state.h"
#include "engine/format/dirty_marker.h"
#include "engine/format/keys.h"
#include "engine/format/round_record.h"
#include "engine/format/trace_codec.h"
#include "engine/util/coding.h"
#include "sessionstore/json.h"
#include "sessionstore/store.h"
#include "tools/workload_generator.h"

namespace fs = std::filesystem;
namespace ss = sessionstore;

namespace {

void Write(const fs::path& dir, int n, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + std::to_string(n)), std::ios::binary) << bytes;
}

std::vector<ss::Trace> Traces(std::size_t n) {
  ss::WorkloadOptions o;
  o.seed = 5;
  o.traces = n;
  o.sessions = n / 4 + 1;
  o.mean_payload_bytes = 40;
  ss::WorkloadGenerator gen(o);
  std::vector<ss::Trace> out;
  ss::Trace t;
  while (gen.Next(&t)) out.push_back(t);
  return out;
}

// Write-ahead logs of a store holding `traces`, left unflushed.
bool WriteLogs(const std::vector<ss::Trace>& traces, const fs::path& out) {
  const fs::path db = fs::temp_directory_path() / ("fuzz-seeds-" + std::to_string(getpid()));
  fs::remove_all(db);
  {
    std::unique_ptr<ss::Store> store;
    ss::Options options;
    options.index_interval_ms = 0;
    if (!ss::Store::Open(options, db.string(), &store).ok()) return false;
    for (std::size_t i = 0; i < traces.size(); i += 20) {
      std::vector<ss::Trace> batch(traces.begin() + i,
                                   traces.begin() + std::min(traces.size(), i + 20));
      ss::IngestResult r;
      if (!store->Ingest(batch, &r).ok()) return false;
    }
  }
  int n = 0;
  for (const auto& e : fs::directory_iterator(db)) {
    if (e.path().extension() == ".log")
      fs::copy_file(e.path(), out / ("log-" + std::to_string(n++)));
  }
  fs::remove_all(db);
  return n > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const std::vector<ss::Trace> traces = Traces(60);
  ss::SessionDelta total;
  std::vector<ss::Version7DirtySession> dirty;
  std::vector<ss::MarkedSession> marked;
  int n = 0;
  for (const ss::Trace& t : traces) {
    const ss::SessionDelta delta = ss::SessionDelta::FromTrace(t, 1);
    total.Add(delta);
    const ss::SessionIndexState state = ss::SessionIndexState::Of(total);
    std::string prefix;
    ss::PutSessionPrefix(&prefix, 42 + n, t.session_id);
    dirty.push_back(ss::Version7DirtySession{prefix, delta.Encode()});
    ss::MarkedSession mark{prefix, {{t.start_ns, t.trace_id}}, {}};
    if (n % 2 == 1) mark.changed.push_back({t.trace_id, delta.Encode()});
    if (marked.empty() || marked.back().prefix < prefix) marked.push_back(std::move(mark));
    if (n % 6 == 0) {
      Write(dir / "trace_codec_fuzz", n, ss::EncodeTrace(t, n));
      Write(dir / "session_delta_fuzz", n, total.Encode());
      Write(dir / "index_state_fuzz", 3 * n, ss::EncodeIndexState(state));
      Write(dir / "index_state_fuzz", 3 * n + 1, ss::EncodeVersion7DirtyMarker(dirty));
      Write(dir / "index_state_fuzz", 3 * n + 2, ss::EncodeDirtyMarker(marked));
      std::string round;
      ss::EncodeRoundRecord({uint64_t{1}, uint64_t{2}, uint64_t{9} + n}, prefix, &round);
      Write(dir / "index_state_fuzz", 1000000 + n, round);
      Write(dir / "keys_fuzz", 6 * n, ss::TraceKey(42, t.session_id, t.start_ns, t.trace_id));
      Write(dir / "keys_fuzz", 6 * n + 1, ss::DirtyKey(n));
      Write(dir / "keys_fuzz", 6 * n + 4, ss::EncodeLocator(t.start_ns, t.session_id));
      Write(dir / "keys_fuzz", 6 * n + 5, ss::EncodeCursor(prefix));
      std::string json;
      ss::AppendTraceJson(t, &json);
      Write(dir / "json_fuzz", n, json);
    }
    ++n;
  }
  fs::create_directories(dir / "wal_log_fuzz");
  if (!WriteLogs(traces, dir / "wal_log_fuzz")) {
    std::fprintf(stderr, "fuzz_seeds: could not write the store's logs\n");
    return 1;
  }
  return 0;
}
