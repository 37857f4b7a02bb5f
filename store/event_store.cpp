#include "store/event_store.hpp"

#include <condition_variable>
#include <mutex>
#include <utility>

namespace sessiondx::store {

namespace {

class store_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sessiondx.store"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::overloaded:
        return "the event store's write queue is full; retry later";
      case errc::shutting_down:
        return "the event store is shutting down and takes no more writes";
      case errc::write_failed:
        return "the event store could not commit the batch; nothing of it was stored";
      case errc::read_only:
        return "the event store is open read-only";
    }
    return "unknown event store error";
  }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const store_category_impl category;
  return category;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), store_category()}; }

append_result event_store::append_and_wait(std::vector<event> batch) {
  // The handler may run on this thread (overloaded, shutting down) or on the writer thread; the
  // shared state outlives both because we wait for it before returning.
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  append_result result;
  append(std::move(batch), [&](append_result r) {
    std::lock_guard lock(mutex);
    result = std::move(r);
    done = true;
    done_cv.notify_one();
  });
  std::unique_lock lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  return result;
}

}  // namespace sessiondx::store
