#pragma once
// xarch-hook: the OCI hook. One entry point, run(), called by main() with the argument
// list; it reads stdin, decides and acts, and returns the exit status.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hook {

// Runs the hook for argv[1..] ("[--config PATH] STAGE"); `cwd` is the directory the hook was
// started in (main() has already moved to "/"); the stage's input is read from `in` and
// precreate's output written to `out`. Returns the process exit status; throws only for errors
// that happen before the container is known (bad arguments).
int run(const std::vector<std::string>& args, const std::filesystem::path& cwd, int in = STDIN_FILENO,
        int out = STDOUT_FILENO);

} // namespace hook
