#include "base/arch.hpp"
#include "base/elf.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/probe.hpp"
#include "oci/seccomp.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

TEST_CASE("architectures: each row agrees with itself through every reader", "[arch]") {
    std::set<std::string_view> names;
    for (const auto& a : oci::architectures()) {
        INFO(a.architecture);
        CHECK(names.insert(a.architecture).second);
        const auto platform = oci::parse_platform(a.architecture);
        REQUIRE(platform);
        CHECK(oci::arch_of(*platform) == &a);
        CHECK(oci::find_arch(a.architecture) == &a);
        CHECK(oci::qemu_target(*platform) == a.qemu);
        CHECK(oci::emulated_machine(*platform) == a.machine);
        // The probe program written from the row is read back as the row, and the row's
        // binfmt_misc magic claims it (the entry xarch registers runs xarch's own probe).
        const auto probe = oci::exit_probe(*platform);
        const auto header = oci::parse_elf_header(probe);
        REQUIRE(header);
        CHECK(oci::arch_of_elf(header->machine, header->elf_class, header->data) == &a);
        CHECK(oci::elf_platform(*header) == platform);
        CHECK(header->flags == a.elf_flags);
        CHECK(oci::elf_has_interpreter(*header, probe) == false);
        CHECK(oci::binfmt_matches(oci::registration_for(*platform, "/usr/bin/qemu-" + std::string(a.qemu) + "-static"),
                                  probe, ""));
        // libseccomp has no sparc64, m68k or riscv32: such hosts are not supported, images are
        const bool no_seccomp = a.architecture == "sparc64" || a.architecture == "m68k" || a.architecture == "riscv32";
        CHECK((no_seccomp ? a.seccomp.empty() : a.seccomp.starts_with("SCMP_ARCH_")));
    }
    CHECK(oci::catalogue_platforms().size() == oci::architectures().size());
}

TEST_CASE("arch_of: variants", "[arch]") {
    CHECK(oci::arch_of({"linux", "arm", "v7"}) == oci::find_arch("arm"));
    CHECK(oci::arch_of({"linux", "arm", "v5"}) == oci::find_arch("arm"));
    CHECK(oci::arch_of({"linux", "arm", ""}) == nullptr);
    CHECK(oci::arch_of({"linux", "arm", "v8"}) == nullptr);
    CHECK(oci::arch_of({"linux", "arm64", "v8"}) == nullptr);
    CHECK(oci::arch_of({"linux", "hppa", ""}) == nullptr);
    CHECK(oci::arch_of_elf(2, 1, 1) == nullptr); // EM_SPARC
}

TEST_CASE("elf_format: one table for reading and writing", "[arch][elf]") {
    CHECK(oci::elf_format(1).ehsize == 52);
    CHECK(oci::elf_format(2).ehsize == 64);
    std::vector<std::uint8_t> bytes;
    oci::store_uint(bytes, 3, 0x0102030405060708ULL, 8, true);
    CHECK(bytes.size() == 11);
    CHECK(bytes[3] == 0x01);
    CHECK(oci::load_uint(bytes, 3, 8, true) == 0x0102030405060708ULL);
    oci::store_uint(bytes, 0, 0xbeef, 2, false);
    CHECK(bytes[0] == 0xef);
    CHECK(oci::load_uint(bytes, 0, 2, false) == 0xbeef);
}

TEST_CASE("seccomp names: the host's row is known to libseccomp", "[arch][seccomp]") {
    const std::string native = oci::native_seccomp_arch();
    CHECK(oci::known_seccomp_arch(native));
    CHECK(oci::known_seccomp_arch("SCMP_ARCH_X86"));
    CHECK(oci::known_seccomp_arch("SCMP_ARCH_MIPSEL64N32"));
    CHECK_FALSE(oci::known_seccomp_arch("SCMP_ARCH_"));
    CHECK_FALSE(oci::known_seccomp_arch("x86_64"));
}
