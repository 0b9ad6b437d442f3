#include "base/error.hpp"
#include "base/settings.hpp"
#include "binfmt/emulator.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using oci::Emulator;

namespace {

const char* const k_static = "/bin/busybox"; // busybox-static: a static program for the host
const char* const k_dynamic = "/bin/true";
const char* const k_qemu_aarch64 = "/usr/bin/qemu-aarch64-static";

// Splits a binfmt.d line ":name:type:offset:magic:mask:interpreter:flags" into its fields.
std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line.substr(1)); // the first character is the delimiter
    while (std::getline(in, field, line.front())) fields.push_back(field);
    if (!line.empty() && line.back() == line.front()) fields.emplace_back();
    return fields;
}

// Undoes the kernel's \xNN escapes; every other character stands for itself ("\x7fELF").
std::vector<std::uint8_t> unescape(const std::string& s) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
            out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
            i += 3;
        } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
            out.push_back('\\');
            ++i;
        } else {
            out.push_back(static_cast<std::uint8_t>(s[i]));
        }
    }
    return out;
}

// The first registration line of a binfmt.d file (comments and blank lines skipped).
std::string first_rule(const test::fs::path& file) {
    std::istringstream in(test::read_text(file));
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line.front() != '#' && line.front() != ';') return line;
    return {};
}

bool have(const char* path) { return test::fs::exists(path); }

} // namespace

// ---------------------------------------------------------------------------------------
// catalogue

TEST_CASE("catalogue_entry: every catalogue platform has a consistent entry", "[emulator]") {
    const auto platforms = oci::catalogue_platforms();
    REQUIRE(platforms.size() == 17);
    std::set<std::string> names;
    for (const auto& p : platforms) {
        INFO(p.str());
        const auto e = oci::catalogue_entry(p);
        REQUIRE(e);
        CHECK(e->qemu == oci::qemu_target(p));
        CHECK(e->magic.size() >= 20); // e_ident, e_type and e_machine (mips: up to e_flags)
        CHECK(e->mask.size() == e->magic.size());
        CHECK(std::vector<std::uint8_t>(e->magic.begin(), e->magic.begin() + 4) == test::to_bytes("\x7f" "ELF"));
        CHECK(names.insert(e->qemu).second);
        // the synthetic ELF of the platform matches it under the mask
        const auto elf = test::elf_for(p.str());
        for (std::size_t i = 0; i < e->magic.size(); ++i) {
            INFO("byte " << i);
            CHECK((elf[i] & e->mask[i]) == (e->magic[i] & e->mask[i]));
        }
    }
}

TEST_CASE("catalogue_entry: the qemu target of each platform", "[emulator]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"linux/amd64", "x86_64"},    {"linux/386", "i386"},          {"linux/arm64", "aarch64"},
        {"linux/arm/v7", "arm"},      {"linux/arm/v6", "arm"},        {"linux/arm/v5", "arm"},
        {"linux/ppc64le", "ppc64le"}, {"linux/ppc64", "ppc64"},       {"linux/s390x", "s390x"},
        {"linux/riscv64", "riscv64"}, {"linux/mips64le", "mips64el"}, {"linux/mips64", "mips64"},
        {"linux/loong64", "loongarch64"},
    };
    for (const auto& [name, qemu] : cases) {
        INFO(name);
        const auto e = oci::catalogue_entry(test::platform(name));
        REQUIRE(e);
        CHECK(e->qemu == qemu);
    }
}

TEST_CASE("catalogue_entry: unknown platforms give nullopt", "[emulator]") {
    CHECK_FALSE(oci::catalogue_entry(oci::Platform{"linux", "hppa", ""}));
    CHECK_FALSE(oci::catalogue_entry(oci::Platform{"linux", "", ""}));
    CHECK_FALSE(oci::catalogue_entry(oci::Platform{"linux", "sparc", ""}));
}

