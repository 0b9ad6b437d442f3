#pragma once
// Tiny hand-assembled probe programs and running them. An entry in binfmt_misc proves
// nothing by itself (its emulator may be gone, dynamic, for the wrong machine); a program of
// the platform that exits 0 does. The 32-bit uname probes tell native execution from qemu.
#include "base/platform.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oci {

// What an exit probe exits with: a status no ordinary program returns by accident.
constexpr int k_probe_exit_code = 42;

// A static ELF executable for `platform` whose only work is exit(k_probe_exit_code): one
// PT_LOAD, no libc, a few hundred bytes. Empty if xarch has no probe for the platform. Does not throw.
std::vector<std::uint8_t> exit_probe(const Platform& platform);

// The 32-bit probes behind runs_natively: 386 and arm programs that exit 0 only when the host
// kernel runs them itself (under qemu they see qemu's `uname -m` and exit 1). Empty for other
// platforms. Does not throw.
std::vector<std::uint8_t> native_probe(const Platform& platform);

// native_probe for arm with the kernel's answer replaced by `machine`, so that the probe's
// verdict on answers no emulator gives (the "aarch64" an arm64 kernel tells an AArch32 task)
// can be checked under qemu-arm. Empty for other platforms. Does not throw.
std::vector<std::uint8_t> native_probe_given(const Platform& platform, std::string_view machine);

// Every platform exit_probe has a program for, in catalogue order.
std::vector<Platform> probe_platforms();

struct ProbeResult {
    bool started = false;     // execve succeeded
    int exec_errno = 0;       // why it did not (ENOEXEC: nothing handles the format; ENOENT: interpreter missing)
    bool exited = false;
    int exit_code = -1;
    int signal = 0;
    bool timed_out = false;
    std::string stderr_text;  // the start of what the program or its interpreter wrote to stderr

    // True if it ran and exited 0 (the native probes' answer).
    bool ok() const { return exited && exit_code == 0; }
    // True if it exited with k_probe_exit_code: the exit probe itself ran, not some other program.
    bool proved() const;
    // "exit status 0", "exec format error", "killed by signal 11", "timed out", plus stderr's first line.
    std::string describe() const;
};

// Runs each program from memory, all at the same time, each in a child with an empty
// environment and stdin/stdout on /dev/null; a child still running after `timeout` is killed.
// The programs are exec'd through a file descriptor that stays open across exec, so binfmt_misc
// entries without the O flag can still hand it to their interpreter as /dev/fd/N.
// Does not throw: a program that cannot be started reports why.
std::vector<ProbeResult> run_programs(const std::vector<std::vector<std::uint8_t>>& programs,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// run_programs for one program.
ProbeResult run_program(std::span<const std::uint8_t> program,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace oci
