#include "bot/issue_key.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;
using sessiondx::bot::issue_key;
using sessiondx::bot::issue_key_is_third_party;
using sessiondx::bot::js_error_fingerprint;

namespace {

const char* chrome_stack_a =
    "TypeError: Cannot read properties of undefined (reading 'map')\n"
    "    at renderCart (https://shop.example/static/app.js?v=3:120:17)\n"
    "    at commitRoot (https://shop.example/static/vendor.js:2:4410)";
const char* chrome_stack_b =
    "TypeError: Cannot read properties of undefined (reading 'map')\n"
    "    at renderCart (https://shop.example/static/app.js?v=4:131:5)\n"
    "    at commitRoot (https://shop.example/static/vendor.js:2:9999)";

}  // namespace

TEST_CASE("issue_key: same error on other lines and with other values, same fingerprint") {
  const auto a =
      js_error_fingerprint("Cannot read properties of undefined (reading 'map')", chrome_stack_a);
  const auto b =
      js_error_fingerprint("Cannot read properties of undefined (reading 'map')", chrome_stack_b);
  CHECK(a.size() == 16);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a == b);

  // Numbers, hex ids and quoted values vary between occurrences.
  CHECK(js_error_fingerprint("Order 123 failed for 'alice'", "at pay (app.js:1:2)") ==
        js_error_fingerprint("Order 98765 failed for 'bob'", "at pay (app.js:77:3)"));
  CHECK(js_error_fingerprint("object deadbeef12345678 missing", "") ==
        js_error_fingerprint("object 0badc0ffee000001 missing", ""));
  // Firefox-style frames.
  CHECK(js_error_fingerprint("x is undefined", "renderCart@https://shop.example/app.js:120:17\n") ==
        js_error_fingerprint("x is undefined", "renderCart@https://shop.example/app.js:9:1\n"));
}

TEST_CASE("issue_key: different errors, different fingerprints") {
  const auto base =
      js_error_fingerprint("Cannot read properties of undefined (reading 'map')", chrome_stack_a);
  CHECK(js_error_fingerprint("Cannot read properties of null (reading 'map')", chrome_stack_a) !=
        base);
  CHECK(js_error_fingerprint("Cannot read properties of undefined (reading 'map')",
                             "TypeError: x\n    at checkout (https://shop.example/app.js:1:1)") !=
        base);
  CHECK(js_error_fingerprint("a", "") != js_error_fingerprint("b", ""));
  // The apostrophe in "can't" is not a quote: the rest of the message still counts.
  CHECK(js_error_fingerprint("can't access property 'a', x is undefined", "") !=
        js_error_fingerprint("can't access property 'a', y is null", ""));
}

TEST_CASE("issue_key: js_error uses the sender's fingerprint, else computes one") {
  CHECK(issue_key("js_error", "boom", json{{"fingerprint", "abc123"}}) == "js:abc123");
  const json attrs = {{"stack", chrome_stack_a}};
  CHECK(issue_key("js_error", "Cannot read properties of undefined (reading 'map')", attrs) ==
        "js:" + js_error_fingerprint("Cannot read properties of undefined (reading 'map')",
                                     chrome_stack_a));
  // Message from attrs when the event has none.
  CHECK(issue_key("js_error", "", json{{"message", "boom"}}) ==
        "js:" + js_error_fingerprint("boom", ""));
}

TEST_CASE("issue_key: failed http_request groups by method and route") {
  CHECK(issue_key("http_request", "",
                  json{{"method", "post"}, {"route", "/api/pay"}, {"status", 502}}) ==
        "route:POST /api/pay");
  CHECK(issue_key("http_request", "",
                  json{{"url", "https://shop.example/api/orders/123?x=1"}, {"status", 500}}) ==
        "route:GET /api/orders/:id");
  CHECK(issue_key("http_request", "",
                  json{{"method", "GET"}, {"url", "/api/orders/456#top"}, {"status", 503}}) ==
        "route:GET /api/orders/:id");
  CHECK(issue_key("http_request", "",
                  json{{"method", "DELETE"},
                       {"url",
                        "//cdn.example/u/550e8400-e29b-41d4-a716-446655440000/cart/"
                        "9f86d081884c7d65"},
                       {"error", "timeout"}}) == "route:DELETE /u/:id/cart/:id");
  CHECK(issue_key("http_request", "", json{{"url", "https://shop.example"}, {"status", 0}}) ==
        "route:GET /");
  CHECK(issue_key("http_request", "",
                  json{{"method", "PUT"},
                       {"url", "/api/v2/cart"},
                       {"status", 0},
                       {"error", "network error"}}) == "route:PUT /api/v2/cart");
  CHECK(issue_key("http_request", "", json{{"status", 504}}) == "route:GET (unknown)");
}

