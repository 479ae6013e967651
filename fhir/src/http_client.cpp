#include "alemwatch/fhir/http_client.hpp"

#include "alemwatch/fhir/auth/access_token_source.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <semaphore>
#include <thread>

namespace alemwatch::fhir {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); }))
      return h.value;
  return {};
}

namespace {

struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, as given
  bool default_port = true;

  // The Host header: the port only when it is not the scheme's default (RFC 9110 7.2).
  std::string host_header() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return default_port ? h : h + ":" + port;
  }

  std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

// Takes an absolute http(s) URL apart without re-encoding anything: FHIR servers hand out next
// links with characters a strict parser refuses (a bare '|' in a token search), and the target
// must go back to them exactly as given.
boost::system::result<Endpoint> parse_endpoint(const std::string& url) {
  Endpoint e;
  std::string_view rest = url;
  // Schemes are case-insensitive (RFC 3986 3.1).
  std::string scheme = std::string(rest.substr(0, rest.find("://") == std::string_view::npos ? 0 : rest.find("://") + 3));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "https://") {
    e.tls = true;
    rest.remove_prefix(8);
  } else if (scheme == "http://") {
    rest.remove_prefix(7);
  } else {
    return make_error_code(HttpError::bad_url);
  }
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return make_error_code(HttpError::bad_url);  // would break the request line
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const auto fragment = target.find('#'); fragment != std::string_view::npos) target = target.substr(0, fragment);
  if (authority.find('@') != std::string_view::npos) return make_error_code(HttpError::bad_url);  // no userinfo
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error_code(HttpError::bad_url);
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return make_error_code(HttpError::bad_url);
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return make_error_code(HttpError::bad_url);
  if (!port.empty() && (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
                        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535))
    return make_error_code(HttpError::bad_url);
  e.host = std::string(host);
  e.default_port = port.empty() || port == (e.tls ? "443" : "80");
  e.port = port.empty() ? (e.tls ? "443" : "80") : std::string(port);
  e.target = target.empty() ? "/" : std::string(target);
  if (e.target.front() == '?') e.target = "/" + e.target;
  return e;
}

bool is_idempotent(const HttpRequest& r) {
  if (r.idempotent) return *r.idempotent;
  return r.method == http::verb::get || r.method == http::verb::head || r.method == http::verb::put ||
         r.method == http::verb::delete_ || r.method == http::verb::options;
}

