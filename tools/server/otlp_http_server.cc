// Copyright sessionstore authors.

#include "tools/server/otlp_http_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>

#include "sessionstore/json_writer.h"
#include "tools/otlp/otlp_ingest.h"
#include "tools/otlp/otlp_json_decoder.h"
#include "tools/otlp/otlp_proto_decoder.h"

namespace sessionstore {

namespace {

constexpr char kJsonType[] = "application/json";
constexpr char kProtoType[] = "application/x-protobuf";

// google.rpc.Status codes used in OTLP error bodies.
constexpr int kRpcInvalidArgument = 3;
constexpr int kRpcResourceExhausted = 8;
constexpr int kRpcInternal = 13;
constexpr int kRpcUnavailable = 14;
constexpr int kRpcUnauthenticated = 16;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The media type of a Content-Type header, lower case, without parameters.
std::string MediaType(const std::string& content_type) {
  std::string t = Lower(content_type.substr(0, content_type.find(';')));
  const std::size_t b = t.find_first_not_of(" \t");
  const std::size_t e = t.find_last_not_of(" \t");
  return b == std::string::npos ? "" : t.substr(b, e - b + 1);
}

// An OTLP error body: google.rpc.Status {code, message} in the request's
// encoding.
void SetError(httplib::Response& res, int http_status, int rpc_code, const std::string& message,
              OtlpEncoding encoding) {
  res.status = http_status;
  if (encoding == OtlpEncoding::kProtobuf) {
    std::string body;
    body.push_back(static_cast<char>(1 << 3));  // code: varint
    body.push_back(static_cast<char>(rpc_code));
    const std::string msg = message.substr(0, 16000);
    body.push_back(static_cast<char>((2 << 3) | 2));  // message: length-delimited
    std::size_t n = msg.size();
    while (n >= 0x80) {
      body.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    body.push_back(static_cast<char>(n));
    body += msg;
    res.set_content(body, kProtoType);
    return;
  }
  std::string body;
  {
    JsonObjectWriter w(&body);
    w.Int("code", rpc_code);
    w.String("message", message);
  }
  res.set_content(body, kJsonType);
}

// The reasons in OpenSSL's error queue of this thread, oldest (most
// specific) first, e.g. "bad base64 decode; PEM lib"; empties the queue.
std::string TakeOpenSslErrors() {
  std::string reasons;
  while (const unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    const std::string reason = r != nullptr ? r : "error " + std::to_string(e);
    if (reasons.find(reason) != std::string::npos) continue;
    reasons += (reasons.empty() ? "" : "; ") + reason;
  }
  return reasons.empty() ? "unknown reason" : reasons;
}

// Sets up a server SSL_CTX: TLS 1.2 or later, no compression or
// renegotiation, the certificate chain and the matching key. False, with
// *status saying which file and why, on failure.
bool SetUpTlsContext(SSL_CTX* ctx, const ServerOptions& o, Status* status) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // An encrypted key would make OpenSSL prompt for a passphrase on the
  // terminal; with no passphrase to give, fail instead.
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1) {
    *status =
        Status::InvalidArgument("TLS certificate " + o.tls_cert_file +
                                ": not a usable PEM certificate (" + TakeOpenSslErrors() + ")");
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    *status = Status::InvalidArgument("TLS key " + o.tls_key_file +
                                      ": not an unencrypted PEM private key matching " +
                                      o.tls_cert_file + " (" + TakeOpenSslErrors() + ")");
    return false;
  }
  return true;
}

bool Readable(const std::string& file) { return static_cast<bool>(std::ifstream(file)); }

}  // namespace

OtlpHttpServer::OtlpHttpServer(Store* store, const ServerOptions& options)
    : options_(options),
      store_(store),
      queue_(store, options.group_commit),
      query_(store),
      watchdog_(std::chrono::seconds(std::max(1, options.header_timeout_s)),
                std::chrono::seconds(std::max(0, options.keep_alive_timeout_s))),
      http_(NewHttpServer(options, &tls_status_)) {
  Configure();
}

