// fdwatch: runs a program under ptrace, following every process it starts, and reports what a
// leak check needs to see:
//   start PID EXE <TAB> FD=LINK ...   the program itself, as started (what it was given)
//   exec PID EXE <TAB> FD=LINK ...    after each later exec: the fds the new program inherited
//   setns PID FD <TAB> FD=LINK ...    before each setns (FD: its argument): what enters the namespace
//   kill NAME PID                     --kill-at NAME[:N]: SIGKILL the program at the Nth entry (by
//                                     any of its processes) to system call NAME; the process that
//                                     made that call is held until the program is dead, so what
//                                     happens next is what a runtime's timeout kill would leave
//   end PID exit N | end PID signal N every process's end
// The report goes to --out FILE (default stderr); the program keeps fdwatch's stdio and fds
// (fdwatch's own are close-on-exec). Exits with the program's status (128+N for a signal).
// Test tool only: root, x86-64 or any architecture with PTRACE_GET_SYSCALL_INFO (Linux >= 5.3).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

const std::map<std::string, long> k_syscalls = {
    {"setns", SYS_setns},           {"mkdirat", SYS_mkdirat},       {"mknodat", SYS_mknodat},
    {"rename", SYS_rename},         {"renameat2", SYS_renameat2},   {"flock", SYS_flock},
    {"move_mount", SYS_move_mount}, {"open_tree", SYS_open_tree},   {"clone", SYS_clone},
    {"clone3", SYS_clone3},         {"execveat", SYS_execveat},     {"pidfd_open", SYS_pidfd_open},
    {"fsopen", SYS_fsopen},         {"fsmount", SYS_fsmount},       {"write", SYS_write},
    {"openat", SYS_openat},         {"unshare", SYS_unshare},       {"mount_setattr", SYS_mount_setattr},
#ifdef SYS_fork
    {"fork", SYS_fork},
#endif
};

FILE* out = stderr;

std::string link_of(const std::string& path) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? std::string("?") : std::string(buf, static_cast<std::size_t>(n));
}

std::string fds_of(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    std::set<int> fds;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') fds.insert(std::atoi(e->d_name));
        ::closedir(d);
    }
    std::string line;
    for (int fd : fds) line += "\t" + std::to_string(fd) + "=" + link_of(dir + "/" + std::to_string(fd));
    return line;
}

} // namespace

int main(int argc, char** argv) {
    long kill_nr = -1;
    long kill_at = 1;
    std::string kill_name;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "--kill-at" && i + 1 < argc) {
            std::string spec = argv[++i];
            if (const auto colon = spec.find(':'); colon != std::string::npos) {
                kill_at = std::atol(spec.c_str() + colon + 1);
                spec.resize(colon);
            }
            const auto it = k_syscalls.find(spec);
            if (it == k_syscalls.end()) {
                std::fprintf(stderr, "fdwatch: unknown system call '%s'\n", spec.c_str());
                return 2;
            }
            kill_nr = it->second;
            kill_name = spec;
        } else if (a == "--out" && i + 1 < argc) {
            const int fd = ::open(argv[++i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0 || !(out = ::fdopen(fd, "w"))) {
                std::perror(argv[i]);
                return 2;
            }
        } else {
            break;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "usage: fdwatch [--kill-at SYSCALL[:N]] [--out FILE] [--] PROGRAM [ARG...]\n");
        return 2;
    }
    std::setvbuf(out, nullptr, _IOLBF, 0);

    const pid_t root = ::fork();
    if (root < 0) return 2;
    if (root == 0) {
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        ::raise(SIGSTOP);
        ::execvp(argv[i], argv + i);
        std::perror(argv[i]);
        ::_exit(127);
    }
    int st = 0;
    if (::waitpid(root, &st, 0) != root || !WIFSTOPPED(st)) return 2;
    ::ptrace(PTRACE_SETOPTIONS, root, nullptr,
             PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                 PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ::ptrace(PTRACE_SYSCALL, root, nullptr, nullptr);

    std::set<pid_t> known{root};
    long seen = 0;
    bool killed = false;
    bool started = false;
    pid_t held = -1;
    int root_status = 0;
    for (;;) {
        const pid_t pid = ::waitpid(-1, &st, __WALL);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break; // ECHILD: nothing traced is left
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (WIFEXITED(st)) std::fprintf(out, "end %d exit %d\n", pid, WEXITSTATUS(st));
            else std::fprintf(out, "end %d signal %d\n", pid, WTERMSIG(st));
            if (pid == root) {
                root_status = st;
                if (held > 0) ::ptrace(PTRACE_SYSCALL, held, nullptr, nullptr);
                held = -1;
            }
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        const int sig = WSTOPSIG(st);
        const int event = st >> 16;
        int deliver = 0;
        if (!known.count(pid)) {
            known.insert(pid); // a new child's first stop (SIGSTOP): not a signal to pass on
        } else if (sig == (SIGTRAP | 0x80)) {
            __ptrace_syscall_info info {};
            if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
                const long nr = static_cast<long>(info.entry.nr);
                if (nr == SYS_setns)
                    std::fprintf(out, "setns %d %lld%s\n", pid, static_cast<long long>(info.entry.args[0]), fds_of(pid).c_str());
                if (nr == kill_nr && !killed && ++seen == kill_at) {
                    killed = true;
                    std::fprintf(out, "kill %s %d\n", kill_name.c_str(), pid);
                    ::kill(root, SIGKILL);
                    if (pid != root) {
                        held = pid; // resumed once the program is gone
                        continue;
                    }
                }
            }
        } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
            std::fprintf(out, "%s %d %s%s\n", pid == root && !started ? "start" : "exec", pid, link_of("/proc/" + std::to_string(pid) + "/exe").c_str(),
                         fds_of(pid).c_str());
            if (pid == root) started = true;
        } else if (sig == SIGTRAP && event != 0) {
            // fork, vfork, clone: the new process reports itself
        } else {
            deliver = sig;
        }
        ::ptrace(PTRACE_SYSCALL, pid, nullptr, deliver);
    }
    if (WIFSIGNALED(root_status)) return 128 + WTERMSIG(root_status);
    return WEXITSTATUS(root_status);
}
