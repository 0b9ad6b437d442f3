#pragma once
// xarch-runtime: a runtime wrapper. It prepares the bundle on create/run, then execs the
// real runtime with the same arguments; every other subcommand goes straight through.
#include "base/settings.hpp"
#include "oci/runtime_args.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace shim {

// Rewrites the bundle's config.json (atomically, only when something must change) so the
// container can run; false if it cannot run (the message is logged). Anything that goes wrong
// before the image is known to be foreign leaves the bundle as it is and returns true.
bool prepare_bundle(const oci::RuntimeArgs& args, const oci::Settings& settings);

// Runs the wrapper for argv[1..]; returns an exit status only when it does not exec the
// real runtime (a container that cannot run, or no runtime found).
int run(const std::vector<std::string>& args);

} // namespace shim
