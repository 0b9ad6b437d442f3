#include "base/process.hpp"

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/text.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/mman.h>
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

std::vector<std::filesystem::path> search_path_dirs(const std::string& list) {
    const std::vector<std::string> dirs = split_nonempty(list, ':');
    return {dirs.begin(), dirs.end()};
}

bool Captured::ran() const { return !exit.timed_out && WIFEXITED(exit.status) && WEXITSTATUS(exit.status) != 127; }

bool Captured::succeeded() const { return ran() && WEXITSTATUS(exit.status) == 0; }

std::string Captured::why() const {
    if (exit.timed_out) return "did not finish within " + std::to_string(timeout.count()) + " s";
    if (WIFEXITED(exit.status) && WEXITSTATUS(exit.status) == 127) return "could not be started";
    if (!WIFEXITED(exit.status)) return "was killed by signal " + std::to_string(WTERMSIG(exit.status));
    if (WEXITSTATUS(exit.status) != 0) return "exited with status " + std::to_string(WEXITSTATUS(exit.status));
    return "";
}

Captured run_captured(const std::filesystem::path& program, const std::vector<std::string>& args,
                      std::chrono::seconds timeout) {
    UniqueFd output(::memfd_create("xarch-output", MFD_CLOEXEC));
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!output || !devnull) throw SysError("run '" + program.string() + "'", errno);
    std::vector<std::string> argv_store{program.string()};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {path_env, nullptr};
    const pid_t pid = ::fork();
    if (pid < 0) throw SysError("run '" + program.string() + "'", errno);
    if (pid == 0) {
        if (::dup2(devnull.get(), 0) < 0 || ::dup2(output.get(), 1) < 0 || ::dup2(output.get(), 2) < 0) ::_exit(126);
        ::execve(argv[0], argv.data(), envp);
        ::_exit(127);
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    Captured r;
    r.timeout = timeout;
    r.exit = wait_child(pid, pidfd ? pidfd.get() : -1, std::chrono::steady_clock::now() + timeout);
    r.output.assign(4096, '\0');
    const ssize_t n = ::pread(output.get(), r.output.data(), r.output.size(), 0);
    r.output.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r;
}

} // namespace oci