// Runs one asynchronous operation on `ioc` to completion and returns its error.
template <class Start>
error_code run(net::io_context& ioc, Start start) {
  error_code result = net::error::would_block;
  start([&](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

// A transport error as the caller should see it: timeouts and resets named as such, TLS errors
// kept (OpenSSL's words say what failed: "certificate verify failed").
error_code classify(error_code ec) {
  if (ec == beast::error::timeout) return make_error_code(HttpError::timeout);
  if (ec == net::error::connection_reset || ec == net::error::eof || ec == http::error::end_of_stream ||
      ec == net::error::broken_pipe || ec == http::error::partial_message || ec == ssl::error::stream_truncated)
    return make_error_code(HttpError::connection_reset);
  if (ec == http::error::body_limit) return make_error_code(HttpError::response_too_large);
  if (ec.category() == make_error_code(http::error::bad_target).category()) return make_error_code(HttpError::bad_response);
  return ec;
}

// Where a streamed response body goes: told the status and headers first, then given the body
// in pieces, then told it is complete. An error from any of them ends the exchange.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual error_code head(const HttpResponse& response) = 0;
  virtual error_code data(const char* bytes, std::size_t n) = 0;
  virtual error_code end() = 0;
};

// One keep-alive connection, plain or TLS, with its own io_context so that a thread can drive
// it synchronously while every operation still has a deadline.
class Connection {
 public:
  Connection(const Endpoint& e, ssl::context& tls_context) : endpoint_(e) {
    if (e.tls)
      tls_.emplace(ioc_, tls_context);
    else
      plain_.emplace(ioc_);
  }

  error_code connect(std::chrono::milliseconds timeout) {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    const error_code resolved = run(ioc_, [&](auto handler) {
      resolver.async_resolve(endpoint_.host, endpoint_.port, [&, handler](error_code ec, tcp::resolver::results_type r) {
        endpoints = std::move(r);
        handler(ec);
      });
    });
    if (resolved) return make_error_code(HttpError::connect_failed);
    auto& layer = lowest();
    layer.expires_after(timeout);
    if (auto ec = run(ioc_, [&](auto handler) { layer.async_connect(endpoints, handler); }))
      return ec == beast::error::timeout ? make_error_code(HttpError::timeout) : make_error_code(HttpError::connect_failed);
    if (!tls_) return {};
    // SNI, and the certificate must name the host we asked for.
    if (!SSL_set_tlsext_host_name(tls_->native_handle(), endpoint_.host.c_str()))
      return make_error_code(HttpError::tls_failed);
    tls_->set_verify_callback(ssl::host_name_verification(endpoint_.host));
    layer.expires_after(timeout);
    return run(ioc_, [&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
  }

  // Writes the request and reads the response. On a transport error the connection is unusable.
  error_code exchange(http::request<http::string_body>& req, HttpResponse& out, const HttpClientOptions& options) {
    if (auto ec = write(req, options)) return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64 * 1024);
    lowest().expires_after(options.read_timeout);
    error_code ec = read(parser, false);
    received_any_ = parser.got_some() || buffer_.size() > 0;
    if (ec) return classify(ec);
    auto res = parser.release();
    out.status = res.result_int();
    for (const auto& f : res) out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    out.body = std::move(res.body());
    keep_alive_ = res.keep_alive();
    return {};
  }

  // Like exchange(), but hands the body to `sink` in pieces as it arrives, without a size limit.
  // The read timeout applies to each piece, not to the whole body, so that a long transfer that
  // keeps moving is not cut off.
  error_code exchange_streamed(http::request<http::string_body>& req, HttpResponse& out,
                               const HttpClientOptions& options, BodySink& sink) {
    if (auto ec = write(req, options)) return ec;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    lowest().expires_after(options.read_timeout);
    error_code ec = read(parser, true);
    received_any_ = parser.got_some() || buffer_.size() > 0;
    if (ec) return classify(ec);
    keep_alive_ = false;  // until the body has been read in full
    out.status = parser.get().result_int();
    for (const auto& f : parser.get()) out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    if ((ec = sink.head(out))) return ec;
    std::vector<char> piece(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      lowest().expires_after(options.read_timeout);
      ec = read(parser, false);
      if (ec == http::error::need_buffer) ec = {};
      // Whatever arrived before a failure is kept: the caller resumes after it.
      if (const std::size_t n = piece.size() - parser.get().body().size; n > 0)
        if (auto written = sink.data(piece.data(), n)) return written;
      if (ec) return classify(ec);
    }
    if ((ec = sink.end())) return ec;
    keep_alive_ = parser.get().keep_alive();
    return {};
  }

  bool reusable() const { return keep_alive_; }

  // An idle kept-alive connection the server has since closed (or is closing) shows as readable
  // before we write: better to open a fresh one than to lose a request that may not be repeated.
  bool closed_while_idle() {
    char byte;
    const auto n = ::recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  // Whether the last exchange got any byte of a response before it failed.
  bool received_any() const { return received_any_; }
  const Endpoint& endpoint() const { return endpoint_; }

  ~Connection() {
    error_code ignored;
    if (tls_) {
      // A server may close without close_notify; stream_truncated here is harmless because the
      // response has already been read in full (HTTP framing told us where it ended).
      lowest().expires_after(std::chrono::seconds(2));
      run(ioc_, [&](auto h) { tls_->async_shutdown(h); });
    }
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  error_code write(http::request<http::string_body>& req, const HttpClientOptions& options) {
    lowest().expires_after(options.read_timeout);
    const error_code ec = tls_ ? run(ioc_, [&](auto h) { http::async_write(*tls_, req, h); })
                               : run(ioc_, [&](auto h) { http::async_write(*plain_, req, h); });
    return ec ? classify(ec) : ec;
  }

  // Reads the response head only, or (more of) the whole message, into `parser`.
  template <class Parser>
  error_code read(Parser& parser, bool head_only) {
    if (head_only)
      return tls_ ? run(ioc_, [&](auto h) { http::async_read_header(*tls_, buffer_, parser, h); })
                  : run(ioc_, [&](auto h) { http::async_read_header(*plain_, buffer_, parser, h); });
    return tls_ ? run(ioc_, [&](auto h) { http::async_read(*tls_, buffer_, parser, h); })
                : run(ioc_, [&](auto h) { http::async_read(*plain_, buffer_, parser, h); });
  }

  Endpoint endpoint_;
  net::io_context ioc_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool keep_alive_ = true;
  bool received_any_ = false;
};

}  // namespace

struct HttpClient::Impl {
  explicit Impl(std::size_t max_connections)
      : tls_context(ssl::context::tls_client), slots(static_cast<std::ptrdiff_t>(std::max<std::size_t>(max_connections, 1))) {}

  ssl::context tls_context;
  std::counting_semaphore<1024> slots;
  std::mutex mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::mutex random_mutex;
  std::mt19937_64 random{std::random_device{}()};

  std::unique_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex);
    auto& list = idle[key];
    if (list.empty()) return nullptr;
    auto c = std::move(list.back());
    list.pop_back();
    return c;
  }
  void give_back(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex);
    auto& list = idle[c->endpoint().key()];
    if (list.size() < 16) list.push_back(std::move(c));
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_.max_connections)) {}

HttpClient::~HttpClient() = default;

boost::system::result<std::unique_ptr<HttpClient>, std::string> HttpClient::create(HttpClientOptions options) {
  std::unique_ptr<HttpClient> client(new HttpClient(std::move(options)));
  auto& ctx = client->impl_->tls_context;
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (client->options_.ca_file.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(client->options_.ca_file, ec);
  if (ec) return "cannot load CA certificates" + (client->options_.ca_file.empty() ? std::string() : " from " + client->options_.ca_file) + ": " + ec.message();
  if (!client->options_.client_certificate_file.empty()) {
    ctx.use_certificate_chain_file(client->options_.client_certificate_file, ec);
    if (ec) return "cannot load client certificate " + client->options_.client_certificate_file + ": " + ec.message();
    ctx.use_private_key_file(client->options_.client_key_file, ssl::context::pem, ec);
    if (ec) return "cannot load client key " + client->options_.client_key_file + ": " + ec.message();
  }
  return client;
}

std::string HttpClient::last_auth_error() const {
  std::lock_guard lock(auth_error_mutex_);
  return auth_error_;
}

// How one attempt reads its response, and whether an attempt that failed may be made again.
struct HttpClient::Exchange {
  virtual ~Exchange() = default;
  virtual error_code run(Connection& connection, http::request<http::string_body>& req, HttpResponse& out,
                         const HttpClientOptions& options) = 0;
  // False once an attempt has left something behind (bytes in a file) that a new one would spoil.
  virtual bool repeatable() const = 0;
};

namespace {

// The whole body into memory, within the size limit.
class InMemory final : public HttpClient::Exchange {
 public:
  error_code run(Connection& connection, http::request<http::string_body>& req, HttpResponse& out,
                 const HttpClientOptions& options) override {
    return connection.exchange(req, out, options);
  }
  bool repeatable() const override { return true; }
};

// "bytes 300-999/1000" -> 300.
std::optional<std::uint64_t> content_range_start(std::string_view value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  std::uint64_t start = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), start);
  if (ec != std::errc() || end == value.data() + value.size() || *end != '-') return std::nullopt;
  return start;
}

// A 200's body, or a 206's continuing at `offset`, into a file; any other body into memory.
class ToFile final : public HttpClient::Exchange, private BodySink {
 public:
  ToFile(const std::filesystem::path& file, std::uint64_t offset, const std::function<void(std::size_t)>& on_bytes,
         std::size_t memory_limit)
      : file_(file), offset_(offset), on_bytes_(on_bytes), memory_limit_(memory_limit) {}
  ~ToFile() override { close_file(); }

  error_code run(Connection& connection, http::request<http::string_body>& req, HttpResponse& out,
                 const HttpClientOptions& options) override {
    out_ = &out;
    return connection.exchange_streamed(req, out, options, *this);
  }
  bool repeatable() const override { return !wrote_; }
  bool written() const { return to_file_; }

 private:
  error_code head(const HttpResponse& response) override {
    close_file();
    to_file_ = false;
    if (response.status == 200) return open_file(O_TRUNC);
    if (response.status != 206) return {};
    // A range we did not ask for would put bytes in the wrong place.
    if (content_range_start(response.header("Content-Range")) != offset_) return make_error_code(HttpError::bad_response);
    // Cut off whatever lies past `offset` (a piece half-written when the transfer broke).
    std::error_code fs_error;
    const auto size = std::filesystem::file_size(file_, fs_error);
    if (!fs_error && size < offset_) return make_error_code(std::errc::invalid_argument);
    if (!fs_error) std::filesystem::resize_file(file_, offset_, fs_error);
    if (fs_error) return error_code(fs_error.value(), boost::system::system_category());
    return open_file(O_APPEND);
  }

  error_code data(const char* bytes, std::size_t n) override {
    if (!to_file_) {
      if (out_->body.size() + n > memory_limit_) return make_error_code(HttpError::response_too_large);
      out_->body.append(bytes, n);
      return {};
    }
    wrote_ = true;
    for (std::size_t done = 0; done < n;) {
      const auto w = ::write(fd_, bytes + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return error_code(errno, boost::system::system_category());
      done += static_cast<std::size_t>(w);
    }
    if (on_bytes_) on_bytes_(n);
    return {};
  }

  error_code end() override { return close_file(); }

  error_code open_file(int mode) {
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode, 0644);
    if (fd_ < 0) return error_code(errno, boost::system::system_category());
    to_file_ = true;
    return {};
  }

  error_code close_file() {
    if (fd_ < 0) return {};
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? error_code() : error_code(errno, boost::system::system_category());
  }

  std::filesystem::path file_;
  std::uint64_t offset_;
  const std::function<void(std::size_t)>& on_bytes_;
  std::size_t memory_limit_;
  HttpResponse* out_ = nullptr;
  int fd_ = -1;
  bool to_file_ = false;
  bool wrote_ = false;
};

}  // namespace

