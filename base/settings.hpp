#pragma once
// xarch's own configuration file (/etc/xarch/config.json): policy, emulator search
// directories, logging, state directory. A missing file means the defaults.

#include <filesystem>
#include <string>
#include <vector>

namespace oci {

// What xarch may do when nothing handles a foreign image. Register: host-wide when it runs as
// root on the host, otherwise in its user namespace's own binfmt_misc (Linux >= 6.7).
// Namespace: only ever in a user namespace's own binfmt_misc, never host-wide. Fail: never.
enum class Policy { Register, Namespace, Fail };

// Where emulators are looked for unless the settings say otherwise: Debian's locations.
std::vector<std::filesystem::path> default_emulator_dirs();

constexpr const char* k_default_settings_path = "/etc/xarch/config.json";
constexpr const char* k_default_state_dir = "/run/xarch";

struct Settings {
    std::filesystem::path file = k_default_settings_path; // where they were read from (or would have been)
    Policy policy = Policy::Register;
    std::vector<std::filesystem::path> emulator_dirs = default_emulator_dirs();
    std::string log_level = "warn";                    // spdlog level name
    std::filesystem::path log_file;                    // empty: stderr only
    std::filesystem::path state_dir = k_default_state_dir; // records of what the hook created (see record_dir)
    std::vector<std::string> runtimes{"runc", "crun"}; // xarch-runtime: real runtimes, names in PATH or absolute paths
    std::filesystem::path hook;                        // xarch-runtime: xarch-hook for poststop cleanup (default: beside it)
};

// Parses the settings file's text (`origin` names it in messages). Throws Error for invalid
// content: not a JSON object, a wrong type or value, an unknown key (so typos do not pass
// silently). Pure.
Settings parse_settings(const std::string& text, const std::string& origin);

// Loads settings; a missing file gives the defaults unless `required` (a file the user named).
// Throws Error/SysError for a missing required file, for unreadable content and as
// parse_settings does.
Settings load_settings(const std::filesystem::path& path, bool required = false);

// The executable `name` in the running program's directory (the installed layout), or empty if
// there is none. Does not throw.
std::filesystem::path program_beside(const std::string& name);

// The xarch-hook to reference from config.json: `settings.hook` if set, else an executable
// xarch-hook beside the running program; empty if there is neither. Does not throw.
std::filesystem::path hook_binary(const Settings& settings);

} // namespace oci
