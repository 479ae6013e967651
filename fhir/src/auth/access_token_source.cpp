#include "alemwatch/fhir/auth/access_token_source.hpp"

#include <boost/json.hpp>
#include <openssl/rand.h>

#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::fhir::auth {
namespace {

std::string form_encode(std::string_view v) { return FhirClient::encode(v); }

std::string random_jti() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  return base64url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string base64(std::string_view in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// What a token endpoint said when it refused, without echoing anything we sent.
std::string refusal(const HttpResponse& r) {
  std::string out = "the token endpoint answered HTTP " + std::to_string(r.status);
  boost::system::error_code ec;
  auto body = boost::json::parse(r.body, ec);
  if (!ec && body.is_object()) {
    const auto& o = body.get_object();
    if (const auto* e = o.if_contains("error"); e && e->is_string()) out += ": " + std::string(e->get_string());
    if (const auto* d = o.if_contains("error_description"); d && d->is_string())
      out += " (" + std::string(d->get_string()) + ")";
  }
  return out;
}

}  // namespace

ClientCredentialsGrant::ClientCredentialsGrant(HttpClient& token_http, ClientCredentialsSettings settings)
    : http_(token_http), settings_(std::move(settings)) {}

std::size_t ClientCredentialsGrant::tokens_obtained() const {
  std::lock_guard lock(mutex_);
  return tokens_;
}

std::string ClientCredentialsGrant::form_body() const {
  std::string body = "grant_type=client_credentials";
  if (!settings_.scope.empty()) body += "&scope=" + form_encode(settings_.scope);
  if (settings_.method == ClientCredentialsSettings::Method::private_key_jwt) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch() + settings_.clock_shift)
            .count();
    const boost::json::object claims{{"iss", settings_.client_id},
                                     {"sub", settings_.client_id},
                                     {"aud", settings_.token_url},
                                     {"iat", now},
                                     {"exp", now + settings_.assertion_lifetime.count()},
                                     {"jti", settings_.make_jti ? settings_.make_jti() : random_jti()}};
    body += "&client_assertion_type=" + form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    body += "&client_assertion=" + settings_.key->sign_jwt(claims);
  }
  return body;
}

boost::system::result<void, std::string> ClientCredentialsGrant::fetch() {
  HttpRequest request;
  request.method = boost::beast::http::verb::post;
  request.url = settings_.token_url;
  request.body = form_body();
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  request.headers.push_back({"Accept", "application/json"});
  if (settings_.method == ClientCredentialsSettings::Method::client_secret_basic)
    request.headers.push_back(
        {"Authorization", "Basic " + base64(form_encode(settings_.client_id) + ":" + form_encode(settings_.client_secret))});
  auto sent = http_.send(request);
  if (!sent) return "cannot reach the token endpoint " + settings_.token_url + ": " + sent.error().message();
  if (sent->status != 200) return refusal(*sent);
  boost::system::error_code ec;
  auto body = boost::json::parse(sent->body, ec);
  const auto* token = !ec && body.is_object() ? body.get_object().if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty())
    return std::string("the token endpoint's answer has no access_token");
  long long expires_in = 300;  // RFC 6749 makes expires_in optional; assume SMART's usual five minutes
  if (const auto* e = body.get_object().if_contains("expires_in"); e && e->is_number())
    expires_in = std::max<long long>(1, e->to_number<long long>());
  header_ = "Bearer " + std::string(token->get_string());
  // Refresh ahead of expiry: a minute, or half the lifetime of a short-lived token.
  const std::chrono::milliseconds lifetime(expires_in * 1000);
  const auto ahead = std::min<std::chrono::milliseconds>(settings_.refresh_ahead, lifetime / 2);
  refresh_at_ = std::chrono::steady_clock::now() + lifetime - ahead;
  ++tokens_;
  return {};
}

boost::system::result<std::string, std::string> ClientCredentialsGrant::authorization() {
  // The token request runs with the lock held: callers that need a token meanwhile wait for
  // this one and share it, so there is one refresh however many requests are in flight.
  std::lock_guard lock(mutex_);
  if (header_.empty() || std::chrono::steady_clock::now() >= refresh_at_) {
    header_.clear();
    if (auto got = fetch(); !got) return {boost::system::in_place_error, got.error()};
  }
  return {boost::system::in_place_value, header_};
}

void ClientCredentialsGrant::refused(const std::string& header) {
  std::lock_guard lock(mutex_);
  if (header == header_) header_.clear();
}

boost::system::result<std::string, std::string> discover_token_endpoint(HttpClient& http, const std::string& fhir_base) {
  std::string base = fhir_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request;
  request.url = base + "/.well-known/smart-configuration";
  request.headers.push_back({"Accept", "application/json"});
  auto sent = http.send(request);
  using Result = boost::system::result<std::string, std::string>;
  if (!sent) return Result(boost::system::in_place_error, "cannot read " + request.url + ": " + sent.error().message());
  if (sent->status != 200)
    return Result(boost::system::in_place_error, request.url + " answered HTTP " + std::to_string(sent->status));
  boost::system::error_code ec;
  auto body = boost::json::parse(sent->body, ec);
  const auto* endpoint = !ec && body.is_object() ? body.get_object().if_contains("token_endpoint") : nullptr;
  if (!endpoint || !endpoint->is_string()) return Result(boost::system::in_place_error, request.url + " names no token_endpoint");
  return Result(boost::system::in_place_value, std::string(endpoint->get_string()));
}

}  // namespace alemwatch::fhir::auth
