#include "binfmt/install.hpp"
#include "binfmt/persist.hpp"
#include "binfmt/probe.hpp"
#include "binfmt/registrations.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using Catch::Matchers::Contains;
using oci::InstallMode;
using oci::StepKind;

namespace {

const oci::Platform k_amd64 = test::platform("linux/amd64");
const oci::Platform k_arm64 = test::platform("linux/arm64");

oci::Emulator emulator(const std::string& path, const std::string& resolved = {}) {
    oci::Emulator e;
    e.path = path;
    e.resolved = resolved.empty() ? path : resolved;
    e.usable = true;
    e.is_static = true;
    return e;
}

// An amd64 host with F support, nothing registered, and static emulators for every catalogue target.
oci::InstallFacts facts() {
    oci::InstallFacts f;
    f.host = k_amd64;
    f.kernel = "6.18.0";
    f.native = {k_amd64};
    f.emulator_dirs = {"/usr/bin", "/usr/libexec/qemu-binfmt"};
    for (const auto& p : oci::catalogue_platforms()) {
        const std::string qemu = oci::qemu_target(p);
        f.emulators[qemu].emulator = emulator("/usr/bin/qemu-" + qemu + "-static");
    }
    return f;
}

oci::BinfmtEntry entry(const oci::Platform& p, const std::string& name, const std::string& interp, const std::string& flags,
                       std::uint64_t inode = 1) {
    auto e = oci::registration_for(p, interp, flags);
    e.name = name;
    e.sequence = inode;
    return e;
}

oci::InstallPlan plan(const std::vector<std::string>& names, const oci::InstallOptions& o, const oci::InstallFacts& f) {
    std::vector<oci::Platform> ps;
    for (const auto& n : names) ps.push_back(oci::parse_platform_arg(n));
    return oci::plan_install(ps, false, o, f);
}

} // namespace

TEST_CASE("parse_kernel_release: major and minor from uname -r", "[install]") {
    const auto k = oci::parse_kernel_release("6.18.44-fc-v657");
    REQUIRE(k);
    CHECK(k->major == 6);
    CHECK(k->minor == 18);
    CHECK_FALSE(oci::parse_kernel_release("garbage"));
    CHECK_FALSE(oci::parse_kernel_release("6"));
    CHECK_FALSE(oci::parse_kernel_release(""));
}

TEST_CASE("supports_fix_binary and supports_binfmt_userns: the kernel versions that added them", "[install]") {
    CHECK(oci::supports_fix_binary({4, 8}));
    CHECK(oci::supports_fix_binary({5, 0}));
    CHECK_FALSE(oci::supports_fix_binary({4, 7}));
    CHECK_FALSE(oci::supports_fix_binary({3, 10}));
    CHECK(oci::supports_binfmt_userns({6, 7}));
    CHECK(oci::supports_binfmt_userns({7, 0}));
    CHECK_FALSE(oci::supports_binfmt_userns({6, 6}));
}

TEST_CASE("parse_platform_arg: OCI, qemu and Debian names", "[install]") {
    CHECK(oci::parse_platform_arg("arm64") == k_arm64);
    CHECK(oci::parse_platform_arg("linux/arm64") == k_arm64);
    CHECK(oci::parse_platform_arg("aarch64") == k_arm64);
    CHECK(oci::parse_platform_arg("linux/arm/v7") == test::platform("linux/arm/v7"));
    CHECK(oci::parse_platform_arg("armhf") == test::platform("linux/arm/v7"));
    CHECK(oci::parse_platform_arg("386") == test::platform("linux/386"));
    CHECK(oci::parse_platform_arg("i386") == test::platform("linux/386"));
    CHECK(oci::parse_platform_arg("mips64el") == test::platform("linux/mips64le"));
    CHECK(oci::parse_platform_arg("loongarch64") == test::platform("linux/loong64"));
    CHECK_THROWS_AS(oci::parse_platform_arg("sparc9"), oci::ArgumentError);
    CHECK_THROWS_WITH(oci::parse_platform_arg("linux/arm64/v9"), Contains("unknown platform 'linux/arm64/v9'") && Contains("arm/v7"));
    CHECK_THROWS_AS(oci::parse_platform_arg(""), oci::ArgumentError);
}

