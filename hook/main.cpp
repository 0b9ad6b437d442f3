// xarch-hook entry point: harden the process, then hand over to hook::run.
#include "hook/hook.hpp"

#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    // The hook runs as root next to an untrusted container: no inherited fds beyond stdio,
    // no environment, not dumpable (no ptrace from the container), not anchored in the bundle.
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    if (::chdir("/") != 0) return 1;
    ::clearenv();
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);

    try {
        return hook::run(std::vector<std::string>(argv + 1, argv + argc), cwd);
    } catch (const std::exception& e) {
        // Unknown state: a container that needs no emulation must still start.
        std::cerr << "xarch-hook: error: " << e.what() << "\n";
        return 0;
    }
}
