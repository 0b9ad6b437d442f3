#pragma once
// xarch-runtime: a runtime wrapper. It prepares the bundle on create/run, then execs the
// real runtime with the same arguments; every other subcommand goes straight through.
#include "base/settings.hpp"
#include "oci/runtime_args.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace shim {

struct Preparation {
    bool runnable = true; // false: the container cannot run (the message is logged)
    // The rootfs in which the runtime will create the emulator's mount target, recorded for the
    // poststop hook (nullopt: nothing will be created).
    std::optional<std::filesystem::path> recorded_rootfs;
};

// Rewrites the bundle's config.json (atomically, only when something must change) so the
// container can run. Anything that goes wrong before the image is known to be foreign leaves
// the bundle as it is, runnable.
Preparation prepare_bundle(const oci::RuntimeArgs& args, const oci::Settings& settings);

// Runs the wrapper for argv[1..]; returns an exit status only when it does not exec the
// real runtime (a container that cannot run, or no runtime found), or when it stays the real
// runtime's parent: a foreground `run --keep` (Docker's BuildKit) whose rootfs gets a mount
// target, which it removes once the runtime returns and then exits as the runtime did.
int run(const std::vector<std::string>& args);

} // namespace shim