TEST_CASE("parse_platform_arg: every name the unknown-platform hint lists is accepted", "[install]") {
    std::string hint;
    try {
        oci::parse_platform_arg("sparc9");
    } catch (const oci::ArgumentError& e) {
        hint = e.what();
    }
    CHECK_THAT(hint, Contains("a Debian name (") && Contains("armhf") && Contains("ppc64el"));
    std::size_t listed = 0;
    for (std::size_t open = hint.find('('); open != std::string::npos; open = hint.find('(', open + 1)) {
        const std::string list = hint.substr(open + 1, hint.find(')', open) - open - 1);
        for (std::size_t start = 0; start < list.size();) {
            const std::size_t comma = std::min(list.find(", ", start), list.size());
            const std::string name = list.substr(start, comma - start);
            INFO(name);
            CHECK(oci::parse_platform(name).has_value());
            ++listed;
            start = comma + 2;
        }
    }
    CHECK(listed == 38);
}

TEST_CASE("parse_install_mode: the three modes", "[install]") {
    CHECK(oci::parse_install_mode("auto") == InstallMode::Auto);
    CHECK(oci::parse_install_mode("registration") == InstallMode::Registration);
    CHECK(oci::parse_install_mode("execution") == InstallMode::Execution);
    CHECK_THROWS_AS(oci::parse_install_mode("F"), oci::ArgumentError);
    CHECK(std::string(oci::to_string(InstallMode::Execution)) == "execution");
}

TEST_CASE("same_registration: flag order does not matter, C implies O", "[install]") {
    const auto a = entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "OCF");
    auto b = a;
    b.flags = "FC";
    CHECK(oci::same_registration(a, b));
    b.interpreter = "/usr/bin/qemu-aarch64";
    CHECK_FALSE(oci::same_registration(a, b));
    b = a;
    b.flags = "F";
    CHECK_FALSE(oci::same_registration(a, b));
    b = a;
    b.mask.clear();
    CHECK_FALSE(oci::same_registration(a, b));
    b.mask.assign(b.magic.size(), 0xff);
    auto c = a;
    c.mask.clear();
    CHECK(oci::same_registration(c, [&] { auto x = c; x.mask.assign(x.magic.size(), 0xff); return x; }()));
}

TEST_CASE("entry_platform: the catalogue platform an entry claims", "[install]") {
    for (const auto& p : oci::catalogue_platforms()) {
        INFO(p.str());
        CHECK(oci::entry_platform(oci::registration_for(p, "/x")) == p);
    }
    oci::BinfmtEntry ext;
    ext.type = 'E';
    ext.extension = "exe";
    ext.interpreter = "/usr/bin/wine";
    CHECK_FALSE(oci::entry_platform(ext));
    oci::BinfmtEntry pyc;
    pyc.magic = {0xa7, 0x0d, 0x0d, 0x0a};
    pyc.mask.assign(4, 0xff);
    CHECK_FALSE(oci::entry_platform(pyc));
}

TEST_CASE("entries_for: every entry claiming a platform, newest first", "[install]") {
    oci::BinfmtState s;
    s.entries = {entry(k_arm64, "new", "/a", "F", 3), entry(test::platform("linux/s390x"), "s", "/b", "F", 2),
                 entry(k_arm64, "old", "/c", "", 1)};
    s.entries[0].enabled = false;
    const auto found = oci::entries_for(s, k_arm64);
    REQUIRE(found.size() == 2);
    CHECK(found[0]->name == "new");
    CHECK(found[1]->name == "old");
}

TEST_CASE("plan_install: auto registers with F where the kernel supports it", "[install]") {
    const auto p = plan({"arm64"}, {}, facts());
    REQUIRE(p.errors.empty());
    CHECK(p.mode == InstallMode::Registration);
    CHECK_THAT(p.mode_note, Contains("mode auto: registration"));
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].kind == StepKind::Register);
    CHECK(p.steps[0].entry.name == "qemu-aarch64");
    CHECK(p.steps[0].entry.flags == "F");
    CHECK(p.steps[0].entry.interpreter == "/usr/bin/qemu-aarch64-static");
}

