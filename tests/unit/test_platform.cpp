#include "base/error.hpp"
#include "base/platform.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/utsname.h>

#include <string>
#include <utility>
#include <vector>

using oci::Platform;

TEST_CASE("parse_platform: OCI names and aliases map to one OCI platform", "[platform]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"linux/amd64", "linux/amd64"},     {"amd64", "linux/amd64"},           {"x86_64", "linux/amd64"},
        {"x86-64", "linux/amd64"},          {"linux/386", "linux/386"},         {"i386", "linux/386"},
        {"i486", "linux/386"},              {"i586", "linux/386"},              {"i686", "linux/386"},
        {"linux/arm64", "linux/arm64"},     {"arm64", "linux/arm64"},           {"aarch64", "linux/arm64"},
        {"linux/arm64/v8", "linux/arm64"},  {"arm64/v8", "linux/arm64"},        {"arm", "linux/arm/v7"},
        {"linux/arm", "linux/arm/v7"},      {"linux/arm/v7", "linux/arm/v7"},   {"armhf", "linux/arm/v7"},
        {"armv7l", "linux/arm/v7"},         {"armv7", "linux/arm/v7"},          {"armv8l", "linux/arm/v7"},
        {"linux/arm/v6", "linux/arm/v6"},   {"armv6l", "linux/arm/v6"},         {"armv6", "linux/arm/v6"},
        {"linux/arm/v5", "linux/arm/v5"},   {"armel", "linux/arm/v5"},          {"armv5l", "linux/arm/v5"},
        {"armv5tel", "linux/arm/v5"},       {"ppc64le", "linux/ppc64le"},       {"ppc64el", "linux/ppc64le"},
        {"powerpc64le", "linux/ppc64le"},   {"ppc64", "linux/ppc64"},           {"powerpc64", "linux/ppc64"},
        {"mips", "linux/mips"},             {"mipsle", "linux/mipsle"},         {"mipsel", "linux/mipsle"},
        {"ppc", "linux/ppc"},               {"powerpc", "linux/ppc"},           {"sparc64", "linux/sparc64"},
        {"m68k", "linux/m68k"},             {"riscv32", "linux/riscv32"},
        {"s390x", "linux/s390x"},           {"linux/s390x", "linux/s390x"},     {"riscv64", "linux/riscv64"},
        {"mips64le", "linux/mips64le"},     {"mips64el", "linux/mips64le"},     {"mips64", "linux/mips64"},
        {"loong64", "linux/loong64"},       {"loongarch64", "linux/loong64"},   {"linux/loong64", "linux/loong64"},
    };
    for (const auto& [name, expected] : cases) {
        INFO("name: " << name);
        const auto p = oci::parse_platform(name);
        REQUIRE(p.has_value());
        CHECK(p->os == "linux");
        CHECK(p->str() == expected);
    }
}

TEST_CASE("parse_platform: the fields of the result are split", "[platform]") {
    const auto armhf = oci::parse_platform("armhf");
    REQUIRE(armhf);
    CHECK(armhf->architecture == "arm");
    CHECK(armhf->variant == "v7");
    const auto armel = oci::parse_platform("armel");
    REQUIRE(armel);
    CHECK(armel->architecture == "arm");
    CHECK(armel->variant == "v5");
    const auto arm64 = oci::parse_platform("aarch64");
    REQUIRE(arm64);
    CHECK(arm64->architecture == "arm64");
    CHECK(arm64->variant.empty());
}

TEST_CASE("parse_platform: unknown names give nullopt", "[platform]") {
    for (const char* name : {"", "linux", "linux/", "garbage", "hppa", "linux/hppa", "windows/amd64",
                             "darwin/arm64", "amd64 ", " amd64", "linux//amd64",
                             "linux/arm/v9", "arm/v8", "sparc", "alpha", "sh4", "mipsn32", "linux/linux/amd64",
                             "x86_64\n", "arm64/v8/extra"}) {
        INFO("name: '" << name << "'");
        CHECK_FALSE(oci::parse_platform(name).has_value());
    }
}

TEST_CASE("str: os/architecture with the variant only when set", "[platform]") {
    CHECK(Platform{"linux", "amd64", ""}.str() == "linux/amd64");
    CHECK(Platform{"linux", "arm", "v7"}.str() == "linux/arm/v7");
    CHECK(Platform{"linux", "arm", "v5"}.str() == "linux/arm/v5");
    CHECK(Platform{"freebsd", "riscv64", ""}.str() == "freebsd/riscv64");
    Platform defaulted;
    defaulted.architecture = "s390x";
    CHECK(defaulted.str() == "linux/s390x");
}

TEST_CASE("str: round-trips through parse_platform", "[platform]") {
    for (const char* name : {"linux/amd64", "linux/386", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
                             "linux/ppc64le", "linux/ppc64", "linux/s390x", "linux/riscv64", "linux/mips64le",
                             "linux/mips64", "linux/loong64"}) {
        INFO(name);
        const auto p = oci::parse_platform(name);
        REQUIRE(p);
        CHECK(p->str() == name);
        CHECK(oci::parse_platform(p->str()) == p);
    }
}

TEST_CASE("operator==: compares os, architecture and variant", "[platform]") {
    CHECK(Platform{"linux", "arm", "v7"} == Platform{"linux", "arm", "v7"});
    CHECK_FALSE(Platform{"linux", "arm", "v7"} == Platform{"linux", "arm", "v5"});
    CHECK_FALSE(Platform{"linux", "amd64", ""} == Platform{"linux", "arm64", ""});
    CHECK_FALSE(Platform{"linux", "amd64", ""} == Platform{"windows", "amd64", ""});
}

