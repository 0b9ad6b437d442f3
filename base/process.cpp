#include "base/process.hpp"

#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace oci {

ChildExit wait_child(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline) {
    using namespace std::chrono;
    const auto remaining = [&] {
        return std::max<long>(0, duration_cast<milliseconds>(deadline - steady_clock::now()).count());
    };
    ChildExit r;
    bool done = false;
    if (pidfd >= 0) {
        struct pollfd p {pidfd, POLLIN, 0};
        int n;
        while ((n = ::poll(&p, 1, static_cast<int>(remaining()))) < 0 && errno == EINTR) {}
        done = n > 0;
    } else {
        // No pidfd (kernel < 5.3): poll waitpid.
        pid_t got;
        while ((got = ::waitpid(pid, &r.status, WNOHANG)) == 0 && remaining() > 0) std::this_thread::sleep_for(milliseconds(2));
        if (got == pid) return r;
    }
    if (!done) {
        ::kill(pid, SIGKILL);
        r.timed_out = true;
    }
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {}
    return r;
}

bool die_with_parent(pid_t parent) {
    // Checked after the prctl: a parent that died just before it would never send the signal.
    return ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && ::getppid() == parent;
}

bool isolate_child(pid_t parent, int devnull, std::vector<int> keep) {
    if (!die_with_parent(parent)) return false;
    std::sort(keep.begin(), keep.end());
    for (int fd = 0; fd <= 2; ++fd)
        if (!std::binary_search(keep.begin(), keep.end(), fd) && ::dup2(devnull, fd) < 0) return false;
    unsigned from = 3;
    for (const int fd : keep) {
        if (fd < static_cast<int>(from)) continue;
        if (static_cast<unsigned>(fd) > from && ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0U) != 0)
            return false;
        from = static_cast<unsigned>(fd) + 1;
    }
    return ::syscall(SYS_close_range, from, ~0U, 0U) == 0;
}

} // namespace oci