TEST_CASE("plan_install: without F support auto falls back and registration fails", "[install]") {
    auto f = facts();
    f.fix_binary = false;
    f.kernel = "4.4.0";
    auto p = plan({"arm64"}, {}, f);
    REQUIRE(p.errors.empty());
    CHECK(p.mode == InstallMode::Execution);
    CHECK_THAT(p.mode_note, Contains("mode auto: execution") && Contains("4.4.0"));
    CHECK(p.steps[0].entry.flags.empty());
    oci::InstallOptions o;
    o.mode = InstallMode::Registration;
    p = plan({"arm64"}, o, f);
    REQUIRE(p.errors.size() == 1);
    CHECK_THAT(p.errors[0], Contains("F flag") && Contains("4.8") && Contains("--mode execution"));
}

TEST_CASE("plan_install: execution mode, credential and preserve-argv0 flags", "[install]") {
    oci::InstallOptions o;
    o.mode = InstallMode::Execution;
    o.credential = true;
    o.preserve_argv0 = true;
    auto f = facts();
    f.emulators["aarch64"].binfmt_p = emulator("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/bin/qemu-aarch64-static");
    const auto p = plan({"arm64"}, o, f);
    REQUIRE(p.errors.empty());
    CHECK(p.mode_note.empty());
    const auto& e = p.steps[0].entry;
    CHECK(e.has_flag('P'));
    CHECK(e.has_flag('C'));
    CHECK(e.has_flag('O'));
    CHECK_FALSE(e.has_flag('F'));
    // Debian's -binfmt-P name tells its qemu about P on any kernel.
    CHECK(e.interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
}

TEST_CASE("plan_install: argv[0] is kept by default where Debian's -binfmt-P name exists", "[install]") {
    auto f = facts();
    f.emulators["aarch64"].binfmt_p = emulator("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/bin/qemu-aarch64-static");
    auto p = plan({"arm64", "s390x"}, {}, f);
    REQUIRE(p.steps.size() == 2);
    CHECK(p.steps[0].entry.flags == "POF");
    CHECK(p.steps[0].entry.interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    CHECK(p.steps[1].entry.flags == "F"); // no -binfmt-P for s390x here
    CHECK(p.steps[1].entry.interpreter == "/usr/bin/qemu-s390x-static");
    oci::InstallOptions o;
    o.preserve_argv0 = false;
    p = plan({"arm64"}, o, f);
    CHECK(p.steps[0].entry.flags == "F");
    CHECK(p.steps[0].entry.interpreter == "/usr/bin/qemu-aarch64-static");
    o.preserve_argv0 = true;
    p = plan({"s390x"}, o, f);
    CHECK(p.steps[0].entry.flags == "POF");
    CHECK(p.steps[0].entry.interpreter == "/usr/bin/qemu-s390x-static");
}

TEST_CASE("plan_install: a -binfmt-P emulator without the P flag registers the file it names", "[install]") {
    auto f = facts();
    f.emulators["aarch64"].emulator = emulator("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/bin/qemu-aarch64-static");
    const auto p = plan({"arm64"}, {}, f);
    CHECK(p.steps[0].entry.interpreter == "/usr/bin/qemu-aarch64-static");
}

TEST_CASE("plan_install: an identical entry is kept, idempotently", "[install]") {
    auto f = facts();
    f.binfmt.entries = {entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "F")};
    const auto p = plan({"aarch64"}, {}, f);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].kind == StepKind::Keep);
    CHECK(p.steps[0].identical);
    CHECK_THAT(p.steps[0].message, Contains("already registered as requested"));
}

TEST_CASE("plan_install: a different entry is kept and reported unless --replace", "[install]") {
    auto f = facts();
    f.binfmt.entries = {entry(k_arm64, "other", "/opt/qemu-aarch64", "", 2),
                        entry(k_arm64, "qemu-aarch64", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "OP", 1)};
    auto p = plan({"arm64"}, {}, f);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].kind == StepKind::Keep);
    CHECK_FALSE(p.steps[0].identical);
    CHECK(p.steps[0].entry.name == "other"); // the one the kernel uses
    CHECK_THAT(p.steps[0].message, Contains("left 'other'") && Contains("add --replace"));

    oci::InstallOptions o;
    o.replace = true;
    p = plan({"arm64"}, o, f);
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].kind == StepKind::Replace);
    REQUIRE(p.steps[0].remove.size() == 2);
    CHECK(p.steps[0].remove[0].name == "other");
    CHECK(p.steps[0].remove[1].name == "qemu-aarch64");
}