TEST_CASE("issue_key: non-failures and ordinary events give no key") {
  CHECK(issue_key("http_request", "", json{{"route", "/api/pay"}, {"status", 200}}).empty());
  CHECK(issue_key("http_request", "", json{{"route", "/api/pay"}, {"status", 404}}).empty());
  CHECK(issue_key("http_request", "", json{{"route", "/api/pay"}, {"status", 499}}).empty());
  CHECK(issue_key("http_request", "", json{{"route", "/api/pay"}}).empty());
  CHECK(issue_key("http_request", "", json{{"route", "/a"}, {"status", 200}, {"error", nullptr}})
            .empty());
  CHECK(issue_key("http_request", "", json{{"route", "/a"}, {"status", 200}, {"error", false}})
            .empty());
  CHECK(issue_key("http_request", "", json::object()).empty());
  CHECK(issue_key("page_view", "", json{{"lcp_ms", 5000}}).empty());
  CHECK(issue_key("click", "", json{{"target", "#pay"}}).empty());
  CHECK(issue_key("ui_message", "Saved", json{{"level", "info"}}).empty());
  CHECK(issue_key("my_custom_type", "boom", json::object()).empty());
}

TEST_CASE("issue_key: resource, backend and ui errors") {
  CHECK(issue_key("resource_error", "",
                  json{{"url", "https://cdn.example/img/products/123/main.jpg?w=200"}}) ==
        "resource:cdn.example/img/products/:id/main.jpg");
  // A resource on the page's own host keeps only its path; relative URLs too.
  CHECK(issue_key("resource_error", "", json{{"url", "https://cdn.example/app.js"}},
                  "https://cdn.example/checkout") == "resource:/app.js");
  CHECK(issue_key("resource_error", "", json{{"url", "/img/products/123/main.jpg"}}) ==
        "resource:/img/products/:id/main.jpg");
  CHECK(issue_key("resource_error", "", json::object()) == "resource:(unknown)");
  CHECK(issue_key("backend_error", "payment provider timeout after 3000 ms",
                  json{{"service", "payments"}}) ==
        "backend:payments:" + js_error_fingerprint("payment provider timeout after 9 ms", ""));
  CHECK(issue_key("backend_error", "x", json::object()).starts_with("backend:unknown:"));
  CHECK(issue_key("ui_message", "", json{{"level", "error"}, {"text", "Payment failed (E42)"}}) ==
        issue_key("ui_message", "", json{{"level", "error"}, {"text", "Payment failed (E17)"}}));
  CHECK(issue_key("ui_message", "", json{{"level", "error"}, {"text", "Payment failed"}})
            .starts_with("ui:"));
}

TEST_CASE("issue_key: keys stay bounded") {
  const std::string long_route(1000, 'a');
  const auto key =
      issue_key("http_request", "", json{{"route", "/" + long_route}, {"status", 500}});
  CHECK(key.size() <= 256);
  CHECK(key.starts_with("route:GET /aaa"));
}

