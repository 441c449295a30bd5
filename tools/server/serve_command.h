// Copyright sessionstore authors.
//
// `sessionstore serve`: opens the store, checks the listen address against
// the security rules, serves OtlpHttpServer until SIGTERM or SIGINT, then
// drains and closes the store.

#ifndef SESSIONSTORE_TOOLS_SERVER_SERVE_COMMAND_H_
#define SESSIONSTORE_TOOLS_SERVER_SERVE_COMMAND_H_

#include <string>

#include "sessionstore/status.h"
#include "tools/server/otlp_http_server.h"

namespace sessionstore {

struct ServeArgs {
  std::string listen = "127.0.0.1:4318";  // HOST:PORT, [IPv6]:PORT; port 0: any.
  std::string token_file;                 // Bearer token, required off loopback.
  bool insecure = false;                  // Allow off-loopback without a token.
  std::string tls_cert;                   // PEM certificate chain: HTTPS.
  std::string tls_key;                    // PEM private key; with tls_cert.
  bool sync = false;                      // Options::sync.
  bool recover = false;                   // Options::recover_damaged_wal.
  int64_t retention_ns = 0;               // Options::retention_ns.
  int background_jobs = 0;                // Options::background_jobs; 0: its default.
  ServerOptions server;
};

// Splits "host:port" or "[v6]:port" into *host and *port. InvalidArgument if
// malformed.
Status ParseListenAddress(const std::string& listen, std::string* host, int* port);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

// Runs the command; returns the process exit code (0 after a clean stop, 2
// when it could not start: a bad address, token file, TLS certificate or
// key, or only one of --tls-cert and --tls-key). Prints "listening on
// http://HOST:PORT" (https with TLS) on stdout once serving.
int RunServe(const std::string& db, const ServeArgs& args);

}  // namespace sessionstore

#endif  // SESSIONSTORE_TOOLS_SERVER_SERVE_COMMAND_H_
