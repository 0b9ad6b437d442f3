#include "oci/seccomp.hpp"

#include "base/arch.hpp"
#include "base/error.hpp"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace oci {

namespace {

// libseccomp's name for an OCI seccomp architecture: the lower-cased suffix
// (SCMP_ARCH_X86_64 -> x86_64, SCMP_ARCH_MIPSEL64 -> mipsel64); 0 if it does not know it, and
// an architecture it does not know cannot be filtered.
std::uint32_t token_of(std::string_view oci_name) {
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (!oci_name.starts_with(prefix) || oci_name.size() == prefix.size()) return 0;
    std::string name(oci_name.substr(prefix.size()));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return seccomp_arch_resolve_name(name.c_str());
}

} // namespace

std::string native_seccomp_arch() {
    const std::uint32_t native = seccomp_arch_native();
    for (const auto& a : architectures())
        if (token_of(a.seccomp) == native) return std::string(a.seccomp);
    throw Error("libseccomp reports a native architecture xarch does not know: " + std::to_string(native));
}

bool known_seccomp_arch(const std::string& oci_name) { return token_of(oci_name) != 0; }

SeccompFix ensure_native_seccomp_arch(Json& config) { return ensure_seccomp_arch(config, native_seccomp_arch()); }

SeccompFix ensure_seccomp_arch(Json& config, const std::string& host_arch) {
    const std::uint32_t token = token_of(host_arch);
    if (token == 0) throw Error("libseccomp does not know the architecture '" + host_arch + "'");
    SeccompFix fix;
    if (!config.is_object() || !config.contains("linux") || !config["linux"].is_object()) return fix;
    auto& linux_section = config["linux"];
    if (!linux_section.contains("seccomp") || linux_section["seccomp"].is_null()) return fix;
    auto& seccomp = linux_section["seccomp"];
    if (!seccomp.is_object()) throw Error("config.json: linux.seccomp is not an object");

    const std::string& native = host_arch;
    if (seccomp.contains("syscalls") && seccomp["syscalls"].is_array()) {
        for (const auto& rule : seccomp["syscalls"]) {
            if (!rule.is_object() || !rule.contains("names") || !rule["names"].is_array()) continue;
            // libseccomp answers __NR_SCMP_ERROR for a name it does not know and a negative
            // pseudo number for one the architecture does not have ('open' on aarch64).
            for (const auto& name : rule["names"])
                if (name.is_string() && seccomp_syscall_resolve_name_arch(token, name.get<std::string>().c_str()) < 0)
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
