#include "base/error.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/install.hpp"
#include "binfmt/persist.hpp"
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

// Replaces the fake entry's file by a new one (a new inode, as a new registration gets).
void reregister(test::TempDir& dir, const oci::BinfmtEntry& e) {
    dir.write("binfmt_misc/.new", kernel_view(e));
    std::filesystem::rename(dir / "binfmt_misc/.new", dir / ("binfmt_misc/" + e.name));
}

} // namespace

TEST_CASE("registrations_dir: under the state directory", "[registrations]") {
    CHECK(oci::registrations_dir("/run/xarch") == "/run/xarch/registrations");
    CHECK(oci::registration_records("/run/xarch").dir == "/run/xarch/registrations");
    CHECK(oci::runtime_binfmt_d_path("/run/binfmt.d", "qemu-aarch64") == "/run/binfmt.d/xarch-qemu-aarch64.conf");
}

TEST_CASE("record_registration: the entry's inode, then the kernel's view of it byte for byte", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "state/registrations"};
    const auto e = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e));
    REQUIRE(oci::record_registration(records, binfmt, e));
    const auto ino = test::inode(binfmt / "qemu-aarch64");
    CHECK(test::read_text(records.dir / "qemu-aarch64") == "inode " + std::to_string(ino) + "\n" + kernel_view(e));
    CHECK(test::file_mode(records.dir / "qemu-aarch64") == 0644);
    CHECK(test::file_mode(records.dir) == 0755);
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
}

TEST_CASE("record_registration: nothing when the kernel holds something else under the name", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run-binfmt.d"};
    const auto e = arm64_entry();
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // no such entry (any more)
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(arm64_entry("/usr/local/bin/qemu-aarch64")));
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // someone else's interpreter
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e, false));
    CHECK_FALSE(oci::record_registration(records, binfmt, e)); // disabled meanwhile
    CHECK_FALSE(std::filesystem::exists(records.dir / "qemu-aarch64"));
    CHECK_FALSE(std::filesystem::exists(dir / "run-binfmt.d"));
    auto bad = e;
    bad.name = "../x";
    CHECK_THROWS_AS(oci::record_registration(records, binfmt, bad), oci::Error);
}

TEST_CASE("registrations_made: only entries still exactly as xarch left them", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations"};
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
    // Enabled again by hand: the same entry, xarch's once more.
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
    CHECK(oci::registrations_made(oci::RegistrationRecords{dir / "none"}, binfmt).empty());
}

TEST_CASE("registrations_made: the same line registered again by someone else is theirs", "[registrations]") {
    // Debian's binfmt.d line for aarch64 is byte for byte xarch's: removed and registered again
    // (systemd-binfmt restarting, by hand), the entry reads the same but is a new one.
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations"};
    const auto a = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    REQUIRE(oci::record_registration(records, binfmt, a));
    reregister(dir, a);
    CHECK(test::read_text(binfmt / "qemu-aarch64") == kernel_view(a));
    CHECK(oci::registrations_made(records, binfmt).empty());
}

TEST_CASE("registrations_made: registered again from xarch's runtime binfmt.d file, it is xarch's", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run-binfmt.d"};
    const auto a = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    REQUIRE(oci::record_registration(records, binfmt, a));
    const auto runtime = dir / "run-binfmt.d/xarch-qemu-aarch64.conf";
    const std::string content = test::read_text(runtime);
    CHECK(content.starts_with(oci::k_persist_marker));
    CHECK(oci::binfmt_d_names(content) == std::vector<std::string>{"qemu-aarch64"});
    CHECK_THAT(content, Catch::Matchers::Contains(oci::registration_line(a) + "\n"));
    CHECK(test::file_mode(runtime) == 0644);
    // systemd-binfmt restarted: every entry removed, then its files' lines registered, this one last.
    reregister(dir, a);
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
    // ... but only while it reads as xarch registered it.
    reregister(dir, arm64_entry("/opt/qemu-aarch64"));
    CHECK(oci::registrations_made(records, binfmt).empty());
}

TEST_CASE("record_registration: a persisted entry gets no runtime file; someone else's stays", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run-binfmt.d"};
    const auto a = arm64_entry();
    const auto runtime = dir / "run-binfmt.d/xarch-qemu-aarch64.conf";
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    REQUIRE(oci::record_registration(records, binfmt, a));
    REQUIRE(std::filesystem::exists(runtime));
    REQUIRE(oci::record_registration(records, binfmt, a, oci::Lasting::Persisted));
    CHECK_FALSE(std::filesystem::exists(runtime));
    dir.write("run-binfmt.d/xarch-qemu-aarch64.conf", ":qemu-aarch64:M::x::/somebody:F\n");
    REQUIRE(oci::record_registration(records, binfmt, a));
    CHECK(test::read_text(runtime) == ":qemu-aarch64:M::x::/somebody:F\n");
    oci::drop_registration(records, "qemu-aarch64");
    CHECK(test::read_text(runtime) == ":qemu-aarch64:M::x::/somebody:F\n");
    // Nor does it count as evidence: the entry is a new one, and the file is not xarch's.
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    REQUIRE(oci::record_registration(records, binfmt, a));
    reregister(dir, a);
    CHECK(oci::registrations_made(records, binfmt).empty());
}

