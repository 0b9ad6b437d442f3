#include "base/platform.hpp"

#include "base/arch.hpp"
#include "base/error.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace oci {

namespace {

struct Alias {
    std::string_view name;
    std::string_view architecture;
    std::string_view variant;
};

// Every spelling xarch accepts, mapped to the OCI architecture/variant.
constexpr std::array k_aliases{
    Alias{"amd64", "amd64", ""},       Alias{"x86_64", "amd64", ""},      Alias{"x86-64", "amd64", ""},
    Alias{"386", "386", ""},           Alias{"i386", "386", ""},          Alias{"i486", "386", ""},
    Alias{"i586", "386", ""},          Alias{"i686", "386", ""},          Alias{"arm64", "arm64", ""},
    Alias{"aarch64", "arm64", ""},     Alias{"arm64/v8", "arm64", ""},    Alias{"arm", "arm", "v7"},
    Alias{"arm/v7", "arm", "v7"},      Alias{"armhf", "arm", "v7"},       Alias{"armv7l", "arm", "v7"},
    Alias{"armv7", "arm", "v7"},       Alias{"armv8l", "arm", "v7"},      Alias{"arm/v6", "arm", "v6"},
    Alias{"armv6l", "arm", "v6"},      Alias{"armv6", "arm", "v6"},       Alias{"arm/v5", "arm", "v5"},
    Alias{"armel", "arm", "v5"},       Alias{"armv5l", "arm", "v5"},      Alias{"armv5tel", "arm", "v5"},
    Alias{"ppc64le", "ppc64le", ""},   Alias{"ppc64el", "ppc64le", ""},   Alias{"powerpc64le", "ppc64le", ""},
    Alias{"ppc64", "ppc64", ""},       Alias{"powerpc64", "ppc64", ""},   Alias{"s390x", "s390x", ""},
    Alias{"riscv64", "riscv64", ""},   Alias{"mips64le", "mips64le", ""}, Alias{"mips64el", "mips64le", ""},
    Alias{"mips64", "mips64", ""},     Alias{"loong64", "loong64", ""},   Alias{"loongarch64", "loong64", ""},
    Alias{"mips", "mips", ""},         Alias{"mipsle", "mipsle", ""},     Alias{"mipsel", "mipsle", ""},
    Alias{"ppc", "ppc", ""},           Alias{"powerpc", "ppc", ""},       Alias{"sparc64", "sparc64", ""},
    Alias{"m68k", "m68k", ""},         Alias{"riscv32", "riscv32", ""},
};

} // namespace

std::string Platform::short_name() const { return variant.empty() ? architecture : architecture + "/" + variant; }

std::string Platform::str() const { return os + "/" + short_name(); }

std::optional<Platform> parse_platform(std::string_view name) {
    // Names are case-insensitive (containerd lowercases them; users type ARM64 and AARCH64).
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view n = lower;
    if (n.starts_with("linux/")) n.remove_prefix(6);
    for (const auto& a : k_aliases)
        if (a.name == n) return Platform{"linux", std::string(a.architecture), std::string(a.variant)};
    return std::nullopt;
}

std::optional<Platform> platform_from_machine(std::string_view machine) {
    // uname says "mips64" for both byte orders and "armv8l" for AArch32 on arm64 kernels;
    // neither is ambiguous for the host itself, which is all this is used for.
    return parse_platform(machine);
}

std::string qemu_target(const Platform& platform) {
    const Arch* a = arch_of(platform);
    return a ? std::string(a->qemu) : std::string();
}

std::string emulated_machine(const Platform& platform) {
    const Arch* a = arch_of(platform);
    return a ? std::string(a->machine) : std::string();
}

Platform host_platform() {
    struct utsname u {};
    if (::uname(&u) != 0) throw SysError("uname", errno);
    auto p = platform_from_machine(u.machine);
    if (!p) throw Error(std::string("unknown host machine '") + u.machine + "'");
    return *p;
}

bool is_host_platform(const Platform& image, const Platform& host) {
    return image.os == host.os && image.architecture == host.architecture &&
           (image.variant == host.variant || image.variant.empty());
}

} // namespace oci
