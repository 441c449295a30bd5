// Copyright sessionstore authors.
//
// otlp_load: a loopback load generator for `sessionstore serve`. Each of
// --connections threads holds one keep-alive connection (cpp-httplib client)
// and POSTs OTLP trace export requests back to back for --duration_s seconds:
// bodies shaped as an SDK's batch exporter sends them (bench/otlp/
// otlp_load_body.h: by default 1-50 traces of 1-5 spans per request,
// protobuf, or JSON with --json=1, gzip with --gzip=1; built before each
// request's clock starts). Prints requests/s, spans/s, traces/s, request
// latency p50/p99/max (200 answers only), the client's own CPU, and with
// --server_pid the server's CPU over the run (utime + stime from
// /proc/PID/stat) and its RSS at the end and peak (VmRSS, VmHWM from
// /proc/PID/status; the peak is since the server started).
//
//   build/sessionstore --db /tmp/load-db serve --listen 127.0.0.1:4318 &
//   build/bench/otlp_load --port=4318 --connections=16 --duration_s=20 --server_pid=$!
//
// A 503 is retried with the same body after 100 ms (SDKs back off too) and
// counted; spans count once their request got 200. Exits 0 when every
// request got 200 with nothing rejected, 1 if any failed or carried a
// partialSuccess, 2 on bad arguments.

#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/otlp/otlp_load_body.h"

namespace sessionstore::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct LoadArgs {
  std::string host = "127.0.0.1";
  int port = 4318;
  int connections = 16;
  double duration_s = 20;
  bool gzip = false;
  // TCP_NODELAY on the client sockets, as the SDKs' HTTP clients set it (Node's
  // http, Go's net/http, Python's urllib3). Default: true.
  bool tcp_nodelay = true;
  int server_pid = 0;  // 0: no server figures.
  uint64_t seed = 1;
  // Writes connection 0's first request body, its traces starting at
  // 2026-01-05T10:00:00Z, to this file and exits (to inspect it, or ingest it
  // with `sessionstore ingest --format otlp-*`).
  std::string write_body;
  LoadShape shape;
};

struct WorkerStats {
  std::vector<uint32_t> latency_us;  // Per request answered 200.
  uint64_t spans = 0, traces = 0, bytes_sent = 0;
  uint64_t busy = 0;     // 503 answers (retried).
  uint64_t partial = 0;  // 200 with partialSuccess.
  uint64_t failed = 0;   // No answer, or another status.
  std::string first_error;
};

