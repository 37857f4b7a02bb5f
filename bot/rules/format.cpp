// Attribute access, formatting and one-line event summaries shared by the rule families.

#include "bot/issue_key.hpp"
#include "bot/rules/engine.hpp"

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

std::string http_outcome(const http_info& h) {
  const bool no_status = !h.status || *h.status == 0;
  if (h.status && *h.status >= 500) return fmt_number(*h.status, 0) + " (5xx)";
  if (no_status) {
    const std::string err = lower(h.error);
    const char* kind =
        err.find("timeout") != std::string::npos || err.find("timed out") != std::string::npos
            ? "timeout"
            : "network error";
    if (h.error.empty()) return std::string(kind) + " (status 0)";
    return std::string(kind) + ": " + clip(h.error, 60) +
           (h.status ? " (status 0)" : " (no status)");
  }
  // A status below 500 with an error attribute.
  return fmt_number(*h.status, 0) + " with error: " + clip(h.error, 60);
}

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

std::string summarize(const view_event& e) {
  const store::event& ev = *e.ev;
  const auto& a = e.attrs;
  const std::string on_page = ev.page.empty() ? std::string() : " on " + clip(ev.page, 80);
  if (ev.type == "page_view") {
    std::string s =
        "page view " + (ev.page.empty() ? std::string("(unknown page)") : clip(ev.page, 80));
    std::string parts;
    auto add = [&](const char* key, const char* label) {
      if (auto v = num_attr(a, key)) {
        parts += parts.empty() ? "" : ", ";
        parts += std::string(label) + " " + fmt_duration(*v);
      }
    };
    add("lcp_ms", "LCP");
    add("fcp_ms", "FCP");
    add("ttfb_ms", "TTFB");
    add("load_ms", "load");
    if (!parts.empty()) s += " (" + parts + ")";
    return s;
  }
  if (ev.type == "web_vital") {
    std::string_view name = str_attr(a, "name");
    auto v = num_attr(a, "value");
    std::string value = !v ? "?" : upper(name) == "CLS" ? fmt_number(*v, 2) : fmt_duration(*v);
    return clip(upper(name), 20) + " " + value + on_page;
  }
  if (ev.type == "http_request") {
    const http_info h = read_http(e);
    std::string s = h.method + " " + clip(h.route, 100) + " -> ";
    if (h.failed) {
      s += http_outcome(h);
    } else if (h.status) {
      s += fmt_number(*h.status, 0);
    } else {
      s += "?";
    }
    if (h.duration_ms) s += " in " + fmt_duration(*h.duration_ms);
    return s;
  }
  if (ev.type == "resource_error") {
    std::string s = "failed to load " + clip(str_attr(a, "url"), 100);
    if (auto st = num_attr(a, "status")) s += " (" + fmt_number(*st, 0) + ")";
    return s + on_page;
  }
  if (ev.type == "js_error") {
    std::string s = "JavaScript error " + quoted(e.message, 100);
    if (auto src = str_attr(a, "source"); !src.empty()) s += " in " + clip(src, 60);
    return s;
  }
  if (ev.type == "long_task") {
    auto d = num_attr(a, "duration_ms");
    return "long task " + (d ? fmt_duration(*d) : std::string("?")) + on_page;
  }
  if (ev.type == "click") return "click on " + clip(click_target(e), 80);
  if (ev.type == "rage_click") {
    std::string s = "rage click on " + clip(click_target(e), 80);
    if (auto n = num_attr(a, "count")) s += " (" + fmt_number(*n, 0) + " clicks)";
    return s;
  }
  if (ev.type == "dead_click") return "dead click on " + clip(click_target(e), 80);
  if (ev.type == "ui_message") {
    std::string level = ui_level(e);
    std::string s =
        (level.empty() ? std::string("message") : level) + " shown: " + quoted(ui_text(e), 100);
    if (auto c = str_attr(a, "component"); !c.empty()) s += " (" + clip(c, 40) + ")";
    return s;
  }
  if (ev.type == "backend_error") {
    std::string_view service = str_attr(a, "service");
    std::string s = "backend error in " +
                    (service.empty() ? std::string("(unknown service)") : clip(service, 40)) +
                    ": " + quoted(e.message, 100);
    if (auto t = str_attr(a, "trace_id"); !t.empty()) s += " (trace " + clip(t, 64) + ")";
    return s;
  }
  if (ev.type == "session_start") return "session start" + on_page;
  if (ev.type == "session_end") return "session end" + on_page;
  std::string s = clip(ev.type, 40);
  if (!e.message.empty()) s += ": " + quoted(e.message, 100);
  return s + on_page;
}

void session_view::add(draft& d, std::size_t pos) {
  const store::event& ev = *events[pos].ev;
  if (d.events.empty() || ev.ts_ms < d.f.first_seen_ms) d.f.first_seen_ms = ev.ts_ms;
  d.events.push_back(pos);
  ++d.f.count;
  if (d.f.evidence.size() < settings.max_evidence) {
    d.f.evidence.push_back({ev.ts_ms, ev.type, summarize(events[pos])});
  }
}

std::string event_issue_key(const view_event& e) {
  if (!e.ev->issue_key.empty()) return e.ev->issue_key;
  return issue_key(e.ev->type, e.message, e.attrs.to_json(), e.ev->page);
}

}  // namespace sessiondx::bot::detail
