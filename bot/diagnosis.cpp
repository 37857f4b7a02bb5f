#include "bot/diagnosis.hpp"

namespace sessiondx::bot {

namespace {
message& add(message& m, message_arg a) {
  m.args.push_back(std::move(a));
  return m;
}
}  // namespace

message& message::count(std::string name, std::int64_t n) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::count;
  a.count = n;
  return add(*this, std::move(a));
}
message& message::data(std::string name, std::string text) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::data;
  a.text = std::move(text);
  return add(*this, std::move(a));
}
message& message::literal(std::string name, std::string text) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::literal;
  a.text = std::move(text);
  return add(*this, std::move(a));
}
message& message::duration(std::string name, double ms) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::duration;
  a.value = ms;
  return add(*this, std::move(a));
}
message& message::decimal(std::string name, double v, int decimals) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::decimal;
  a.value = v;
  a.decimals = decimals;
  return add(*this, std::move(a));
}
message& message::nested(std::string name, message m) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::list;
  a.items.push_back(std::move(m));
  return add(*this, std::move(a));
}
message& message::list(std::string name, std::vector<message> items) {
  message_arg a;
  a.name = std::move(name);
  a.type = message_arg::kind::list;
  a.items = std::move(items);
  return add(*this, std::move(a));
}

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
