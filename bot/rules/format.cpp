// Attribute access, formatting and one-line event summaries shared by the rule families.

#include "bot/i18n/catalog.hpp"
#include "bot/issue_key.hpp"
#include "bot/rules/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace sessiondx::bot::detail {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The path of a URL without scheme, host, query and fragment (display only; the issue key does
// the id normalisation).
std::string_view url_path(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  return url.empty() ? std::string_view("/") : url;
}

}  // namespace

std::string_view str_attr(const nlohmann::json& attrs, const char* key) {
  auto it = attrs.find(key);
  if (it == attrs.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

http_info read_http(const view_event& e) {
  http_info h;
  const auto& a = e.attrs;
  std::string_view method = str_attr(a, "method");
  h.method = method.empty() ? std::string("GET") : upper(method);
  std::string_view route = str_attr(a, "route");
  if (route.empty()) route = url_path(str_attr(a, "url"));
  h.route = route.empty() ? std::string("(unknown)") : std::string(route);
  h.status = num_attr(a, "status");
  h.duration_ms = num_attr(a, "duration_ms");
  if (const attr_value* err = a.find("error")) {
    if (err->type == attr_value::kind::string) {
      h.error = err->text;
    } else if ((err->type == attr_value::kind::boolean && err->boolean) ||
               err->type == attr_value::kind::number || err->type == attr_value::kind::structured) {
      h.error = "error";
    }
  }
  const bool answered_4xx = h.status && *h.status >= 400 && *h.status < 500;
  h.failed =
      !answered_4xx && (!h.error.empty() || (h.status && (*h.status >= 500 || *h.status == 0)));
  h.host = noise::url_host(str_attr(a, "url"));
  return h;
}

message http_outcome_msg(const http_info& h) {
  const bool no_status = !h.status || *h.status == 0;
  if (h.status && *h.status >= 500) {
    return message("rules.outcome.server").literal("status", fmt_number(*h.status, 0));
  }
  if (no_status) {
    const std::string err = lower(h.error);
    const bool timeout =
        err.find("timeout") != std::string::npos || err.find("timed out") != std::string::npos;
    if (h.error.empty())
      return message(timeout ? "rules.outcome.timeout" : "rules.outcome.network");
    const char* id = timeout ? (h.status ? "rules.outcome.timeout_error_status0"
                                         : "rules.outcome.timeout_error_no_status")
                             : (h.status ? "rules.outcome.network_error_status0"
                                         : "rules.outcome.network_error_no_status");
    return message(id).data("error", clip(h.error, 60));
  }
  // A status below 500 with an error attribute.
  return message("rules.outcome.with_error")
      .literal("status", fmt_number(*h.status, 0))
      .data("error", clip(h.error, 60));
}

std::string http_outcome(const http_info& h) { return english(http_outcome_msg(h)); }

std::string_view click_target(const view_event& e) {
  std::string_view t = str_attr(e.attrs, "target");
  if (t.empty()) t = str_attr(e.attrs, "selector");
  return t.empty() ? std::string_view("(unknown element)") : t;
}

std::string_view ui_text(const view_event& e) {
  if (!e.ev->message.empty()) return e.ev->message;
  std::string_view t = str_attr(e.attrs, "text");
  return t.empty() ? e.message : t;
}

std::string ui_level(const view_event& e) {
  std::string_view level = str_attr(e.attrs, "level");
  if (level.empty()) level = e.ev->severity;
  return lower(level);
}

std::string fmt_number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_duration(double ms) {
  if (ms < 1000) return fmt_number(std::round(ms), 0) + " ms";
  return fmt_number(ms / 1000.0, 1) + " s";
}

std::string fmt_utc_since(std::int64_t ts_ms, std::int64_t reference_ms) {
  if (!different_days(ts_ms, reference_ms)) return utc_minutes(ts_ms) + " UTC";
  return utc_date(ts_ms) + " " + utc_minutes(ts_ms) + " UTC";
}

std::string clip(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  for (char c : text) {
    if (out.size() >= max_bytes) break;
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  if (text.size() > max_bytes) {
    // Never leave half a UTF-8 character before the ellipsis.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "…";
  }
  return out;
}

std::string quoted(std::string_view text, std::size_t max_bytes) {
  return "“" + clip(text, max_bytes) + "”";
}

std::string english(const message& m) {
  i18n::arguments args;
  args.reserve(m.args.size());
  for (const message_arg& a : m.args) {
    switch (a.type) {
      case message_arg::kind::count:
        args.emplace_back(a.name, a.count);
        break;
      case message_arg::kind::data:
      case message_arg::kind::literal:
        args.emplace_back(a.name, a.text);
        break;
      case message_arg::kind::duration:
        args.emplace_back(a.name, fmt_duration(a.value));
        break;
      case message_arg::kind::decimal:
        args.emplace_back(a.name, fmt_number(a.value, a.decimals));
        break;
      case message_arg::kind::list: {
        std::string joined;
        for (std::size_t i = 0; i < a.items.size(); ++i) {
          joined += (i == 0 ? "" : ", ") + english(a.items[i]);
        }
        args.emplace_back(a.name, std::move(joined));
        break;
      }
    }
  }
  // Most rules texts have plain {name} placeholders and no number: substituted here, without
  // ICU, which the rules would otherwise pay for every evidence line and timeline entry. Plurals
  // and numbers (ICU's plural rules and digit grouping) go through the catalog's formatter.
  static const i18n::catalog* const en = i18n::find_catalog("en");
  const auto it = en != nullptr ? en->find(m.id) : i18n::catalog::const_iterator();
  const bool plain =
      en != nullptr && it != en->end() &&
      std::none_of(m.args.begin(), m.args.end(),
                   [](const message_arg& a) { return a.type == message_arg::kind::count; }) &&
      it->second.find_first_of("#'") == std::string::npos;
  if (!plain) return i18n::format("en", m.id, args);
  const std::string& pattern = it->second;
  std::string out;
  out.reserve(pattern.size() + 32);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const std::size_t end = pattern.find('}', i);
    if (end == std::string::npos) return i18n::format("en", m.id, args);
    const std::string_view name = std::string_view(pattern).substr(i + 1, end - i - 1);
    const auto arg =
        std::find_if(args.begin(), args.end(), [&](const auto& a) { return a.first == name; });
    if (arg == args.end()) return i18n::format("en", m.id, args);
    out += std::get<std::string>(arg->second);
    i = end;
  }
  return out;
}

void put(std::string& text, message& msg, message m) {
  text = english(m);
  msg = std::move(m);
}

message& target_arg(message& m, const char* name, const view_event& e) {
  std::string_view t = str_attr(e.attrs, "target");
  if (t.empty()) t = str_attr(e.attrs, "selector");
  if (t.empty()) return m.nested(name, message("rules.ev.unknown_element"));
  return m.data(name, clip(t, 80));
}

message& on_page_arg(message& m, std::string_view page, std::size_t max_bytes) {
  if (page.empty()) return m.literal("on_page", "");
  return m.nested("on_page", message("rules.ev.on_page").data("page", clip(page, max_bytes)));
}

namespace {

message& on_page(message& m, const store::event& ev) { return on_page_arg(m, ev.page); }

// An optional part: `part` when `present`, else nothing.
message& optional(message& m, const char* name, bool present, message part) {
  if (!present) return m.literal(name, "");
  return m.nested(name, std::move(part));
}

}  // namespace

message summarize_msg(const view_event& e) {
  const store::event& ev = *e.ev;
  const auto& a = e.attrs;
  if (ev.type == "page_view") {
    std::vector<message> parts;
    auto add = [&](const char* key, const char* label) {
      if (auto v = num_attr(a, key)) {
        parts.push_back(message("rules.ev.metric").literal("name", label).duration("value", *v));
      }
    };
    add("lcp_ms", "LCP");
    add("fcp_ms", "FCP");
    add("ttfb_ms", "TTFB");
    if (auto v = num_attr(a, "load_ms"))
      parts.push_back(message("rules.ev.load").duration("value", *v));
    message m(parts.empty() ? "rules.ev.page_view" : "rules.ev.page_view_metrics");
    if (ev.page.empty()) {
      m.nested("page", message("rules.ev.unknown_page"));
    } else {
      m.data("page", clip(ev.page, 80));
    }
    if (!parts.empty()) m.list("metrics", std::move(parts));
    return m;
  }
  if (ev.type == "web_vital") {
    std::string_view name = str_attr(a, "name");
    auto v = num_attr(a, "value");
    message m("rules.ev.web_vital");
    m.data("name", clip(upper(name), 20));
    if (!v) {
      m.literal("value", "?");
    } else if (upper(name) == "CLS") {
      m.decimal("value", *v, 2);
    } else {
      m.duration("value", *v);
    }
    return on_page(m, ev);
  }
  if (ev.type == "http_request") {
    const http_info h = read_http(e);
    message m("rules.ev.http");
    m.data("call", h.method + " " + clip(h.route, 100));
    if (h.failed) {
      m.nested("outcome", http_outcome_msg(h));
    } else {
      m.literal("outcome", h.status ? fmt_number(*h.status, 0) : std::string("?"));
    }
    if (h.duration_ms) {
      m.nested("took", message("rules.ev.in_duration").duration("duration", *h.duration_ms));
    } else {
      m.literal("took", "");
    }
    return m;
  }
  if (ev.type == "resource_error") {
    message m("rules.ev.resource_error");
    m.data("url", clip(str_attr(a, "url"), 100));
    auto st = num_attr(a, "status");
    m.literal("status", st ? " (" + fmt_number(*st, 0) + ")" : std::string());
    return on_page(m, ev);
  }
  if (ev.type == "js_error") {
    message m("rules.ev.js_error");
    m.data("message", quoted(e.message, 100));
    auto src = str_attr(a, "source");
    return optional(m, "source", !src.empty(),
                    message("rules.ev.in_source").data("source", clip(src, 60)));
  }
  if (ev.type == "long_task") {
    message m("rules.ev.long_task");
    if (auto d = num_attr(a, "duration_ms")) {
      m.duration("duration", *d);
    } else {
      m.literal("duration", "?");
    }
    return on_page(m, ev);
  }
  if (ev.type == "click") {
    message m("rules.ev.click");
    return target_arg(m, "target", e);
  }
  if (ev.type == "rage_click") {
    message m("rules.ev.rage_click");
    target_arg(m, "target", e);
    auto n = num_attr(a, "count");
    return optional(
        m, "clicks", n.has_value(),
        message("rules.ev.clicks").count("n", n ? static_cast<std::int64_t>(std::llround(*n)) : 0));
  }
  if (ev.type == "dead_click") {
    message m("rules.ev.dead_click");
    return target_arg(m, "target", e);
  }
  if (ev.type == "ui_message") {
    const std::string level = ui_level(e);
    message m("rules.ev.ui_message");
    if (level.empty() || level == "error" || level == "warning" || level == "info") {
      m.nested("level", message("rules.level." + (level.empty() ? std::string("message") : level)));
    } else {
      m.data("level", level);
    }
    m.data("text", quoted(ui_text(e), 100));
    auto c = str_attr(a, "component");
    return m.literal("component", c.empty() ? std::string() : " (" + clip(c, 40) + ")");
  }
  if (ev.type == "backend_error") {
    std::string_view service = str_attr(a, "service");
    message m("rules.ev.backend_error");
    if (service.empty()) {
      m.nested("service", message("rules.ev.unknown_service"));
    } else {
      m.data("service", clip(service, 40));
    }
    m.data("message", quoted(e.message, 100));
    auto t = str_attr(a, "trace_id");
    return optional(m, "trace", !t.empty(), message("rules.ev.trace").data("id", clip(t, 64)));
  }
  if (ev.type == "session_start") {
    message m("rules.ev.session_start");
    return on_page(m, ev);
  }
  if (ev.type == "session_end") {
    message m("rules.ev.session_end");
    return on_page(m, ev);
  }
  message m("rules.ev.other");
  m.data("type", clip(ev.type, 40));
  optional(m, "detail", !e.message.empty(),
           message("rules.ev.other_detail").data("message", quoted(e.message, 100)));
  return on_page(m, ev);
}

std::string summarize(const view_event& e) { return english(summarize_msg(e)); }

void session_view::add(draft& d, std::size_t pos) {
  const store::event& ev = *events[pos].ev;
  if (d.events.empty() || ev.ts_ms < d.f.first_seen_ms) d.f.first_seen_ms = ev.ts_ms;
  d.events.push_back(pos);
  ++d.f.count;
  if (d.f.evidence.size() < settings.max_evidence) {
    message m = summarize_msg(events[pos]);
    std::string text = english(m);
    d.f.evidence.push_back({ev.ts_ms, ev.type, std::move(text), std::move(m)});
  }
}

std::string event_issue_key(const view_event& e) {
  if (!e.ev->issue_key.empty()) return e.ev->issue_key;
  return issue_key(e.ev->type, e.message, e.attrs.to_json(), e.ev->page);
}

}  // namespace sessiondx::bot::detail
