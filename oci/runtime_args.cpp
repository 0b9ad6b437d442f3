#include "oci/runtime_args.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace oci {

namespace {

// Global flags of runc and crun that take a value (urfave/cli and argp both accept
// "--flag value" and "--flag=value").
constexpr std::array<std::string_view, 7> k_global_valued{"--root",     "--log",           "--log-format", "--criu",
                                                          "--rootless", "--cgroup-manager", "--log-level"};
// Flags of create/run that take a value.
constexpr std::array<std::string_view, 7> k_create_valued{"--bundle",       "-b",       "--console-socket", "--pid-file",
                                                          "--preserve-fds", "--config", "-f"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view s) {
    return std::find(set.begin(), set.end(), s) != set.end();
}

std::filesystem::path absolute_from(const std::filesystem::path& cwd, const std::string& p) {
    const std::filesystem::path path(p);
    return (path.is_absolute() ? path : cwd / path).lexically_normal();
}

// Splits "--flag=value" (and "-b=value"); nullopt when there is no '='.
std::optional<std::pair<std::string, std::string>> split_assignment(const std::string& arg) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || arg.size() < 2 || arg[0] != '-') return std::nullopt;
    return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

} // namespace

RuntimeArgs parse_runtime_args(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
    RuntimeArgs r;
    r.args = args;
    std::size_t i = 0;
    // Global flags up to the subcommand.
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a.empty() || a[0] != '-') break;
        std::string name = a, value;
        bool has_value = false;
        if (auto kv = split_assignment(a)) {
            std::tie(name, value) = *kv;
            has_value = true;
        } else if (contains(k_global_valued, a) && i + 1 < args.size()) {
            value = args[++i];
            has_value = true;
        }
        if (name == "--debug") r.debug = true;
        else if (name == "--version" || name == "-v") r.version = true;
        else if (name == "--log" && has_value) r.log_file = absolute_from(cwd, value);
        else if (name == "--log-format" && has_value) r.log_format = value;
    }
    if (i >= args.size()) return r;
    r.command_index = i;
    r.command = args[i];

    bool positional_only = false;
    for (++i; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (!positional_only && a == "--") {
            positional_only = true;
            continue;
        }
        if (positional_only || a.empty() || a[0] != '-') {
            if (r.container_id.empty()) r.container_id = a;
            continue;
        }
        std::string name = a, value;
        bool has_value = false;
        if (auto kv = split_assignment(a)) {
            std::tie(name, value) = *kv;
            has_value = true;
        } else if (contains(k_create_valued, a) && i + 1 < args.size()) {
            value = args[++i];
            has_value = true;
        }
        if ((name == "--bundle" || name == "-b") && has_value) r.bundle = absolute_from(cwd, value);
        else if ((name == "--config" || name == "-f") && has_value) r.config = absolute_from(cwd, value);
        else if (name == "--keep" && !has_value) r.keep = true;
        else if ((name == "--detach" || name == "-d") && !has_value) r.detach = true;
    }
    if (creates_container(r)) {
        if (r.bundle.empty()) r.bundle = cwd;
        if (r.config.empty()) r.config = r.bundle / "config.json";
    }
    return r;
}

bool creates_container(const RuntimeArgs& args) { return args.command == "create" || args.command == "run"; }

bool runs_kept_in_foreground(const RuntimeArgs& args) { return args.command == "run" && args.keep && !args.detach; }

} // namespace oci
