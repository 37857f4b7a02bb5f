#include "connectors/webhook/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

namespace sessiondx::webhook {
namespace {

constexpr int gzip_window_bits = 16 + MAX_WBITS;  // gzip wrapper only, no raw deflate
constexpr std::size_t chunk = 64 * 1024;

}  // namespace

gunzip_result gunzip(std::string_view compressed, std::size_t max_output) {
  gunzip_result result;
  z_stream zs{};
  if (inflateInit2(&zs, gzip_window_bits) != Z_OK) {
    result.status = gunzip_status::corrupt;
    result.error = "zlib initialisation failed";
    return result;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());

  std::string& out = result.data;
  out.reserve(std::min(max_output, std::max(compressed.size() * 4, chunk)));
  int rc = Z_OK;
  for (;;) {
    // Grow by at most one chunk past what we already have, and never past the limit (+1 byte
    // so that "exactly at the limit" and "over it" can be told apart).
    const std::size_t used = out.size();
    const std::size_t room = std::min(chunk, max_output + 1 - used);
    out.resize(used + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(used + room - zs.avail_out);
    if (out.size() > max_output) {
      result.status = gunzip_status::too_large;
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Concatenated members are valid gzip: start the next one.
      if (inflateReset(&zs) != Z_OK)
        rc = Z_DATA_ERROR;
      else
        continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      result.status = gunzip_status::corrupt;
      result.error = "truncated gzip stream";
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      result.status = gunzip_status::corrupt;
      result.error = zs.msg != nullptr ? zs.msg : "invalid gzip data";
      break;
    }
  }
  inflateEnd(&zs);
  if (result.status != gunzip_status::ok) out.clear();
  return result;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzip_window_bits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
  return out;
}

}  // namespace sessiondx::webhook
