// Noise classification of a session: which failed requests, resources and JavaScript errors are
// not problems (bot/noise.hpp for the wordings), and which hosts are the site's own. Runs before
// the rule families, which skip noise events; `checked` lists what was set aside and why.

#include "bot/rules/engine.hpp"

#include <algorithm>
#include <limits>

namespace sessiondx::bot::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The registrable part of a host, approximately: the last two labels, three under a two-letter
// country code with a short second level ("shop.example.co.uk" -> "example.co.uk").
std::string_view site_of(std::string_view host) {
  auto last = host.rfind('.');
  if (last == std::string_view::npos || last == 0) return host;
  auto second = host.rfind('.', last - 1);
  if (second == std::string_view::npos) return host;
  const std::size_t tld = host.size() - last - 1, sld = last - second - 1;
  if (tld == 2 && sld <= 3) {
    auto third = host.rfind('.', second - 1);
    return third == std::string_view::npos || second == 0 ? host : host.substr(third + 1);
  }
  return host.substr(second + 1);
}

void add_site_host(session_view& view, std::string host) {
  if (host.empty()) return;
  if (std::find(view.site_hosts.begin(), view.site_hosts.end(), host) == view.site_hosts.end()) {
    view.site_hosts.push_back(std::move(host));
  }
}

}  // namespace

bool is_third_party(const session_view& view, std::string_view host) {
  if (host.empty() || view.site_hosts.empty()) return false;
  for (const std::string& site : view.site_hosts) {
    if (noise::host_in(host, site) || site_of(host) == site_of(site)) return false;
  }
  return true;
}

bool is_critical_host(const session_view& view, std::string_view host) {
  for (const std::string& c : view.settings.critical_hosts) {
    if (noise::host_in(host, lower(c))) return true;
  }
  return false;
}

void classify_noise(session_view& view) {
  const rule_settings& s = view.settings;
  for (const std::string& h : s.site_hosts) add_site_host(view, lower(h));
  const std::string* last_page = nullptr;
  for (const view_event& e : view.events) {
    const std::string& page = e.ev->page;
    if (last_page != nullptr && *last_page == page) continue;
    last_page = &page;
    if (page.starts_with("http") || page.starts_with("//"))
      add_site_host(view, noise::url_host(page));
  }

  // Backwards, so that the next navigation (page_view, session_end) after each request is known.
  std::int64_t next_nav = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = view.events.size(); i-- > 0;) {
    view_event& e = view.events[i];
    const std::string& type = e.ev->type;
    const std::int64_t ts = e.ev->ts_ms;
    if (type == "page_view" || type == "session_end") {
      next_nav = ts;
      continue;
    }
    noise::kind k = noise::kind::none;
    if (type == "http_request" || type == "resource_error") {
      const bool http = type == "http_request";
      std::string_view url = str_attr(e.attrs, "url");
      std::optional<double> status = num_attr(e.attrs, "status");
      std::string error;
      if (http) {
        const http_info h = read_http(e);
        if (!h.failed) continue;
        error = h.error;
      } else {
        error = std::string(str_attr(e.attrs, "error"));
      }
      k = noise::request_noise(url, status, error, s.tracker_hosts);
      const bool no_response = !status || *status == 0;
      if (k == noise::kind::none && no_response && error.empty()) {
        const std::string host = noise::url_host(url);
        if (http && next_nav - ts <= s.navigation_cut_ms) {
          k = noise::kind::aborted;
        } else if (is_third_party(view, host) && !is_critical_host(view, host)) {
          // Chromium reports a blocked and an unreachable third-party load alike.
          k = noise::kind::third_party_unreachable;
        }
      }
      if (k != noise::kind::none) ++view.counts.noise_requests[static_cast<std::size_t>(k)];
    } else if (type == "js_error") {
      k = noise::js_error_noise(e.message, str_attr(e.attrs, "source"), str_attr(e.attrs, "stack"));
      if (k != noise::kind::none) ++view.counts.noise_js[static_cast<std::size_t>(k)];
    }
    e.noise = k;
  }
  // The tracker hosts seen, in event order, for `checked`.
  for (const view_event& e : view.events) {
    if (e.noise != noise::kind::tracker) continue;
    std::string host = noise::url_host(str_attr(e.attrs, "url"));
    auto& seen = view.counts.tracker_hosts_seen;
    if (!host.empty() && seen.size() < 3 && std::find(seen.begin(), seen.end(), host) == seen.end())
      seen.push_back(std::move(host));
  }
}

}  // namespace sessiondx::bot::detail
