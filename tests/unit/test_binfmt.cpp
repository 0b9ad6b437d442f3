#include "base/error.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using oci::BinfmtEntry;
using oci::BinfmtState;

namespace {

// What the kernel shows in /proc/sys/fs/binfmt_misc/qemu-aarch64 for Debian's registration.
const char* const k_debian_aarch64 = "enabled\n"
                                     "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
                                     "flags: POF\n"
                                     "offset 0\n"
                                     "magic 7f454c460201010000000000000000000200b700\n"
                                     "mask ffffffffffffff00fffffffffffffffffeffffff\n";

BinfmtEntry magic_entry(const std::string& name, std::vector<std::uint8_t> magic, unsigned offset = 0,
                        std::vector<std::uint8_t> mask = {}) {
    BinfmtEntry e;
    e.name = name;
    e.interpreter = "/usr/bin/handler-" + name;
    e.type = 'M';
    e.offset = offset;
    e.magic = std::move(magic);
    e.mask = std::move(mask);
    return e;
}

BinfmtEntry extension_entry(const std::string& name, const std::string& ext) {
    BinfmtEntry e;
    e.name = name;
    e.interpreter = "/usr/bin/handler-" + name;
    e.type = 'E';
    e.extension = ext;
    return e;
}

BinfmtEntry aarch64_entry(std::uint64_t sequence, bool enabled = true, const std::string& name = "qemu-aarch64") {
    BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static");
    e.name = name;
    e.sequence = sequence;
    e.enabled = enabled;
    return e;
}


} // namespace

// ---------------------------------------------------------------------------------------
// parse_hex

TEST_CASE("parse_hex: lower and upper case digits", "[binfmt]") {
    CHECK(oci::parse_hex("") == std::vector<std::uint8_t>{});
    CHECK(oci::parse_hex("7f454c46") == std::vector<std::uint8_t>{0x7f, 'E', 'L', 'F'});
    CHECK(oci::parse_hex("FFfe00A0") == std::vector<std::uint8_t>{0xff, 0xfe, 0x00, 0xa0});
    CHECK(oci::parse_hex("0123456789abcdef") ==
          std::vector<std::uint8_t>{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef});
}

TEST_CASE("parse_hex: malformed input throws Error", "[binfmt]") {
    for (const char* bad : {"7", "abc", "zz", "0x12", " 7f", "7f ", "7f:45", "g0", "-1", "7f\n", "\\x7f"}) {
        INFO("input '" << bad << "'");
        CHECK_THROWS_AS(oci::parse_hex(bad), oci::Error);
    }
    CHECK_THROWS_WITH(oci::parse_hex("abc"), Contains("odd length"));
    CHECK_THROWS_WITH(oci::parse_hex("zz"), Contains("not a hex digit"));
}

// ---------------------------------------------------------------------------------------
// parse_binfmt_entry