std::unique_ptr<httplib::Server> OtlpHttpServer::NewHttpServer(const ServerOptions& o,
                                                               Status* status) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    return std::make_unique<httplib::Server>();
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    *status = Status::InvalidArgument("TLS needs both a certificate file and a key file");
  } else if (!Readable(o.tls_cert_file)) {
    *status = Status::InvalidArgument("cannot read TLS certificate " + o.tls_cert_file);
  } else if (!Readable(o.tls_key_file)) {
    *status = Status::InvalidArgument("cannot read TLS key " + o.tls_key_file);
  }
  // Never bound: Bind reports *status.
  if (!status->ok()) return std::make_unique<httplib::Server>();
  auto server = std::make_unique<httplib::SSLServer>(
      [&](SSL_CTX& ctx) { return SetUpTlsContext(&ctx, o, status); });
  if (!server->is_valid() && status->ok()) {
    *status = Status::InvalidArgument("cannot set up TLS: " + TakeOpenSslErrors());
  }
  return server;
}

OtlpHttpServer::~OtlpHttpServer() {
  Stop();
  queue_.Close();
}

void OtlpHttpServer::Configure() {
  httplib::Server& s = *http_;
  const int threads = std::max(1, options_.threads);
  // Workers whose connections the watchdog follows: it closes those whose
  // headers are late, as cpp-httplib bounds each read but not the whole.
  s.new_task_queue = [this, threads] { return NewWatchedTaskQueue(threads, &watchdog_); };
  s.set_logger([this](const httplib::Request&, const httplib::Response&) { watchdog_.Answered(); });
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_read_timeout(options_.io_timeout_s, 0);
  s.set_write_timeout(options_.io_timeout_s, 0);
  s.set_keep_alive_timeout(options_.keep_alive_timeout_s);
  s.set_keep_alive_max_count(100);
  // cpp-httplib sends a response's headers and body separately; with Nagle's
  // algorithm the body would wait for the client's delayed ACK (40 ms).
  s.set_tcp_nodelay(true);
  // Remembers the listening socket: Bind raises its backlog (see there). The
  // last socket this sees before a successful bind is the bound one.
  s.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket_ = sock;
  });
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    watchdog_.HeadersComplete();  // Runs once the headers are read, before the body.
    ++requests_;
    if (Authorized(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    SetError(res, 401, kRpcUnauthenticated, "missing or wrong bearer token", OtlpEncoding::kJson);
    return httplib::Server::HandlerResponse::Handled;
  });
  s.Post("/v1/traces",
         [this](const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) { HandleTraces(req, res, reader); });
  s.Post("/v1/admin/backup",
         [this](const httplib::Request&, httplib::Response& res) { HandleBackup(res); });
  s.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    const HttpReply reply = query_.Get(req.target);
    res.status = reply.status;
    res.set_content(reply.body, kJsonType);
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    SetError(res, 500, kRpcInternal, "internal error", OtlpEncoding::kJson);
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* why = res.status == 413   ? "request body over the size limit"
                      : res.status == 404 ? "no such endpoint"
                      : res.status == 415 ? "unsupported content encoding"
                                          : "bad request";
    SetError(res, res.status, kRpcInvalidArgument, why, OtlpEncoding::kJson);
  });
}

void OtlpHttpServer::HandleBackup(httplib::Response& res) {
  if (options_.backup_dir.empty()) {
    SetError(res, 404, kRpcInvalidArgument,
             "no backup directory: start serve with --backup-dir DIR", OtlpEncoding::kJson);
    return;
  }
  BackupResult r;
  const Status s = store_->Backup(options_.backup_dir, &r);
  if (!s.ok()) {
    SetError(res, 500, kRpcInternal, "backup failed: " + s.ToString(), OtlpEncoding::kJson);
    return;
  }
  std::string body;
  {
    JsonObjectWriter o(&body);
    o.Int("backup_id", r.backup_id);
    o.Int("files", r.files);
    o.Int("bytes", static_cast<int64_t>(r.bytes));
    o.Int("bytes_copied", static_cast<int64_t>(r.bytes_copied));
  }
  res.status = 200;
  res.set_content(body, kJsonType);
}

bool OtlpHttpServer::Authorized(const httplib::Request& req) const {
  if (options_.token.empty() || req.path == "/healthz") return true;
  const std::string header = req.get_header_value("Authorization");
  const std::string want = "Bearer " + options_.token;
  // Constant time in the token's length, so timing tells nothing of a prefix.
  unsigned char diff = header.size() == want.size() ? 0 : 1;
  for (std::size_t i = 0; i < want.size(); ++i) {
    diff |= static_cast<unsigned char>(want[i] ^ (i < header.size() ? header[i] : 0));
  }
  return diff == 0;
}

