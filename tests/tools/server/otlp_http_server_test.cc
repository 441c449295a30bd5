// Copyright sessionstore authors.
//
// OtlpHttpServer end to end over loopback: a server on an ephemeral port in
// the test process, driven with cpp-httplib's client.

#include "tools/server/otlp_http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include "sessionstore/json.h"
#include "tests/engine/test_util.h"
#include "tests/tools/otlp/otlp_samples.h"
#include "tests/tools/server/blocking_store.h"
#include "tests/tools/server/keep_alive_check.h"
#include "tools/output_json.h"

namespace sessionstore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

constexpr char kJson[] = "application/json";
constexpr char kProto[] = "application/x-protobuf";
constexpr char kSession1[] = "sess-7f3a91c2-user-1842";
constexpr char kSession2[] = "sess-0b44d9e1-user-0007";

using testing::ReadOtlpSample;

std::string Gzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A server on 127.0.0.1:<ephemeral>, run in a thread.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = OpenOrDie(dir_.path()); }
  void TearDown() override { StopServer(); }

  void StartServer(ServerOptions options = ServerOptions(), Store* store = nullptr) {
    server_ = std::make_unique<OtlpHttpServer>(store ? store : store_.get(), options);
    ASSERT_TRUE(server_->Bind("127.0.0.1", 0, &port_).ok());
    runner_ = std::thread([this] { ASSERT_TRUE(server_->Run().ok()); });
    for (int i = 0; i < 500; ++i) {  // Until it answers.
      if (auto r = Client().Get("/healthz"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "server did not start";
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::string Get(const std::string& path, int want_status) {
    auto r = Client().Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return "";
    EXPECT_EQ(r->status, want_status) << path << " -> " << r->body;
    return r->body;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OtlpHttpServer> server_;
  std::thread runner_;
  int port_ = 0;
};

TEST_F(ServerTest, IngestsBothEncodingsAndAnswersWithTheCliJson) {
  StartServer();
  auto r = Client().Post("/v1/traces", ReadOtlpSample("otlp-001-traces-httpjson.json"), kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
  r = Client().Post("/v1/traces", ReadOtlpSample("otlp-004-traces-httpproto.pb"), kProto);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), kProto);
  EXPECT_EQ(r->body, "");  // An empty ExportTraceServiceResponse: full success.

  SessionSummary s1;
  ASSERT_TRUE(store_->GetSession(kSession1, &s1).ok());
  EXPECT_EQ(s1.trace_count, 4);
  SessionDetail d1;
  ASSERT_TRUE(ComputeSessionDetail(store_.get(), kSession1, &d1).ok());
  std::string want;
  AppendSessionJson(s1, &want, &d1);  // As `session --json`: with latency and idle gap.
  EXPECT_EQ(Get(std::string("/v1/sessions/") + kSession1, 200), want);
  EXPECT_NE(want.find("\"latency_ms_p50\":"), std::string::npos) << want;

  const std::string list = Get("/v1/sessions?order=tokens&limit=1", 200);
  EXPECT_NE(list.find(kSession1), std::string::npos) << list;  // 602 tokens > 543.
  EXPECT_EQ(list.find(kSession2), std::string::npos);
  EXPECT_EQ(list.find("\"next_cursor\":\"\""), std::string::npos);  // A second page exists.
  EXPECT_NE(Get("/v1/sessions?asc=1&order=tokens&limit=1", 200).find(kSession2), std::string::npos);
  EXPECT_NE(Get("/v1/sessions?user=user-0007", 200).find(kSession2), std::string::npos);
  EXPECT_EQ(Get("/v1/sessions?from=2030-01-01T00:00:00Z", 200),
            R"({"sessions":[],"next_cursor":""})");

  TimelinePage page;
  TimelineOptions opts;
  opts.limit = 2;
  ASSERT_TRUE(store_->Timeline(kSession2, opts, &page).ok());
  std::string timeline;
  AppendTimelinePageJson(page.traces, page.next_cursor, &timeline);
  EXPECT_EQ(Get(std::string("/v1/sessions/") + kSession2 + "/traces?limit=2", 200), timeline);
  const std::string second = Get(
      std::string("/v1/sessions/") + kSession2 + "/traces?limit=2&cursor=" + page.next_cursor, 200);
  EXPECT_NE(second.find(R"("status":"error")"), std::string::npos) << second;  // Turn 3.

  Trace t;
  ASSERT_TRUE(store_->GetTrace(page.traces[0].trace_id, &t).ok());
  std::string trace_json;
  AppendTraceJson(t, &trace_json);
  EXPECT_EQ(Get("/v1/traces/" + t.trace_id, 200), trace_json);

  // Content search answers as `search --json`.
  SearchOptions search;
  search.limit = 20;
  SearchPage hits;
  ASSERT_TRUE(store_->Search("Refund", search, &hits).ok());
  ASSERT_FALSE(hits.hits.empty());
  std::string search_json;
  AppendSearchPageJson(hits, &search_json);
  EXPECT_EQ(Get("/v1/search?q=REFUND", 200), search_json);
}

TEST_F(ServerTest, AdminBackupWhileServingRestoresToTheSameSessions) {
  TempDir backups, restored;
  ServerOptions o;
  o.backup_dir = backups.path();
  StartServer(o);
  auto r = Client().Post("/v1/traces", ReadOtlpSample("otlp-001-traces-httpjson.json"), kJson);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  r = Client().Post("/v1/admin/backup", "", kJson);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"backup_id\":1"), std::string::npos) << r->body;
  const auto session = Client().Get(std::string("/v1/sessions/") + kSession1);
  ASSERT_TRUE(session);
  StopServer();
  ASSERT_TRUE(Store::RestoreBackup(backups.path(), restored.path()).ok());
  auto copy = OpenOrDie(restored.path());
  SessionSummary s;
  ASSERT_TRUE(copy->GetSession(kSession1, &s).ok());
  SessionDetail d;
  ASSERT_TRUE(ComputeSessionDetail(copy.get(), kSession1, &d).ok());
  std::string json;
  AppendSessionJson(s, &json, &d);
  EXPECT_EQ(json, session->body);
}

TEST_F(ServerTest, AdminBackupWithoutADirectoryIs404) {
  StartServer();
  auto r = Client().Post("/v1/admin/backup", "", kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("--backup-dir"), std::string::npos) << r->body;
}

TEST_F(ServerTest, QueryErrorsAndPercentDecodedIds) {
  Trace t;
  t.trace_id = "t/1 x";
  t.session_id = "a/b c?";
  t.start_ns = testing::kT0;
  IngestResult ir;
  ASSERT_TRUE(store_->Ingest({t}, &ir).ok());
  StartServer();
  EXPECT_NE(Get("/v1/sessions/a%2Fb%20c%3F", 200).find(R"("trace_count":1)"), std::string::npos);
  EXPECT_NE(Get("/v1/traces/t%2F1%20x", 200).find(R"("trace_id":"t/1 x")"), std::string::npos);
  EXPECT_NE(Get("/v1/sessions/a%2Fb%20c%3F/traces", 200).find("t/1 x"), std::string::npos);
  Get("/v1/sessions/unknown", 404);
  Get("/v1/traces/unknown", 404);
  Get("/v1/nothing", 404);
  Get("/v1/sessions/x/traces/y", 404);
  EXPECT_NE(Get("/v1/sessions?limit=0", 400).find("limit"), std::string::npos);
  EXPECT_NE(Get("/v1/sessions?order=size", 400).find("order"), std::string::npos);
  EXPECT_NE(Get("/v1/sessions?from=yesterday", 400).find("from"), std::string::npos);
  Get("/v1/sessions?cursor=zz", 400);
  Get("/v1/sessions/a%2", 400);
  EXPECT_EQ(Get("/healthz", 200), R"({"status":"ok"})");
}

TEST_F(ServerTest, BadBodiesGetClearErrors) {
  ServerOptions options;
  options.max_body_bytes = 64 << 10;
  options.max_decompressed_bytes = 1 << 20;
  StartServer(options);
  struct Case {
    std::string body, type;
    int status;
    std::string message;
  };
  const std::string proto = ReadOtlpSample("otlp-002-traces-httpproto.pb");
  const std::vector<Case> cases = {
      {"x", "text/plain", 415, "content type"},
      {"{not json", kJson, 400, "not valid JSON"},
      {R"({"resourceSpans":[{"scopeSpans":{}}]})", kJson, 400, "scopeSpans: expected an array"},
      {"{\"resourceSpans\":[\"\xc3\x28\"]}", kJson, 400, "UTF-8"},
      {proto.substr(0, proto.size() / 2), kProto, 400, "past the end"},
      {std::string("\x0a\x02\x10\x01", 4), kProto, 400, "field 2: wire type varint"},
      {std::string(100 << 10, ' '), kJson, 413, ""},
  };
  for (const Case& c : cases) {
    auto r = Client().Post("/v1/traces", c.body, c.type.c_str());
    ASSERT_TRUE(r) << c.message;
    EXPECT_EQ(r->status, c.status) << c.message << ": " << r->body;
    EXPECT_NE(r->body.find(c.message), std::string::npos) << r->body;
  }
  // A gzip bomb: 64 MiB of spaces in 64 KiB, refused at 1 MiB decompressed.
  httplib::Headers gzip = {{"Content-Encoding", "gzip"}};
  auto r = Client().Post("/v1/traces", gzip, Gzip(std::string(64 << 20, ' ')), kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("decompressed"), std::string::npos) << r->body;
  // A well-formed gzip body is taken.
  r = Client().Post("/v1/traces", gzip, Gzip(ReadOtlpSample("otlp-001-traces-httpjson.json")),
                    kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  SessionSummary s;
  EXPECT_TRUE(store_->GetSession(kSession1, &s).ok());
}

TEST_F(ServerTest, PartialSuccessCountsRejectedSpans) {
  StartServer();
  const std::string body = R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",
       "startTimeUnixNano":"1700000000000000000","name":"ok"},
      {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102",
       "startTimeUnixNano":"1700000000000000000"}]}]}]})";
  auto r = Client().Post("/v1/traces", body, kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(R"("rejectedSpans":"1")"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("span id must be 8 bytes"), std::string::npos) << r->body;
  Trace t;
  EXPECT_TRUE(store_->GetTrace("0102030405060708090a0b0c0d0e0f10", &t).ok());
}