TEST_CASE("parse_binfmt_entry: Debian's enabled qemu-aarch64 with flags POF", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("qemu-aarch64", k_debian_aarch64);
    CHECK(e.name == "qemu-aarch64");
    CHECK(e.enabled);
    CHECK(e.interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    CHECK(e.flags == "POF");
    CHECK(e.has_flag('P'));
    CHECK(e.has_flag('O'));
    CHECK(e.has_flag('F'));
    CHECK_FALSE(e.has_flag('C'));
    CHECK(e.type == 'M');
    CHECK(e.offset == 0);
    CHECK(e.magic == oci::parse_hex("7f454c460201010000000000000000000200b700"));
    CHECK(e.mask == oci::parse_hex("ffffffffffffff00fffffffffffffffffeffffff"));
    CHECK(e.extension.empty());
    CHECK(e.sequence == 0);
}

TEST_CASE("parse_binfmt_entry: disabled entry with only F", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("qemu-arm", "disabled\n"
                                                              "interpreter /usr/bin/qemu-arm-static\n"
                                                              "flags: F\n"
                                                              "offset 0\n"
                                                              "magic 7f454c4601010100000000000000000002002800\n"
                                                              "mask ffffffffffffff00fffffffffffffffffeffffff\n");
    CHECK_FALSE(e.enabled);
    CHECK(e.flags == "F");
    CHECK(e.has_flag('F'));
    CHECK_FALSE(e.has_flag('P'));
    CHECK(e.interpreter == "/usr/bin/qemu-arm-static");
}

TEST_CASE("parse_binfmt_entry: empty flags line", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("x", "enabled\n"
                                                       "interpreter /usr/bin/x\n"
                                                       "flags: \n"
                                                       "offset 0\n"
                                                       "magic 4d5a\n"
                                                       "mask ffff\n");
    CHECK(e.flags.empty());
    CHECK_FALSE(e.has_flag('F'));
    CHECK_FALSE(e.has_flag(' '));
}

TEST_CASE("parse_binfmt_entry: extension entry", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("mono", "enabled\n"
                                                          "interpreter /usr/bin/mono\n"
                                                          "flags: O\n"
                                                          "extension .exe\n");
    CHECK(e.type == 'E');
    CHECK(e.extension == "exe");
    CHECK(e.magic.empty());
    CHECK(e.mask.empty());
    CHECK(e.flags == "O");
}

TEST_CASE("parse_binfmt_entry: missing mask means all bits count", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("dos", "enabled\n"
                                                         "interpreter /usr/bin/wine\n"
                                                         "flags: \n"
                                                         "offset 0\n"
                                                         "magic 4d5a\n");
    CHECK(e.magic == std::vector<std::uint8_t>{0x4d, 0x5a});
    CHECK(e.mask == std::vector<std::uint8_t>{0xff, 0xff});
}

TEST_CASE("parse_binfmt_entry: non-zero offset", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("off", "enabled\n"
                                                         "interpreter /usr/bin/off\n"
                                                         "flags: P\n"
                                                         "offset 128\n"
                                                         "magic cafebabe\n"
                                                         "mask ffffff00\n");
    CHECK(e.offset == 128);
    CHECK(e.magic == std::vector<std::uint8_t>{0xca, 0xfe, 0xba, 0xbe});
    CHECK(e.mask == std::vector<std::uint8_t>{0xff, 0xff, 0xff, 0x00});
}

TEST_CASE("parse_binfmt_entry: text without trailing newline", "[binfmt]") {
    const BinfmtEntry e = oci::parse_binfmt_entry("t", "enabled\ninterpreter /t\nflags: F\noffset 0\nmagic 00");
    CHECK(e.magic == std::vector<std::uint8_t>{0});
    CHECK(e.flags == "F");
}

TEST_CASE("parse_binfmt_entry: round-trips every catalogue registration", "[binfmt]") {
    for (const auto& p : oci::catalogue_platforms()) {
        INFO(p.str());
        const BinfmtEntry reg = oci::registration_for(p, "/usr/bin/qemu-static", "OCF");
        const std::string text = "enabled\ninterpreter /usr/bin/qemu-static\nflags: OCF\noffset 0\nmagic " + oci::to_hex(reg.magic) +
                                 "\nmask " + oci::to_hex(reg.mask) + "\n";
        const BinfmtEntry back = oci::parse_binfmt_entry(reg.name, text);
        CHECK(back.magic == reg.magic);
        CHECK(back.mask == reg.mask);
        CHECK(back.flags == reg.flags);
        CHECK(back.interpreter == reg.interpreter);
        CHECK(oci::registration_line(back) == oci::registration_line(reg));
    }
}

TEST_CASE("parse_binfmt_entry: malformed text throws Error", "[binfmt]") {
    const auto bad = [](const std::string& text) { return oci::parse_binfmt_entry("bad", text); };
    SECTION("no enabled/disabled line") {
        CHECK_THROWS_AS(bad("interpreter /x\nflags: \noffset 0\nmagic 00\n"), oci::Error);
    }
    SECTION("no interpreter") {
        CHECK_THROWS_AS(bad("enabled\nflags: \noffset 0\nmagic 00\n"), oci::Error);
    }
    SECTION("empty text") {
        CHECK_THROWS_AS(bad(""), oci::Error);
    }
    SECTION("magic entry without magic") {
        CHECK_THROWS_WITH(bad("enabled\ninterpreter /x\nflags: \noffset 0\n"), Contains("no magic"));
    }
    SECTION("mask and magic of different sizes") {
        CHECK_THROWS_WITH(bad("enabled\ninterpreter /x\nflags: \noffset 0\nmagic 0011\nmask ff\n"), Contains("differ in size"));
    }
    SECTION("magic that is not hex") {
        CHECK_THROWS_AS(bad("enabled\ninterpreter /x\nflags: \noffset 0\nmagic 7g\n"), oci::Error);
    }
    SECTION("mask of odd length") {
        CHECK_THROWS_AS(bad("enabled\ninterpreter /x\nflags: \noffset 0\nmagic 00\nmask f\n"), oci::Error);
    }
    SECTION("the error names the entry") {
        CHECK_THROWS_WITH(bad("garbage\n"), Contains("'bad'"));
    }
}

TEST_CASE("parse_binfmt_entry: a malformed offset throws Error", "[binfmt]") {
    // The header promises oci::Error for malformed text; std::stoul's std::invalid_argument
    // and std::out_of_range must not escape (callers catch oci::Error).
    const auto text = [](const std::string& offset) {
        return "enabled\ninterpreter /x\nflags: \noffset " + offset + "\nmagic 00\n";
    };
    CHECK_THROWS_AS(oci::parse_binfmt_entry("bad", text("abc")), oci::Error);
    CHECK_THROWS_AS(oci::parse_binfmt_entry("bad", text("")), oci::Error);
    CHECK_THROWS_AS(oci::parse_binfmt_entry("bad", text("99999999999999999999999")), oci::Error);
}

// ---------------------------------------------------------------------------------------
// find_binfmt_mount

TEST_CASE("find_binfmt_mount: the usual mount point", "[binfmt]") {
    const std::string mountinfo =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
        "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
        "35 23 0:30 / /proc/sys/fs/binfmt_misc rw,relatime shared:13 - autofs systemd-1 rw,fd=29,pgrp=1\n"
        "82 35 0:46 / /proc/sys/fs/binfmt_misc rw,nosuid,nodev,noexec,relatime shared:40 - binfmt_misc binfmt_misc rw\n";
    const auto found = oci::find_binfmt_mount(mountinfo);
    REQUIRE(found);
    CHECK(*found == "/proc/sys/fs/binfmt_misc");
}

TEST_CASE("find_binfmt_mount: no optional fields", "[binfmt]") {
    const auto found =
        oci::find_binfmt_mount("82 22 0:46 / /proc/sys/fs/binfmt_misc rw,nosuid,nodev,noexec,relatime - binfmt_misc binfmt_misc rw\n");
    REQUIRE(found);
    CHECK(*found == "/proc/sys/fs/binfmt_misc");
}

TEST_CASE("find_binfmt_mount: not mounted", "[binfmt]") {
    CHECK_FALSE(oci::find_binfmt_mount(""));
    CHECK_FALSE(oci::find_binfmt_mount("garbage\n\n - \n"));
    CHECK_FALSE(oci::find_binfmt_mount("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                                       "23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"));
    // only an autofs trigger at the usual place: not mounted yet
    CHECK_FALSE(oci::find_binfmt_mount(
        "35 23 0:30 / /proc/sys/fs/binfmt_misc rw,relatime shared:13 - autofs systemd-1 rw,fd=29\n"));
    // "binfmt_misc" as the mount source of another file system type
    CHECK_FALSE(oci::find_binfmt_mount("90 22 0:50 / /mnt/x rw - tmpfs binfmt_misc rw\n"));
    // a mount point named like it
    CHECK_FALSE(oci::find_binfmt_mount("91 22 0:51 / /binfmt_misc rw - ext4 /dev/sdb1 rw\n"));
}

TEST_CASE("find_binfmt_mount: octal escapes in the mount point", "[binfmt]") {
    const auto found = oci::find_binfmt_mount("99 22 0:46 / /mnt/with\\040space rw,relatime - binfmt_misc binfmt_misc rw\n");
    REQUIRE(found);
    CHECK(*found == "/mnt/with space");

    const auto tab = oci::find_binfmt_mount("99 22 0:46 / /mnt/a\\011b\\134c rw - binfmt_misc binfmt_misc rw\n");
    REQUIRE(tab);
    CHECK(*tab == "/mnt/a\tb\\c");

    const auto trailing = oci::find_binfmt_mount("99 22 0:46 / /mnt/end\\040 rw - binfmt_misc binfmt_misc rw\n");
    REQUIRE(trailing);
    CHECK(*trailing == "/mnt/end ");

    const auto newline = oci::find_binfmt_mount("99 22 0:46 / /mnt/a\\012b rw - binfmt_misc binfmt_misc rw\n");
    REQUIRE(newline);
    CHECK(*newline == "/mnt/a\nb");
}

TEST_CASE("find_binfmt_mount: bytes the kernel does not escape stay in the mount point", "[binfmt]") {
    // Fields are separated by single spaces only: a mount point with \v, \f or \r (which a
    // user can give a directory and mount binfmt_misc on in a namespace of their own) is whole.
    const auto found = oci::find_binfmt_mount("99 22 0:46 / /tmp/a\vb\fc\rd rw - binfmt_misc binfmt_misc rw\n");
    REQUIRE(found);
    CHECK(*found == "/tmp/a\vb\fc\rd");
    // A line cut short names no mount point.
    CHECK_FALSE(oci::find_binfmt_mount("99 22 0:46 / - binfmt_misc binfmt_misc rw\n"));
}

TEST_CASE("find_binfmt_mount: the first binfmt_misc mount wins", "[binfmt]") {
    const auto found = oci::find_binfmt_mount("82 22 0:46 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw\n"
                                              "99 22 0:46 / /srv/binfmt rw - binfmt_misc binfmt_misc rw\n");
    REQUIRE(found);
    CHECK(*found == "/proc/sys/fs/binfmt_misc");
}

// ---------------------------------------------------------------------------------------
// binfmt_matches

TEST_CASE("binfmt_matches: catalogue magic matches its own platform only", "[binfmt]") {
    const auto elves = test::supported_elves();
    for (const auto& reg : elves) {
        const auto p = test::platform(reg.platform);
        const BinfmtEntry e = oci::registration_for(p, "/usr/bin/qemu");
        for (const auto& file : elves) {
            const auto fp = test::platform(file.platform);
            INFO("entry " << reg.platform << " file " << file.platform);
            for (std::uint16_t type : {std::uint16_t{2}, std::uint16_t{3}}) { // ET_EXEC, ET_DYN
                auto spec = file.spec;
                spec.type = type;
                CHECK(oci::binfmt_matches(e, test::build_elf(spec), "/bin/x") == (fp.architecture == p.architecture));
            }
        }
    }
}

TEST_CASE("binfmt_matches: core dumps and relocatable objects are not claimed", "[binfmt]") {
    const BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu");
    for (std::uint16_t type : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{4}}) {
        auto spec = test::elf_spec(true, false, test::k_em_aarch64);
        spec.type = type;
        INFO("e_type " << type);
        CHECK_FALSE(oci::binfmt_matches(e, test::build_elf(spec), "/x"));
    }
}

TEST_CASE("binfmt_matches: a head shorter than the magic does not match", "[binfmt]") {
    const BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu");
    const auto elf = test::elf_for("linux/arm64");
    for (std::size_t len = 0; len < e.magic.size(); ++len) {
        INFO("length " << len);
        CHECK_FALSE(oci::binfmt_matches(e, std::span<const std::uint8_t>(elf.data(), len), "/x"));
    }
    CHECK(oci::binfmt_matches(e, std::span<const std::uint8_t>(elf.data(), e.magic.size()), "/x"));
}

TEST_CASE("binfmt_matches: mask bits decide which bits count", "[binfmt]") {
    const BinfmtEntry e = magic_entry("m", {0xab, 0xcd}, 0, {0xf0, 0xff});
    CHECK(oci::binfmt_matches(e, std::vector<std::uint8_t>{0xa0, 0xcd}, "/x"));
    CHECK(oci::binfmt_matches(e, std::vector<std::uint8_t>{0xaf, 0xcd, 0x99}, "/x"));
    CHECK_FALSE(oci::binfmt_matches(e, std::vector<std::uint8_t>{0xbb, 0xcd}, "/x"));
    CHECK_FALSE(oci::binfmt_matches(e, std::vector<std::uint8_t>{0xab, 0xcc}, "/x"));
    // no mask: every bit counts
    const BinfmtEntry exact = magic_entry("x", {0xab, 0xcd});
    CHECK(oci::binfmt_matches(exact, std::vector<std::uint8_t>{0xab, 0xcd}, "/x"));
    CHECK_FALSE(oci::binfmt_matches(exact, std::vector<std::uint8_t>{0xab, 0xcf}, "/x"));
}

TEST_CASE("binfmt_matches: magic at an offset", "[binfmt]") {
    const BinfmtEntry e = magic_entry("off", {'M', 'Z'}, 3);
    CHECK(oci::binfmt_matches(e, test::to_bytes("abcMZ"), "/x"));
    CHECK(oci::binfmt_matches(e, test::to_bytes("abcMZtrailing"), "/x"));
    CHECK_FALSE(oci::binfmt_matches(e, test::to_bytes("MZabc"), "/x"));
    CHECK_FALSE(oci::binfmt_matches(e, test::to_bytes("abcM"), "/x"));
}

TEST_CASE("binfmt_matches: magic beyond the first 256 bytes never matches", "[binfmt]") {
    std::vector<std::uint8_t> head(512, 0x55);
    // ends exactly at byte 256: the kernel sees it
    const BinfmtEntry last = magic_entry("last", {0x55, 0x55, 0x55, 0x55}, 252);
    CHECK(oci::binfmt_matches(last, head, "/x"));
    // one byte further: the kernel never sees it, whatever the file holds
    const BinfmtEntry over = magic_entry("over", {0x55, 0x55, 0x55, 0x55}, 253);
    CHECK_FALSE(oci::binfmt_matches(over, head, "/x"));
    const BinfmtEntry far = magic_entry("far", {0x55}, 300);
    CHECK_FALSE(oci::binfmt_matches(far, head, "/x"));
    const BinfmtEntry huge = magic_entry("huge", {0x55}, 0xffffffffu);
    CHECK_FALSE(oci::binfmt_matches(huge, head, "/x"));
}

TEST_CASE("binfmt_matches: extension entries look at the file name only", "[binfmt]") {
    const BinfmtEntry e = extension_entry("mono", "exe");
    const auto elf = test::elf_for("linux/arm64");
    CHECK(oci::binfmt_matches(e, elf, "/opt/app/prog.exe"));
    CHECK(oci::binfmt_matches(e, {}, "/opt/app/prog.exe"));
    CHECK(oci::binfmt_matches(e, {}, "prog.exe"));
    CHECK(oci::binfmt_matches(e, {}, "/opt/prog.tar.exe"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, "/opt/prog.EXE"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, "/opt/prog.exe.bak"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, "/opt/app.exe/prog"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, "/opt/prog"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, "/opt/progexe"));
    CHECK_FALSE(oci::binfmt_matches(e, {}, ""));
    // an ELF file with another extension is not claimed by an extension entry
    CHECK_FALSE(oci::binfmt_matches(e, elf, "/bin/busybox"));
}

// ---------------------------------------------------------------------------------------
// find_handler

TEST_CASE("find_handler: the newest enabled match wins", "[binfmt]") {
    BinfmtState state;
    // newest first, as read_binfmt returns them (larger sequence = registered later)
    state.entries = {aarch64_entry(300, true, "newest"), aarch64_entry(200, true, "middle"),
                     aarch64_entry(100, true, "oldest")};
    const auto elf = test::elf_for("linux/arm64");
    const BinfmtEntry* h = oci::find_handler(state, elf, "/bin/sh");
    REQUIRE(h);
    CHECK(h->name == "newest");
    CHECK(h->sequence == 300);
}

TEST_CASE("find_handler: disabled entries are skipped", "[binfmt]") {
    BinfmtState state;
    state.entries = {aarch64_entry(300, false, "disabled-newer"), aarch64_entry(100, true, "enabled-older")};
    const auto elf = test::elf_for("linux/arm64");
    const BinfmtEntry* h = oci::find_handler(state, elf, "/bin/sh");
    REQUIRE(h);
    CHECK(h->name == "enabled-older");

    state.entries = {aarch64_entry(300, false, "a"), aarch64_entry(100, false, "b")};
    CHECK(oci::find_handler(state, elf, "/bin/sh") == nullptr);
}

TEST_CASE("find_handler: a globally disabled binfmt_misc matches nothing", "[binfmt]") {
    BinfmtState state;
    state.enabled = false;
    state.entries = {aarch64_entry(100), extension_entry("ext", "exe")};
    CHECK(oci::find_handler(state, test::elf_for("linux/arm64"), "/bin/sh") == nullptr);
    CHECK(oci::find_handler(state, {}, "/prog.exe") == nullptr);
}

TEST_CASE("find_handler: no entry matches", "[binfmt]") {
    BinfmtState empty;
    CHECK(oci::find_handler(empty, test::elf_for("linux/arm64"), "/bin/sh") == nullptr);
    BinfmtState state;
    state.entries = {aarch64_entry(100)};
    CHECK(oci::find_handler(state, test::elf_for("linux/s390x"), "/bin/sh") == nullptr);
    CHECK(oci::find_handler(state, {}, "/bin/sh") == nullptr);
}

TEST_CASE("find_handler: picks the entry that matches, in order", "[binfmt]") {
    BinfmtState state;
    auto arm = oci::registration_for(test::platform("linux/arm/v7"), "/usr/bin/qemu-arm-static");
    arm.sequence = 400;
    auto s390 = oci::registration_for(test::platform("linux/s390x"), "/usr/bin/qemu-s390x-static");
    s390.sequence = 300;
    auto ext = extension_entry("ext", "exe");
    ext.sequence = 200;
    state.entries = {arm, s390, ext, aarch64_entry(100)};
    const BinfmtEntry* h = oci::find_handler(state, test::elf_for("linux/s390x"), "/bin/sh");
    REQUIRE(h);
    CHECK(h->name == "qemu-s390x");
    h = oci::find_handler(state, test::elf_for("linux/arm/v5"), "/bin/sh");
    REQUIRE(h);
    CHECK(h->name == "qemu-arm");
    // the extension entry is newer than the aarch64 one
    h = oci::find_handler(state, test::elf_for("linux/arm64"), "/opt/tool.exe");
    REQUIRE(h);
    CHECK(h->name == "ext");
    h = oci::find_handler(state, test::elf_for("linux/arm64"), "/opt/tool");
    REQUIRE(h);
    CHECK(h->name == "qemu-aarch64");
}

// ---------------------------------------------------------------------------------------
// registration_line

TEST_CASE("registration_line: the aarch64 catalogue entry", "[binfmt]") {
    const BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static");
    CHECK(oci::registration_line(e) ==
          R"(:qemu-aarch64:M:0:\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:)"
          R"(\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:)"
          R"(/usr/bin/qemu-aarch64-static:F)");
}

TEST_CASE("registration_line: offset, no mask and no flags", "[binfmt]") {
    const BinfmtEntry e = magic_entry("dos", {0x4d, 0x5a}, 2);
    CHECK(oci::registration_line(e) == R"(:dos:M:2:\x4d\x5a::/usr/bin/handler-dos:)");
}

TEST_CASE("registration_line: extension entry", "[binfmt]") {
    BinfmtEntry e = extension_entry("mono", "exe");
    e.flags = "O";
    CHECK(oci::registration_line(e) == ":mono:E::exe::/usr/bin/handler-mono:O");
}

TEST_CASE("registration_line: every flag and every catalogue entry is accepted", "[binfmt]") {
    for (const auto& p : oci::catalogue_platforms()) {
        INFO(p.str());
        const auto e = oci::registration_for(p, "/usr/bin/qemu-static", "POCF");
        const std::string line = oci::registration_line(e);
        CHECK(line.starts_with(":qemu-" + oci::qemu_target(p) + ":M:0:\\x7f\\x45\\x4c\\x46"));
        CHECK(line.ends_with(":/usr/bin/qemu-static:POCF"));
        CHECK(line.find('\n') == std::string::npos);
    }
}

TEST_CASE("registration_line: invalid names are rejected", "[binfmt]") {
    for (const std::string& name : std::vector<std::string>{"", "a:b", "a/b", "/abs", ".", "..", "register", "status", "with space", "tab\t",
                                   "back\\slash", "new\nline", std::string(64, 'n')}) {
        INFO("name '" << name << "'");
        BinfmtEntry e = magic_entry("x", {0x7f});
        e.name = name;
        CHECK_THROWS_AS(oci::registration_line(e), oci::Error);
    }
    BinfmtEntry longest = magic_entry(std::string(63, 'n'), {0x7f});
    CHECK_NOTHROW(oci::registration_line(longest));
    BinfmtEntry dotted = magic_entry("qemu-aarch64.v2_x", {0x7f});
    CHECK_NOTHROW(oci::registration_line(dotted));
}

TEST_CASE("registration_line: invalid interpreters are rejected", "[binfmt]") {
    for (const std::string& interp : std::vector<std::string>{std::string(), std::string("qemu-aarch64-static"), std::string("./qemu"),
                                     std::string("usr/bin/qemu"), "/" + std::string(127, 'q'), std::string("/usr/bin/a:b"),
                                     std::string("/usr/bin/a\nb"), std::string("/usr/bin/a\\x3a")}) {
        INFO("interpreter '" << interp << "' (" << interp.size() << " bytes)");
        BinfmtEntry e = magic_entry("x", {0x7f});
        e.interpreter = interp;
        CHECK_THROWS_AS(oci::registration_line(e), oci::Error);
    }
    BinfmtEntry longest = magic_entry("x", {0x7f});
    longest.interpreter = "/" + std::string(126, 'q'); // 127 bytes
    CHECK_NOTHROW(oci::registration_line(longest));
    BinfmtEntry spaced = magic_entry("x", {0x7f});
    spaced.interpreter = "/opt/with space/qemu";
    CHECK_NOTHROW(oci::registration_line(spaced));
}

TEST_CASE("registration_line: unknown flags are rejected", "[binfmt]") {
    for (const char* flags : {"X", "f", "p", "F ", " F", "FF:", "\n"}) {
        INFO("flags '" << flags << "'");
        BinfmtEntry e = magic_entry("x", {0x7f});
        e.flags = flags;
        CHECK_THROWS_AS(oci::registration_line(e), oci::Error);
    }
    for (const char* flags : {"", "P", "O", "C", "F", "POCF", "FCOP"}) {
        BinfmtEntry e = magic_entry("x", {0x7f});
        e.flags = flags;
        CHECK_NOTHROW(oci::registration_line(e));
    }
}

TEST_CASE("registration_line: magic beyond 256 bytes or malformed is rejected", "[binfmt]") {
    CHECK_NOTHROW(oci::registration_line(magic_entry("fits", std::vector<std::uint8_t>(20, 1), 236)));
    CHECK_THROWS_AS(oci::registration_line(magic_entry("over", std::vector<std::uint8_t>(20, 1), 237)), oci::Error);
    CHECK_THROWS_AS(oci::registration_line(magic_entry("far", {1}, 256)), oci::Error);
    CHECK_THROWS_AS(oci::registration_line(magic_entry("huge", {1}, 0xffffffffu)), oci::Error);
    CHECK_THROWS_AS(oci::registration_line(magic_entry("big", std::vector<std::uint8_t>(257, 1))), oci::Error);
    CHECK_THROWS_AS(oci::registration_line(magic_entry("empty", {})), oci::Error);
    CHECK_THROWS_WITH(oci::registration_line(magic_entry("mask", {1, 2}, 0, {0xff})), Contains("mask"));
}

TEST_CASE("registration_line: a line longer than the kernel takes is rejected", "[binfmt]") {
    // 256 bytes of magic and mask are 2 x 1024 escaped characters: more than 1920.
    CHECK_THROWS_AS(oci::registration_line(magic_entry("long", std::vector<std::uint8_t>(256, 1), 0,
                                                       std::vector<std::uint8_t>(256, 0xff))),
                    oci::Error);
    // without a mask it fits
    CHECK_NOTHROW(oci::registration_line(magic_entry("fits", std::vector<std::uint8_t>(256, 1))));
}

TEST_CASE("registration_line: invalid extensions are rejected", "[binfmt]") {
    for (const char* ext : {"", "a/b", "a:b", "a\nb", "a\\b"}) {
        INFO("extension '" << ext << "'");
        CHECK_THROWS_AS(oci::registration_line(extension_entry("e", ext)), oci::Error);
    }
}

// ---------------------------------------------------------------------------------------
// read_binfmt and the control files, on a directory that only looks like binfmt_misc

TEST_CASE("read_binfmt: entries in directory order, which binfmt_misc lists newest first", "[binfmt]") {
    test::TempDir dir;
    dir.write("status", "enabled\n");
    dir.write("register", "", 0200);
    const std::vector<std::string> names{"qemu-aarch64", "qemu-arm", "qemu-s390x", "mono"};
    dir.write("qemu-aarch64", k_debian_aarch64);
    dir.write("qemu-arm", "disabled\ninterpreter /usr/bin/qemu-arm-static\nflags: F\noffset 0\n"
                          "magic 7f454c4601010100000000000000000002002800\nmask ffffffffffffff00fffffffffffffffffeffffff\n");
    dir.write("qemu-s390x", "enabled\ninterpreter /usr/bin/qemu-s390x-static\nflags: \noffset 0\n"
                            "magic 7f454c4602020100000000000000000000020016\n");
    dir.write("mono", "enabled\ninterpreter /usr/bin/mono\nflags: \nextension .exe\n");

    const BinfmtState state = oci::read_binfmt(dir.path());
    CHECK(state.enabled);
    REQUIRE(state.entries.size() == names.size());
    // This directory is not binfmt_misc: its own listing order stands in for the kernel's.
    std::vector<std::string> listed;
    for (const auto& e : test::fs::directory_iterator(dir.path()))
        if (e.path().filename() != "status" && e.path().filename() != "register") listed.push_back(e.path().filename());
    REQUIRE(listed.size() == names.size());
    for (std::size_t i = 0; i < listed.size(); ++i) {
        INFO("position " << i);
        CHECK(state.entries[i].name == listed[i]);
        CHECK(state.entries[i].sequence == listed.size() - i); // larger is newer
    }
    const auto arm = std::find_if(state.entries.begin(), state.entries.end(), [](const auto& e) { return e.name == "qemu-arm"; });
    REQUIRE(arm != state.entries.end());
    CHECK_FALSE(arm->enabled);
    CHECK(arm->flags == "F");
}

TEST_CASE("read_binfmt: globally disabled and empty", "[binfmt]") {
    test::TempDir dir;
    dir.write("status", "disabled\n");
    dir.write("register", "", 0200);
    const BinfmtState state = oci::read_binfmt(dir.path());
    CHECK_FALSE(state.enabled);
    CHECK(state.entries.empty());
}

TEST_CASE("read_binfmt: errors", "[binfmt]") {
    test::TempDir dir;
    SECTION("missing directory") {
        CHECK_THROWS_AS(oci::read_binfmt(dir / "nope"), oci::Error);
    }
    SECTION("malformed entry") {
        dir.write("status", "enabled\n");
        dir.write("broken", "this is not an entry\n");
        CHECK_THROWS_AS(oci::read_binfmt(dir.path()), oci::Error);
    }
}

TEST_CASE("register_binfmt: writes the registration line in one write", "[binfmt]") {
    test::TempDir dir;
    dir.write("register", "", 0600);
    const BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static");
    CHECK(oci::register_binfmt(dir.path(), e));
    CHECK(test::read_text(dir / "register") == oci::registration_line(e));
}

TEST_CASE("register_binfmt: invalid entries are rejected before writing", "[binfmt]") {
    test::TempDir dir;
    dir.write("register", "", 0600);
    BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "relative/qemu");
    CHECK_THROWS_AS(oci::register_binfmt(dir.path(), e), oci::Error);
    CHECK(test::read_text(dir / "register").empty());
}

TEST_CASE("register_binfmt: a missing register file is a SysError", "[binfmt]") {
    test::TempDir dir;
    const BinfmtEntry e = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static");
    CHECK_THROWS_AS(oci::register_binfmt(dir.path(), e), oci::SysError);
}

TEST_CASE("remove_binfmt: writes -1, false when the entry does not exist", "[binfmt]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "");
    CHECK(oci::remove_binfmt(dir.path(), "qemu-aarch64"));
    CHECK(test::read_text(dir / "qemu-aarch64") == "-1");
    CHECK_FALSE(oci::remove_binfmt(dir.path(), "qemu-arm"));
    CHECK_THROWS_AS(oci::remove_binfmt(dir.path(), "../etc"), oci::Error);
    CHECK_THROWS_AS(oci::remove_binfmt(dir.path(), "status"), oci::Error);
    CHECK_THROWS_AS(oci::remove_binfmt(dir.path(), "register"), oci::Error);
}

TEST_CASE("set_binfmt_enabled: writes 1 or 0", "[binfmt]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "");
    oci::set_binfmt_enabled(dir.path(), "qemu-aarch64", false);
    CHECK(test::read_text(dir / "qemu-aarch64") == "0");
    oci::set_binfmt_enabled(dir.path(), "qemu-aarch64", true);
    CHECK(test::read_text(dir / "qemu-aarch64") == "1");
    CHECK_THROWS_AS(oci::set_binfmt_enabled(dir.path(), "missing", true), oci::SysError);
    CHECK_THROWS_AS(oci::set_binfmt_enabled(dir.path(), "a/b", true), oci::Error);
}

TEST_CASE("binfmt_flags: the kernel's order, each once, C brings O", "[binfmt]") {
    CHECK(oci::binfmt_flags("") == "");
    CHECK(oci::binfmt_flags("F") == "F");
    CHECK(oci::binfmt_flags("FP") == "PF");
    CHECK(oci::binfmt_flags("OPF") == "POF");
    CHECK(oci::binfmt_flags("FPOC") == "POCF");
    CHECK(oci::binfmt_flags("FC") == "OCF");
    CHECK(oci::binfmt_flags("FFPP") == "PF");
    CHECK(oci::binfmt_flags("FX") == "FX"); // kept for registration_line to reject
    CHECK(oci::registration_for(oci::Platform{"linux", "arm64", ""}, "/usr/bin/qemu-aarch64-static", "FPOC").flags == "POCF");
}
