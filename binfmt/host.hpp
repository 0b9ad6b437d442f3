#pragma once
// What the host can do: which platforms its kernel and CPU run natively (detected, never
// assumed: an x86_64 kernel may lack 32-bit user mode, an arm64 CPU may lack AArch32) and which
// binfmt_misc features its kernel has.
#include "base/platform.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace oci {

// True if code for `image` runs on `host` without an emulator. Same platform: true at once.
// 386 on amd64 and arm on arm64 are decided by executing a tiny built-in probe program that
// exits 0 only when it runs natively (under qemu it sees qemu's `uname -m` and exits 1).
// Does not throw: a probe that cannot run means "not native". A binfmt_misc entry matching
// the probe intercepts it (binfmt_misc comes before the kernel's ELF loader), so callers ask
// only when no entry matches.
bool runs_natively(const Platform& image, const Platform& host);

struct KernelVersion {
    int major = 0;
    int minor = 0;
};

// "6.18.44-fc-v657" -> {6, 18}; nullopt if it does not start with two numbers.
std::optional<KernelVersion> parse_kernel_release(std::string_view release);

// The running kernel's release (uname -r); throws SysError.
std::string kernel_release();

// The F flag ("fix binary": the kernel opens the interpreter at registration) exists since 4.8.
bool supports_fix_binary(const KernelVersion& kernel);

// A user namespace can mount its own binfmt_misc instance since 6.7.
bool supports_binfmt_userns(const KernelVersion& kernel);

} // namespace oci
