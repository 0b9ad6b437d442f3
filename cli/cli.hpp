#pragma once
// The xarch admin command: status, install, uninstall, reset, doctor, detect.
#include <iosfwd>
#include <string>
#include <vector>

namespace cli {

// Exit codes, documented in xarch(1).
constexpr int k_exit_ok = 0;
constexpr int k_exit_failure = 1;       // the operation failed (nothing was left half-done)
constexpr int k_exit_usage = 2;         // bad command line: unknown option, platform or entry
constexpr int k_exit_problem = 3;       // doctor: the program would not run; detect: nothing to detect
constexpr int k_exit_not_permitted = 4; // needs root, or binfmt_misc is read-only or cannot be mounted

// Runs one xarch command line (argv without the program name), writing results to `out` and
// messages to `err`; returns the exit code. Throws only what the oci library does not
// classify (main reports it as a failure).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace cli
