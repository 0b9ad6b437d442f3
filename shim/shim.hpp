#pragma once
// xarch-runtime: a runtime wrapper. It prepares the bundle on create/run, then execs the
// real runtime with the same arguments; every other subcommand goes straight through.
#include <filesystem>
#include <string>
#include <vector>

namespace shim {

// Runs the wrapper for argv[1..]; returns an exit status only when it does not exec the
// real runtime (a container that cannot run, or no runtime found).
int run(const std::vector<std::string>& args);

} // namespace shim
