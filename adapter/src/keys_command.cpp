#include "alemwatch/adapter/keys_command.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "alemwatch/adapter/evaluate_command.hpp"
#include "alemwatch/adapter/log.hpp"
#include "alemwatch/fhir/auth/signing_key.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;
using fhir::auth::SigningAlgorithm;
using fhir::auth::SigningKey;

std::string errno_text(int error) { return std::strerror(error); }

// Writes all of `bytes` to fd and flushes it to disk; an errno value on failure, 0 on success.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ::fsync(fd) == 0 ? 0 : errno;
}

// Writes a file that must not exist yet, with the given mode. An error message, or "" on success;
// `exists` tells the caller the file was there already (and was left alone).
std::string write_new_file(const fs::path& path, std::string_view bytes, mode_t mode, bool& exists) {
  exists = false;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    exists = errno == EEXIST;
    return "cannot create " + path.string() + ": " + errno_text(errno);
  }
  int error = write_all(fd, bytes);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(path.c_str());
    return "cannot write " + path.string() + ": " + errno_text(error);
  }
  return {};
}

// Writes (or replaces) a file and sets its mode regardless of the umask. An error message or "".
std::string write_file(const fs::path& path, std::string_view bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + path.string() + ": " + errno_text(errno);
  int error = ::fchmod(fd, mode) == 0 ? 0 : errno;
  if (error == 0) error = write_all(fd, bytes);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) return "cannot write " + path.string() + ": " + errno_text(error);
  return {};
}

// The output directory, created with mode 0700 if missing (its parents with the default mode).
std::string ensure_directory(const fs::path& dir) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) return dir.string() + " exists and is not a directory";
    return {};
  }
  if (const fs::path parent = dir.parent_path(); !parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return "cannot create " + parent.string() + ": " + ec.message();
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return "cannot create " + dir.string() + ": " + errno_text(errno);
  return {};
}

std::optional<SigningAlgorithm> parse_algorithm(std::string alg) {
  std::transform(alg.begin(), alg.end(), alg.begin(), [](unsigned char c) { return std::toupper(c); });
  if (alg == "RS384") return SigningAlgorithm::rs384;
  if (alg == "ES384") return SigningAlgorithm::es384;
  return std::nullopt;
}

std::string jwks_text(const SigningKey& key) { return boost::json::serialize(key.jwks()) + "\n"; }

// The keys commands log as text: they run by hand, at a terminal.
Logger& keys_log(const char* command) {
  LogSettings settings;
  settings.command = command;
  process_log().configure(settings);
  return process_log();
}

int refuse(Logger& log, const std::string& message) {
  log.error("keys.error", "{error}", {field("error", message)});
  return exit_usage;
}

}  // namespace

int run_keys_generate(const std::string& alg_name, const std::string& out_dir) {
  auto& log = keys_log("keys generate");
  const auto alg = parse_algorithm(alg_name);
  if (!alg) return refuse(log, "unknown algorithm '" + alg_name + "': use RS384 or ES384");
  const fs::path dir = out_dir.empty() ? fs::path(".") : fs::path(out_dir);
  const fs::path private_file = dir / "private.pem";
  const fs::path jwks_file = dir / "jwks.json";

  if (auto error = ensure_directory(dir); !error.empty()) return refuse(log, error);
  // Refuse before generating anything, and before touching jwks.json: an existing private.pem
  // is a key someone registered, and its jwks.json must stay as it is.
  if (std::error_code ec; fs::exists(fs::symlink_status(private_file, ec)))
    return refuse(log, private_file.string() + " already exists: not overwriting a private key" +
                           " (move it away or choose another --out directory; `alemwatch keys jwks " +
                           private_file.string() + "` prints its JWK Set)");

  auto generated = SigningKey::generate(*alg);
  if (!generated) return refuse(log, generated.error());
  const SigningKey& key = **generated;
  std::string pem;
  try {
    pem = key.private_pem();
  } catch (const std::exception& e) {
    return refuse(log, e.what());
  }
  bool exists = false;
  const std::string error = write_new_file(private_file, pem, 0600, exists);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!error.empty())
    return refuse(log, exists ? private_file.string() + " already exists: not overwriting a private key" : error);
  if (auto failed = write_file(jwks_file, jwks_text(key), 0644); !failed.empty()) {
    // Leave nothing half done: the key is new and nobody has registered it yet.
    ::unlink(private_file.c_str());
    return refuse(log, failed + " (" + private_file.string() + " was removed again)");
  }

  const char* alg_text = fhir::auth::to_string(*alg);
  std::cout << "Generated an " << alg_text << " key ("
            << (*alg == SigningAlgorithm::rs384 ? "RSA 3072" : "EC P-384") << ").\n"
            << "  kid          " << key.kid() << "\n"
            << "  private key  " << private_file.string() << "\n"
            << "               mode 0600: keep it on this host and back it up safely; never send it to anyone\n"
            << "  JWK Set      " << jwks_file.string() << "\n"
            << "               the public key: safe to publish\n"
            << "\n"
            << "To register alemwatch with the EHR vendor as a SMART Backend Services client:\n"
            << "  1. Host the JWK Set file at an HTTPS URL you control and give the vendor that URL\n"
            << "     (Epic asks for a JWK Set URL), or upload the file where the vendor takes a JWK Set.\n"
            << "  2. If the registration form asks: signing algorithm " << alg_text << ", key id (kid) as above.\n"
            << "  3. The vendor assigns the client id; give it to alemwatch with the path of the private key.\n"
            << "To rotate later: generate a new key into another directory, add its entry to the published\n"
            << "JWK Set next to this one, switch alemwatch to the new key, then remove the old entry.\n";
  return exit_ok;
}

int run_keys_jwks(const std::string& pem_file, const std::string& kid) {
  auto& log = keys_log("keys jwks");
  auto key = SigningKey::load(pem_file, kid);
  if (!key) return refuse(log, key.error());
  if (auto warning = warn_if_readable_by_others(pem_file))
    log.warning("keys.file_exposed", "{warning}", {field("file", pem_file), field("warning", *warning)});
  std::cout << jwks_text(**key) << std::flush;
  return exit_ok;
}

std::optional<std::string> warn_if_readable_by_others(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  const mode_t mode = st.st_mode & 07777;
  if ((mode & (S_IRGRP | S_IROTH)) == 0) return std::nullopt;
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
  return file.string() + " is readable by others (mode " + octal + "): chmod 600 it";
}

}  // namespace alemwatch::adapter
