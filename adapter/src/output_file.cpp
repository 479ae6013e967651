#include "alemwatch/adapter/output_file.hpp"

#include <filesystem>
#include <fstream>

namespace alemwatch::adapter {

namespace fs = std::filesystem;

bool write_file_atomically(const std::string& file, const std::string& text, std::string& error,
                           FileAccess access) {
  std::error_code status_error;
  const auto status = fs::status(file, status_error);
  const bool special = !status_error && fs::exists(status) && !fs::is_regular_file(status);
  std::error_code ec;
  const std::string target = special ? file : file + ".tmp";
  {
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (out && !special && access == FileAccess::owner_only)
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    out << text;
    out.flush();
    if (!out || ec) {
      error = "cannot write " + target;
      if (!special) fs::remove(target, ec);
      return false;
    }
  }
  if (special) return true;
  fs::rename(target, file, ec);
  if (ec) {
    error = "cannot rename " + target + " to " + file + ": " + ec.message();
    fs::remove(target, ec);
    return false;
  }
  return true;
}

}  // namespace alemwatch::adapter