bool ParseLoadArgs(int argc, char** argv, LoadArgs* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string key = arg.substr(2, eq - 2), v = arg.substr(eq + 1);
    const bool on = v == "1" || v == "true";
    try {
      if (key == "host")
        a->host = v;
      else if (key == "port")
        a->port = std::stoi(v);
      else if (key == "connections")
        a->connections = std::stoi(v);
      else if (key == "duration_s")
        a->duration_s = std::stod(v);
      else if (key == "gzip")
        a->gzip = on;
      else if (key == "tcp_nodelay")
        a->tcp_nodelay = on;
      else if (key == "json")
        a->shape.json = on;
      else if (key == "server_pid")
        a->server_pid = std::stoi(v);
      else if (key == "write_body")
        a->write_body = v;
      else if (key == "seed")
        a->seed = std::stoull(v);
      else if (key == "min_traces")
        a->shape.min_traces = std::stoi(v);
      else if (key == "max_traces")
        a->shape.max_traces = std::stoi(v);
      else if (key == "min_spans")
        a->shape.min_spans = std::stoi(v);
      else if (key == "max_spans")
        a->shape.max_spans = std::stoi(v);
      else if (key == "sessions")
        a->shape.sessions = std::stoi(v);
      else if (key == "users")
        a->shape.users = std::stoi(v);
      else if (key == "payload_bytes")
        a->shape.payload_bytes = std::stoi(v);
      else
        return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  const LoadShape& s = a->shape;
  return a->connections >= 1 && a->connections <= 1024 && a->duration_s > 0 && s.min_traces >= 1 &&
         s.max_traces >= s.min_traces && s.min_spans >= 1 && s.max_spans >= s.min_spans &&
         s.sessions >= 1 && s.users >= 1 && s.payload_bytes >= 0;
}

// gzip (RFC 1952) of `in` at zlib's default level, as SDKs compress.
std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

uint64_t ConnectionSeed(const LoadArgs& args, int index) {
  return args.seed * 1'000'003 + static_cast<uint64_t>(index);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One connection: posts until `deadline`, filling *st.
void RunConnection(const LoadArgs& args, int index, Clock::time_point deadline, WorkerStats* st) {
  httplib::Client cli(args.host, args.port);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(args.tcp_nodelay);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(30, 0);
  cli.set_write_timeout(30, 0);
  httplib::Headers headers;
  if (args.gzip) headers.emplace("Content-Encoding", "gzip");
  const char* type = args.shape.json ? "application/json" : "application/x-protobuf";
  OtlpLoadBody gen(args.shape, ConnectionSeed(args, index));
  std::string body;
  while (Clock::now() < deadline) {
    int traces = 0;
    const int spans = gen.Next(NowNs(), &body, &traces);
    if (args.gzip) body = Gzip(body);
    for (;;) {
      const Clock::time_point t0 = Clock::now();
      const httplib::Result res = cli.Post("/v1/traces", headers, body, type);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
      if (res && res->status == 503 && Clock::now() < deadline) {
        ++st->busy;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (!res || res->status != 200) {
        ++st->failed;
        if (st->first_error.empty()) {
          st->first_error = res ? std::to_string(res->status) + " " + res->body
                                : "no answer: " + httplib::to_string(res.error());
        }
        break;
      }
      st->latency_us.push_back(static_cast<uint32_t>(us.count()));
      // The OTLP response is empty (protobuf) or {} (JSON) unless spans were rejected.
      if (!(res->body.empty() || res->body == "{}")) ++st->partial;
      st->spans += static_cast<uint64_t>(spans);
      st->traces += static_cast<uint64_t>(traces);
      st->bytes_sent += body.size();
      break;
    }
  }
}

// utime + stime of `pid` in seconds, from /proc/PID/stat; -1 if unreadable.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = stat.rfind(')');  // The command name may hold spaces.
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name start at 3 (state); utime is 14 and stime 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Name:   123 kB" line of /proc/PID/status in MiB; -1 if absent.
double ProcessStatusMiB(int pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stod(line.substr(name.size() + 1)) / 1024.0;
  }
  return -1;
}

double ClientCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Merges the workers' figures into `total` (latencies sorted).
void Merge(std::vector<WorkerStats>& workers, WorkerStats* total) {
  for (WorkerStats& w : workers) {
    total->latency_us.insert(total->latency_us.end(), w.latency_us.begin(), w.latency_us.end());
    total->spans += w.spans;
    total->traces += w.traces;
    total->bytes_sent += w.bytes_sent;
    total->busy += w.busy;
    total->partial += w.partial;
    total->failed += w.failed;
    if (total->first_error.empty()) total->first_error = w.first_error;
  }
  std::sort(total->latency_us.begin(), total->latency_us.end());
}

double PercentileMs(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)] / 1000.0;
}

