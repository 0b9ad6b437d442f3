// The runtime command line xarch-runtime receives from Docker, containerd or CRI-O (arguments
// separated by NUL bytes in the input): parse_runtime_args.
#include "fuzz/check.hpp"
#include "oci/runtime_args.hpp"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> args;
    const std::string text = fuzz::text(data, size);
    for (std::size_t at = 0; at <= text.size();) {
        const auto end = std::min(text.find('\0', at), text.size());
        args.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    const oci::RuntimeArgs r = oci::parse_runtime_args(args, "/run/containerd/task"); // does not throw

    FUZZ_CHECK(r.args == args); // the real runtime gets exactly what the wrapper got
    if (r.command_index) {
        FUZZ_CHECK(*r.command_index < args.size() && args[*r.command_index] == r.command);
        // Everything before the subcommand is a global flag or its value.
        FUZZ_CHECK(*r.command_index == 0 || args[0].starts_with("-"));
        const auto first = args.begin() + static_cast<std::ptrdiff_t>(*r.command_index) + 1;
        if (!r.container_id.empty()) FUZZ_CHECK(std::find(first, args.end(), r.container_id) != args.end());
    } else {
        FUZZ_CHECK(r.command.empty() && r.container_id.empty());
    }
    FUZZ_CHECK(r.log_file.empty() || r.log_file.is_absolute());
    if (oci::creates_container(r)) {
        // The bundle the wrapper rewrites is an absolute path, and so is its config.
        FUZZ_CHECK(r.bundle.is_absolute() && r.config.is_absolute());
    }
    return 0;
}
