#pragma once

// Error codes of the chat connector foundation. Mapped to log lines or chat replies only at the
// connector boundary.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace sessiondx::chat {

enum class errc {
  bad_url = 1,         ///< not a ws/wss/http/https URL with a host
  plaintext_refused,   ///< ws:// or http:// while allow_plaintext is false
  response_too_large,  ///< an HTTP response body above the configured limit
};

const boost::system::error_category& chat_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), chat_category()};
}

}  // namespace sessiondx::chat

template <>
struct boost::system::is_error_code_enum<sessiondx::chat::errc> : std::true_type {};