TEST_CASE("catalogue_platforms: stable order of OCI platforms", "[emulator]") {
    const auto a = oci::catalogue_platforms();
    const auto b = oci::catalogue_platforms();
    CHECK(a == b);
    std::vector<std::string> names;
    for (const auto& p : a) names.push_back(p.str());
    CHECK(names == std::vector<std::string>{"linux/amd64", "linux/386", "linux/arm64", "linux/arm/v7", "linux/ppc64le",
                                            "linux/ppc64", "linux/s390x", "linux/riscv64", "linux/mips64le",
                                            "linux/mips64", "linux/loong64", "linux/mips", "linux/mipsle",
                                            "linux/ppc", "linux/sparc64", "linux/m68k", "linux/riscv32"});
}

TEST_CASE("catalogue_entry: magic and mask agree with Debian's binfmt.d files", "[emulator]") {
    int compared = 0;
    for (const auto& p : oci::catalogue_platforms()) {
        const auto e = oci::catalogue_entry(p);
        REQUIRE(e);
        const test::fs::path conf = "/usr/lib/binfmt.d/qemu-" + e->qemu + ".conf";
        if (!test::fs::exists(conf)) {
            WARN("SKIP " << p.str() << ": " << conf.string() << " does not exist (qemu-user-static not installed, or the host's own)");
            continue;
        }
        INFO(conf.string());
        const std::string rule = first_rule(conf);
        REQUIRE_FALSE(rule.empty());
        const auto fields = split_fields(rule);
        REQUIRE(fields.size() == 7);
        CHECK(fields[0] == "qemu-" + e->qemu);
        CHECK(fields[0] == oci::registration_for(p, "/usr/bin/x").name);
        CHECK(fields[1] == "M");
        CHECK((fields[2].empty() || fields[2] == "0"));
        CHECK(unescape(fields[3]) == e->magic);
        CHECK(unescape(fields[4]) == e->mask);
        ++compared;
    }
    if (compared == 0) WARN("SKIP: no /usr/lib/binfmt.d/qemu-*.conf to compare with");
}

TEST_CASE("default_emulator_dirs: Debian's locations", "[emulator]") {
    const auto dirs = oci::default_emulator_dirs();
    REQUIRE_FALSE(dirs.empty());
    CHECK(dirs.front() == "/usr/bin");
    for (const auto& d : dirs) CHECK(d.is_absolute());
}

// ---------------------------------------------------------------------------------------
// inspect_emulator

TEST_CASE("inspect_emulator: a dynamically linked program is rejected", "[emulator]") {
    if (!have(k_dynamic)) {
        WARN("SKIP: " << k_dynamic << " does not exist");
        return;
    }
    const Emulator e = oci::inspect_emulator(k_dynamic, oci::host_platform());
    CHECK_FALSE(e.usable);
    CHECK_FALSE(e.is_static);
    CHECK(e.path == k_dynamic);
    CHECK(e.resolved == test::fs::canonical(k_dynamic));
    CHECK_THAT(e.problem, Contains("dynamically linked"));
    CHECK_THAT(e.fix, Contains("apt-get install qemu-user-static"));
}

TEST_CASE("inspect_emulator: a static host program is accepted", "[emulator]") {
    if (!have(k_static)) {
        WARN("SKIP: " << k_static << " (busybox-static) does not exist");
        return;
    }
    const auto host = oci::host_platform();
    const Emulator e = oci::inspect_emulator(k_static, host);
    CHECK(e.usable);
    CHECK(e.is_static);
    CHECK(e.problem.empty());
    CHECK(e.resolved == test::fs::canonical(k_static));
}

TEST_CASE("inspect_emulator: Debian's qemu-aarch64-static is a static emulator for the host", "[emulator]") {
    if (!have(k_qemu_aarch64)) {
        WARN("SKIP: " << k_qemu_aarch64 << " does not exist (qemu-user-static not installed)");
        return;
    }
    const Emulator e = oci::inspect_emulator(k_qemu_aarch64, oci::host_platform());
    CHECK(e.usable);
    CHECK(e.is_static);
    CHECK(e.problem.empty());
    CHECK(e.path == k_qemu_aarch64);
    CHECK(e.resolved == test::fs::canonical(k_qemu_aarch64));
}

