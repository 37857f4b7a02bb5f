#include "bench/event_gen.hpp"

#include <array>
#include <charconv>
#include <string_view>

namespace sessiondx::bench {

namespace {

struct kind_template {
  unsigned weight;        ///< relative frequency in the mix
  std::string_view tail;  ///< JSON after "ts": up to (not including) "context"
};

// A storefront's traffic: mostly page views, API calls and clicks, some errors. Each tail is
// what a website backend forwards for that kind of event (~150-250 B with the context).
constexpr std::array<kind_template, 12> kinds{{
    {12,
     R"j(,"type":"page_view","page":"/products/42","attrs":{"referrer":"https://www.google.com/","load_ms":812})j"},
    {10,
     R"j(,"type":"page_view","page":"/cart","attrs":{"referrer":"/products/42","load_ms":433})j"},
    {8, R"j(,"type":"page_view","page":"/checkout","attrs":{"referrer":"/cart","load_ms":1290})j"},
    {12,
     R"j(,"type":"http_request","page":"/products/42","attrs":{"method":"GET","route":"/api/products/{id}","status":200,"duration_ms":87})j"},
    {10,
     R"j(,"type":"http_request","page":"/cart","attrs":{"method":"POST","route":"/api/cart","status":200,"duration_ms":143})j"},
    {3,
     R"j(,"type":"http_request","severity":"error","page":"/checkout","attrs":{"method":"POST","route":"/api/pay","status":502,"duration_ms":1834})j"},
    {3,
     R"j(,"type":"http_request","severity":"warning","page":"/account","attrs":{"method":"GET","route":"/api/user","status":401,"duration_ms":12})j"},
    {10,
     R"j(,"type":"click","page":"/products/42","attrs":{"target":"button#add-to-cart","text":"Add to cart"})j"},
    {8,
     R"j(,"type":"click","page":"/cart","attrs":{"target":"a.nav-checkout","text":"Checkout"})j"},
    {4,
     R"j(,"type":"js_error","severity":"error","page":"/checkout","message":"TypeError: Cannot read properties of undefined (reading 'total')","attrs":{"stack":"TypeError: Cannot read properties of undefined (reading 'total')\n    at renderSummary (checkout.3f9a1c.js:1:48211)\n    at onPriceUpdate (checkout.3f9a1c.js:1:50102)","source":"checkout.3f9a1c.js","line":1,"col":48211})j"},
    {3,
     R"j(,"type":"ui_message","severity":"error","page":"/checkout","message":"Payment failed, please try again.","attrs":{"component":"PaymentForm","code":"PAYMENT_DECLINED"})j"},
    {7,
     R"j(,"type":"ui_message","severity":"info","page":"/products/42","message":"Item added to your cart","attrs":{"component":"Toast"})j"},
}};

constexpr std::array<std::string_view, 6> contexts{{
    R"j(,"context":{"browser":"Chrome 131","os":"Windows 11","app_version":"4.12.0","locale":"en-US"}})j",
    R"j(,"context":{"browser":"Safari 18.1","os":"iOS 18.1","app_version":"4.12.0","locale":"fr-FR"}})j",
    R"j(,"context":{"browser":"Firefox 132","os":"Ubuntu 24.04","app_version":"4.11.3","locale":"de-DE"}})j",
    R"j(,"context":{"browser":"Chrome 130","os":"Android 14","app_version":"4.12.0","locale":"en-GB"}})j",
    R"j(,"context":{"browser":"Edge 131","os":"Windows 10","app_version":"4.11.3","locale":"en-US"}})j",
    R"j(,"context":{"browser":"Safari 17.6","os":"macOS 14.6","app_version":"4.12.0","locale":"es-ES"}})j",
}};

constexpr unsigned total_weight() {
  unsigned sum = 0;
  for (const auto& k : kinds) sum += k.weight;
  return sum;
}

std::uint64_t mix64(std::uint64_t x) {
  // splitmix64 finaliser: a bijection, so distinct session indexes give distinct ids.
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void append_hex(std::string& out, std::uint64_t value, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out.push_back(hex[(value >> shift) & 0xf]);
}

void append_int(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void append_event(std::string& out, std::uint32_t kind, std::uint32_t context, std::string_view id,
                  std::string_view session_id, std::int64_t ts_ms) {
  out += R"j({"id":")j";
  out += id;
  out += R"j(","session_id":")j";
  out += session_id;
  out += R"j(","ts":)j";
  append_int(out, ts_ms);
  out += kinds[kind].tail;
  out += contexts[context];
}

}  // namespace

event_generator::event_generator(std::uint32_t generator_id, std::uint64_t sessions,
                                 std::uint64_t session_seed)
    : generator_id_(generator_id),
      sessions_(sessions == 0 ? 1 : sessions),
      session_seed_(session_seed),
      rng_state_(mix64(generator_id * 0x100000001b3ULL + session_seed)) {}

std::uint64_t event_generator::next_random() { return mix64(rng_state_++); }

std::string event_generator::next_id(std::int64_t ts_ms) {
  // Millisecond time first so ids of one session sort roughly by time, then the generator and a
  // per-generator sequence so that no two generators of a run ever collide.
  std::string id;
  id.reserve(26);
  append_hex(id, static_cast<std::uint64_t>(ts_ms), 11);
  id.push_back('-');
  append_hex(id, generator_id_, 4);
  id.push_back('-');
  append_hex(id, sequence_++, 9);
  return id;
}

std::uint32_t event_generator::pick_kind() {
  unsigned r = static_cast<unsigned>(next_random() % total_weight());
  for (std::uint32_t k = 0; k < kinds.size(); ++k) {
    if (r < kinds[k].weight) return k;
    r -= kinds[k].weight;
  }
  return 0;
}

void event_generator::plan(std::size_t n, std::int64_t now_ms, planned_batch& out) {
  const std::uint64_t session = next_random() % sessions_;
  // A backend flushes a session's buffered events: the batch covers the last few seconds.
  const std::int64_t step = 37;
  plan_session(session, n, now_ms - static_cast<std::int64_t>(n - 1) * step,
               static_cast<std::int64_t>(n) * step, out);
}

void event_generator::plan_session(std::uint64_t session, std::size_t n, std::int64_t from_ms,
                                   std::int64_t span_ms, planned_batch& out) {
  out.session = session;
  out.context = static_cast<std::uint32_t>(mix64(session ^ session_seed_) % contexts.size());
  out.events.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& e = out.events[i];
    e.kind = pick_kind();
    e.ts_ms = from_ms + static_cast<std::int64_t>(i) * span_ms / static_cast<std::int64_t>(n);
    e.id = next_id(e.ts_ms);
  }
}

void event_generator::render(const planned_batch& batch, std::string& out) const {
  out.clear();
  const std::string sid = session_id(batch.session);
  if (batch.events.size() == 1) {
    const auto& e = batch.events.front();
    append_event(out, e.kind, batch.context, e.id, sid, e.ts_ms);
    return;
  }
  out.push_back('[');
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (i != 0) out.push_back(',');
    const auto& e = batch.events[i];
    append_event(out, e.kind, batch.context, e.id, sid, e.ts_ms);
  }
  out.push_back(']');
}

std::string event_generator::session_id(std::uint64_t session) const {
  std::string id = "s_";
  append_hex(id, mix64(session ^ (session_seed_ * 0x9e3779b97f4a7c15ULL)), 16);
  return id;
}

std::size_t event_generator::kind_count() { return kinds.size(); }
std::size_t event_generator::context_count() { return contexts.size(); }

std::string event_generator::event_json(std::uint32_t kind, std::uint32_t context,
                                        const std::string& id, const std::string& session_id,
                                        std::int64_t ts_ms) {
  std::string out;
  append_event(out, kind, context, id, session_id, ts_ms);
  return out;
}

}  // namespace sessiondx::bench