boost::system::result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  InMemory exchange;
  return perform(request, exchange);
}

boost::system::result<HttpDownload> HttpClient::download(const HttpRequest& request, const std::filesystem::path& file,
                                                         std::uint64_t offset,
                                                         const std::function<void(std::size_t)>& on_bytes) {
  HttpRequest ranged = request;
  if (offset > 0) ranged.headers.push_back({"Range", "bytes=" + std::to_string(offset) + "-"});
  ToFile exchange(file, offset, on_bytes, options_.max_response_bytes);
  auto response = perform(ranged, exchange);
  if (!response) return response.error();
  HttpDownload out;
  out.written = exchange.written() && (response->status == 200 || response->status == 206);
  out.response = std::move(*response);
  if (out.written) {
    std::error_code ignored;
    out.file_size = std::filesystem::file_size(file, ignored);
  }
  return out;
}

boost::system::result<HttpResponse> HttpClient::perform(const HttpRequest& request, Exchange& exchange) {
  auto endpoint = parse_endpoint(request.url);
  if (!endpoint) return endpoint.error();
  const bool idempotent = is_idempotent(request);
  bool refreshed_after_401 = false;
  for (int attempt = 0;; ++attempt) {
    std::string authorization;
    if (options_.auth && request.authorize) {
      auto header = options_.auth->authorization();
      if (!header) {
        std::lock_guard lock(auth_error_mutex_);
        auth_error_ = header.error();
        return make_error_code(HttpError::authorization_failed);
      }
      authorization = std::move(*header);
    }
    http::request<http::string_body> req{request.method, endpoint->target, 11};
    req.set(http::field::host, endpoint->host_header());
    req.set(http::field::user_agent, options_.user_agent);
    req.set(http::field::accept, "application/fhir+json");
    if (!request.body.empty()) req.set(http::field::content_type, "application/fhir+json");
    for (const auto& h : request.headers) req.set(h.name, h.value);
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    req.body() = request.body;
    req.prepare_payload();
    req.keep_alive(true);

    HttpResponse response;
    response.attempts = attempt + 1;
    error_code ec;
    {
      impl_->slots.acquire();
      auto connection = impl_->take(endpoint->key());
      if (connection && connection->closed_while_idle()) connection.reset();
      const bool reused = connection != nullptr;
      if (!connection) {
        connection = std::make_unique<Connection>(*endpoint, impl_->tls_context);
        ec = connection->connect(options_.connect_timeout);
        if (!ec) ++stats_.connections;
      }
      if (!ec) {
        ++stats_.requests;
        ec = exchange.run(*connection, req, response, options_);
        // A kept-alive connection the server has since closed fails at once: try a fresh one,
        // without counting it as a retry, when the request may be repeated.
        if (ec == HttpError::connection_reset && reused && idempotent && !connection->received_any()) {
          connection = std::make_unique<Connection>(*endpoint, impl_->tls_context);
          ec = connection->connect(options_.connect_timeout);
          if (!ec) {
            ++stats_.connections;
            response = HttpResponse{};
            response.attempts = attempt + 1;
            ec = exchange.run(*connection, req, response, options_);
          }
        }
      }
      if (!ec && connection->reusable()) impl_->give_back(std::move(connection));
      connection.reset();
      impl_->slots.release();
    }

    // A 401 may mean the token expired early or was revoked: refresh it once and try again.
    if (!ec && response.status == 401 && options_.auth && request.authorize && !refreshed_after_401) {
      refreshed_after_401 = true;
      options_.auth->refused(authorization);
      --attempt;  // not a retry of the policy's kind
      continue;
    }
    const bool transport_retryable = ec == HttpError::connection_reset || ec == HttpError::timeout ||
                                     (ec == HttpError::connect_failed);
    const bool status_retryable = !ec && RetryPolicy::retryable_status(response.status) &&
                                  (response.status != 429 || request.retry_too_many_requests);
    // A connect failure sent nothing, so even a POST may be tried again.
    const bool may_retry = (idempotent || ec == HttpError::connect_failed) && exchange.repeatable();
    if ((!transport_retryable && !status_retryable) || !may_retry || attempt >= options_.retry.max_retries) {
      if (ec) return ec;
      return response;
    }
    std::optional<std::chrono::milliseconds> retry_after;
    if (status_retryable) retry_after = parse_retry_after(response.header("Retry-After"), std::chrono::system_clock::now());
    std::chrono::milliseconds wait;
    {
      std::lock_guard lock(impl_->random_mutex);
      wait = options_.retry.delay(attempt, retry_after, impl_->random);
    }
    ++stats_.retries;
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace alemwatch::fhir
