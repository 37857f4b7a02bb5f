#include "connectors/webhook/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <charconv>

namespace sessiondx::webhook {
namespace {

constexpr std::string_view secret_prefix = "whsec_";

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t len = static_cast<std::size_t>(n);
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with('='))
    len -= 1;
  out.resize(len);
  return out;
}

std::string base64_encode(const unsigned char* data, std::size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

using mac = std::array<unsigned char, 32>;

mac hmac_sha256(const std::string& key, std::string_view id, std::string_view timestamp,
                std::string_view body) {
  // Fetched once: algorithm lookup is the slow part of EVP_MAC.
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  mac out{};
  std::size_t out_len = 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  // Feed the three parts separately: no copy of a possibly large body.
  const auto feed = [ctx](std::string_view s) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  feed(id);
  feed(".");
  feed(timestamp);
  feed(".");
  feed(body);
  EVP_MAC_final(ctx, out.data(), &out_len, out.size());
  EVP_MAC_CTX_free(ctx);
  return out;
}

}  // namespace

std::optional<webhook_secret> webhook_secret::parse(std::string_view text) {
  if (text.starts_with(secret_prefix)) text.remove_prefix(secret_prefix.size());
  auto key = base64_decode(text);
  if (!key || key->size() < 16) return std::nullopt;
  return webhook_secret(std::move(*key));
}

std::string sign(const webhook_secret& secret, std::string_view id, std::string_view timestamp,
                 std::string_view body) {
  const mac m = hmac_sha256(secret.key(), id, timestamp, body);
  return "v1," + base64_encode(m.data(), m.size());
}

std::string_view describe(signature_status s) {
  switch (s) {
    case signature_status::valid:
      return "valid";
    case signature_status::missing_headers:
      return "missing webhook-id, webhook-timestamp or webhook-signature header";
    case signature_status::bad_timestamp:
      return "webhook-timestamp is not Unix seconds";
    case signature_status::timestamp_too_old:
      return "webhook-timestamp is too old";
    case signature_status::timestamp_too_new:
      return "webhook-timestamp is too far in the future";
    case signature_status::no_matching_signature:
      return "no webhook-signature entry matches";
  }
  return "unknown";
}

signature_status verify(const webhook_secret& secret, std::string_view id,
                        std::string_view timestamp, std::string_view signatures,
                        std::string_view body, std::int64_t now_unix_s,
                        std::chrono::seconds tolerance) {
  if (id.empty() || timestamp.empty() || signatures.empty())
    return signature_status::missing_headers;
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc{} || end != timestamp.data() + timestamp.size())
    return signature_status::bad_timestamp;
  if (ts < now_unix_s - tolerance.count()) return signature_status::timestamp_too_old;
  if (ts > now_unix_s + tolerance.count()) return signature_status::timestamp_too_new;

  const mac expected = hmac_sha256(secret.key(), id, timestamp, body);
  // Each space-separated entry is "<version>,<base64>"; only v1 is ours.
  while (!signatures.empty()) {
    const auto space = signatures.find(' ');
    const std::string_view entry = signatures.substr(0, space);
    signatures =
        space == std::string_view::npos ? std::string_view{} : signatures.substr(space + 1);
    if (!entry.starts_with("v1,")) continue;
    const auto given = base64_decode(entry.substr(3));
    // The length of an HMAC is public, so comparing lengths first leaks nothing.
    if (given && given->size() == expected.size() &&
        CRYPTO_memcmp(given->data(), expected.data(), expected.size()) == 0)
      return signature_status::valid;
  }
  return signature_status::no_matching_signature;
}

}  // namespace sessiondx::webhook
