// `alemwatch keys`: the key pair for SMART Backend Services (private_key_jwt client authentication).
//   keys generate [--alg RS384|ES384] [--out DIR]   DIR/private.pem (0600) and DIR/jwks.json (0644)
//   keys jwks PEM [--kid KID]                       the JWK Set of an existing key, on stdout
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace alemwatch::adapter {

// Writes a new key to out_dir/private.pem (PKCS#8, mode 0600, never over an existing file) and its
// public half to out_dir/jwks.json (mode 0644), creating out_dir (mode 0700) if missing, and says
// what to register with the EHR vendor. `alg` is "RS384" (RSA 3072) or "ES384" (P-384), any case.
// Returns 0, or 2 with a message on stderr.
int run_keys_generate(const std::string& alg, const std::string& out_dir);

// Prints the JWK Set of the private key in pem_file to stdout; `kid` empty means the RFC 7638
// thumbprint (what `keys generate` uses). Returns 0, or 2 with a message on stderr.
int run_keys_jwks(const std::string& pem_file, const std::string& kid);

// For a private key or secret file: "<file> is readable by others (mode 0644): chmod 600 it" when
// its group or others may read it; nothing if they may not or the file can't be examined.
std::optional<std::string> warn_if_readable_by_others(const std::filesystem::path& file);

}  // namespace alemwatch::adapter
