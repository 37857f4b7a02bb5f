// The parse path alone: one fixed, signed batch of realistic events (bench/event_gen, the
// load generator's events), verified and parsed N times, with the streaming parser or the DOM
// parser it replaced. Meant for `valgrind --tool=callgrind` (instructions per event do not
// depend on the machine's load) and for a quick events/s figure. No HTTP, no store.
//
//   sessiondx-parse-bench --events 100 --iterations 200 [--parser dom] [--no-verify]
#include "bench/event_gen.hpp"
#include "connectors/webhook/event_parser.hpp"
#include "connectors/webhook/signature.hpp"
#include "fuzz/dom_event_parser.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>

namespace {

using namespace sessiondx;

constexpr std::int64_t k_now_ms = 1'764'633'600'000;  // 2025-12-02T00:00:00Z: a fixed body
constexpr const char* k_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

template <class Parser>
std::size_t run(const Parser& parser, const webhook::webhook_secret& secret, bool check_signature,
                const std::string& body, const std::string& signature, std::size_t iterations) {
  std::size_t accepted = 0;
  const std::string timestamp = std::to_string(k_now_ms / 1000);
  for (std::size_t i = 0; i < iterations; ++i) {
    if (check_signature && webhook::verify(secret, "msg_bench", timestamp, signature, body,
                                           k_now_ms / 1000) != webhook::signature_status::valid) {
      std::fprintf(stderr, "signature rejected\n");
      return 0;
    }
    auto result = parser.parse(body, webhook::body_format::json);
    if (const auto* batch = std::get_if<webhook::parsed_batch>(&result)) {
      accepted += batch->events.size();
      if (!batch->rejected.empty()) {
        std::fprintf(stderr, "rejected: %s\n", batch->rejected[0].error.c_str());
        return 0;
      }
    } else {
      std::fprintf(stderr, "body error: %s\n",
                   std::get<webhook::body_error>(result).message.c_str());
      return 0;
    }
  }
  return accepted;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 100;
  std::size_t iterations = 200;
  std::string which = "sax";
  bool no_verify = false;
  CLI::App cli{"sessiondx-parse-bench: verify and parse one signed batch of events N times"};
  cli.add_option("--events", events, "events in the batch")->check(CLI::Range(1, 10'000));
  cli.add_option("--iterations", iterations, "times the batch is parsed");
  cli.add_option("--parser", which, "sax (the service's) or dom (the reference it replaced)")
      ->check(CLI::IsMember({"sax", "dom"}));
  cli.add_flag("--no-verify", no_verify, "parse only, no signature check");
  CLI11_PARSE(cli, argc, argv);

  bench::event_generator generator(1, 1000, 42);
  bench::planned_batch planned;
  generator.plan(events, k_now_ms, planned);
  std::string body;
  generator.render(planned, body);
  const auto secret = webhook::webhook_secret::parse(k_secret);
  const std::string signature =
      webhook::sign(*secret, "msg_bench", std::to_string(k_now_ms / 1000), body);

  const auto started = std::chrono::steady_clock::now();
  std::size_t accepted = 0;
  if (which == "dom") {
    const webhook::dom_reference::dom_event_parser parser{webhook::ingest_settings{}};
    accepted = run(parser, *secret, !no_verify, body, signature, iterations);
  } else {
    const webhook::event_parser parser{webhook::ingest_settings{}};
    accepted = run(parser, *secret, !no_verify, body, signature, iterations);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (accepted != events * iterations) return 1;
  std::printf(
      "{\"parser\":\"%s\",\"events\":%zu,\"body_bytes\":%zu,\"iterations\":%zu,"
      "\"seconds\":%.3f,\"events_per_s\":%.0f}\n",
      which.c_str(), events, body.size(), iterations, seconds,
      static_cast<double>(accepted) / seconds);
  return 0;
}
