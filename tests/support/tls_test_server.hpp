#pragma once
// A one-purpose HTTPS server on loopback for TLS tests (the transport, `leadsync check`): a fresh
// self-signed certificate for 127.0.0.1 (which doubles as its own CA), and a fixed 200 answer to
// every request.

// clang-format off
#include <utility> // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

#include <cstdint>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <string>
#include <thread>

namespace leadsync::test {

struct SelfSignedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

inline SelfSignedCertificate make_self_signed_certificate() {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  if (!key || !certificate) {
    throw std::runtime_error("cannot create a test key or certificate");
  }
  X509* cert = certificate.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("leadsync test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    if (extension == nullptr) {
      throw std::runtime_error("cannot build a test certificate extension");
    }
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert, key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("cannot sign the test certificate");
  }
  const auto to_pem = [](auto write) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  return SelfSignedCertificate{
      to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); }), to_pem([&](BIO* bio) {
        PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      })};
}

class TlsTestServer {
public:
  static constexpr std::string_view body = "secure";

  explicit TlsTestServer(const SelfSignedCertificate& certificate) {
    tls_.use_certificate_chain(boost::asio::buffer(certificate.certificate_pem));
    tls_.use_private_key(boost::asio::buffer(certificate.private_key_pem),
                         boost::asio::ssl::context::pem);
    accept_next();
    thread_ = std::thread([this] { io_.run(); });
  }
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;
  ~TlsTestServer() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  void accept_next() {
    acceptor_.async_accept([this](boost::system::error_code error,
                                  boost::asio::ip::tcp::socket socket) {
      if (error) {
        return;
      }
      auto stream = std::make_shared<Stream>(std::move(socket), tls_);
      stream->async_handshake(Stream::server, [stream](boost::system::error_code handshake_error) {
        if (!handshake_error) {
          answer(stream);
        }
      });
      accept_next();
    });
  }

  static void answer(const std::shared_ptr<Stream>& stream) {
    auto request = std::make_shared<boost::asio::streambuf>();
    boost::asio::async_read_until(
        *stream, *request, "\r\n\r\n",
        [stream, request](boost::system::error_code error, std::size_t) {
          if (error) {
            return;
          }
          static const std::string reply =
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
          boost::asio::async_write(*stream, boost::asio::buffer(reply),
                                   [stream](boost::system::error_code, std::size_t) {
                                     boost::system::error_code ignored;
                                     stream->lowest_layer().close(ignored);
                                   });
        });
  }

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_server};
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::address_v4::loopback(), 0}};
  std::thread thread_;
};

} // namespace leadsync::test
