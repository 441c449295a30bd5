// Copyright sessionstore authors.

#include "bench/compare/harness.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace sessionstore::bench {
namespace {

namespace fs = std::filesystem;

// Peak resident memory since the last ResetPeakRss, in bytes.
void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}
uint64_t ReadStatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtoull(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return 0;
}

// Size of the regular files under `dir`, recursively.
uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

std::string Ratio(double ours, double theirs, bool higher_is_better) {
  if (ours <= 0 || theirs <= 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", higher_is_better ? ours / theirs : theirs / ours);
  return buf;
}

// One row of the table: the figure `get` of every result, then the ratios.
void Row(const std::vector<Result>& results, const char* name, bool higher,
         const std::function<double(const Result&)>& get) {
  const Result& ours = results.front();
  std::printf("%-28s", name);
  for (const Result& r : results) {
    const double v = get(r);
    if (v > 0)
      std::printf(" %16.1f", v);
    else
      std::printf(" %16s", "n/a");
  }
  std::printf("  ");
  for (std::size_t i = 1; i < results.size(); ++i) {
    const std::string ratio = Ratio(get(ours), get(results[i]), higher);
    std::printf(" vs %s %s;", results[i].peer.c_str(), ratio.empty() ? "n/a" : ratio.c_str());
  }
  std::printf("\n");
}

}  // namespace

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

namespace {
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}
}  // namespace

Meter::Meter() : wall0_(Clock::now()), cpu0_s_(ProcessCpuSeconds()) {}

Elapsed Meter::Read() const {
  return {Seconds(wall0_, Clock::now()), ProcessCpuSeconds() - cpu0_s_};
}

void Die(const std::string& what) {
  std::fprintf(stderr, "compare: %s\n", what.c_str());
  std::exit(1);
}

PeakRss::PeakRss() : rss0_kb_(ReadStatusKb("VmRSS:")) { ResetPeakRss(); }

double PeakRss::DeltaMb() const {
  const uint64_t hwm_kb = ReadStatusKb("VmHWM:");
  return (hwm_kb - std::min(rss0_kb_, hwm_kb)) / 1024.0;
}

Latency Measure(std::size_t n, const std::function<void(std::size_t)>& op) {
  std::vector<double> us;
  us.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    op(i);
    us.push_back(Seconds(t0, Clock::now()) * 1e6);
  }
  std::sort(us.begin(), us.end());
  if (us.empty()) return {};
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

void RecordIngest(const Elapsed& took, std::size_t versions, uint64_t json_bytes, Result* r) {
  r->ingest_s = took.wall_s;
  r->cpu_us_per_trace = took.cpu_s * 1e6 / versions;
  r->traces_per_s = versions / r->ingest_s;
  r->mb_per_s = json_bytes / r->ingest_s / 1e6;
}

void RecordFootprint(const PeakRss& rss, const std::string& dir, std::size_t traces, Result* r) {
  r->peak_rss_mb = rss.DeltaMb();
  r->disk_bytes_per_trace = static_cast<double>(DirBytes(dir)) / traces;
  fs::remove_all(dir);
}

void Report(const std::vector<Result>& results) {
  if (results.empty()) return;
  std::printf("\n%-28s", "figure");
  for (const Result& r : results) std::printf(" %16s", r.peer.c_str());
  std::printf("   (ratio: how many times better %s is)\n", results.front().peer.c_str());
  Row(results, "ingest traces/s", true, [](const Result& r) { return r.traces_per_s; });
  Row(results, "ingest MB/s (JSON)", true, [](const Result& r) { return r.mb_per_s; });
  Row(results, "ingest CPU us/trace", false, [](const Result& r) { return r.cpu_us_per_trace; });
  Row(results, "disk bytes/trace", false, [](const Result& r) { return r.disk_bytes_per_trace; });
  Row(results, "peak RSS MB (delta)", false, [](const Result& r) { return r.peak_rss_mb; });
  std::vector<std::string> names;
  for (const Result& r : results) {
    for (const auto& [name, l] : r.latency) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    for (int pct : {50, 99}) {
      const std::string label = name + (pct == 50 ? " p50 us" : " p99 us");
      Row(results, label.c_str(), false, [&](const Result& r) {
        auto it = r.latency.find(name);
        if (it == r.latency.end()) return 0.0;
        return pct == 50 ? it->second.p50_us : it->second.p99_us;
      });
    }
  }
}

}  // namespace sessionstore::bench