TEST_CASE("issue_key: third-party and cross-host URLs keep their host") {
  // Same path on two hosts: two problems, and the agent sees whose host failed.
  const auto stripe = issue_key("resource_error", "", json{{"url", "https://js.stripe.com/v3/"}},
                                "https://www.hebergix.fr/checkout");
  CHECK(stripe == "resource:js.stripe.com/v3/");
  CHECK(stripe != issue_key("resource_error", "", json{{"url", "https://cdn.other.example/v3/"}},
                            "https://www.hebergix.fr/checkout"));
  CHECK(issue_key("http_request", "",
                  json{{"url", "https://api.other.example/v1/rates"}, {"status", 502}},
                  "https://www.hebergix.fr/checkout") == "route:GET api.other.example/v1/rates");
  // Relative pages: an API call keeps its path only (the site's own absolute URLs group with
  // its relative ones).
  CHECK(issue_key("http_request", "", json{{"url", "https://shop.example/api/x"}, {"status", 502}},
                  "/checkout") == "route:GET /api/x");

  CHECK(issue_key_is_third_party("resource:js.stripe.com/v3/"));
  CHECK(issue_key_is_third_party("route:GET api.other.example/v1/rates"));
  CHECK_FALSE(issue_key_is_third_party("resource:/img/a.png"));
  CHECK_FALSE(issue_key_is_third_party("route:POST /api/payment"));
  CHECK_FALSE(issue_key_is_third_party("route:GET (unknown)"));
  CHECK_FALSE(issue_key_is_third_party("js:abc123"));
  CHECK_FALSE(issue_key_is_third_party("backend:payments:0123"));
}

TEST_CASE("issue_key: noise gets no key, so it never reaches blast radius, digests or alerts") {
  // Blocked by the client: Chrome, Firefox tracking protection, Safari content blockers.
  CHECK(issue_key("resource_error", "",
                  json{{"url", "https://www.googletagmanager.com/gtm.js?id=GTM-1"},
                       {"error", "net::ERR_BLOCKED_BY_CLIENT"}})
            .empty());
  CHECK(issue_key("http_request", "",
                  json{{"url", "https://api.example/collect"},
                       {"status", 0},
                       {"error", "NS_ERROR_TRACKING_URI"}})
            .empty());
  CHECK(issue_key("resource_error", "",
                  json{{"url", "https://x.example/a.js"},
                       {"error",
                        "Content blocker prevented frame displaying https://a from "
                        "loading a resource from https://x.example/a.js"}})
            .empty());
  // Tracker hosts (built-in list), whatever the failure.
  CHECK(issue_key("http_request", "",
                  json{{"url", "https://region1.google-analytics.com/g/collect"}, {"status", 503}})
            .empty());
  // Aborted by the page.
  CHECK(issue_key("http_request", "",
                  json{{"route", "/api/search"}, {"status", 0}, {"error", "AbortError"}})
            .empty());
  CHECK(
      issue_key("http_request", "", json{{"route", "/api/search"}, {"error", "canceled"}}).empty());
  // Benign 404s.
  CHECK(issue_key("resource_error", "", json{{"url", "/favicon.ico"}, {"status", 404}}).empty());
  CHECK(issue_key("resource_error", "", json{{"url", "/apple-touch-icon-120x120.png"}}).empty());
  CHECK(issue_key("resource_error", "", json{{"url", "/robots.txt"}, {"status", 404}}).empty());
  CHECK(issue_key("resource_error", "", json{{"url", "/js/app.3f2a.js.map"}, {"status", 404}})
            .empty());
  CHECK_FALSE(
      issue_key("resource_error", "", json{{"url", "/js/app.3f2a.js"}, {"status", 404}}).empty());
  // JavaScript noise.
  CHECK(issue_key("js_error", "x is null", json{{"source", "moz-extension://0a1b2c3d/content.js"}})
            .empty());
  CHECK(issue_key("js_error", "boom",
                  json{{"stack", "Error: boom\n    at chrome-extension://abc/inject.js:1:2"}})
            .empty());
  CHECK(issue_key("js_error", "Script error.", json::object()).empty());
  CHECK_FALSE(issue_key("js_error", "Script error.", json{{"stack", "at app.js:1:1"}}).empty());
  CHECK(issue_key("js_error", "ResizeObserver loop limit exceeded", json::object()).empty());
  // A real failure with an error text keeps its key; a 4xx is an answer, not a failure.
  CHECK(issue_key("http_request", "", json{{"route", "/api/pay"}, {"error", "timeout"}}) ==
        "route:GET /api/pay");
  CHECK(issue_key("http_request", "",
                  json{{"route", "/api/pay"}, {"status", 402}, {"error", "Payment Required"}})
            .empty());
}

