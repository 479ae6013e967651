#include "fault_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>

namespace alemwatch::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Reply = FaultServer::Reply;
using Request = FaultServer::Request;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Lets a TLS context speak TLS 1.1: OpenSSL 3 refuses it at the default security level.
void allow_only_tls11(ssl::context& ctx) {
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  SSL_CTX_set_cipher_list(ctx.native_handle(), "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Request and Reply

std::string Request::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

bool Request::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

Reply Reply::json(unsigned status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/fhir+json");
  return r;
}

Reply Reply::ok(std::string body) { return json(200, std::move(body)); }

Reply Reply::empty(unsigned status) {
  Reply r;
  r.status = status;
  return r;
}

Reply Reply::reset_mid_body() {
  Reply r;
  r.kind = Kind::reset_mid_body;
  return r;
}

Reply Reply::stall(std::chrono::milliseconds how_long) {
  Reply r;
  r.kind = Kind::stall;
  r.delay = how_long;
  return r;
}

Reply Reply::close_without_response() {
  Reply r;
  r.kind = Kind::close_without_response;
  return r;
}

Reply Reply::raw_bytes(std::string bytes) {
  Reply r;
  r.kind = Kind::raw;
  r.body = std::move(bytes);
  return r;
}

Reply Reply::with_header(std::string name, std::string value) const {
  Reply r = *this;
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

Reply Reply::after(std::chrono::milliseconds wait) const {
  Reply r = *this;
  r.delay = wait;
  return r;
}

Reply Reply::closing() const {
  Reply r = *this;
  r.close = true;
  return r;
}

Reply Reply::closing_after() const {
  Reply r = *this;
  r.close_after = true;
  return r;
}

Reply Reply::chunked_body() const {
  Reply r = *this;
  r.chunked = true;
  return r;
}

// ---------------------------------------------------------------------------------------------
// The server

namespace {

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Cancels whatever the session waits for and closes its socket (on the server's thread).
  virtual void abort() = 0;
};

}  // namespace

struct FaultServer::Impl {
  // Shared with the tests' threads, under `mutex`. Declared first: destroyed last.
  mutable std::mutex mutex;
  std::deque<Reply> queue;
  Handler handler;
  std::vector<Request> requests;
  std::size_t accepted = 0, open = 0, peak_open = 0, in_flight = 0, peak_in_flight = 0;
  std::vector<std::string> tls_failures;

  // Touched on the server's thread only (after construction).
  std::optional<ssl::context> tls;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::weak_ptr<SessionBase>> sessions;
  bool stopping = false;
  unsigned short port = 0;
  std::string address;  // as it goes in a URL
  std::thread thread;

  void do_accept();
  void stop();

  void record(const Request& r) {
    std::lock_guard lock(mutex);
    requests.push_back(r);
    peak_in_flight = std::max(peak_in_flight, ++in_flight);
  }
  void answered() {
    std::lock_guard lock(mutex);
    --in_flight;
  }
  void closed() {
    std::lock_guard lock(mutex);
    --open;
  }
  void tls_failed(std::string what) {
    std::lock_guard lock(mutex);
    tls_failures.push_back(std::move(what));
  }

  Reply next_reply(const Request& r) {
    Handler h;
    {
      std::lock_guard lock(mutex);
      if (!queue.empty()) {
        Reply reply = std::move(queue.front());
        queue.pop_front();
        return reply;
      }
      h = handler;
    }
    if (h) {
      try {
        return h(r);
      } catch (const std::exception& e) {
        return Reply::json(500, std::string(R"({"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception","diagnostics":"the test's handler threw: )") +
                                    e.what() + "\"}]}");
      }
    }
    return Reply::json(501, R"({"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"not-supported","diagnostics":"fault server: no reply scripted"}]})");
  }
};

namespace {

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <class... Args>
  Session(FaultServer::Impl& server, std::size_t id, Args&&... args)
      : server_(server), id_(id), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

  ~Session() override {
    if (answering_) server_.answered();
    server_.closed();
  }

  void start() {
    if constexpr (is_tls) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
    } else {
      read();
    }
  }

  void abort() override {
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

  void on_handshake(error_code ec) {
    if constexpr (is_tls) {
      if (ec) {
        if (!server_.stopping) server_.tls_failed(ec.message());
        return close();
      }
      if (const char* name = SSL_get_servername(stream_.native_handle(), TLSEXT_NAMETYPE_host_name)) sni_ = name;
      read();
    }
  }

  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(64u << 20);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) {
      if constexpr (is_tls) {
        // The client said goodbye with close_notify: answer in kind, then close.
        if (ec == http::error::end_of_stream && !server_.stopping)
          return stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->close(); });
      }
      return close();
    }
    auto message = parser_->release();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    request.body = std::move(message.body());
    request.connection = id_;
    request.sni = sni_;
    request.received = std::chrono::steady_clock::now();
    keep_alive_ = message.keep_alive();
    server_.record(request);
    answering_ = true;
    reply_ = server_.next_reply(request);
    answer();
  }

  void answer() {
    auto self = this->shared_from_this();
    switch (reply_.kind) {
      case Reply::Kind::normal:
        if (reply_.delay.count() > 0)
          return wait(reply_.delay, [self] { self->write_response(); });
        return write_response();
      case Reply::Kind::reset_mid_body:
        raw_ = "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n";
        raw_ += R"({"resourceType":"Bundle","type":"searchset","entry":[)";
        raw_.append(100 - (raw_.size() - raw_.find('{')), ' ');
        return net::async_write(stream_, net::buffer(raw_), [self](error_code, std::size_t) { self->reset(); });
      case Reply::Kind::raw:
        raw_ = reply_.body;
        return net::async_write(stream_, net::buffer(raw_), [self](error_code, std::size_t) { self->close(); });
      case Reply::Kind::stall:
        return wait(reply_.delay, [self] { self->close(); });
      case Reply::Kind::close_without_response:
        return close();
    }
  }

  template <class F>
  void wait(std::chrono::milliseconds how_long, F then) {
    timer_.expires_after(how_long);
    timer_.async_wait([self = this->shared_from_this(), then](error_code ec) {
      if (ec || self->server_.stopping) return self->close();
      then();
    });
  }

  void write_response() {
    response_ = {};
    response_.version(11);
    response_.result(reply_.status);
    response_.set(http::field::server, "alemwatch-fault-server");
    for (const auto& [name, value] : reply_.headers) response_.insert(name, value);
    response_.body() = reply_.body;
    response_.keep_alive(keep_alive_ && !reply_.close);
    if (reply_.chunked)
      response_.chunked(true);
    else
      response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(error_code ec) {
    finish_answer();
    if (ec || reply_.close || reply_.close_after || !keep_alive_) return close();
    read();
  }

  void finish_answer() {
    if (answering_) {
      answering_ = false;
      server_.answered();
    }
  }

  // Closes the TCP connection (no TLS close_notify: the client must cope with a peer that just
  // hangs up, which is what servers do after an idle timeout).
  void close() {
    finish_answer();
    timer_.cancel();
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  // Closes with a TCP reset: linger on, timeout zero.
  void reset() {
    finish_answer();
    error_code ignored;
    socket().set_option(net::socket_base::linger(true, 0), ignored);
    socket().close(ignored);
  }

  FaultServer::Impl& server_;
  std::size_t id_;
  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string raw_;
  Reply reply_;
  std::string sni_;
  bool keep_alive_ = true;
  bool answering_ = false;
};

}  // namespace

