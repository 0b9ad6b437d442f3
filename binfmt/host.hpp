#pragma once
// Which platforms the host kernel and CPU run natively. Detected, never assumed: an x86_64
// kernel may lack 32-bit user mode, an arm64 CPU may lack AArch32.
#include "base/platform.hpp"

namespace oci {

// True if code for `image` runs on `host` without an emulator. Same platform: true at once.
// 386 on amd64 and arm on arm64 are decided by executing a tiny built-in probe program that
// exits 0 only when it runs natively (under qemu it sees qemu's `uname -m` and exits 1).
// Does not throw: a probe that cannot run means "not native". A binfmt_misc entry matching
// the probe intercepts it (binfmt_misc comes before the kernel's ELF loader), so callers ask
// only when no entry matches.
bool runs_natively(const Platform& image, const Platform& host);

} // namespace oci
