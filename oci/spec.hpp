#pragma once
// The OCI runtime state (hook stdin) and a bundle's config.json. The config is kept as a
// whole Json document; xarch reads and touches only the keys it owns.
#include "oci/rootfs.hpp"

#include "base/userns.hpp"

#include "base/json.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct State {
    std::string oci_version;
    std::string id;
    std::string status;
    pid_t pid = 0; // missing or 0 where the runtime has no process yet (crun's createContainer)
    std::filesystem::path bundle;
    std::optional<std::filesystem::path> root; // crun adds the rootfs path to the state
    Json annotations = Json::object();
};

// Parses OCI state JSON strictly (types checked, `bundle` absolute); throws Error.
State parse_state(const std::string& text);

// Parses a config.json document; throws Error if it is not a JSON object (naming `source` and,
// for invalid JSON, the line and column).
Json parse_config(const std::string& text, const std::string& source = "config.json");

// Reads `<bundle>/config.json` (size-capped); throws Error/SysError.
Json load_config(const std::filesystem::path& bundle);

// The rootfs directory: root.path, relative to `bundle` unless absolute. Throws Error
// if root.path is missing or not a string.
std::filesystem::path rootfs_path(const Json& config, const std::filesystem::path& bundle);

// process.args, process.env and process.cwd (defaults: none, none, "/"); throws Error on wrong types.
std::vector<std::string> process_args(const Json& config);
CommandLookup process_lookup(const Json& config);

// The value of annotation `key` in config.json, if it is a string.
std::optional<std::string> annotation(const Json& config, const std::string& key);

struct BindMount {
    std::string destination; // absolute path inside the container
    std::string source;      // host path
};

// True if config.json gives the container a user namespace of its own (new or joined). Throws
// Error on wrong types.
bool config_has_userns(const Json& config);

// True if config.json gives the container its own user namespace in which host uid 0 is
// mapped (or joins one whose mappings it does not state); hostIDs are ids of `runtime_ns`, the
// namespace the runtime runs in. Throws Error on wrong types.
bool config_maps_host_root(const Json& config, const UserNamespace& runtime_ns = this_user_namespace());

// True if config.json's process.capabilities.bounding names CAP_SYS_ADMIN (a missing list:
// false). Throws Error on wrong types.
bool config_grants_sys_admin(const Json& config);

// True if config.json already has a mount at `destination`.
bool has_mount(const Json& config, const std::string& destination);

// Appends a read-only, nosuid, nodev, private bind mount (no-op if one exists at the destination).
void add_bind_mount(Json& config, const BindMount& mount);

// Makes `stage` (prestart, createRuntime, poststop, ...) run hook `path` with `args` (args[0]
// names the program) exactly once: a hook of the same program there (same args[0], or a path with
// the same file name), wherever it is installed, is replaced in place, further ones removed;
// otherwise the hook is appended. Hooks of that program in `other_stages` are removed, so moving
// it from prestart to createRuntime does not run it twice. Returns true if the config changed.
// Throws Error if `hooks` or a stage's list has the wrong type.
bool place_hook(Json& config, const std::string& stage, const std::string& path, const std::vector<std::string>& args,
                const std::vector<std::string>& other_stages = {});

} // namespace oci
