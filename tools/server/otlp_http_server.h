// Copyright sessionstore authors.
//
// OtlpHttpServer: `sessionstore serve`. OTLP/HTTP trace ingestion
// (POST /v1/traces, JSON or protobuf, optionally gzip) into a Store through a
// GroupCommitQueue, and the JSON query API of QueryApi, over cpp-httplib.
//
//   POST /v1/traces   200 with the OTLP response (partialSuccess when spans
//                     were rejected), in the request's encoding; 400 malformed
//                     body; 413 body over the limit (compressed or not); 415
//                     other content type; 503 + Retry-After when the ingest
//                     queue is full; 500 store error. Error bodies are an
//                     OTLP Status {"code":N,"message":"..."} (or protobuf).
//   GET ...           tools/server/query_api.h
//   any, with a token configured and a missing or wrong
//   "Authorization: Bearer <token>"   401 (GET /healthz excepted)
//
// With ServerOptions::tls_cert_file and tls_key_file set it serves HTTPS
// (cpp-httplib's SSLServer, TLS 1.2 or later) with the same routes, limits
// and behaviour; otherwise plain HTTP.
//
// Thread safety: Stop may be called from any thread (a signal watcher);
// Bind and Run from one thread, in that order.

#ifndef SESSIONSTORE_TOOLS_SERVER_OTLP_HTTP_SERVER_H_
#define SESSIONSTORE_TOOLS_SERVER_OTLP_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sessionstore/store.h"
#include "tools/server/group_commit_queue.h"
#include "tools/server/header_watchdog.h"
#include "tools/server/query_api.h"

namespace httplib {
class Server;
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace sessionstore {

struct ServerOptions {
  // ---- Behaviour ----
  // Bearer token every request must carry; empty: none. Default: empty.
  std::string token;
  // PEM certificate chain (leaf first) and its PEM private key (not
  // passphrase-protected): both set, HTTPS; both empty, plain HTTP.
  // Default: empty.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Where `POST /v1/admin/backup` adds a backup of the store (Store::Backup,
  // incremental, taken while ingest goes on); fixed at start so no request
  // names a path. Empty: the endpoint answers 404. Default: empty.
  std::string backup_dir;

  // ---- Limits ----
  // Largest request body as sent (compressed or not). Default: 16 MiB.
  std::size_t max_body_bytes = 16u << 20;
  // Largest body after gzip/deflate decompression (a gzip bomb stops here).
  // Default: 64 MiB.
  std::size_t max_decompressed_bytes = 64u << 20;
  // Seconds a socket read or write may wait for the peer; a client silent
  // that long is dropped. Default: 10.
  int io_timeout_s = 10;
  // Seconds to receive a whole request body, however it trickles in.
  // Default: 60.
  int body_deadline_s = 60;
  // Seconds to receive a request's headers, however they trickle in
  // (HeaderWatchdog): from when a worker takes the connection (the TLS
  // handshake included), and after an answer from the end of the keep-alive
  // wait; then the connection is closed. Default: 10.
  int header_timeout_s = 10;
  // Seconds an idle keep-alive connection is kept. Default: 5.
  int keep_alive_timeout_s = 5;

  // ---- Performance ----
  // Worker threads (one per connection being served). Default: 8.
  int threads = 8;
  // The group commit of ingest (queue bound, batch size).
  GroupCommitOptions group_commit;
};

class OtlpHttpServer {
 public:
  // `store` is not owned, must be open for writing and outlive the server.
  // Loads the TLS certificate and key if options ask for TLS; a failure to
  // load them is reported by Bind (and tls_status).
  OtlpHttpServer(Store* store, const ServerOptions& options);
  ~OtlpHttpServer();
  OtlpHttpServer(const OtlpHttpServer&) = delete;
  OtlpHttpServer& operator=(const OtlpHttpServer&) = delete;

  // Binds host:port (port 0: any free port) and stores the bound port in
  // *bound_port. IOError if the address cannot be bound; tls_status() if the
  // TLS certificate or key could not be loaded (nothing is bound then).
  Status Bind(const std::string& host, int port, int* bound_port);

  // Serves until Stop: returns once the listener is closed, every in-flight
  // request is answered and every acknowledged span is written (the group
  // commit queue drained). REQUIRES: Bind succeeded.
  Status Run();

  // Stops accepting connections; Run returns once in-flight requests finish.
  // Safe from any thread, any number of times; a Stop before Run makes Run
  // return at once.
  void Stop();

  // True when the options ask for TLS (HTTPS).
  bool tls() const { return !options_.tls_cert_file.empty() || !options_.tls_key_file.empty(); }
  // OK for plain HTTP or a loaded certificate and key; InvalidArgument naming
  // the file and OpenSSL's reason otherwise (unreadable, not PEM, key does
  // not match the certificate, only one of the two files given).
  const Status& tls_status() const { return tls_status_; }

  // Counters since construction. Safe from any thread.
  uint64_t requests() const { return requests_.load(); }
  uint64_t spans_accepted() const { return spans_accepted_.load(); }
  uint64_t spans_rejected() const { return spans_rejected_.load(); }
  uint64_t commit_batches() const { return queue_.batches(); }
  // Connections closed because their headers were late.
  uint64_t slow_header_closes() const { return watchdog_.connections_closed(); }
  // The ingest queue, for tests.
  const GroupCommitQueue& TEST_queue() const { return queue_; }

 private:
  // The httplib server: an SSLServer when options ask for TLS (on failure
  // *status says why), else a Server.
  static std::unique_ptr<httplib::Server> NewHttpServer(const ServerOptions& options,
                                                        Status* status);
  void Configure();
  bool Authorized(const httplib::Request& req) const;
  void HandleTraces(const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader);

  // POST /v1/admin/backup: a backup into options_.backup_dir.
  void HandleBackup(httplib::Response& res);

  const ServerOptions options_;
  Store* const store_;
  GroupCommitQueue queue_;
  QueryApi query_;
  Status tls_status_;
  // Watches the connections of http_'s workers; outlives http_.
  HeaderWatchdog watchdog_;
  // A Server or an SSLServer; all routes and settings are set on the base.
  std::unique_ptr<httplib::Server> http_;
  // The bound listening socket, owned by http_; -1 until Bind.
  int listen_socket_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> spans_accepted_{0};
  std::atomic<uint64_t> spans_rejected_{0};
};

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SERVER_OTLP_HTTP_SERVER_H_
