#include "connectors/chat/errc.hpp"

#include <string>

namespace sessiondx::chat {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sessiondx.chat"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_url:
        return "not a usable ws, wss, http or https URL";
      case errc::plaintext_refused:
        return "plain ws:// or http:// refused (set allow_plaintext for tests and local installs)";
      case errc::response_too_large:
        return "HTTP response body too large";
    }
    return "unknown chat error";
  }
};

}  // namespace

const boost::system::error_category& chat_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace sessiondx::chat
