// Copyright sessionstore authors.

#include "tools/server/serve_command.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "sessionstore/store.h"

namespace sessionstore {

namespace {

Status ReadToken(const std::string& file, std::string* token) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IOError("cannot read --token-file " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  *token = ss.str();
  const std::size_t b = token->find_first_not_of(" \t\r\n");
  const std::size_t e = token->find_last_not_of(" \t\r\n");
  *token = b == std::string::npos ? "" : token->substr(b, e - b + 1);
  if (token->empty()) return Status::InvalidArgument("--token-file " + file + " is empty");
  return Status::OK();
}

// The server's options from the command line: TLS files, the token, and the
// rule that off loopback needs a token (or --insecure). Warns on stderr when
// a token would cross the network without TLS.
Status ResolveServerOptions(const ServeArgs& args, const std::string& host,
                            ServerOptions* options) {
  if (args.tls_cert.empty() != args.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  *options = args.server;
  options->tls_cert_file = args.tls_cert;
  options->tls_key_file = args.tls_key;
  if (!args.token_file.empty()) {
    if (Status s = ReadToken(args.token_file, &options->token); !s.ok()) return s;
  }
  if (IsLoopbackHost(host)) return Status::OK();
  if (options->token.empty() && !args.insecure) {
    return Status::InvalidArgument("listening on " + host +
                                   " (not loopback) requires --token-file, or --insecure");
  }
  if (!options->token.empty() && args.tls_cert.empty()) {
    std::fprintf(stderr,
                 "sessionstore: warning: the bearer token crosses the network in clear text; "
                 "use --tls-cert and --tls-key\n");
  }
  return Status::OK();
}

int Fail(const Status& s) {
  std::cerr << "sessionstore: " << s.ToString() << "\n";
  return 2;
}

}  // namespace

Status ParseListenAddress(const std::string& listen, std::string* host, int* port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen: expected HOST:PORT, got \"" + listen + "\"");
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return Status::InvalidArgument("--listen: bad port \"" + p + "\"");
  }
  *port = std::stoi(p);
  return Status::OK();
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int RunServe(const std::string& db, const ServeArgs& args) {
  std::string host;
  int port = 0;
  Status s = ParseListenAddress(args.listen, &host, &port);
  if (!s.ok()) return Fail(s);
  ServerOptions options;
  if (!(s = ResolveServerOptions(args, host, &options)).ok()) return Fail(s);
  // Block the stop signals in every thread (RocksDB's and the server's
  // inherit the mask); one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Options store_options;
  store_options.sync = args.sync;
  store_options.recover_damaged_wal = args.recover;
  store_options.retention_ns = args.retention_ns;
  if (args.background_jobs > 0) store_options.background_jobs = args.background_jobs;
  // A service lists sessions: build their indexes now, not in the first
  // request after a restart.
  store_options.preload_session_indexes = true;
  std::unique_ptr<Store> store;
  if (!(s = Store::Open(store_options, db, &store)).ok()) return Fail(s);
  auto server = std::make_unique<OtlpHttpServer>(store.get(), options);
  int bound = 0;
  if (!(s = server->Bind(host, port, &bound)).ok()) return Fail(s);

  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (finished.load()) return;
    std::fprintf(stderr, "sessionstore: signal %d, stopping\n", sig);
    // Repeated: a Stop that lands before the listener starts is retried.
    while (!finished.load()) {
      server->Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::printf("listening on %s://%s:%d\n", server->tls() ? "https" : "http",
              host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(),
              bound);
  std::fflush(stdout);
  s = server->Run();
  finished.store(true);
  pthread_kill(watcher.native_handle(), SIGTERM);  // Wakes sigwait if no signal came.
  watcher.join();
  const uint64_t accepted = server->spans_accepted(), rejected = server->spans_rejected();
  server.reset();
  if (s.ok()) s = store->Flush();
  store.reset();
  std::fprintf(stderr, "sessionstore: stopped: %llu spans accepted, %llu rejected\n",
               static_cast<unsigned long long>(accepted),
               static_cast<unsigned long long>(rejected));
  return s.ok() ? 0 : Fail(s);
}

}  // namespace sessionstore
