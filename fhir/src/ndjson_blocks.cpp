#include "alemwatch/fhir/ndjson_blocks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace alemwatch::fhir {

boost::system::result<NdjsonBlockReader> NdjsonBlockReader::open(const std::filesystem::path& file,
                                                                 std::size_t block_size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return boost::system::error_code(errno, boost::system::system_category());
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return NdjsonBlockReader(fd, std::max<std::size_t>(block_size, 4096));
}

NdjsonBlockReader::NdjsonBlockReader(int fd, std::size_t block_size) : fd_(fd), block_size_(block_size) {}

NdjsonBlockReader::NdjsonBlockReader(NdjsonBlockReader&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), block_size_(o.block_size_), carry_(std::move(o.carry_)), eof_(o.eof_),
      error_(o.error_) {}

NdjsonBlockReader::~NdjsonBlockReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t NdjsonBlockReader::read_some(char* into, std::size_t wanted) {
  std::size_t got = 0;
  while (got < wanted) {
    const ssize_t n = ::read(fd_, into + got, wanted - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = boost::system::error_code(errno, boost::system::system_category());
      eof_ = true;
      break;
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

bool NdjsonBlockReader::next(NdjsonBlock& block) {
  if (eof_ && carry_.empty()) return false;
  auto& b = block.bytes;
  std::size_t target = std::max(block_size_, carry_.size() + 4096);
  b.resize(target + padding);
  std::copy(carry_.begin(), carry_.end(), b.begin());
  std::size_t filled = carry_.size();
  carry_.clear();
  // Read until the block holds at least one line break, or the file ends: a line longer than a
  // block makes the block grow to hold it whole.
  for (;;) {
    if (!eof_ && filled < target) filled += read_some(b.data() + filled, target - filled);
    const auto last_break = std::string_view(b.data(), filled).rfind('\n');
    if (eof_) break;
    if (last_break != std::string_view::npos) {
      carry_.assign(b.begin() + static_cast<std::ptrdiff_t>(last_break + 1), b.begin() + static_cast<std::ptrdiff_t>(filled));
      filled = last_break + 1;
      break;
    }
    target *= 2;
    b.resize(target + padding);
  }
  if (filled == 0) return false;
  std::fill(b.begin() + static_cast<std::ptrdiff_t>(filled), b.end(), '\0');
  // Keep exactly `padding` bytes after the lines, so capacity_from() is honest.
  b.resize(filled + padding);
  block.size = filled;
  return true;
}

}  // namespace alemwatch::fhir