void Report(const LoadArgs& a, const WorkerStats& t, double wall_s, double client_cpu_s,
            double server_cpu_s) {
  const LoadShape& s = a.shape;
  const double n = static_cast<double>(t.latency_us.size());
  std::printf("otlp_load: %d connections, %.1f s, %s%s, %d-%d traces x %d-%d spans per request\n",
              a.connections, wall_s, s.json ? "OTLP/JSON" : "OTLP/protobuf", a.gzip ? " gzip" : "",
              s.min_traces, s.max_traces, s.min_spans, s.max_spans);
  std::printf("requests   %.0f (%.1f/s); 503 answers %llu, failed %llu, partialSuccess %llu\n", n,
              n / wall_s, static_cast<unsigned long long>(t.busy),
              static_cast<unsigned long long>(t.failed),
              static_cast<unsigned long long>(t.partial));
  std::printf("spans      %llu (%.0f/s); traces %llu (%.0f/s); sent %.1f MB (%.1f MB/s)\n",
              static_cast<unsigned long long>(t.spans), static_cast<double>(t.spans) / wall_s,
              static_cast<unsigned long long>(t.traces), static_cast<double>(t.traces) / wall_s,
              static_cast<double>(t.bytes_sent) / 1e6,
              static_cast<double>(t.bytes_sent) / 1e6 / wall_s);
  std::printf("latency    p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", PercentileMs(t.latency_us, 0.5),
              PercentileMs(t.latency_us, 0.99), PercentileMs(t.latency_us, 1.0));
  std::printf("client CPU %.2f s (%.2f cores)\n", client_cpu_s, client_cpu_s / wall_s);
  if (a.server_pid != 0) {
    std::printf("server CPU %.2f s (%.2f cores; %.1f us per span); RSS %.1f MiB, peak %.1f MiB\n",
                server_cpu_s, server_cpu_s / wall_s,
                t.spans > 0 ? server_cpu_s * 1e6 / static_cast<double>(t.spans) : 0.0,
                ProcessStatusMiB(a.server_pid, "VmRSS"), ProcessStatusMiB(a.server_pid, "VmHWM"));
  }
  if (!t.first_error.empty()) std::printf("first error: %s\n", t.first_error.c_str());
}

int WriteBody(const LoadArgs& args) {
  OtlpLoadBody gen(args.shape, ConnectionSeed(args, 0));
  std::string body;
  int traces = 0;
  // A fixed start (2026-01-05T10:00:00Z): the same seed gives the same spans
  // in either encoding.
  const int spans = gen.Next(1'767'607'200'000'000'000, &body, &traces);
  std::ofstream out(args.write_body, std::ios::binary);
  out << body;
  if (!out.flush()) {
    std::fprintf(stderr, "otlp_load: cannot write %s\n", args.write_body.c_str());
    return 2;
  }
  std::printf("otlp_load: wrote %s: %d traces, %d spans, %zu bytes\n", args.write_body.c_str(),
              traces, spans, body.size());
  return 0;
}

int Main(int argc, char** argv) {
  LoadArgs args;
  if (!ParseLoadArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: otlp_load [--host=127.0.0.1] [--port=4318] [--connections=16] "
                 "[--duration_s=20] [--json=0] [--gzip=0] [--tcp_nodelay=1] [--server_pid=PID] "
                 "[--seed=1] [--write_body=FILE] "
                 "[--min_traces=1] [--max_traces=50] [--min_spans=1] [--max_spans=5] "
                 "[--sessions=2000] [--users=200] [--payload_bytes=1024]\n");
    return 2;
  }
  if (!args.write_body.empty()) return WriteBody(args);
  const double server_cpu0 = args.server_pid != 0 ? ProcessCpuSeconds(args.server_pid) : 0;
  if (server_cpu0 < 0) {
    std::fprintf(stderr, "otlp_load: cannot read /proc/%d/stat\n", args.server_pid);
    return 2;
  }
  const double client_cpu0 = ClientCpuSeconds();
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(args.duration_s));
  std::vector<WorkerStats> workers(static_cast<std::size_t>(args.connections));
  std::vector<std::thread> threads;
  for (int i = 0; i < args.connections; ++i) {
    threads.emplace_back(RunConnection, std::cref(args), i, deadline,
                         &workers[static_cast<std::size_t>(i)]);
  }
  for (std::thread& t : threads) t.join();
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double server_cpu_s =
      args.server_pid != 0 ? ProcessCpuSeconds(args.server_pid) - server_cpu0 : 0;
  WorkerStats total;
  Merge(workers, &total);
  Report(args, total, wall_s, ClientCpuSeconds() - client_cpu0, server_cpu_s);
  return total.failed == 0 && total.partial == 0 && !total.latency_us.empty() ? 0 : 1;
}

}  // namespace
}  // namespace sessionstore::bench

int main(int argc, char** argv) { return sessionstore::bench::Main(argc, argv); }
