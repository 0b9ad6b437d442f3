#pragma once
// OCI platforms ("linux/arm/v7") and the one place where kernel, qemu and Debian
// architecture names are mapped onto them.
#include <optional>
#include <string>
#include <string_view>

namespace oci {

struct Platform {
    std::string os = "linux";
    std::string architecture; // OCI name: amd64, 386, arm64, arm, ppc64le, ...
    std::string variant;      // v7, v6, v5 for arm; empty elsewhere

    // "linux/arm/v7", or "linux/arm64" without a variant.
    std::string str() const;
    // Without the OS: "arm/v7", "arm64", as `xarch install` takes it.
    std::string short_name() const;
    bool operator==(const Platform&) const = default;
};

// Parses an OCI platform ("linux/arm64", "arm/v7", "arm64") or an alias used by the
// kernel, qemu or Debian ("aarch64", "armhf", "x86_64", "i686", "ppc64el"); nullopt if unknown.
std::optional<Platform> parse_platform(std::string_view name);

// Maps a `uname -m` machine to its platform; nullopt for machines xarch does not know.
std::optional<Platform> platform_from_machine(std::string_view machine);

// The qemu-user target that emulates the platform ("aarch64", "arm", "i386"); empty if none.
std::string qemu_target(const Platform& platform);

// What `uname -m` prints for the platform under qemu-user ("aarch64", "armv7l", "i686").
std::string emulated_machine(const Platform& platform);

// The platform of the running kernel, from uname(2); throws Error for an unknown machine.
Platform host_platform();

// True if `image` is the host's own platform (an image without a variant matches any), the
// case every caller answers at once without looking at binfmt_misc.
bool is_host_platform(const Platform& image, const Platform& host);

} // namespace oci
