#pragma once
// Waiting for a child xarch forked, bounded: a helper that hangs is killed, never waited on
// forever.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace oci {

struct ChildExit {
    int status = 0;         // as from waitpid
    bool timed_out = false; // killed with SIGKILL at the deadline
};

// Waits for child `pid` until `deadline` (through `pidfd` when it is >= 0, otherwise by
// polling waitpid), kills it then, and reaps it. Does not throw.
ChildExit wait_child(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline);

// In a child just forked from `parent`: die with it (SIGKILL when it dies: a runtime that kills
// a hook on its timeout kills only the hook, and nothing of the hook may live on, holding the
// runtime's pipes or finishing half a job). False if `parent` is already gone or prctl failed.
bool die_with_parent(pid_t parent);

// die_with_parent, then stdio onto `devnull` (fds 0-2 listed in `keep` stay) and every fd
// above 2 not in `keep` closed, so a helper that joins a container's namespaces takes nothing
// in but what it needs. False if a call failed. After fork, single-threaded callers only.
bool isolate_child(pid_t parent, int devnull, std::vector<int> keep);

// The directories of a PATH-style list (`a:b:c`), in order, empty entries left out. Pure.
std::vector<std::filesystem::path> search_path_dirs(const std::string& list);

// What a program run by run_captured did: how it ended and the first 4 KiB of its stdout and
// stderr together (trailing newlines taken off).
struct Captured {
    ChildExit exit;
    std::string output;
    std::chrono::seconds timeout{0}; // the bound it ran under
    bool ran() const;        // started, not killed, exited (with any status)
    bool succeeded() const;  // ran() and exit status 0
    std::string why() const; // "" if it succeeded; else "did not finish within N s", "could not be started", ...
};

// Runs `program` (an absolute path) with `args`, no shell, stdin /dev/null, PATH
// /usr/sbin:/usr/bin:/sbin:/bin and nothing else in its environment, for at most `timeout`.
// Throws SysError when it cannot fork; a program that cannot be executed exits 127.
Captured run_captured(const std::filesystem::path& program, const std::vector<std::string>& args,
                      std::chrono::seconds timeout);

} // namespace oci
