#include "bot/diagnosis.hpp"

namespace sessiondx::bot {

std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::healthy:
      return "healthy";
    case verdict::degraded:
      return "degraded";
    case verdict::broken:
      return "broken";
    case verdict::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view to_string(category c) {
  switch (c) {
    case category::loading:
      return "loading";
    case category::interface:
      return "interface";
    case category::messages:
      return "messages";
    case category::backend:
      return "backend";
  }
  return "loading";
}

std::string_view to_string(severity s) {
  switch (s) {
    case severity::info:
      return "info";
    case severity::warning:
      return "warning";
    case severity::error:
      return "error";
    case severity::critical:
      return "critical";
  }
  return "info";
}

}  // namespace sessiondx::bot
