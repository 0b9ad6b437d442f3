#include "oci/seccomp.hpp"

#include "base/error.hpp"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace oci {

namespace {

struct ArchName {
    std::string_view libseccomp;
    std::string_view oci;
};

constexpr std::array k_arches{
    ArchName{"x86", "SCMP_ARCH_X86"},         ArchName{"x86_64", "SCMP_ARCH_X86_64"},
    ArchName{"x32", "SCMP_ARCH_X32"},         ArchName{"arm", "SCMP_ARCH_ARM"},
    ArchName{"aarch64", "SCMP_ARCH_AARCH64"}, ArchName{"loongarch64", "SCMP_ARCH_LOONGARCH64"},
    ArchName{"mips", "SCMP_ARCH_MIPS"},       ArchName{"mipsel", "SCMP_ARCH_MIPSEL"},
    ArchName{"mips64", "SCMP_ARCH_MIPS64"},   ArchName{"mipsel64", "SCMP_ARCH_MIPSEL64"},
    ArchName{"mips64n32", "SCMP_ARCH_MIPS64N32"}, ArchName{"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"},
    ArchName{"ppc", "SCMP_ARCH_PPC"},         ArchName{"ppc64", "SCMP_ARCH_PPC64"},
    ArchName{"ppc64le", "SCMP_ARCH_PPC64LE"}, ArchName{"s390", "SCMP_ARCH_S390"},
    ArchName{"s390x", "SCMP_ARCH_S390X"},     ArchName{"parisc", "SCMP_ARCH_PARISC"},
    ArchName{"parisc64", "SCMP_ARCH_PARISC64"}, ArchName{"riscv64", "SCMP_ARCH_RISCV64"},
};

// Only names this libseccomp resolves count: an arch it does not know cannot be filtered.
std::uint32_t token_of(const ArchName& a) { return seccomp_arch_resolve_name(std::string(a.libseccomp).c_str()); }

} // namespace

std::string native_seccomp_arch() {
    const std::uint32_t native = seccomp_arch_native();
    for (const auto& a : k_arches)
        if (token_of(a) == native) return std::string(a.oci);
    throw Error("libseccomp reports a native architecture xarch does not know: " + std::to_string(native));
}

bool known_seccomp_arch(const std::string& oci_name) {
    for (const auto& a : k_arches)
        if (a.oci == oci_name) return token_of(a) != 0;
    return false;
}

SeccompFix ensure_native_seccomp_arch(nlohmann::json& config) {
    SeccompFix fix;
    if (!config.is_object() || !config.contains("linux") || !config["linux"].is_object()) return fix;
    auto& linux_section = config["linux"];
    if (!linux_section.contains("seccomp") || linux_section["seccomp"].is_null()) return fix;
    auto& seccomp = linux_section["seccomp"];
    if (!seccomp.is_object()) throw Error("config.json: linux.seccomp is not an object");

    const std::string native = native_seccomp_arch();
    const std::uint32_t token = seccomp_arch_native();
    if (seccomp.contains("syscalls") && seccomp["syscalls"].is_array()) {
        for (const auto& rule : seccomp["syscalls"]) {
            if (!rule.is_object() || !rule.contains("names") || !rule["names"].is_array()) continue;
            for (const auto& name : rule["names"])
                if (name.is_string() && seccomp_syscall_resolve_name_arch(token, name.get<std::string>().c_str()) == __NR_SCMP_ERROR)
                    fix.unknown_syscalls.push_back(name.get<std::string>());
        }
    }
    if (!seccomp.contains("architectures") || seccomp["architectures"].is_null()) return fix;
    auto& arches = seccomp["architectures"];
    if (!arches.is_array()) throw Error("config.json: linux.seccomp.architectures is not an array");
    if (arches.empty()) return fix; // empty means the native architecture
    if (std::find(arches.begin(), arches.end(), native) != arches.end()) return fix;
    arches.push_back(native);
    fix.changed = true;
    fix.added = native;
    return fix;
}

} // namespace oci
