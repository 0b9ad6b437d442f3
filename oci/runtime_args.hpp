#pragma once
// runc's command line as a runtime wrapper sees it: global flags, the subcommand, and for
// create/run the bundle and config path. Everything is kept so the real runtime gets the
// exact same argv.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct RuntimeArgs {
    std::vector<std::string> args;           // argv[1..], untouched
    std::optional<std::size_t> command_index; // index in args of the subcommand
    std::string command;                     // "create", "run", "state", ... or empty
    std::string container_id;                // first positional after the subcommand
    std::filesystem::path bundle;            // create/run: --bundle/-b, else the current directory
    std::filesystem::path config;            // create/run: crun's --config/-f, else bundle/config.json
    std::filesystem::path log_file;          // global --log
    std::string log_format = "text";         // global --log-format: text or json
    bool debug = false;                      // global --debug
    bool version = false;                    // global --version or -v, with no subcommand
    bool keep = false;                       // run: --keep (the stopped container stays for a later delete)
    bool detach = false;                     // run: --detach or -d
};

// Parses runc/crun arguments (argv without argv[0]); `cwd` resolves relative paths. Unknown
// flags are passed over as booleans unless written --flag=value. Never throws.
RuntimeArgs parse_runtime_args(const std::vector<std::string>& args, const std::filesystem::path& cwd);

// True for the subcommands whose bundle a wrapper must prepare.
bool creates_container(const RuntimeArgs& args);

// True for `run --keep` in the foreground, as Docker's BuildKit runs a RUN step: runc returns
// once the container has exited and leaves it for a `delete` that may come much later.
bool runs_kept_in_foreground(const RuntimeArgs& args);

} // namespace oci
