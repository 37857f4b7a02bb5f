#include "app/demo_data.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace sessiondx::app {
namespace {

using nlohmann::json;

/// Builds one session's events with increasing timestamps and unique ids.
class session_builder {
 public:
  session_builder(std::string session_id, std::int64_t start_ms, json context)
      : id_(std::move(session_id)), now_(start_ms), context_(std::move(context)) {}

  /// Advances the clock by `after_ms` and adds an event.
  session_builder& add(std::int64_t after_ms, const std::string& type, json attrs = json::object(),
                       const std::string& page = "", const std::string& message = "",
                       const std::string& severity = "") {
    now_ += after_ms;
    json e{{"id", id_ + "-" + std::to_string(events_.size() + 1)},
           {"session_id", id_},
           {"ts", now_},
           {"type", type},
           {"context", context_}};
    if (!attrs.empty()) e["attrs"] = std::move(attrs);
    if (!page.empty()) e["page"] = page;
    if (!message.empty()) e["message"] = message;
    if (!severity.empty()) e["severity"] = severity;
    events_.push_back(std::move(e));
    return *this;
  }

  session_builder& page_view(std::int64_t after_ms, const std::string& page, int ttfb, int fcp,
                             int lcp) {
    return add(after_ms, "page_view",
               {{"ttfb_ms", ttfb}, {"fcp_ms", fcp}, {"lcp_ms", lcp}, {"load_ms", lcp + 200}}, page);
  }

  session_builder& request(std::int64_t after_ms, const std::string& method,
                           const std::string& route, int status, int duration_ms,
                           const std::string& page) {
    return add(
        after_ms, "http_request",
        {{"method", method}, {"route", route}, {"status", status}, {"duration_ms", duration_ms}},
        page);
  }

  json take() { return std::move(events_); }

 private:
  std::string id_;
  std::int64_t now_;
  json context_;
  json events_ = json::array();
};

json context(const std::string& browser, const std::string& os, const std::string& device,
             const std::string& version, const std::string& locale, const std::string& region) {
  return {{"browser", browser},     {"os", os},         {"device", device},
          {"app_version", version}, {"locale", locale}, {"region", region}};
}

constexpr std::int64_t minute = 60'000;

}  // namespace

