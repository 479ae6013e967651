// The `conformance` subcommand's command line: its own flags, the sync's server, authorisation
// and TLS flags, and --config, with flags winning over the file as in sync.
#pragma once

#include <memory>

namespace CLI {
class App;
}

namespace alemwatch::adapter {

class ConformanceSubcommand {
 public:
  explicit ConformanceSubcommand(CLI::App& app);
  ~ConformanceSubcommand();
  ConformanceSubcommand(const ConformanceSubcommand&) = delete;
  ConformanceSubcommand& operator=(const ConformanceSubcommand&) = delete;

  bool parsed() const;
  int run() const;  // exit code (docs/conformance.md)

 private:
  struct Flags;
  std::unique_ptr<Flags> flags_;
};

}  // namespace alemwatch::adapter
