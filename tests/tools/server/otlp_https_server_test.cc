// Copyright sessionstore authors.
//
// OtlpHttpServer over TLS: a self-signed certificate made at test time with
// OpenSSL's API (no `openssl` program needed), the server on an ephemeral
// loopback port, and cpp-httplib's SSLClient trusting that certificate.

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/engine/test_util.h"
#include "tests/tools/otlp/otlp_samples.h"
#include "tests/tools/server/keep_alive_check.h"
#include "tools/server/otlp_http_server.h"

namespace sessionstore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

constexpr char kJson[] = "application/json";
constexpr char kSession1[] = "sess-7f3a91c2-user-1842";
constexpr char kToken[] = "s3cret-token";

using testing::ReadOtlpSample;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Writes a P-256 key and a self-signed certificate for localhost and
// 127.0.0.1, valid for an hour, as PEM files.
void WriteSelfSigned(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path() + "/db");
    cert_ = dir_.path() + "/cert.pem";
    key_ = dir_.path() + "/key.pem";
    WriteSelfSigned(cert_, key_);
  }
  void TearDown() override {
    if (!server_) return;
    server_->Stop();
    if (runner_.joinable()) runner_.join();
  }

  ServerOptions TlsOptions() const {
    ServerOptions o;
    o.tls_cert_file = cert_;
    o.tls_key_file = key_;
    return o;
  }
  void StartServer(const ServerOptions& options) {
    server_ = std::make_unique<OtlpHttpServer>(store_.get(), options);
    ASSERT_TRUE(server_->tls());
    const Status s = server_->Bind("127.0.0.1", 0, &port_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    runner_ = std::thread([this] { ASSERT_TRUE(server_->Run().ok()); });
    for (int i = 0; i < 500; ++i) {  // Until it answers.
      if (auto r = Client()->Get("/healthz"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "server did not start";
  }
  // A client that verifies the server against the self-signed certificate.
  // (SSLClient can be neither copied nor moved.)
  std::unique_ptr<httplib::SSLClient> Client() const {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->set_ca_cert_path(cert_.c_str());
    c->enable_server_certificate_verification(true);
    c->set_read_timeout(30, 0);
    return c;
  }
  // The message of the Status Bind returns for `options` (empty if OK).
  std::string BindError(const ServerOptions& options) {
    OtlpHttpServer server(store_.get(), options);
    int port = 0;
    const Status s = server.Bind("127.0.0.1", 0, &port);
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_EQ(s.ToString(), server.tls_status().ToString());
    return s.message();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string cert_, key_;
  std::unique_ptr<OtlpHttpServer> server_;
  std::thread runner_;
  int port_ = 0;
};

TEST_F(HttpsServerTest, IngestsAndAnswersQueriesOverTlsWithAToken) {
  ServerOptions options = TlsOptions();
  options.token = kToken;
  StartServer(options);
  auto client = Client();
  httplib::SSLClient& c = *client;
  c.set_bearer_token_auth(kToken);
  auto r = c.Post("/v1/traces", ReadOtlpSample("otlp-001-traces-httpjson.json"), kJson);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
  r = c.Get((std::string("/v1/sessions/") + kSession1).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"trace_count\":4"), std::string::npos) << r->body;
  EXPECT_EQ(server_->spans_accepted(), 9u);

  // The token check and the other routes are the same as over plain HTTP.
  r = Client()->Get((std::string("/v1/sessions/") + kSession1).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Post("/v1/traces", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
}

TEST_F(HttpsServerTest, RefusesPlainHttpAndUntrustedClients) {
  StartServer(TlsOptions());
  httplib::Client plain("127.0.0.1", port_);
  plain.set_read_timeout(5, 0);
  auto r = plain.Get("/healthz");
  EXPECT_TRUE(!r || r->status != 200) << "plain HTTP answered on the TLS port";

  // Verification against the system CAs fails: the certificate is self-signed.
  httplib::SSLClient untrusted("127.0.0.1", port_);
  untrusted.enable_server_certificate_verification(true);
  r = untrusted.Get("/healthz");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), httplib::Error::SSLServerVerification);

  httplib::SSLClient unverified("127.0.0.1", port_);
  unverified.enable_server_certificate_verification(false);
  r = unverified.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

// The TLS server shares the plain one's socket settings: with TCP_NODELAY
// lost, each answer on a keep-alive connection would wait ~40 ms for the
// client's delayed ACK (see KeepAliveAnswersAreNotHeldByNagle).
TEST_F(HttpsServerTest, KeepAliveAnswersAreNotHeldByNagle) {
  StartServer(TlsOptions());
  auto c = Client();
  testing::ExpectKeepAliveAnswersNotHeldByNagle(*c);
}

TEST_F(HttpsServerTest, RefusesABadKeyOrCertificateWithAClearError) {
  ServerOptions o = TlsOptions();
  WriteFile(dir_.path() + "/garbage.pem", "-----BEGIN PRIVATE KEY-----\nnot a key\n");
  o.tls_key_file = dir_.path() + "/garbage.pem";
  std::string why = BindError(o);
  EXPECT_NE(why.find("TLS key " + o.tls_key_file), std::string::npos) << why;

  // A valid key, but not the certificate's.
  WriteSelfSigned(dir_.path() + "/other_cert.pem", dir_.path() + "/other_key.pem");
  o.tls_key_file = dir_.path() + "/other_key.pem";
  why = BindError(o);
  EXPECT_NE(why.find("not an unencrypted PEM private key matching"), std::string::npos) << why;

  o = TlsOptions();
  o.tls_cert_file = key_;  // A key where the certificate should be.
  why = BindError(o);
  EXPECT_NE(why.find("TLS certificate " + key_ + ": not a usable PEM certificate"),
            std::string::npos)
      << why;

  o = TlsOptions();
  o.tls_cert_file = dir_.path() + "/missing.pem";
  EXPECT_EQ(BindError(o), "cannot read TLS certificate " + o.tls_cert_file);
  o = TlsOptions();
  o.tls_key_file = dir_.path() + "/missing.pem";
  EXPECT_EQ(BindError(o), "cannot read TLS key " + o.tls_key_file);
  o = TlsOptions();
  o.tls_key_file.clear();
  EXPECT_EQ(BindError(o), "TLS needs both a certificate file and a key file");
}

// An encrypted key must fail, not stop at OpenSSL's passphrase prompt.
TEST_F(HttpsServerTest, RefusesAnEncryptedKeyWithoutPrompting) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  const std::string path = dir_.path() + "/encrypted.pem";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  char pass[] = "passphrase";
  PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), nullptr, 0, nullptr, pass);
  std::fclose(f);
  EVP_PKEY_free(key);
  ServerOptions o = TlsOptions();
  o.tls_key_file = path;
  const std::string why = BindError(o);
  EXPECT_NE(why.find("TLS key " + path), std::string::npos) << why;
}

}  // namespace
}  // namespace sessionstore