TEST_CASE("plan_install: a disabled entry is reported as such", "[install]") {
    auto f = facts();
    f.binfmt.entries = {entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "F")};
    f.binfmt.entries[0].enabled = false;
    const auto p = plan({"arm64"}, {}, f);
    CHECK(p.steps[0].kind == StepKind::Keep);
    CHECK_THAT(p.steps[0].message, Contains("disabled") && Contains("--replace"));
}

TEST_CASE("plan_install: the host's platform, natives and missing emulators", "[install]") {
    auto f = facts();
    f.native.push_back(test::platform("linux/386"));
    f.emulators.erase("s390x");
    f.emulators["riscv64"].emulator.reset();
    f.emulators["riscv64"].rejected.push_back([] {
        oci::Emulator e;
        e.problem = "'/usr/bin/qemu-riscv64' is dynamically linked";
        return e;
    }());
    auto p = plan({"amd64", "386", "s390x", "riscv64", "arm64"}, {}, f);
    REQUIRE(p.errors.size() == 4);
    CHECK_THAT(p.errors[0], Contains("install 'linux/amd64'") && Contains("natively"));
    CHECK_THAT(p.errors[1], Contains("install 'linux/386'") && Contains("natively"));
    CHECK_THAT(p.errors[2], Contains("no usable static emulator qemu-s390x-static in /usr/bin, /usr/libexec/qemu-binfmt") &&
                                Contains("apt-get install qemu-user-static"));
    CHECK_THAT(p.errors[3], Contains("is dynamically linked"));

    p = oci::plan_install({}, true, {}, f);
    CHECK(p.errors.empty());
    std::vector<std::string> skipped, registered;
    for (const auto& s : p.steps) (s.kind == StepKind::Skip ? skipped : registered).push_back(s.platform.str());
    CHECK(skipped == std::vector<std::string>{"linux/amd64", "linux/386", "linux/s390x", "linux/riscv64"});
    CHECK(std::find(registered.begin(), registered.end(), "linux/arm64") != registered.end());
}

TEST_CASE("plan_install: an arm64 host with AArch32 runs arm64 and arm natively, amd64 and 386 get emulators", "[install]") {
    auto f = facts();
    f.host = k_arm64;
    f.native = {k_arm64, test::platform("linux/arm/v7")}; // native_platforms where the CPU has AArch32
    f.emulators.erase("aarch64");
    auto p = plan({"arm64", "arm/v7", "amd64", "386"}, {}, f);
    REQUIRE(p.errors.size() == 2);
    CHECK_THAT(p.errors[0], Contains("install 'linux/arm64'") && Contains("natively"));
    CHECK_THAT(p.errors[1], Contains("install 'linux/arm/v7'") && Contains("natively"));
    std::vector<std::string> registered;
    for (const auto& s : p.steps)
        if (s.kind == StepKind::Register) registered.push_back(s.entry.name);
    CHECK(registered == std::vector<std::string>{"qemu-x86_64", "qemu-i386"});

    // Without AArch32, arm is one more foreign platform.
    f.native = {k_arm64};
    p = plan({"arm/v7"}, {}, f);
    CHECK(p.errors.empty());
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].kind == StepKind::Register);
    CHECK(p.steps[0].entry.name == "qemu-arm");
}

TEST_CASE("plan_install: arm variants share one entry", "[install]") {
    const auto p = plan({"arm/v7", "armel", "arm/v6"}, {}, facts());
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].entry.name == "qemu-arm");
}