TEST_CASE("inspect_emulator: a program for another machine is rejected", "[emulator]") {
    if (!have(k_static)) {
        WARN("SKIP: " << k_static << " does not exist");
        return;
    }
    const auto host = oci::host_platform();
    const oci::Platform other = host.architecture == "s390x" ? test::platform("linux/arm64") : test::platform("linux/s390x");
    const Emulator e = oci::inspect_emulator(k_static, other);
    CHECK_FALSE(e.usable);
    CHECK_THAT(e.problem, Contains("is built for " + host.str()));
    CHECK_THAT(e.problem, Contains("not for the host " + other.str()));
}

TEST_CASE("inspect_emulator: a missing path is rejected with an empty resolved path", "[emulator]") {
    test::TempDir dir;
    const Emulator e = oci::inspect_emulator(dir / "qemu-aarch64-static", oci::host_platform());
    CHECK_FALSE(e.usable);
    CHECK(e.resolved.empty());
    CHECK(e.path == dir / "qemu-aarch64-static");
    CHECK_THAT(e.problem, Contains("does not exist"));
}

TEST_CASE("inspect_emulator: a dangling symlink is rejected as missing", "[emulator]") {
    test::TempDir dir;
    dir.symlink((dir / "gone").string(), "qemu-aarch64-static");
    const Emulator e = oci::inspect_emulator(dir / "qemu-aarch64-static", oci::host_platform());
    CHECK_FALSE(e.usable);
    CHECK(e.resolved.empty());
    CHECK_THAT(e.problem, Contains("does not exist"));
}

TEST_CASE("inspect_emulator: a symlink to a static program is accepted and resolved", "[emulator]") {
    if (!have(k_static)) {
        WARN("SKIP: " << k_static << " does not exist");
        return;
    }
    test::TempDir dir;
    dir.symlink(k_static, "qemu-aarch64-static");
    const Emulator e = oci::inspect_emulator(dir / "qemu-aarch64-static", oci::host_platform());
    CHECK(e.usable);
    CHECK(e.path == dir / "qemu-aarch64-static");
    CHECK(e.resolved == test::fs::canonical(k_static));
}