std::vector<demo_session> demo_sessions(std::int64_t now_ms) {
  std::vector<demo_session> out;
  const std::int64_t start = now_ms - 50 * minute;

  {  // A healthy session: fast pages, successful calls.
    session_builder s(
        "demoHealthy01abcd", start,
        context("Firefox 132", "Windows 11", "desktop", "2.14.0", "en-GB", "eu-west"));
    s.add(0, "session_start", {}, "/");
    s.page_view(120, "/", 210, 640, 1100);
    s.request(300, "GET", "/api/products", 200, 85, "/");
    s.add(4000, "click", {{"target", "a.product-card"}}, "/");
    s.page_view(400, "/products/42", 180, 590, 980);
    s.request(200, "GET", "/api/products/:id", 200, 64, "/products/42");
    s.add(9000, "click", {{"target", "button.add-to-cart"}}, "/products/42");
    s.request(150, "POST", "/api/cart", 200, 120, "/products/42");
    s.add(30000, "session_end", {}, "/products/42");
    out.push_back({"demoHealthy01abcd", "healthy: nothing went wrong", s.take()});
  }

  {  // Slow loading on an old app version.
    session_builder s(
        "demoSlowLoad02xyz", start + 5 * minute,
        context("Chrome 130", "Android 14", "mobile", "2.13.2", "de-DE", "eu-central"));
    s.add(0, "session_start", {}, "/");
    s.page_view(100, "/", 2100, 3900, 7400);
    s.add(50, "web_vital", {{"name", "CLS"}, {"value", 0.31}}, "/");
    s.add(200, "resource_error",
          {{"url", "https://cdn.example.com/img/hero-4k.webp"}, {"status", 504}}, "/");
    s.request(300, "GET", "/api/recommendations", 200, 4800, "/");
    s.page_view(6000, "/search", 1200, 2400, 3100);
    s.add(9000, "session_end", {}, "/search");
    out.push_back(
        {"demoSlowLoad02xyz", "slow loading on a phone with an old app version", s.take()});
  }

  {  // A broken checkout: the payment API fails, the customer sees "Payment failed".
    session_builder s("demoCheckout03pay", start + 10 * minute,
                      context("Safari 18", "macOS 15", "desktop", "2.14.0", "fr-FR", "eu-west"));
    s.add(0, "session_start", {}, "/cart");
    s.page_view(100, "/cart", 320, 800, 1400);
    s.add(5000, "click", {{"target", "button.checkout"}}, "/cart");
    s.page_view(300, "/checkout", 350, 900, 1600);
    s.request(20000, "POST", "/api/payment", 502, 812, "/checkout");
    s.add(20, "backend_error",
          {{"service", "payments"},
           {"message", "upstream psp timeout"},
           {"trace_id", "4bf92f3577b34da6"}},
          "/checkout", "upstream psp timeout", "error");
    s.add(280, "ui_message",
          {{"level", "error"},
           {"text", "Payment failed. Please try again."},
           {"component", "CheckoutForm"}},
          "/checkout", "Payment failed. Please try again.", "error");
    s.add(4000, "click", {{"target", "button.pay"}}, "/checkout");
    s.request(10, "POST", "/api/payment", 502, 790, "/checkout");
    s.add(300, "ui_message",
          {{"level", "error"},
           {"text", "Payment failed. Please try again."},
           {"component", "CheckoutForm"}},
          "/checkout", "Payment failed. Please try again.", "error");
    s.add(15000, "session_end", {}, "/checkout");
    out.push_back({"demoCheckout03pay", "broken checkout: payment API 502, then \"Payment failed\"",
                   s.take()});
  }

  {  // A frozen interface: long tasks, then rage clicks on Save.
    session_builder s("demoFrozen04click", start + 15 * minute,
                      context("Edge 131", "Windows 10", "desktop", "2.14.0", "en-US", "us-east"));
    s.add(0, "session_start", {}, "/editor");
    s.page_view(100, "/editor", 400, 1100, 2300);
    s.add(3000, "long_task", {{"duration_ms", 1850}}, "/editor");
    s.add(100, "click", {{"target", "button.save"}}, "/editor");
    s.add(350, "click", {{"target", "button.save"}}, "/editor");
    s.add(300, "click", {{"target", "button.save"}}, "/editor");
    s.add(400, "click", {{"target", "button.save"}}, "/editor");
    s.add(450, "click", {{"target", "button.save"}}, "/editor");
    s.add(50, "long_task", {{"duration_ms", 920}}, "/editor");
    s.add(10, "web_vital", {{"name", "INP"}, {"value", 1240}}, "/editor");
    s.add(200, "dead_click", {{"target", "button.save"}}, "/editor");
    s.add(8000, "session_end", {}, "/editor");
    out.push_back(
        {"demoFrozen04click", "frozen interface: long tasks and rage clicks on Save", s.take()});
  }

  // A JavaScript error shipped with release 2.14.0, hitting many sessions since the deploy.
  const std::string stack =
      "TypeError: Cannot read properties of undefined (reading 'price')\n"
      "    at renderBasket (https://shop.example.com/static/js/basket.4f2a.js:1:18342)\n"
      "    at onLoad (https://shop.example.com/static/js/main.9c1e.js:1:5521)";
  const auto js_error = [&](session_builder& s, std::int64_t after) {
    s.add(after, "js_error",
          {{"message", "TypeError: Cannot read properties of undefined (reading 'price')"},
           {"source", "https://shop.example.com/static/js/basket.4f2a.js"},
           {"stack", stack}},
          "/basket", "TypeError: Cannot read properties of undefined (reading 'price')", "error");
  };
  for (int i = 0; i < 40; ++i) {
    const std::string id = "demoCrowd" + std::to_string(1000 + i) + "x";
    session_builder s(
        id, start + 20 * minute + i * 30'000,
        context(i % 2 ? "Chrome 131" : "Firefox 132", i % 3 ? "Windows 11" : "macOS 15", "desktop",
                "2.14.0", "en-US", "us-east"));
    s.page_view(0, "/basket", 300, 700, 1300);
    js_error(s, 400);
    out.push_back({id, "", s.take()});
  }
  {
    session_builder s("demoDeploy05jserr", start + 40 * minute,
                      context("Chrome 131", "Windows 11", "desktop", "2.14.0", "en-US", "us-east"));
    s.add(0, "session_start", {}, "/basket");
    s.page_view(100, "/basket", 280, 650, 1200);
    s.add(1500, "click", {{"target", "button.apply-coupon"}}, "/basket");
    js_error(s, 180);
    s.add(200, "ui_message",
          {{"level", "warning"},
           {"text", "Something went wrong. Please reload the page."},
           {"component", "Basket"}},
          "/basket", "Something went wrong. Please reload the page.", "warning");
    s.add(12000, "session_end", {}, "/basket");
    out.push_back({"demoDeploy05jserr",
                   "JavaScript error after the 2.14.0 deploy, hitting 40 other sessions",
                   s.take()});
  }

  {  // An id a customer would misread: 0 vs O, 1 vs l.
    session_builder s("demo0Ol1misread8", start + 45 * minute,
                      context("Chrome 131", "iOS 18", "mobile", "2.14.0", "en-US", "us-west"));
    s.add(0, "session_start", {}, "/account");
    s.page_view(100, "/account", 500, 1200, 2000);
    s.request(3000, "POST", "/api/account/email", 500, 230, "/account");
    s.add(200, "ui_message",
          {{"level", "error"},
           {"text", "Could not save your e-mail address."},
           {"component", "AccountForm"}},
          "/account", "Could not save your e-mail address.", "error");
    out.push_back({"demo0Ol1misread8",
                   "an id customers misread: try /session demoOOl1misread8 (O for 0)", s.take()});
  }
  return out;
}

}  // namespace sessiondx::app