void OtlpHttpServer::HandleTraces(const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
  const std::string type = MediaType(req.get_header_value("Content-Type"));
  OtlpEncoding encoding;
  if (type == kJsonType) {
    encoding = OtlpEncoding::kJson;
  } else if (type == kProtoType || type == "application/protobuf") {
    encoding = OtlpEncoding::kProtobuf;
  } else {
    res.set_header("Connection", "close");  // The body is left unread.
    SetError(
        res, 415, kRpcInvalidArgument,
        "content type must be application/json or application/x-protobuf, not \"" + type + "\"",
        OtlpEncoding::kJson);
    return;
  }
  // The body, decompressed by httplib (gzip, deflate), capped as it arrives.
  std::string body;
  bool too_large = false, too_slow = false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.body_deadline_s);
  const bool read = reader([&](const char* data, std::size_t n) {
    if (body.size() + n > options_.max_decompressed_bytes) return !(too_large = true);
    if (std::chrono::steady_clock::now() > deadline) return !(too_slow = true);
    body.append(data, n);
    return true;
  });
  if (too_large || (!read && res.status == 413)) {
    res.set_header("Connection", "close");
    SetError(
        res, 413, kRpcResourceExhausted,
        "request body over the limit of " +
            std::to_string(too_large ? options_.max_decompressed_bytes : options_.max_body_bytes) +
            (too_large ? " bytes decompressed" : " bytes"),
        encoding);
    return;
  }
  if (!read) {
    res.set_header("Connection", "close");
    SetError(res, 400, kRpcInvalidArgument,
             too_slow ? "request body not received in time" : "could not read the request body",
             encoding);
    return;
  }
  OtlpMapResult mapped;
  Status s = DecodeOtlpBody(encoding, body, &mapped);
  if (!s.ok()) return SetError(res, 400, kRpcInvalidArgument, s.message(), encoding);
  std::vector<RejectedTrace> rejected;
  s = queue_.Submit(mapped.traces, &rejected);
  if (s.IsBusy()) {
    res.set_header("Retry-After", "1");
    return SetError(res, 503, kRpcUnavailable, s.message(), encoding);
  }
  if (!s.ok()) return SetError(res, 500, kRpcInternal, s.ToString(), encoding);
  OtlpIngestReport report;
  ReportOtlpIngest(mapped, rejected, &report);
  spans_accepted_ += report.spans - report.rejected_spans;
  spans_rejected_ += report.rejected_spans;
  const auto rejected_spans = static_cast<int64_t>(report.rejected_spans);
  if (encoding == OtlpEncoding::kJson) {
    res.set_content(EncodeOtlpJsonResponse(rejected_spans, report.Message()), kJsonType);
  } else {
    res.set_content(EncodeOtlpProtoResponse(rejected_spans, report.Message()), kProtoType);
  }
}

Status OtlpHttpServer::Bind(const std::string& host, int port, int* bound_port) {
  if (!tls_status_.ok()) return tls_status_;
  const std::string where = host + ":" + std::to_string(port);
  if (port == 0) {
    *bound_port = http_->bind_to_any_port(host);
  } else {
    *bound_port = http_->bind_to_port(host, port) ? port : -1;
  }
  if (*bound_port <= 0) return Status::IOError("cannot listen on " + where);
  // cpp-httplib listens with a backlog of 5: keep-alive connections that hit
  // their request limit together and reconnect overflow it, and each dropped
  // SYN costs the client a 1 s retransmission. A second listen() on a
  // listening socket only changes the backlog (capped by net.core.somaxconn).
  if (listen_socket_ < 0 || ::listen(listen_socket_, SOMAXCONN) != 0) {
    return Status::IOError("cannot raise the listen backlog on " + where + ": " +
                           std::strerror(errno));
  }
  watchdog_.Start(listen_socket_);
  return Status::OK();
}

Status OtlpHttpServer::Run() {
  if (!stop_requested_.load()) http_->listen_after_bind();
  // Every handler has returned: what they acknowledged is written; close
  // the queue so nothing else is accepted.
  queue_.Close();
  return Status::OK();
}

void OtlpHttpServer::Stop() {
  stop_requested_.store(true);
  http_->stop();
}

}  // namespace sessionstore
