// Writing an output file (DetectedIssues, a summary, a report) so that a reader never sees half
// of it: through a temporary file beside it and a rename.
#pragma once

#include <string>

namespace alemwatch::adapter {

enum class FileAccess { usual, owner_only };  // owner_only: mode 0600, for files that hold PHI

// A device or a pipe (/dev/null, /dev/stdout) is written directly: renaming over it would
// replace it with a plain file. On failure `error` says what, and no temporary file is left.
bool write_file_atomically(const std::string& file, const std::string& text, std::string& error,
                           FileAccess access = FileAccess::usual);

}  // namespace alemwatch::adapter
