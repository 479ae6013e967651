// An HTTP/1.1 server for tests, in the test's own process, that answers from a script and can
// misbehave on purpose: reset the connection half-way through a body, stall, hang up without
// answering, close a kept-alive connection behind the client's back. Plain or TLS (optionally
// requiring a client certificate). It records every request it reads and counts connections, so
// that tests can check what a client sent and whether it reused its connections.
//
// Built on Boost.Beast/Asio: one io_context on its own thread, listening on 127.0.0.1 (or ::1), on
// port 0 by default: the kernel picks one, see port(). Replies come first from the queue given to
// enqueue(), then from the handler, then a 501. The handler runs on the server's thread, one
// request at a time: to make the server slow, give the reply a `delay` rather than sleeping.
//
// TlsMaterial generates, with the `openssl` command-line tool, the certificates the TLS tests
// need: two unrelated CAs, server certificates and client certificates.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alemwatch::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct TlsServerConfig {
  std::string certificate_file;  // PEM chain
  std::string key_file;          // PEM
  // When set, every client must present a certificate signed by this CA (mutual TLS).
  std::string client_ca_file;
  // Only TLS 1.1 (with OpenSSL's security level lowered so that it can speak it at all).
  bool tls11_only = false;
};

class FaultServer {
 public:
  struct Request {
    std::string method;  // "GET"
    std::string target;  // "/fhir/Patient?_id=1", as sent
    Headers headers;     // in the order received
    std::string body;
    std::size_t connection = 0;  // which connection it came on: 1 for the first accepted
    std::string sni;             // the TLS server name the client sent, if any
    std::chrono::steady_clock::time_point received;

    // The first header of that name (case-insensitive), or empty.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
  };

  struct Reply {
    enum class Kind {
      normal,                 // status, headers, body
      reset_mid_body,         // headers announcing 1000 bytes, 100 of them, then a TCP reset
      stall,                  // read the request, send nothing for `delay`, then close
      close_without_response, // read the request, then close the connection
      raw                     // send `body` as the whole response, bytes as given, then close
    };
    Kind kind = Kind::normal;
    unsigned status = 200;
    Headers headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // normal: wait this long before answering; stall: how long
    bool chunked = false;                // send the body with chunked transfer coding
    bool close = false;                  // answer with "Connection: close" and close
    // Answer as if keeping the connection alive, then close it at once (an idle timeout of zero).
    bool close_after = false;

    // A JSON body (application/fhir+json) with that status.
    static Reply json(unsigned status, std::string body);
    static Reply ok(std::string body = R"({"resourceType":"Bundle","type":"searchset"})");
    static Reply empty(unsigned status);
    static Reply reset_mid_body();
    static Reply stall(std::chrono::milliseconds how_long);
    static Reply close_without_response();
    static Reply raw_bytes(std::string bytes);

    Reply with_header(std::string name, std::string value) const;
    Reply after(std::chrono::milliseconds wait) const;
    Reply closing() const;        // close = true
    Reply closing_after() const;  // close_after = true
    Reply chunked_body() const;   // chunked = true
  };

  using Handler = std::function<Reply(const Request&)>;

  struct Options {
    unsigned short port = 0;  // 0: any free port
    std::string address = "127.0.0.1";  // or "::1"
    std::optional<TlsServerConfig> tls;
    Handler handler;  // in place before the first connection is accepted
  };

  FaultServer();
  explicit FaultServer(Options options);
  // Closes every connection and joins the server's thread.
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  unsigned short port() const;
  // "http://127.0.0.1:<port><path>" ("https" in TLS mode; the address listened on, bracketed when
  // IPv6, unless another host name is given).
  std::string url(std::string_view path = "", std::string_view host = {}) const;

  void enqueue(Reply reply);
  void set_handler(Handler handler);

  std::vector<Request> requests() const;
  std::size_t request_count() const;
  std::size_t connections_accepted() const;
  std::size_t open_connections() const;
  std::size_t peak_open_connections() const;
  // The most requests read and not yet answered at one time (stalled ones count until closed).
  std::size_t peak_requests_in_flight() const;
  // TLS handshakes that failed, with OpenSSL's words for each.
  std::vector<std::string> tls_failures() const;

  // Polls until open_connections() == n; false if it has not happened within `timeout`.
  bool wait_for_open_connections(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A port on 127.0.0.1 that nothing listens on (bound, read and released; racy but fine in tests).
unsigned short unused_port();

// Tries a TLS handshake with 127.0.0.1:port speaking only TLS 1.1, verifying nothing. Empty when
// it succeeds, else what went wrong. Shows that a "TLS 1.1 only" server really speaks TLS 1.1.
std::string tls11_handshake_error(unsigned short port);

// Certificates for TLS tests, generated with the openssl tool (EC P-256, valid two days).
struct TlsMaterial {
  std::filesystem::path dir;
  std::string ca;                     // the test CA
  std::string other_ca;               // an unrelated CA
  std::string server_cert, server_key;          // localhost and 127.0.0.1, signed by `ca`
  std::string other_host_cert, other_host_key;  // "otherhost" only, signed by `ca`
  std::string client_cert, client_key;          // a client, signed by `ca`
  std::string other_client_cert, other_client_key;  // a client, signed by `other_ca`

  TlsServerConfig server() const { return {server_cert, server_key, {}, false}; }
};

// Generated once per process into a temporary directory that is removed at exit. Throws
// std::runtime_error naming the command that failed (and its output) when openssl is missing or
// fails.
const TlsMaterial& tls_material();

}  // namespace alemwatch::testing