TEST_CASE("plan_uninstall: platforms, entry names and all", "[install]") {
    oci::BinfmtState s;
    s.entries = {entry(k_arm64, "qemu-aarch64", "/a", "F", 3), entry(k_arm64, "old-arm64", "/b", "", 2),
                 entry(test::platform("linux/s390x"), "qemu-s390x", "/c", "F", 1)};
    oci::BinfmtEntry ext;
    ext.name = "wine";
    ext.type = 'E';
    ext.extension = "exe";
    ext.interpreter = "/usr/bin/wine";
    s.entries.push_back(ext);

    auto p = oci::plan_uninstall({"arm64"}, s);
    REQUIRE(p.remove.size() == 2);
    CHECK(p.remove[0].name == "qemu-aarch64");
    CHECK(p.remove[1].name == "old-arm64");
    CHECK(std::find(p.names.begin(), p.names.end(), "qemu-aarch64") != p.names.end());

    p = oci::plan_uninstall({"wine", "qemu-s390x"}, s);
    REQUIRE(p.remove.size() == 2);
    CHECK(p.remove[0].name == "qemu-s390x");
    CHECK(p.remove[1].name == "wine");

    p = oci::plan_uninstall({"all"}, s);
    CHECK(p.remove.size() == 3); // not wine: it serves no platform

    p = oci::plan_uninstall({"riscv64", "qemu-mips64"}, s);
    CHECK(p.remove.empty());
    CHECK(p.notes == std::vector<std::string>{"nothing is registered for linux/riscv64", "no binfmt_misc entry 'qemu-mips64' is registered"});
    CHECK(p.names == std::vector<std::string>{"qemu-mips64", "qemu-riscv64"});

    CHECK_THROWS_WITH(oci::plan_uninstall({"nonsense"}, s), Contains("uninstall 'nonsense': no such platform or binfmt_misc entry"));
}

TEST_CASE("plan_reset: every qemu entry, nothing else", "[install]") {
    oci::BinfmtState s;
    s.entries = {entry(k_arm64, "aarch64", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "OP", 3),
                 entry(test::platform("linux/s390x"), "qemu-s390x", "/c", "F", 2)};
    oci::BinfmtEntry other;
    other.name = "llvm-runtime";
    other.interpreter = "/usr/bin/lli";
    s.entries.push_back(other);
    auto p = oci::plan_reset(s);
    REQUIRE(p.remove.size() == 2);
    CHECK(oci::is_qemu_entry(s.entries[0]));
    CHECK_FALSE(oci::is_qemu_entry(other));
    p = oci::plan_reset({});
    CHECK(p.remove.empty());
    CHECK(p.notes == std::vector<std::string>{"no qemu entries are registered"});
}

TEST_CASE("apply_install: registers through the register file and persists", "[install]") {
    // A fake binfmt_misc directory: writes to regular files succeed like the kernel's would.
    test::TempDir dir;
    dir.write("register", "");
    const auto persist = dir.mkdir("binfmt.d");
    auto p = plan({"arm64"}, {}, facts());
    const auto lines = oci::apply_install(p, dir.path(), {persist, false});
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], Contains("registered 'qemu-aarch64' for linux/arm64: /usr/bin/qemu-aarch64-static, flags F"));
    CHECK_THAT(lines[1], Contains("wrote " + (persist / "qemu-aarch64.conf").string()));
    const std::string registered = test::read_text(dir / "register");
    CHECK_THAT(registered, Contains(":qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46") && Contains(":/usr/bin/qemu-aarch64-static:F"));
    const std::string file = test::read_text(persist / "qemu-aarch64.conf");
    CHECK_THAT(file, Contains(oci::k_persist_marker) && Contains(registered));
    CHECK((test::file_mode(persist / "qemu-aarch64.conf") & 0777) == 0644);
}

TEST_CASE("apply_install: someone else's binfmt.d file stops everything before any change", "[install]") {
    test::TempDir dir;
    dir.write("register", "");
    const auto persist = dir.mkdir("binfmt.d");
    dir.write("binfmt.d/qemu-aarch64.conf", ":qemu-aarch64:M::abc::/bin/true:\n");
    const auto p = plan({"arm64"}, {}, facts());
    CHECK_THROWS_WITH(oci::apply_install(p, dir.path(), {persist, false}), Contains("was not written by xarch"));
    CHECK(test::read_text(dir / "register").empty());
    CHECK(test::read_text(persist / "qemu-aarch64.conf") == ":qemu-aarch64:M::abc::/bin/true:\n");
}

TEST_CASE("apply_install: a plan with errors does nothing", "[install]") {
    test::TempDir dir;
    auto f = facts();
    const auto p = plan({"amd64"}, {}, f);
    REQUIRE_FALSE(p.errors.empty());
    CHECK_THROWS_WITH(oci::apply_install(p, dir.path(), {}), Contains("natively"));
}

