#pragma once
// One way through for every way into a container: the hook at precreate, at prestart or
// createRuntime, and xarch-runtime at create/run all call prepare(), which decides (carrying
// out a registration) and says what else must happen, as a list of small idempotent edits of
// config.json (bind mount, poststop hook, the host's seccomp architecture) or, for a running
// container, the bind mount done in its mount namespace. `xarch inject` uses the same edits.
#include "base/platform.hpp"
#include "base/settings.hpp"
#include "engine/decide.hpp"
#include "engine/resolve.hpp"
#include "oci/detect.hpp"
#include "oci/record.hpp"

#include "base/json.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace oci {

// One change to config.json that may be applied any number of times (NVIDIA toolkit's
// SpecModifier). `apply` returns whether it changed the document and adds warnings for people.
struct ConfigEdit {
    std::string what; // "bind mount /usr/bin/qemu-aarch64-static at /usr/libexec/...", for logs
    std::function<bool(Json& config, std::vector<std::string>& warnings)> apply;
};

// Read-only, nosuid, nodev bind mount of host file `source` at `destination`.
ConfigEdit bind_mount_edit(const std::string& destination, const std::filesystem::path& source);

// Hook `path` with `args` at `stage`, exactly once (see place_hook); with `other_stages`, a copy
// of the same program there is removed.
ConfigEdit hook_edit(const std::string& stage, const std::filesystem::path& path, const std::vector<std::string>& args,
                     const std::vector<std::string>& other_stages = {});

// The host's own seccomp architecture in a profile that lists architectures without it (the
// emulator's system calls are the host's); warns about system call names the host does not know.
ConfigEdit seccomp_edit();

// Applies the edits in order; returns the `what` of those that changed something. Throws Error
// from an edit (a malformed section).
std::vector<std::string> apply_edits(Json& config, const std::vector<ConfigEdit>& edits,
                                     std::vector<std::string>& warnings);

// How xarch got into the container.
enum class Way {
    Precreate, // hook, podman's precreate: config.json can still change; hooks.d runs poststop
    Running,   // hook at prestart or createRuntime: the container exists, config.json is fixed
    Runtime,   // xarch-runtime before create/run: config.json can still change
};

struct Prepared {
    Action action;                  // Native, Covered, Mount or Fail (a registration is already done)
    std::vector<ConfigEdit> edits;  // Precreate, Runtime: what config.json needs
    std::optional<Record> record;   // what poststop must remove later; save it once the rest is done
};

// The edits and record for a decision, without effects: a Mount becomes a bind mount (unless
// config.json mounts something there already) and, for Runtime with `poststop_hook`, a poststop
// hook (given `--config settings_file` when that is not the default file, so that it reads the
// settings, and finds the records in the state_dir, of the runtime that added it); every decision
// but Fail and Native also gets the seccomp edit. `missing` are the mount target's components the
// runtime will create. Pure; does not throw.
Prepared plan_edits(Way way, const Action& action, const Json& config, const std::filesystem::path& rootfs,
                    const std::string& container_id, const std::vector<std::string>& missing,
                    const std::filesystem::path& poststop_hook, const std::filesystem::path& settings_file = {});

// What the hook and the runtime wrapper both do with a decision that is not Fail: log it (its
// warning; a Mount's reason with the image's `source` at info level, any other at debug), apply
// the edits to `config`, log their warnings and each change. Returns the edits that changed
// something. Throws Error from an edit.
std::vector<std::string> apply_prepared(const Prepared& prepared, Json& config, const std::string& source);

// What xarch knows about the container from config.json (and, when running, its process).
// Throws Error/SysError on malformed config or unreadable /proc.
ContainerInfo container_info(const Json& config, const std::filesystem::path& rootfs, pid_t pid);

// Decides for a foreign `image` (registering where that is the decision) and prepares the
// container: for Running it bind-mounts the emulator into the container now, having first handed
// `record_ahead` what it is about to create (a write-ahead record, so a hook killed halfway
// leaves nothing unrecorded); otherwise it lists the edits. Throws Error/SysError when something
// fails after the image is known to be foreign.
Prepared prepare(Way way, const Json& config, const ImageInfo& image, const Platform& host,
                 const Settings& settings, const ContainerInfo& container, const std::string& container_id,
                 const std::filesystem::path& poststop_hook = {},
                 const std::function<void(const Record&)>& record_ahead = {});

// Ends `container`'s use of `rootfs` (release_record in `state_dir`'s records) and removes what
// was created there for the emulator once no other container uses it; logs at debug, each line
// starting with `who` ("poststop", "run --keep"). Throws Error/SysError.
void remove_created_for(const std::filesystem::path& state_dir, const std::filesystem::path& rootfs,
                        const std::string& container, const std::string& who);

} // namespace oci