TEST_CASE("inspect_emulator: non-files are rejected", "[emulator]") {
    test::TempDir dir;
    SECTION("a directory") {
        const Emulator e = oci::inspect_emulator(dir.mkdir("qemu"), oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not a regular file"));
    }
    SECTION("a FIFO, without blocking") {
        const auto fifo = dir.fifo("qemu");
        const auto r = test::run_in_child([&] {
            const Emulator e = oci::inspect_emulator(fifo, oci::host_platform());
            return !e.usable && e.problem.find("not a regular file") != std::string::npos ? 0 : 1;
        });
        CHECK_FALSE(r.timed_out);
        CHECK(r.exited);
        CHECK(r.code == 0);
    }
    SECTION("/dev/null") {
        const Emulator e = oci::inspect_emulator("/dev/null", oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not a regular file"));
    }
}

TEST_CASE("inspect_emulator: a file not owned by root is rejected", "[emulator]") {
    if (!have(k_static)) {
        WARN("SKIP: " << k_static << " does not exist");
        return;
    }
    test::TempDir dir;
    const auto copy = dir / "qemu-aarch64-static";
    test::fs::copy_file(k_static, copy);
    test::TempDir::chmod(copy, 0755);
    if (test::is_root()) REQUIRE(::chown(copy.c_str(), 65534, 65534) == 0);
    // unprivileged, the copy belongs to the user running the tests: also not root
    const Emulator e = oci::inspect_emulator(copy, oci::host_platform());
    CHECK_FALSE(e.usable);
    CHECK_THAT(e.problem, Contains("not owned by root"));
}

TEST_CASE("inspect_emulator: root-owned copies: writable, non-executable, non-ELF", "[emulator]") {
    if (!test::is_root()) {
        WARN("SKIP: needs root to own the test copies (running as uid " << ::geteuid() << ")");
        return;
    }
    if (!have(k_static)) {
        WARN("SKIP: " << k_static << " does not exist");
        return;
    }
    test::TempDir dir;
    const auto copy = dir / "qemu-aarch64-static";
    test::fs::copy_file(k_static, copy);
    REQUIRE(::chown(copy.c_str(), 0, 0) == 0);

    SECTION("a root-owned 0755 copy is accepted") {
        test::TempDir::chmod(copy, 0755);
        const Emulator e = oci::inspect_emulator(copy, oci::host_platform());
        CHECK(e.usable);
        CHECK(e.is_static);
    }
    SECTION("world-writable") {
        test::TempDir::chmod(copy, 0757);
        const Emulator e = oci::inspect_emulator(copy, oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("writable by its group or by others"));
    }
    SECTION("group-writable") {
        test::TempDir::chmod(copy, 0775);
        const Emulator e = oci::inspect_emulator(copy, oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("writable by its group or by others"));
    }
    SECTION("not executable") {
        test::TempDir::chmod(copy, 0644);
        const Emulator e = oci::inspect_emulator(copy, oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not executable"));
    }
    SECTION("not ELF") {
        dir.write("script", "#!/bin/sh\nexec true\n", 0755);
        REQUIRE(::chown((dir / "script").c_str(), 0, 0) == 0);
        const Emulator e = oci::inspect_emulator(dir / "script", oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not an ELF program"));
    }
    SECTION("a truncated ELF header") {
        auto head = test::elf_for(oci::host_platform().str());
        head.resize(40);
        dir.write("short", head, 0755);
        REQUIRE(::chown((dir / "short").c_str(), 0, 0) == 0);
        const Emulator e = oci::inspect_emulator(dir / "short", oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not an ELF program"));
    }
    SECTION("program headers beyond the first 64 KiB") {
        auto spec = test::elf_spec(true, false, test::k_em_x86_64);
        const auto host = oci::host_platform();
        for (const auto& pe : test::supported_elves())
            if (pe.platform == host.str()) spec = pe.spec;
        spec.phoff = 128 * 1024;
        dir.write("far", test::build_elf(spec), 0755);
        REQUIRE(::chown((dir / "far").c_str(), 0, 0) == 0);
        const Emulator e = oci::inspect_emulator(dir / "far", host);
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("64 KiB"));
    }
}

TEST_CASE("inspect_emulator: a non-ELF system file is rejected", "[emulator]") {
    // Root-owned, executable scripts exist on every Debian system; unprivileged tests use them.
    for (const char* script : {"/usr/bin/ldd", "/usr/bin/zgrep", "/usr/bin/zcat", "/usr/bin/which"}) {
        if (!have(script)) continue;
        const auto head = test::read_text(script).substr(0, 2);
        if (head != "#!") continue;
        INFO(script);
        const Emulator e = oci::inspect_emulator(script, oci::host_platform());
        CHECK_FALSE(e.usable);
        CHECK_THAT(e.problem, Contains("not an ELF program"));
        return;
    }
    WARN("SKIP: no root-owned script found among /usr/bin/{ldd,zgrep,zcat,which}");
}

// ---------------------------------------------------------------------------------------
// find_emulator

TEST_CASE("find_emulator: the first usable candidate in directory and name order", "[emulator]") {
    if (!have(k_static) || !have(k_dynamic)) {
        WARN("SKIP: needs " << k_static << " and " << k_dynamic);
        return;
    }
    const auto host = oci::host_platform();
    test::TempDir dir;
    // Symlinks: the checks apply to the root-owned files they name, so this works unprivileged.
    SECTION("qemu-T-static before qemu-T before T-binfmt-P") {
        dir.symlink(k_static, "a/qemu-aarch64");
        dir.symlink(k_static, "a/qemu-aarch64-static");
        dir.symlink(k_static, "a/aarch64-binfmt-P");
        std::vector<Emulator> rejected;
        const auto found = oci::find_emulator("aarch64", {dir / "a"}, host, &rejected);
        REQUIRE(found);
        CHECK(found->path == dir / "a/qemu-aarch64-static");
        CHECK(found->usable);
        CHECK(rejected.empty());
    }
    SECTION("a dynamic candidate is skipped and reported") {
        dir.symlink(k_dynamic, "a/qemu-aarch64-static");
        dir.symlink(k_static, "a/qemu-aarch64");
        std::vector<Emulator> rejected;
        const auto found = oci::find_emulator("aarch64", {dir / "a"}, host, &rejected);
        REQUIRE(found);
        CHECK(found->path == dir / "a/qemu-aarch64");
        REQUIRE(rejected.size() == 1);
        CHECK(rejected[0].path == dir / "a/qemu-aarch64-static");
        CHECK_THAT(rejected[0].problem, Contains("dynamically linked"));
    }
    SECTION("Debian's T-binfmt-P name") {
        dir.symlink(k_static, "libexec/aarch64-binfmt-P");
        const auto found = oci::find_emulator("aarch64", {dir / "bin", dir / "libexec"}, host);
        REQUIRE(found);
        CHECK(found->path == dir / "libexec/aarch64-binfmt-P");
    }
    SECTION("directories are searched in order") {
        dir.symlink(k_dynamic, "first/qemu-aarch64-static");
        dir.symlink(k_static, "second/qemu-aarch64-static");
        dir.symlink(k_static, "third/qemu-aarch64-static");
        std::vector<Emulator> rejected;
        const auto found = oci::find_emulator("aarch64", {dir / "missing", dir / "first", dir / "second", dir / "third"},
                                              host, &rejected);
        REQUIRE(found);
        CHECK(found->path == dir / "second/qemu-aarch64-static");
        REQUIRE(rejected.size() == 1);
        CHECK(rejected[0].path == dir / "first/qemu-aarch64-static");
    }
    SECTION("only other targets: nothing found") {
        dir.symlink(k_static, "a/qemu-arm-static");
        dir.symlink(k_static, "a/qemu-aarch64_be-static");
        std::vector<Emulator> rejected;
        CHECK_FALSE(oci::find_emulator("aarch64", {dir / "a"}, host, &rejected));
        CHECK(rejected.empty());
    }
    SECTION("nothing usable: every file is reported once") {
        // Three names for one dynamic file (as Debian's -binfmt-P symlinks are) and a directory.
        dir.symlink(k_dynamic, "a/qemu-aarch64-static");
        dir.symlink(k_dynamic, "a/qemu-aarch64");
        dir.symlink(k_dynamic, "b/aarch64-binfmt-P");
        dir.mkdir("a/aarch64-binfmt-P");
        std::vector<Emulator> rejected;
        CHECK_FALSE(oci::find_emulator("aarch64", {dir / "a", dir / "b"}, host, &rejected));
        REQUIRE(rejected.size() == 2);
        CHECK(rejected[0].path == dir / "a/qemu-aarch64-static");
        CHECK_THAT(rejected[0].problem, Contains("dynamically linked"));
        CHECK(rejected[1].path == dir / "a/aarch64-binfmt-P");
        CHECK_THAT(rejected[1].problem, Contains("not a regular file"));
        // without a vector for the rejects it still works
        CHECK_FALSE(oci::find_emulator("aarch64", {dir / "a", dir / "b"}, host));
    }
    SECTION("a candidate built for another machine is rejected") {
        dir.symlink(k_static, "a/qemu-aarch64-static");
        const oci::Platform other = host.architecture == "s390x" ? test::platform("linux/arm64") : test::platform("linux/s390x");
        std::vector<Emulator> rejected;
        CHECK_FALSE(oci::find_emulator("aarch64", {dir / "a"}, other, &rejected));
        REQUIRE(rejected.size() == 1);
        CHECK_THAT(rejected[0].problem, Contains("not for the host"));
    }
}

TEST_CASE("find_emulator: no directories", "[emulator]") {
    std::vector<Emulator> rejected;
    CHECK_FALSE(oci::find_emulator("aarch64", {}, oci::host_platform(), &rejected));
    CHECK(rejected.empty());
}

// ---------------------------------------------------------------------------------------
// registration_for

TEST_CASE("registration_for: name, flags, interpreter and catalogue magic", "[emulator]") {
    const auto p = test::platform("linux/arm64");
    const auto e = oci::registration_for(p, "/usr/bin/qemu-aarch64-static");
    const auto row = oci::catalogue_entry(p);
    REQUIRE(row);
    CHECK(e.name == "qemu-aarch64");
    CHECK(e.flags == "F");
    CHECK(e.interpreter == "/usr/bin/qemu-aarch64-static");
    CHECK(e.type == 'M');
    CHECK(e.offset == 0);
    CHECK(e.enabled);
    CHECK(e.magic == row->magic);
    CHECK(e.mask == row->mask);

    const auto other = oci::registration_for(p, "/opt/q", "OCF");
    CHECK(other.flags == "OCF");
    CHECK(other.interpreter == "/opt/q");
    const auto none = oci::registration_for(p, "/opt/q", "");
    CHECK(none.flags.empty());
}

TEST_CASE("registration_for: names follow qemu's targets", "[emulator]") {
    CHECK(oci::registration_for(test::platform("linux/arm/v7"), "/q").name == "qemu-arm");
    CHECK(oci::registration_for(test::platform("linux/arm/v5"), "/q").name == "qemu-arm");
    CHECK(oci::registration_for(test::platform("linux/mips64le"), "/q").name == "qemu-mips64el");
    CHECK(oci::registration_for(test::platform("linux/loong64"), "/q").name == "qemu-loongarch64");
    CHECK(oci::registration_for(test::platform("linux/386"), "/q").name == "qemu-i386");
    CHECK(oci::registration_for(test::platform("linux/ppc64le"), "/q").name == "qemu-ppc64le");
}

TEST_CASE("registration_for: a platform outside the catalogue throws Error", "[emulator]") {
    CHECK_THROWS_AS(oci::registration_for(oci::Platform{"linux", "hppa", ""}, "/q"), oci::Error);
    CHECK_THROWS_WITH(oci::registration_for(oci::Platform{"linux", "hppa", ""}, "/q"), Contains("linux/hppa"));
}

TEST_CASE("inspect_emulator: a static program in a directory others can write is rejected, unless sticky", "[emulator]") {
    if (!have(k_static) || !test::is_root()) {
        WARN("SKIP: needs root and " << k_static);
        return;
    }
    test::TempDir dir;
    const auto dest = dir / "x/qemu-aarch64-static";
    test::fs::create_directories(dest.parent_path());
    test::fs::copy_file(k_static, dest);
    test::fs::permissions(dest, test::fs::perms(0755));
    test::fs::permissions(dest.parent_path(), test::fs::perms(0777));
    const Emulator e = oci::inspect_emulator(dest, oci::host_platform());
    CHECK_FALSE(e.usable);
    CHECK_THAT(e.problem, Contains("is in directory '" + dest.parent_path().string() + "', which is writable"));
    CHECK_THAT(e.fix, Contains("chmod go-w"));
    // Reached through a symlink from a safe place, the file still sits where anyone can replace it.
    const auto link = dir / "qemu-link";
    test::fs::create_symlink(dest, link);
    CHECK_FALSE(oci::inspect_emulator(link, oci::host_platform()).usable);

    test::fs::permissions(dest.parent_path(), test::fs::perms(01777));
    CHECK(oci::inspect_emulator(dest, oci::host_platform()).usable);
}
