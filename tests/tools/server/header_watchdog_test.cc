// Copyright sessionstore authors.
//
// The slow-header watchdog of OtlpHttpServer (issue 11): clients trickling
// their request headers a byte at a time, each read well within the socket
// timeout, are cut off once the header bound passes, so they cannot hold
// the workers; requests that are slow for other reasons (an idle keep-alive
// connection, a handler waiting on the store) are not cut.

#include "tools/server/header_watchdog.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/engine/test_util.h"
#include "tests/tools/otlp/otlp_samples.h"
#include "tests/tools/server/blocking_store.h"
#include "tools/server/otlp_http_server.h"

namespace sessionstore {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A client that sends a request's headers one byte per `gap`.
class TricklingClient {
 public:
  explicit TricklingClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~TricklingClient() { close(fd_); }

  // Trickles "GET /healthz ..." headers (never finished) until the server
  // closes the connection or `give_up` passes; returns the seconds from the
  // first byte to the close, or -1 if it stayed open.
  double TrickleUntilClosed(milliseconds gap, milliseconds give_up) {
    const std::string headers = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " +
                                std::string(10000, 'a');  // Not finished in time.
    const auto start = Clock::now();
    for (char c : headers) {
      if (Clock::now() - start > give_up) return -1;
      if (send(fd_, &c, 1, MSG_NOSIGNAL) != 1) return SecondsSince(start);
      pollfd p{fd_, POLLIN, 0};
      // Readable: the server's FIN (read returns 0) or reset.
      if (poll(&p, 1, static_cast<int>(gap.count())) > 0) {
        char buf[256];
        if (recv(fd_, buf, sizeof(buf), 0) <= 0) return SecondsSince(start);
      }
    }
    return -1;
  }

 private:
  int fd_ = -1;
};

class HeaderWatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenOrDie(dir_.path()); }
  void TearDown() override {
    if (server_) server_->Stop();
    if (runner_.joinable()) runner_.join();
  }
  void StartServer(const ServerOptions& options, Store* store = nullptr) {
    server_ = std::make_unique<OtlpHttpServer>(store ? store : store_.get(), options);
    ASSERT_TRUE(server_->Bind("127.0.0.1", 0, &port_).ok());
    runner_ = std::thread([this] { ASSERT_TRUE(server_->Run().ok()); });
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OtlpHttpServer> server_;
  std::thread runner_;
  int port_ = 0;
};

// Two trickling clients hold both workers (each byte well within the 10 s
// read timeout); both are closed once the 1 s header bound passes, and a
// normal request waiting for a worker is then answered.
TEST_F(HeaderWatchdogTest, TricklingHeadersAreCutOffAndOthersAreServed) {
  ServerOptions options;
  options.threads = 2;
  options.header_timeout_s = 1;
  StartServer(options);
  double closed_after[2] = {-1, -1};
  std::thread tricklers[2];
  for (int i = 0; i < 2; ++i) {
    tricklers[i] = std::thread([&, i] {
      TricklingClient client(port_);
      closed_after[i] = client.TrickleUntilClosed(milliseconds(100), milliseconds(8000));
    });
  }
  std::this_thread::sleep_for(milliseconds(300));  // Both workers taken.
  const auto asked = Clock::now();
  auto r = Client().Get("/healthz");
  const double answered_after = SecondsSince(asked);
  for (std::thread& t : tricklers) t.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(answered_after, 3.0) << "the workers stayed held";
  for (double s : closed_after) {
    EXPECT_GE(s, 0.9) << "closed before the bound";
    EXPECT_LT(s, 2.5) << "not closed within bound + slack (-1: never)";
  }
  // The watchdog counts a close just after its shutdown(), which the client
  // may see first: allow the count a moment to follow.
  const auto deadline = Clock::now() + milliseconds(2000);
  while (server_->slow_header_closes() < 2u && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server_->slow_header_closes(), 2u);
}

// Not cut: a keep-alive connection idle longer than the header bound (but
// within the keep-alive timeout) before its next request, and a request
// whose handler waits on the store longer than the bound.
TEST_F(HeaderWatchdogTest, IdleKeepAliveAndSlowHandlersAreNotCut) {
  BlockingStore blocking(store_.get());
  ServerOptions options;
  options.threads = 2;
  options.header_timeout_s = 1;
  options.keep_alive_timeout_s = 5;
  StartServer(options, &blocking);
  httplib::Client keep_alive = Client();
  keep_alive.set_keep_alive(true);
  auto r = keep_alive.Get("/healthz");
  ASSERT_TRUE(r);
  int post_status = 0;
  std::thread post([&] {
    auto p = Client().Post("/v1/traces", testing::ReadOtlpSample("otlp-001-traces-httpjson.json"),
                           "application/json");
    post_status = p ? p->status : -1;
  });
  blocking.WaitUntilBlocked();
  std::this_thread::sleep_for(milliseconds(1800));
  blocking.Release();
  post.join();
  EXPECT_EQ(post_status, 200);
  r = keep_alive.Get("/healthz");  // The same connection, 1.8 s later.
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server_->slow_header_closes(), 0u);
}

}  // namespace
}  // namespace sessionstore
