// Reads an NDJSON file in large blocks that end on a line boundary, so that blocks can be handed
// to other threads and their lines read independently. Each block is followed by zeroed padding,
// so a parser that reads a little past the end of its input (simdjson) may be given its lines.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace alemwatch::fhir {

struct NdjsonBlock {
  std::vector<char> bytes;  // the lines, then `padding` zero bytes
  std::size_t size = 0;     // bytes of lines; every line in it is complete

  std::string_view text() const { return {bytes.data(), size}; }
  // Bytes readable from `p` (inside the block) to the end of the padding.
  std::size_t capacity_from(const char* p) const { return bytes.size() - static_cast<std::size_t>(p - bytes.data()); }
};

// Calls `on_line(line, number)` for each line of `block` with its 1-based number within the
// block, without the line break (and without a trailing '\r'). Blank lines are passed too, so
// the numbering matches the file's.
template <class OnLine>
std::size_t for_each_ndjson_line(const NdjsonBlock& block, OnLine&& on_line) {
  std::string_view rest = block.text();
  std::size_t number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line, ++number);
  }
  return number;
}

class NdjsonBlockReader {
 public:
  static constexpr std::size_t padding = 64;  // at least simdjson's SIMDJSON_PADDING

  // `block_size` is a target: a block grows past it to finish a longer line.
  static boost::system::result<NdjsonBlockReader> open(const std::filesystem::path& file,
                                                       std::size_t block_size = 8u << 20);
  NdjsonBlockReader(NdjsonBlockReader&& other) noexcept;
  NdjsonBlockReader& operator=(NdjsonBlockReader&&) = delete;
  ~NdjsonBlockReader();

  // Fills `block` with the next lines (reusing its memory). False at the end of the file or on a
  // read error (see error()).
  bool next(NdjsonBlock& block);
  const boost::system::error_code& error() const { return error_; }

 private:
  NdjsonBlockReader(int fd, std::size_t block_size);
  std::size_t read_some(char* into, std::size_t wanted);

  int fd_ = -1;
  std::size_t block_size_;
  std::vector<char> carry_;    // bytes read after the last line break of the previous block
  bool eof_ = false;
  boost::system::error_code error_;
};

}  // namespace alemwatch::fhir
