// An HTTP/1.1 client for FHIR servers on Boost.Beast and OpenSSL.
//
// - http and https; TLS 1.2 at least, the peer's certificate and host name always verified
//   (against the system store, or --ca-file), SNI always sent;
// - keep-alive connections reused from a pool bounded in size; safe to call from several threads;
// - a timeout on connecting and on every read;
// - idempotent requests (GET, PUT, DELETE) retried on 408, 429, 500, 502, 503, 504, resets and
//   timeouts, with exponential back-off, jitter and a cap, honouring Retry-After;
// - response bodies limited in size, except those streamed to a file by download(), which keeps
//   memory bounded and can resume a broken transfer with a Range request.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alemwatch/fhir/http_error.hpp"
#include "alemwatch/fhir/retry_policy.hpp"

namespace alemwatch::fhir {

namespace auth {
class AccessTokenSource;
}

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{60'000};
  std::size_t max_connections = 4;                // open at once, across all threads
  std::size_t max_response_bytes = 512u << 20;    // 512 MiB
  RetryPolicy retry;
  std::string ca_file;                            // PEM bundle; empty: the system's store
  std::string client_certificate_file;            // mutual TLS, PEM (optional)
  std::string client_key_file;
  std::string user_agent = "alemwatch";
  // Gives the Authorization header of every attempt (never logged). On a 401 the token is
  // reported refused and the request is sent once more with a fresh one.
  auth::AccessTokenSource* auth = nullptr;
};

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string url;  // absolute http(s) URL, sent as given
  std::string body;
  std::vector<HttpHeader> headers;  // beyond Accept, User-Agent, Host, Content-Type
  // Whether the request may be sent again after a failure. Defaults by method when unset.
  std::optional<bool> idempotent;
  // Whether options.auth gives this request its Authorization header. Off for a host that must
  // not see the token (a bulk data file store, a redirect target elsewhere).
  bool authorize = true;
  // Whether a 429 is retried here, as the policy allows. Off for a caller that paces itself by
  // the server's Retry-After, however long it is: the 429 comes back at once.
  bool retry_too_many_requests = true;
};

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::vector<HttpHeader> headers;
  int attempts = 1;

  // The first header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

// The outcome of download(): the response, and whether its body went to the file.
struct HttpDownload {
  HttpResponse response;          // status, headers, attempts; `body` only when not written
  bool written = false;           // a 200, or a 206 continuing at the offset asked for
  std::uint64_t file_size = 0;    // the file's size afterwards, when written
};

struct HttpStats {
  std::atomic<std::size_t> requests{0};   // attempts sent
  std::atomic<std::size_t> retries{0};
  std::atomic<std::size_t> connections{0};  // opened
};

class HttpClient {
 public:
  // Fails when the TLS context cannot be set up (an unreadable CA or client certificate file).
  static boost::system::result<std::unique_ptr<HttpClient>, std::string> create(HttpClientOptions options);
  ~HttpClient();

  // Sends the request, retrying as the policy allows. A response with any status is a value;
  // failures to get one are errors (HttpError or a system error).
  boost::system::result<HttpResponse> send(const HttpRequest& request);

  // Sends the request and streams a 200's body to `file` (created or truncated) as it arrives,
  // in bounded memory, with no size limit but the disk's. With `offset` > 0 it asks for the rest
  // with `Range: bytes=<offset>-`: a 206 whose Content-Range starts at `offset` is appended there
  // (the file cut to `offset` first), a 200 rewrites the file from the start, a 206 starting
  // elsewhere is a bad_response. Any other status leaves the file alone and comes back with its
  // body in memory (size-limited). Retried as send() is, but only while nothing has been written:
  // a transfer that breaks mid-body is an error, and the file holds what arrived (resume from its
  // size). `on_bytes` is told of every piece written.
  boost::system::result<HttpDownload> download(const HttpRequest& request, const std::filesystem::path& file,
                                               std::uint64_t offset = 0,
                                               const std::function<void(std::size_t)>& on_bytes = {});

  const HttpStats& stats() const { return stats_; }
  // Why the last authorization_failed error happened (no secret in it).
  std::string last_auth_error() const;
  const HttpClientOptions& options() const { return options_; }

  // How one attempt reads its response: into memory, or to a file (defined in the source).
  struct Exchange;

 private:
  struct Impl;
  explicit HttpClient(HttpClientOptions options);
  boost::system::result<HttpResponse> perform(const HttpRequest& request, Exchange& exchange);
  HttpClientOptions options_;
  HttpStats stats_;
  mutable std::mutex auth_error_mutex_;
  std::string auth_error_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alemwatch::fhir
