#include "alemwatch/adapter/sync_authorization.hpp"

#include <cstdlib>
#include <fstream>

#include "alemwatch/adapter/keys_command.hpp"
#include "alemwatch/adapter/log.hpp"

namespace alemwatch::adapter {
namespace {

using Result = boost::system::result<SyncAuthorization, AuthorizationError>;

// The first line of a secret file, trimmed. Never echoed.
std::optional<std::string> read_secret(const std::string& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n')) line.pop_back();
  if (line.empty()) return std::nullopt;
  return line;
}

void warn_if_exposed(const std::string& file) {
  if (auto warning = warn_if_readable_by_others(file))
    process_log().warning("auth.file_exposed", "{warning}", {field("file", file), field("warning", *warning)});
}

AuthorizationError config_error(std::string m) { return {std::move(m), false}; }

}  // namespace

Result set_up_authorization(const SyncOptions& o, const fhir::HttpClientOptions& http_options) {
  SyncAuthorization out;
  std::string method = o.auth;
  if (method.empty()) method = (!o.bearer_token_file.empty() || std::getenv("ALEMWATCH_BEARER_TOKEN")) ? "bearer" : "none";

  if (method == "none") return out;
  if (method == "bearer") {
    std::optional<std::string> token;
    if (!o.bearer_token_file.empty()) {
      token = read_secret(o.bearer_token_file);
      if (!token) return config_error("cannot read a token from " + o.bearer_token_file);
      warn_if_exposed(o.bearer_token_file);
    } else if (const char* env = std::getenv("ALEMWATCH_BEARER_TOKEN"); env && *env) {
      token = env;
    }
    if (!token) return config_error("--auth bearer needs --bearer-token-file or ALEMWATCH_BEARER_TOKEN");
    out.source = std::make_unique<fhir::auth::StaticBearerToken>(*token);
    return out;
  }
  if (method != "smart" && method != "client-secret")
    return config_error("--auth must be bearer, smart or client-secret, not '" + method + "'");
  if (o.client_id.empty()) return config_error("--auth " + method + " needs --client-id");

  fhir::auth::ClientCredentialsSettings settings;
  settings.client_id = o.client_id;
  settings.scope = o.scope.empty() ? std::string(default_scope) : o.scope;
  if (method == "smart") {
    if (o.private_key_file.empty()) return config_error("--auth smart needs --private-key");
    auto key = fhir::auth::SigningKey::load(o.private_key_file, o.kid);
    if (!key) return config_error(key.error());
    warn_if_exposed(o.private_key_file);
    out.key = std::move(*key);
    settings.method = fhir::auth::ClientCredentialsSettings::Method::private_key_jwt;
    settings.key = out.key.get();
  } else {
    if (o.client_secret_file.empty()) return config_error("--auth client-secret needs --client-secret-file");
    auto secret = read_secret(o.client_secret_file);
    if (!secret) return config_error("cannot read a client secret from " + o.client_secret_file);
    warn_if_exposed(o.client_secret_file);
    settings.method = fhir::auth::ClientCredentialsSettings::Method::client_secret_basic;
    settings.client_secret = *secret;
  }
  fhir::HttpClientOptions token_options = http_options;
  token_options.auth = nullptr;
  token_options.max_connections = 2;
  auto token_http = fhir::HttpClient::create(token_options);
  if (!token_http) return config_error(token_http.error());
  out.token_http = std::move(*token_http);
  settings.token_url = o.token_url;
  if (settings.token_url.empty()) {
    auto discovered = fhir::auth::discover_token_endpoint(*out.token_http, o.base_url);
    if (!discovered) return AuthorizationError{"token endpoint discovery: " + discovered.error(), true};
    settings.token_url = *discovered;
  }
  out.source = std::make_unique<fhir::auth::ClientCredentialsGrant>(*out.token_http, settings);
  return out;
}

}  // namespace alemwatch::adapter