TEST_CASE("apply_removal: removes entries and xarch's own files only", "[install]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "enabled\n");
    const auto persist = dir.mkdir("binfmt.d");
    const auto e = entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "F");
    oci::write_persist(persist, e);
    dir.write("binfmt.d/qemu-s390x.conf", ":qemu-s390x:M::abc::/bin/true:\n");
    oci::BinfmtState s{true, {e}};
    const auto p = oci::plan_uninstall({"arm64", "s390x"}, s);
    const auto lines = oci::apply_removal(p, dir.path(), {persist, false});
    CHECK(test::read_text(dir / "qemu-aarch64").starts_with("-1")); // what removes an entry
    CHECK_FALSE(std::filesystem::exists(persist / "qemu-aarch64.conf"));
    CHECK(std::filesystem::exists(persist / "qemu-s390x.conf"));
    REQUIRE(lines.size() >= 3);
    CHECK(lines[0] == "nothing is registered for linux/s390x");
    CHECK_THAT(lines[1], Contains("removed 'qemu-aarch64'"));
    CHECK_THAT(lines[2], Contains("removed " + (persist / "qemu-aarch64.conf").string()));
}

TEST_CASE("apply_removal: says how to stop binfmt-support from registering a removed entry at boot", "[install]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "enabled\n");
    const auto persist = dir.mkdir("binfmt.d");
    const auto admin = dir.mkdir("binfmts");
    dir.write("binfmts/qemu-aarch64", "qemu-user-static\nmagic\n0\nx\ny\n/usr/libexec/qemu-binfmt/aarch64-binfmt-P\n\nno\nyes\nyes\n");
    const auto e = entry(k_arm64, "qemu-aarch64", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "POF");
    const auto p = oci::plan_uninstall({"arm64"}, oci::BinfmtState{true, {e}});
    oci::PersistOptions o{persist, false};
    o.binfmt_support_dir = admin;
    const auto lines = oci::apply_removal(p, dir.path(), o);
    const bool noted = std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
        return l.find("binfmt-support registers 'qemu-aarch64' again at boot") != std::string::npos &&
               l.find("update-binfmts --package qemu-user-static --remove qemu-aarch64") != std::string::npos;
    });
    CHECK(noted);
}

TEST_CASE("apply_removal: a failure with the binfmt.d files re-registers the removed entries", "[install]") {
    // The fake binfmt_misc: removing writes "-1" to the entry's file, registering writes the
    // registration line to "register". A persist "directory" that is a file fails every lookup.
    test::TempDir dir;
    dir.write("register", "");
    dir.write("qemu-aarch64", "enabled\n");
    const auto not_a_dir = dir.write("binfmt.d", "a file\n");
    const auto e = entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "F");
    const auto p = oci::plan_uninstall({"arm64"}, oci::BinfmtState{true, {e}});
    CHECK_THROWS_WITH(oci::apply_removal(p, dir.path(), {not_a_dir, false}),
                      Contains("Not a directory") && Contains("every change made so far was undone"));
    CHECK(test::read_text(dir / "qemu-aarch64").starts_with("-1"));
    CHECK_THAT(test::read_text(dir / "register"), Contains(":qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46") &&
                                                      Contains(":/usr/bin/qemu-aarch64-static:F"));
}

TEST_CASE("plan_install: without O (binfmt-support has none alone), P entries are P only", "[install]") {
    auto f = facts();
    f.emulators["aarch64"].binfmt_p = emulator("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/bin/qemu-aarch64-static");
    oci::InstallOptions o;
    CHECK(oci::binfmt_flags(plan({"arm64"}, o, f).steps.at(0).entry.flags) == oci::binfmt_flags("POF"));
    o.open_binary = false;
    CHECK(oci::binfmt_flags(plan({"arm64"}, o, f).steps.at(0).entry.flags) == oci::binfmt_flags("PF"));
    o.credential = true; // C brings O back, as the kernel does
    CHECK(oci::binfmt_flags(plan({"arm64"}, o, f).steps.at(0).entry.flags) == oci::binfmt_flags("POCF"));
}

