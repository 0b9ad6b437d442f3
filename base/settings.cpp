#include "base/settings.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/json.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <string_view>

namespace oci {

std::vector<std::filesystem::path> default_emulator_dirs() { return {"/usr/bin", "/usr/libexec/qemu-binfmt"}; }

namespace {

std::filesystem::path absolute_path(const Json& v, const std::string& where, const std::string& key) {
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().front() != '/')
        throw Error(where + "'" + key + "' must be an absolute path");
    return v.get<std::string>();
}

} // namespace

Settings parse_settings(const std::string& text, const std::string& origin) {
    Settings s;
    s.file = origin;
    const auto doc = parse_json_object(text, "settings '" + origin + "'");
    constexpr std::array<std::string_view, 5> k_levels{"trace", "debug", "info", "warn", "error"};
    for (const auto& [key, value] : doc.items()) {
        const std::string where = "settings '" + origin + "': ";
        if (key == "policy") {
            if (value == "register") s.policy = Policy::Register;
            else if (value == "namespace") s.policy = Policy::Namespace;
            else if (value == "fail") s.policy = Policy::Fail;
            else throw Error(where + "'policy' must be \"register\", \"namespace\" or \"fail\"");
        } else if (key == "emulator_dirs") {
            if (!value.is_array()) throw Error(where + "'emulator_dirs' must be an array of absolute paths");
            s.emulator_dirs.clear();
            for (const auto& d : value) s.emulator_dirs.push_back(absolute_path(d, where, key));
        } else if (key == "log_level") {
            if (!value.is_string() || std::find(k_levels.begin(), k_levels.end(), value.get<std::string>()) == k_levels.end())
                throw Error(where + "'log_level' must be one of trace, debug, info, warn, error");
            s.log_level = value.get<std::string>();
        } else if (key == "log_file") {
            s.log_file = absolute_path(value, where, key);
        } else if (key == "state_dir") {
            s.state_dir = absolute_path(value, where, key);
        } else if (key == "runtimes") {
            if (!value.is_array() || value.empty()) throw Error(where + "'runtimes' must be a non-empty array of names or paths");
            s.runtimes.clear();
            for (const auto& r : value) {
                if (!r.is_string() || r.get<std::string>().empty()) throw Error(where + "'runtimes' holds a non-string");
                s.runtimes.push_back(r.get<std::string>());
            }
        } else if (key == "hook") {
            s.hook = absolute_path(value, where, key);
        } else {
            throw Error(where + "unknown key '" + key + "'");
        }
    }
    return s;
}

Settings load_settings(const std::filesystem::path& path, bool required) {
    // Checked without an exception: the first throw in a static binary sorts every unwind
    // table (about a millisecond), and the hook must cost a native container far less.
    struct stat st {};
    if (!required && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
        Settings defaults;
        defaults.file = path;
        return defaults;
    }
    return parse_settings(read_file_capped(path, 1024 * 1024), path.string());
}

std::filesystem::path program_beside(const std::string& name) {
    std::error_code ec;
    const auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name;
    struct stat st {};
    if (ec || ::stat(beside.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) return {};
    return beside;
}

std::filesystem::path hook_binary(const Settings& settings) {
    return settings.hook.empty() ? program_beside("xarch-hook") : settings.hook;
}

} // namespace oci