void FaultServer::Impl::do_accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) return do_accept();
    std::size_t id;
    {
      std::lock_guard lock(mutex);
      id = ++accepted;
      peak_open = std::max(peak_open, ++open);
    }
    std::shared_ptr<SessionBase> session;
    if (tls) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, id, std::move(socket), *tls);
      s->start();
      session = std::move(s);
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(*this, id, std::move(socket));
      s->start();
      session = std::move(s);
    }
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(session);
    do_accept();
  });
}

void FaultServer::Impl::stop() {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  for (auto& weak : sessions)
    if (auto s = weak.lock()) s->abort();
  sessions.clear();
}

FaultServer::FaultServer() : FaultServer(Options{}) {}

FaultServer::FaultServer(Options options) : impl_(std::make_unique<Impl>()) {
  auto& i = *impl_;
  i.handler = std::move(options.handler);
  if (options.tls) {
    const auto& config = *options.tls;
    auto& ctx = i.tls.emplace(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds);
    if (config.tls11_only) allow_only_tls11(ctx);
    ctx.use_certificate_chain_file(config.certificate_file);
    ctx.use_private_key_file(config.key_file, ssl::context::pem);
    static const unsigned char session_context[] = "alemwatch-fault-server";
    SSL_CTX_set_session_id_context(ctx.native_handle(), session_context, sizeof session_context - 1);
    if (!config.client_ca_file.empty()) {
      ctx.load_verify_file(config.client_ca_file);
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  const tcp::endpoint endpoint(net::ip::make_address(options.address), options.port);
  i.address = endpoint.address().is_v6() ? "[" + options.address + "]" : options.address;
  i.acceptor.open(endpoint.protocol());
  i.acceptor.set_option(net::socket_base::reuse_address(true));
  i.acceptor.bind(endpoint);
  i.acceptor.listen();
  i.port = i.acceptor.local_endpoint().port();
  i.do_accept();
  i.thread = std::thread([&i] { i.ioc.run(); });
}

FaultServer::~FaultServer() {
  auto& i = *impl_;
  net::post(i.ioc, [&i] { i.stop(); });
  // Every socket is closed and every timer cancelled: run() returns once their handlers ran.
  if (i.thread.joinable()) i.thread.join();
}

unsigned short FaultServer::port() const { return impl_->port; }

std::string FaultServer::url(std::string_view path, std::string_view host) const {
  return std::string(impl_->tls ? "https://" : "http://") + (host.empty() ? impl_->address : std::string(host)) + ":" +
         std::to_string(impl_->port) + std::string(path);
}

void FaultServer::enqueue(Reply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.push_back(std::move(reply));
}

void FaultServer::set_handler(Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

std::vector<Request> FaultServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t FaultServer::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t FaultServer::connections_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

std::size_t FaultServer::open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

std::size_t FaultServer::peak_open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->peak_open;
}

std::size_t FaultServer::peak_requests_in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->peak_in_flight;
}

std::vector<std::string> FaultServer::tls_failures() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->tls_failures;
}

