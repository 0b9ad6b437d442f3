#include "base/process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

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

} // namespace oci
