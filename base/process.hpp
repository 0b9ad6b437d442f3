#pragma once
// Waiting for a child xarch forked, bounded: a helper that hangs is killed, never waited on
// forever.
#include <sys/types.h>

#include <chrono>

namespace oci {

struct ChildExit {
    int status = 0;         // as from waitpid
    bool timed_out = false; // killed with SIGKILL at the deadline
};

// Waits for child `pid` until `deadline` (through `pidfd` when it is >= 0, otherwise by
// polling waitpid), kills it then, and reaps it. Does not throw.
ChildExit wait_child(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline);

} // namespace oci