bool FaultServer::wait_for_open_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_connections() != n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

unsigned short unused_port() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string tls11_handshake_error(unsigned short port) {
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  allow_only_tls11(ctx);
  ctx.set_verify_mode(ssl::verify_none);
  ssl::stream<tcp::socket> stream(ioc, ctx);
  error_code ec;
  stream.lowest_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return "connect: " + ec.message();
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return "handshake: " + ec.message();
  if (SSL_version(stream.native_handle()) != TLS1_1_VERSION)
    return std::string("negotiated ") + SSL_get_version(stream.native_handle());
  stream.lowest_layer().close(ec);
  return {};
}

// ---------------------------------------------------------------------------------------------
// TLS material

namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

void run_in(const fs::path& dir, const std::string& command) {
  const fs::path log = dir / "openssl.log";
  const std::string full = "cd " + quoted(dir) + " && " + command + " >" + quoted(log) + " 2>&1";
  const int rc = std::system(full.c_str());
  if (rc != 0) {
    std::ifstream in(log);
    const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("`" + command + "` failed (status " + std::to_string(rc) + "): " + output);
  }
}

constexpr const char* openssl_config = R"([req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
[otherhost]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:otherhost
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
)";

constexpr const char* new_key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

void make_ca(const fs::path& dir, const std::string& name, const std::string& common_name) {
  run_in(dir, std::string("openssl req -x509 -config openssl.cnf -extensions ca ") + new_key + " -keyout " + name +
                  ".key -out " + name + ".pem -days 2 -subj '/CN=" + common_name + "'");
}

void make_leaf(const fs::path& dir, const std::string& name, const std::string& common_name, const std::string& ca,
               const std::string& extensions, int serial) {
  run_in(dir, std::string("openssl req -new -config openssl.cnf ") + new_key + " -keyout " + name + ".key -out " + name +
                  ".csr -subj '/CN=" + common_name + "'");
  run_in(dir, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -set_serial " +
                  std::to_string(serial) + " -days 2 -extfile openssl.cnf -extensions " + extensions + " -out " + name +
                  ".pem");
}

TlsMaterial generate_tls_material() {
  std::string templ = (fs::temp_directory_path() / ("alemwatch-tls-" + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("cannot create a temporary directory for TLS material");
  TlsMaterial m;
  m.dir = templ;
  try {
    std::ofstream(m.dir / "openssl.cnf") << openssl_config;
    make_ca(m.dir, "ca", "alemwatch test CA");
    make_ca(m.dir, "other-ca", "unrelated test CA");
    make_leaf(m.dir, "server", "localhost", "ca", "server", 2);
    make_leaf(m.dir, "otherhost", "otherhost", "ca", "otherhost", 3);
    make_leaf(m.dir, "client", "alemwatch test client", "ca", "client", 4);
    make_leaf(m.dir, "other-client", "unrelated test client", "other-ca", "client", 5);
  } catch (...) {
    error_code ignored;
    fs::remove_all(m.dir, ignored);
    throw;
  }
  const auto file = [&](const char* name) { return (m.dir / name).string(); };
  m.ca = file("ca.pem");
  m.other_ca = file("other-ca.pem");
  m.server_cert = file("server.pem");
  m.server_key = file("server.key");
  m.other_host_cert = file("otherhost.pem");
  m.other_host_key = file("otherhost.key");
  m.client_cert = file("client.pem");
  m.client_key = file("client.key");
  m.other_client_cert = file("other-client.pem");
  m.other_client_key = file("other-client.key");
  return m;
}

struct OwnedTlsMaterial {
  TlsMaterial material;
  ~OwnedTlsMaterial() {
    error_code ignored;
    fs::remove_all(material.dir, ignored);
  }
};

}  // namespace

const TlsMaterial& tls_material() {
  static const OwnedTlsMaterial owned{generate_tls_material()};
  return owned.material;
}

}  // namespace alemwatch::testing
