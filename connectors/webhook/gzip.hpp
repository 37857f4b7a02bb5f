#pragma once

// Bounded gzip decoding for request bodies: stops as soon as the output would exceed the limit,
// so a small compressed body cannot expand into gigabytes (a "gzip bomb").

#include <cstddef>
#include <string>
#include <string_view>

namespace sessiondx::webhook {

enum class gunzip_status { ok, too_large, corrupt };

struct gunzip_result {
  gunzip_status status = gunzip_status::ok;
  std::string data;   ///< the decompressed bytes when ok
  std::string error;  ///< zlib's reason when corrupt
};

/// Decompresses one or more concatenated gzip members. Never produces more than `max_output`
/// bytes: past that it returns too_large at once.
gunzip_result gunzip(std::string_view compressed, std::size_t max_output);

/// Compresses `data` as one gzip member (used by clients, tests and benchmarks).
std::string gzip(std::string_view data);

}  // namespace sessiondx::webhook