TEST_CASE("registrations_made: a record without an inode is judged by its text", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations"};
    const auto a = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    dir.write("registrations/qemu-aarch64", kernel_view(a));
    CHECK(oci::registrations_made(records, binfmt) == std::vector<std::string>{"qemu-aarch64"});
    dir.write("registrations/qemu-aarch64", "inode x\n" + kernel_view(a));
    CHECK(oci::registrations_made(records, binfmt).empty());
}

TEST_CASE("drop_registration: forgets an entry and its runtime file; absent ones are no error", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run-binfmt.d"};
    const auto e = arm64_entry();
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(e));
    REQUIRE(oci::record_registration(records, binfmt, e));
    oci::drop_registration(records, "qemu-aarch64");
    CHECK_FALSE(std::filesystem::exists(records.dir / "qemu-aarch64"));
    CHECK_FALSE(std::filesystem::exists(dir / "run-binfmt.d/xarch-qemu-aarch64.conf"));
    CHECK(oci::registrations_made(records, binfmt).empty());
    CHECK_NOTHROW(oci::drop_registration(records, "qemu-aarch64"));
    CHECK_NOTHROW(oci::drop_registration(oci::RegistrationRecords{dir / "none", dir / "none"}, "qemu-aarch64"));
}

TEST_CASE("record_registration: no runtime file where a binfmt.d file registers the same entry", "[registrations]") {
    test::TempDir dir;
    const auto binfmt = dir.mkdir("binfmt_misc");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run", {dir / "etc", dir / "run", dir / "usr-lib"}};
    const auto a = oci::registration_for(test::platform("linux/arm64"), "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "POF");
    const auto runtime = dir / "run/xarch-qemu-aarch64.conf";
    // Debian's line: no offset, its own flag order; the kernel registers the same entry from it.
    std::string debian = oci::registration_line(a);
    debian.replace(debian.find(":M:0:"), 5, ":M::");
    debian.replace(debian.rfind(":POF"), 4, ":OPF");
    REQUIRE(oci::registered_by_line(debian).has_value());
    CHECK(oci::same_registration(*oci::registered_by_line(debian), a));
    dir.write("usr-lib/qemu-aarch64.conf", "# Debian's\n" + debian + "\n");
    dir.write("binfmt_misc/qemu-aarch64", kernel_view(a));
    REQUIRE(oci::record_registration(records, binfmt, a));
    CHECK_FALSE(std::filesystem::exists(runtime));
    // Masked (as `xarch uninstall --persist` leaves it): only xarch's file brings it back.
    dir.mkdir("etc");
    std::filesystem::create_symlink("/dev/null", dir / "etc/qemu-aarch64.conf");
    REQUIRE(oci::record_registration(records, binfmt, a));
    CHECK(std::filesystem::exists(runtime));
    // Another line for the name (another interpreter) is no reason either; unmasked again, the
    // same line is, and the runtime file goes.
    std::filesystem::remove(dir / "etc/qemu-aarch64.conf");
    dir.write("usr-lib/qemu-aarch64.conf", ":qemu-aarch64:M::\\x7fELF:\\xff\\xff\\xff\\xff:/opt/qemu:F\n");
    REQUIRE(oci::record_registration(records, binfmt, a));
    CHECK(std::filesystem::exists(runtime));
    dir.write("usr-lib/qemu-aarch64.conf", debian + "\n");
    REQUIRE(oci::record_registration(records, binfmt, a));
    CHECK_FALSE(std::filesystem::exists(runtime));
}

TEST_CASE("registered_by_line: what the kernel makes of a register line", "[registrations]") {
    const auto a = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static", "F");
    const auto e = oci::registered_by_line(oci::registration_line(a));
    REQUIRE(e.has_value());
    CHECK(oci::same_registration(*e, a));
    CHECK(oci::registered_by_line(":qemu-x:E::py::/usr/bin/python3:")->extension == "py");
    CHECK(oci::registered_by_line(":x:M::\\x7fELF::relative:F").has_value()); // the kernel asks for no absolute path
    CHECK_FALSE(oci::registered_by_line(":x:Q::\\x7fELF::/i:").has_value());
    CHECK_FALSE(oci::registered_by_line(":x:M::\\x7fELF:\\xff:/i:").has_value()); // mask and magic differ in size
    CHECK_FALSE(oci::registered_by_line("").has_value());
    CHECK_FALSE(oci::registered_by_line(":../x:M::\\x7fELF::/i:").has_value());
}