// Issue 7 item 7: the same bug as Chrome (V8), Firefox (SpiderMonkey) and Safari
// (JavaScriptCore) report it is one problem; different bugs stay different.
TEST_CASE("issue_key: one bug worded by three engines gives one key") {
  auto key = [](const char* message, const char* stack) {
    return issue_key("js_error", message, json{{"stack", stack}});
  };
  // Reading a property of undefined, in renderRow of files.js.
  const auto chrome =
      key("Uncaught TypeError: Cannot read properties of undefined (reading 'permissions')",
          "TypeError: Cannot read properties of undefined (reading 'permissions')\n"
          "    at HTMLTableElement.renderRow (https://panel.example/assets/files.js:1:8812)\n"
          "    at Array.map (<anonymous>)");
  const auto firefox_new =
      key("TypeError: can't access property \"permissions\", entry is undefined",
          "renderRow@https://panel.example/assets/files.js:1:8790\n"
          "render@https://panel.example/assets/files.js:1:9100\n");
  const auto firefox_old = key("TypeError: entry is undefined",
                               "renderRow@https://panel.example/assets/files.js:1:8790\n");
  const auto safari = key("TypeError: undefined is not an object (evaluating 'entry.permissions')",
                          "renderRow@https://panel.example/assets/files.js:1:8801\n"
                          "map@[native code]\n");
  const auto chrome_old = key("TypeError: Cannot read property 'permissions' of undefined",
                              "TypeError: Cannot read property 'permissions' of undefined\n"
                              "    at renderRow (https://panel.example/assets/files.js:1:8812)");
  CHECK(firefox_new == chrome);
  CHECK(firefox_old == chrome);
  CHECK(safari == chrome);
  CHECK(chrome_old == chrome);

  // Calling what is not a function, in saveSettings of settings.js.
  const auto v8_call = key("TypeError: this.api.save is not a function",
                           "TypeError: this.api.save is not a function\n"
                           "    at Object.saveSettings (https://panel.example/settings.js:2:40)");
  const auto sm_call = key("TypeError: this.api.save is not a function",
                           "saveSettings/<@https://panel.example/settings.js:2:38\n");
  const auto jsc_call =
      key("TypeError: this.api.save is not a function. (In 'this.api.save(form)', "
          "'this.api.save' is undefined)",
          "saveSettings@https://panel.example/settings.js:2:41\n");
  const auto jsc_old_call =
      key("TypeError: undefined is not a function (evaluating 'this.api.save(form)')",
          "saveSettings@https://panel.example/settings.js:2:41\n");
  CHECK(sm_call == v8_call);
  CHECK(jsc_call == v8_call);
  CHECK(jsc_old_call == v8_call);

  // An undeclared variable: "x is not defined" (V8, SpiderMonkey), "Can't find variable" (JSC).
  CHECK(key("ReferenceError: gtag is not defined",
            "ReferenceError: gtag is not defined\n    at track (https://panel.example/a.js:3:1)") ==
        key("ReferenceError: Can't find variable: gtag", "track@https://panel.example/a.js:3:9"));

  // Different bugs stay different: another function, another file, null instead of undefined,
  // another callee, a family against another.
  CHECK(key("TypeError: entry is undefined",
            "renderHeader@https://panel.example/assets/files.js:1:10\n") != chrome);
  CHECK(key("TypeError: entry is undefined",
            "renderRow@https://panel.example/assets/dns.js:1:10\n") != chrome);
  CHECK(key("TypeError: entry is null", "renderRow@https://panel.example/assets/files.js:1:10\n") !=
        chrome);
  CHECK(key("TypeError: this.api.load is not a function",
            "saveSettings@https://panel.example/settings.js:2:41\n") != v8_call);
  CHECK(v8_call != chrome);
  // A sender-given fingerprint comes first, whatever the wording.
  CHECK(issue_key("js_error", "TypeError: entry is undefined",
                  json{{"fingerprint", "files-row"},
                       {"stack", "renderRow@https://panel.example/assets/files.js:1:1"}}) ==
        "js:files-row");
}

TEST_CASE("issue_key: messages outside the known families keep their wording") {
  // "is undefined" after a phrase is not SpiderMonkey's property-access wording.
  CHECK(js_error_fingerprint("Config value is undefined", "") !=
        js_error_fingerprint("Other value is undefined", ""));
  CHECK(js_error_fingerprint("x is not a function or its return value is not iterable", "") !=
        js_error_fingerprint("y is not a function or its return value is not iterable", ""));
}