TEST_CASE("apply_install --persist through binfmt-support: another package's entry stops everything first", "[install]") {
    test::TempDir dir;
    dir.write("register", "");
    const auto admin = dir.mkdir("binfmts");
    dir.write("binfmts/qemu-aarch64", "qemu-user-static\nmagic\n0\nx\ny\n/usr/libexec/qemu-binfmt/aarch64-binfmt-P\n\nno\nyes\nyes\n");
    oci::PersistOptions o;
    o.binfmt_support = true;
    o.binfmt_support_dir = admin;
    o.update_binfmts = dir / "update-binfmts-never-run";
    const auto p = plan({"arm64"}, {}, facts());
    CHECK_THROWS_WITH(oci::apply_install(p, dir.path(), o),
                      Contains("from package qemu-user-static") &&
                          Contains("update-binfmts --package qemu-user-static --remove qemu-aarch64"));
    CHECK(test::read_text(dir / "register").empty());
    o.update_binfmts.reset();
    CHECK_THROWS_WITH(oci::apply_install(p, dir.path(), o), Contains("update-binfmts (binfmt-support) is not installed"));
}

TEST_CASE("apply_install and apply_removal: keep the record of what xarch registered", "[install]") {
    test::TempDir dir;
    dir.write("register", "");
    const oci::RegistrationRecords records{dir / "registrations", dir / "run-binfmt.d"};
    auto p = plan({"arm64"}, {}, facts());
    const auto& e = p.steps.at(0).entry;
    // The fake binfmt_misc shows the entry as the kernel would after the write to register.
    dir.write("qemu-aarch64", "enabled\ninterpreter " + e.interpreter + "\nflags: F\noffset 0\nmagic " + oci::to_hex(e.magic) +
                                  "\nmask " + oci::to_hex(e.mask) + "\n");
    oci::PersistOptions o;
    o.records = records;
    oci::apply_install(p, dir.path(), o);
    CHECK(oci::registrations_made(records, dir.path()) == std::vector<std::string>{"qemu-aarch64"});
    // Registered until reboot: systemd-binfmt's runtime directory keeps it across its restarts.
    const auto runtime = dir / "run-binfmt.d/xarch-qemu-aarch64.conf";
    CHECK_THAT(test::read_text(runtime), Contains(oci::registration_line(e)));
    const auto r = oci::plan_uninstall({"arm64"}, oci::BinfmtState{true, {e}});
    o.dir = dir / "binfmt.d";
    oci::apply_removal(r, dir.path(), o);
    CHECK_FALSE(std::filesystem::exists(records.dir / "qemu-aarch64"));
    CHECK_FALSE(std::filesystem::exists(runtime));
    // Persisted (o.dir set): /etc/binfmt.d registers it again, so no runtime file.
    dir.write("qemu-aarch64", "enabled\ninterpreter " + e.interpreter + "\nflags: F\noffset 0\nmagic " + oci::to_hex(e.magic) +
                                  "\nmask " + oci::to_hex(e.mask) + "\n");
    oci::apply_install(p, dir.path(), o);
    CHECK(oci::registrations_made(records, dir.path()) == std::vector<std::string>{"qemu-aarch64"});
    CHECK_FALSE(std::filesystem::exists(runtime));
}

TEST_CASE("apply_removal: xarch's own binfmt-support entry without update-binfmts is named", "[install]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "enabled\n");
    const auto admin = dir.mkdir("binfmts");
    dir.write("binfmts/qemu-aarch64", "xarch\nmagic\n0\nx\ny\n/usr/bin/qemu-aarch64-static\n\nno\nno\nyes\n");
    const auto e = entry(k_arm64, "qemu-aarch64", "/usr/bin/qemu-aarch64-static", "F");
    oci::PersistOptions o{dir / "binfmt.d", false};
    o.binfmt_support_dir = admin;
    const auto lines = oci::apply_removal(oci::plan_uninstall({"arm64"}, oci::BinfmtState{true, {e}}), dir.path(), o);
    const bool noted = std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
        return l.find((admin / "qemu-aarch64").string() + " (binfmt-support's entry of package xarch)") != std::string::npos;
    });
    CHECK(noted);
    CHECK(std::filesystem::exists(admin / "qemu-aarch64"));
}
