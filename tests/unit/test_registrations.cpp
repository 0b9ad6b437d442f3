#include "base/error.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/registrations.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

namespace {

oci::BinfmtEntry arm64_entry(const std::string& interpreter = "/usr/bin/qemu-aarch64-static") {
    return oci::registration_for(test::platform("linux/arm64"), interpreter, "F");
}

// What binfmt_misc shows in the entry's file (fs/binfmt_misc.c, bm_entry_read).
std::string kernel_view(const oci::BinfmtEntry& e, bool enabled = true) {
    return std::string(enabled ? "enabled" : "disabled") + "\ninterpreter " + e.interpreter + "\nflags: " + e.flags +
           "\noffset " + std::to_string(e.offset) + "\nmagic " + oci::to_hex(e.magic) + "\nmask " + oci::to_hex(e.mask) + "\n";
}

} // namespace

TEST_CASE("registrations_dir: under the state directory", "[registrations]") {
    CHECK(oci::registrations_dir("/run/xarch") == "/run/xarch/registrations");
}

TEST_CASE("record_registration: the kernel's view of the entry, byte for byte", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const auto records = dir / "state/registrations";
    const auto e = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e));
    REQUIRE(oci::record_registration(records, binfmt, e));
    CHECK(test::read_text(records / "qemu-aarch64") == kernel_view(e));
    CHECK(test::file_mode(records / "qemu-aarch64") == 0644);
    CHECK(test::file_mode(records) == 0755);
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
}

TEST_CASE("record_registration: nothing when the kernel holds something else under the name", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const auto records = dir / "registrations";
    const auto e = arm64_entry();
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // no such entry (any more)
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(arm64_entry("/usr/local/bin/qemu-aarch64")));
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // someone else's interpreter
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e, false));
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // disabled meanwhile
    CHECK_FALSE(std::filesystem::exists(records / "qemu-aarch64"));
    auto bad = e;
    bad.name = "../x";
    CHECK_THROWS_AS(oci::record_registration(records, binfmt, bad), oci::Error);
}

TEST_CASE("registrations_made: only entries still exactly as xarch left them", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const auto records = dir / "registrations";
    const auto a = arm64_entry();
    const auto s = oci::registration_for(test::platform("linux/s390x"), "/usr/bin/qemu-s390x-static", "F");
    const auto r = oci::registration_for(test::platform("linux/riscv64"), "/usr/bin/qemu-riscv64-static", "F");
    for (const auto* e : {&a, &s, &r}) {
        dir.write("binfmt_misc/" + e->name, kernel_view(*e));
        REQUIRE(oci::record_registration(records, binfmt, *e));
    }
    dir.write("registrations/.qemu-ppc64le.xarch-abcdef", "a temporary file of the atomic writer\n");
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64", "qemu-riscv64", "qemu-s390x"});
    // Disabled by hand; replaced by someone else's entry of the same name; removed.
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a, false));
    dir.write("binfmt_misc/qemu-s390x", kernel_view(oci::registration_for(test::platform("linux/s390x"), "/opt/qemu-s390x", "F")));
    std::filesystem::remove(binfmt / "qemu-riscv64");
    CHECK(oci::registrations_made(records, binfmt).empty());
    // As it was again: xarch's once more.
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
    CHECK(oci::registrations_made(dir / "none", binfmt).empty());
}

TEST_CASE("drop_registration: forgets an entry; an absent record is no error", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const auto records = dir / "registrations";
    const auto e = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e));
    REQUIRE(oci::record_registration(records, binfmt, e));
    oci::drop_registration(records, "qemu-aarch64");
    CHECK_FALSE(std::filesystem::exists(records / "qemu-aarch64"));
    CHECK(oci::registrations_made(records, binfmt).empty());
    CHECK_NOTHROW(oci::drop_registration(records, "qemu-aarch64"));
    CHECK_NOTHROW(oci::drop_registration(dir / "none", "qemu-aarch64"));
}
