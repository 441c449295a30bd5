// Copyright sessionstore authors.
//
// The Nagle regression check shared by the HTTP and HTTPS server tests:
// 40 requests on one keep-alive connection must not each wait for the
// client's delayed ACK (about 40 ms on Linux).

#ifndef SESSIONSTORE_TESTS_TOOLS_SERVER_KEEP_ALIVE_CHECK_H_
#define SESSIONSTORE_TESTS_TOOLS_SERVER_KEEP_ALIVE_CHECK_H_

#include <gtest/gtest.h>

#include <chrono>

namespace sessionstore::testing {

// `client` is an httplib::Client or httplib::SSLClient connected to a
// running server; it is switched to keep-alive and TCP_NODELAY, as the
// SDKs' HTTP clients use.
template <typename HttpClient>
void ExpectKeepAliveAnswersNotHeldByNagle(HttpClient& client) {
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  constexpr int kRequests = 40;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    auto r =
        i % 2 == 0 ? client.Post("/v1/traces", "{}", "application/json") : client.Get("/healthz");
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200) << r->body;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  // Held, 40 answers take about 40 x 40 ms; sent at once, a few ms (a
  // sanitizer build or a loaded machine stays far below the bound).
  EXPECT_LT(ms, kRequests * 40 / 2) << "answers held back by Nagle's algorithm";
}

}  // namespace sessionstore::testing

#endif  // SESSIONSTORE_TESTS_TOOLS_SERVER_KEEP_ALIVE_CHECK_H_