TEST_CASE("qemu_target: qemu-user target for every platform", "[platform]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"linux/amd64", "x86_64"},      {"linux/386", "i386"},         {"linux/arm64", "aarch64"},
        {"linux/arm/v7", "arm"},        {"linux/arm/v6", "arm"},       {"linux/arm/v5", "arm"},
        {"linux/ppc64le", "ppc64le"},   {"linux/ppc64", "ppc64"},      {"linux/s390x", "s390x"},
        {"linux/riscv64", "riscv64"},   {"linux/mips64le", "mips64el"}, {"linux/mips64", "mips64"},
        {"linux/loong64", "loongarch64"}, {"linux/mips", "mips"},         {"linux/mipsle", "mipsel"},
        {"linux/ppc", "ppc"},          {"linux/sparc64", "sparc64"},   {"linux/m68k", "m68k"},
        {"linux/riscv32", "riscv32"},
    };
    for (const auto& [name, qemu] : cases) {
        INFO(name);
        CHECK(oci::qemu_target(test::platform(name)) == qemu);
    }
}

TEST_CASE("qemu_target: empty for platforms qemu-user is not known for", "[platform]") {
    CHECK(oci::qemu_target(Platform{"linux", "hppa", ""}).empty());
    CHECK(oci::qemu_target(Platform{"linux", "", ""}).empty());
    // arm needs its variant: an arm platform without one is not in the table
    CHECK(oci::qemu_target(Platform{"linux", "arm", ""}).empty());
    CHECK(oci::qemu_target(Platform{"linux", "arm", "v9"}).empty());
    CHECK(oci::qemu_target(Platform{"linux", "amd64", "v3"}).empty());
}

TEST_CASE("emulated_machine: what uname -m says under qemu-user", "[platform]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"linux/amd64", "x86_64"},     {"linux/386", "i686"},          {"linux/arm64", "aarch64"},
        {"linux/arm/v7", "armv7l"},    {"linux/arm/v6", "armv7l"},     {"linux/arm/v5", "armv7l"},
        {"linux/ppc64le", "ppc64le"},  {"linux/ppc64", "ppc64"},       {"linux/s390x", "s390x"},
        {"linux/riscv64", "riscv64"},  {"linux/mips64le", "mips64"},   {"linux/mips64", "mips64"},
        {"linux/loong64", "loongarch64"}, {"linux/mips", "mips"},         {"linux/mipsle", "mips"},
        {"linux/ppc", "ppc"},          {"linux/sparc64", "sparc64"},   {"linux/m68k", "m68k"},
        {"linux/riscv32", "riscv32"},
    };
    for (const auto& [name, machine] : cases) {
        INFO(name);
        CHECK(oci::emulated_machine(test::platform(name)) == machine);
    }
    CHECK(oci::emulated_machine(Platform{"linux", "hppa", ""}).empty());
}

TEST_CASE("emulated_machine: maps back to the same architecture", "[platform]") {
    // Everything qemu reports must be understood by platform_from_machine (the probe relies on it).
    for (const char* name : {"linux/amd64", "linux/386", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/ppc64",
                             "linux/s390x", "linux/riscv64", "linux/loong64"}) {
        INFO(name);
        const auto p = test::platform(name);
        const auto back = oci::platform_from_machine(oci::emulated_machine(p));
        REQUIRE(back);
        CHECK(back->architecture == p.architecture);
    }
}

TEST_CASE("platform_from_machine: uname -m values", "[platform]") {
    CHECK(oci::platform_from_machine("x86_64") == Platform{"linux", "amd64", ""});
    CHECK(oci::platform_from_machine("aarch64") == Platform{"linux", "arm64", ""});
    CHECK(oci::platform_from_machine("armv7l") == Platform{"linux", "arm", "v7"});
    CHECK(oci::platform_from_machine("armv8l") == Platform{"linux", "arm", "v7"});
    CHECK(oci::platform_from_machine("i686") == Platform{"linux", "386", ""});
    CHECK(oci::platform_from_machine("s390x") == Platform{"linux", "s390x", ""});
    CHECK(oci::platform_from_machine("ppc64le") == Platform{"linux", "ppc64le", ""});
    CHECK(oci::platform_from_machine("loongarch64") == Platform{"linux", "loong64", ""});
    CHECK(oci::platform_from_machine("sparc64") == Platform{"linux", "sparc64", ""});
    CHECK_FALSE(oci::platform_from_machine("parisc").has_value());
    CHECK_FALSE(oci::platform_from_machine("").has_value());
}

TEST_CASE("host_platform: agrees with uname(2)", "[platform]") {
    struct utsname u {};
    REQUIRE(::uname(&u) == 0);
    const auto expected = oci::platform_from_machine(u.machine);
    if (!expected) {
        WARN("SKIP: host machine '" << u.machine << "' is not known to xarch");
        CHECK_THROWS_AS(oci::host_platform(), oci::Error);
        return;
    }
    const Platform host = oci::host_platform();
    CHECK(host == *expected);
    CHECK_FALSE(oci::qemu_target(host).empty());
}

TEST_CASE("parse_platform: names are case-insensitive", "[platform]") {
    CHECK(oci::parse_platform("ARM64") == oci::parse_platform("arm64"));
    CHECK(oci::parse_platform("AARCH64") == oci::parse_platform("arm64"));
    CHECK(oci::parse_platform("Linux/ARM/V7") == oci::parse_platform("linux/arm/v7"));
    CHECK(oci::parse_platform("AMD64") == oci::parse_platform("Linux/amd64"));
    CHECK_FALSE(oci::parse_platform("ARM65"));
}