TEST_F(ServerTest, TokenIsRequiredWhenConfigured) {
  ServerOptions options;
  options.token = "s3cret";
  StartServer(options);
  const std::string body = ReadOtlpSample("otlp-001-traces-httpjson.json");
  auto r = Client().Post("/v1/traces", body, kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  httplib::Headers wrong = {{"Authorization", "Bearer s3cres"}};
  EXPECT_EQ(Client().Get("/v1/sessions", wrong)->status, 401);
  httplib::Headers right = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(Client().Post("/v1/traces", right, body, kJson)->status, 200);
  EXPECT_EQ(Client().Get("/v1/sessions", right)->status, 200);
  EXPECT_EQ(Client().Get("/healthz")->status, 200);  // Health checks need no token.
}

// With the store holding a batch and the queue full, POSTs get 503 with
// Retry-After; a stop while a request is in flight answers it and writes it.
TEST_F(ServerTest, SaturationGives503AndStopFinishesInFlightRequests) {
  BlockingStore blocking(store_.get());
  ServerOptions options;
  options.group_commit.max_pending_traces = 4;
  StartServer(options, &blocking);
  const std::string body1 = ReadOtlpSample("otlp-001-traces-httpjson.json");  // 4 traces.
  const std::string body2 = ReadOtlpSample("otlp-003-traces-httpjson.json");
  int held_status = 0, queued_status = 0;
  std::thread held([&] { held_status = Client().Post("/v1/traces", body1, kJson)->status; });
  blocking.WaitUntilBlocked();
  std::thread queued([&] { queued_status = Client().Post("/v1/traces", body2, kJson)->status; });
  for (int i = 0; i < 5000 && server_->TEST_queue().TEST_pending_traces() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto r = Client().Post("/v1/traces", body1, kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  std::thread stopper([&] { server_->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  blocking.Release();
  stopper.join();
  held.join();
  queued.join();
  runner_.join();
  EXPECT_EQ(held_status, 200);
  EXPECT_EQ(queued_status, 200);
  server_.reset();
  SessionSummary s;
  ASSERT_TRUE(store_->GetSession(kSession1, &s).ok());
  EXPECT_EQ(s.trace_count, 4);
  ASSERT_TRUE(store_->GetSession(kSession2, &s).ok());
  EXPECT_EQ(s.trace_count, 4);
}

// Regression: cpp-httplib writes a response as two sends (headers, body).
// Without TCP_NODELAY on the server's sockets the body waited for the
// client's delayed ACK (40 ms on Linux) on every request of a keep-alive
// connection after the first few: an OTLP/JSON exporter got 25 answers/s per
// connection whatever the load (bench/README.md, "OTLP/HTTP under load").
TEST_F(ServerTest, KeepAliveAnswersAreNotHeldByNagle) {
  StartServer();
  httplib::Client c = Client();
  testing::ExpectKeepAliveAnswersNotHeldByNagle(c);
}

// Regression: cpp-httplib listens with a backlog of 5. When the keep-alive
// connections of busy exporters reached their request limit together and
// reconnected, the SYNs beyond the backlog were dropped and retried after a
// second (otlp_load: p99 0.9 s, max 1.0 s at 16 connections). Before Run
// accepts anything, a burst of connections must all complete the handshake.
TEST_F(ServerTest, ListenBacklogHoldsABurstOfConnections) {
  OtlpHttpServer server(store_.get(), ServerOptions());
  int port = 0;
  ASSERT_TRUE(server.Bind("127.0.0.1", 0, &port).ok());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr int kClients = 64;
  std::vector<pollfd> clients;
  for (int i = 0; i < kClients; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    clients.push_back({fd, POLLOUT, 0});
    const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << errno;
  }
  // A dropped SYN is retried after 1 s; everything else completes at once.
  int connected = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (connected < kClients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    connected = 0;
    for (pollfd& c : clients) c.revents = 0;
    ASSERT_GE(poll(clients.data(), clients.size(), 0), 0);
    for (const pollfd& c : clients) connected += (c.revents & POLLOUT) != 0 ? 1 : 0;
  }
  for (const pollfd& c : clients) close(c.fd);
  EXPECT_EQ(connected, kClients) << "connections beyond the listen backlog were dropped";
  server.Stop();
}

}  // namespace
}  // namespace sessionstore
