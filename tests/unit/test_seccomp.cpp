#include "base/error.hpp"
#include "oci/seccomp.hpp"

#include <catch2/catch.hpp>

#include <sys/utsname.h>

using json = oci::Json;

TEST_CASE("native_seccomp_arch: names the host's architecture", "[seccomp]") {
    struct utsname u {};
    REQUIRE(::uname(&u) == 0);
    const std::string machine = u.machine;
    const std::string native = oci::native_seccomp_arch();
    if (machine == "x86_64") CHECK(native == "SCMP_ARCH_X86_64");
    else if (machine == "aarch64") CHECK(native == "SCMP_ARCH_AARCH64");
    CHECK(oci::known_seccomp_arch(native));
    CHECK(oci::known_seccomp_arch("SCMP_ARCH_S390X"));
    CHECK_FALSE(oci::known_seccomp_arch("SCMP_ARCH_NONSENSE"));
}

TEST_CASE("ensure_native_seccomp_arch: adds the host arch to a foreign-only list", "[seccomp]") {
    json config = {{"linux", {{"seccomp", {{"defaultAction", "SCMP_ACT_ERRNO"}, {"architectures", {"SCMP_ARCH_AARCH64"}},
                                           {"x-unknown", 1}}}}}};
    const auto fix = oci::ensure_native_seccomp_arch(config);
    CHECK(fix.changed);
    CHECK(fix.added == oci::native_seccomp_arch());
    const auto& arches = config["linux"]["seccomp"]["architectures"];
    CHECK(arches.size() == 2);
    CHECK(arches[0] == "SCMP_ARCH_AARCH64");
    CHECK(arches[1] == oci::native_seccomp_arch());
    CHECK(config["linux"]["seccomp"]["x-unknown"] == 1);
    // Idempotent.
    CHECK_FALSE(oci::ensure_native_seccomp_arch(config).changed);
}

TEST_CASE("ensure_native_seccomp_arch: leaves profiles alone that need no change", "[seccomp]") {
    const std::string native = oci::native_seccomp_arch();
    const std::vector<json> untouched{
        json::object(),
        {{"linux", json::object()}},
        {{"linux", {{"seccomp", nullptr}}}},
        {{"linux", {{"seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"}}}}}},
        {{"linux", {{"seccomp", {{"architectures", json::array()}}}}}},
        {{"linux", {{"seccomp", {{"architectures", {native, "SCMP_ARCH_X86"}}}}}}},
    };
    for (const auto& original : untouched) {
        json config = original;
        CHECK_FALSE(oci::ensure_native_seccomp_arch(config).changed);
        CHECK(config == original);
    }
}

TEST_CASE("ensure_native_seccomp_arch: reports syscall names the host does not know", "[seccomp]") {
    json config = {{"linux",
                    {{"seccomp",
                      {{"syscalls", {{{"names", {"read", "definitely_not_a_syscall", "write"}}, {"action", "SCMP_ACT_ALLOW"}}}}}}}}};
    const auto fix = oci::ensure_native_seccomp_arch(config);
    CHECK_FALSE(fix.changed);
    REQUIRE(fix.unknown_syscalls.size() == 1);
    CHECK(fix.unknown_syscalls[0] == "definitely_not_a_syscall");
}

// A profile made on amd64 names x86-only system calls; an arm64 host (openat, no open) has none
// of them, so a rule on 'open' does not apply to an emulated program's open.
TEST_CASE("ensure_seccomp_arch: an arm64 host reports another architecture's system calls", "[seccomp]") {
    const json amd64_profile = {
        {"linux",
         {{"seccomp",
           {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
            {"syscalls",
             {{{"names", {"open", "openat", "kexec_load", "arch_prctl", "definitely_not_a_syscall"}},
               {"action", "SCMP_ACT_ERRNO"}}}}}}}}};
    json config = amd64_profile;
    auto fix = oci::ensure_seccomp_arch(config, "SCMP_ARCH_AARCH64");
    CHECK(fix.changed);
    CHECK(fix.added == "SCMP_ARCH_AARCH64");
    CHECK(config["linux"]["seccomp"]["architectures"].back() == "SCMP_ARCH_AARCH64");
    CHECK(fix.unknown_syscalls == std::vector<std::string>{"open", "arch_prctl", "definitely_not_a_syscall"});

    // The same profile on an amd64 host: every real name is the host's.
    config = amd64_profile;
    fix = oci::ensure_seccomp_arch(config, "SCMP_ARCH_X86_64");
    CHECK_FALSE(fix.changed);
    CHECK(fix.unknown_syscalls == std::vector<std::string>{"definitely_not_a_syscall"});

    CHECK_THROWS_AS(oci::ensure_seccomp_arch(config, "SCMP_ARCH_NONSENSE"), oci::Error);
}

TEST_CASE("ensure_native_seccomp_arch: malformed sections are errors", "[seccomp]") {
    json bad_section = {{"linux", {{"seccomp", "allow"}}}};
    CHECK_THROWS_AS(oci::ensure_native_seccomp_arch(bad_section), oci::Error);
    json bad_list = {{"linux", {{"seccomp", {{"architectures", "SCMP_ARCH_X86_64"}}}}}};
    CHECK_THROWS_AS(oci::ensure_native_seccomp_arch(bad_list), oci::Error);
}
