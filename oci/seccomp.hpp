#pragma once
// Seccomp under emulation: the syscalls the kernel sees come from the emulator, a host
// program, so a profile must allow the host's native architecture. Names are libseccomp's,
// checked by libseccomp itself.
#include "base/json.hpp"

#include <string>
#include <vector>

namespace oci {

struct SeccompFix {
    bool changed = false;
    std::string added;                         // the SCMP_ARCH_* name added, if any
    // Names the host's architecture has no system call for: unknown to libseccomp, or another
    // architecture's only ('open' in a profile made on amd64, read on arm64, which has openat).
    std::vector<std::string> unknown_syscalls;
};

// The OCI name (SCMP_ARCH_X86_64, ...) of the host's native seccomp architecture; throws
// Error if libseccomp reports one xarch does not know.
std::string native_seccomp_arch();

// True if libseccomp knows the OCI architecture name (SCMP_ARCH_AARCH64, ...).
bool known_seccomp_arch(const std::string& oci_name);

// If config.json has linux.seccomp with a non-empty `architectures` list lacking the host's
// native architecture, adds it. Profiles without a list (native only) or already listing it are
// left untouched. Also reports syscall names the host has no system call for. Throws Error for a
// malformed seccomp section.
SeccompFix ensure_native_seccomp_arch(Json& config);

// ensure_native_seccomp_arch for a host whose native architecture is `host_arch`
// (SCMP_ARCH_AARCH64, ...); throws Error if libseccomp does not know it.
SeccompFix ensure_seccomp_arch(Json& config, const std::string& host_arch);

} // namespace oci
