#include "base/error.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/persist.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using oci::PersistState;

namespace {

oci::BinfmtEntry arm64_entry() { return oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static", "F"); }

} // namespace

TEST_CASE("persist_content: marker, removal hint, and the registration line", "[persist]") {
    const auto e = arm64_entry();
    const std::string content = oci::persist_content(e);
    CHECK(content.starts_with(oci::k_persist_marker));
    CHECK_THAT(content, Contains("xarch uninstall qemu-aarch64"));
    CHECK_THAT(content, Contains(oci::registration_line(e) + "\n"));
    CHECK(oci::binfmt_d_names(content) == std::vector<std::string>{"qemu-aarch64"});
    auto bad = e;
    bad.interpreter = "relative/path";
    CHECK_THROWS_AS(oci::persist_content(bad), oci::Error);
}

TEST_CASE("binfmt_d_names: comments skipped, any delimiter", "[persist]") {
    const std::string text = "# comment\n; another\n\n:qemu-arm:M::\\x7fELF::/usr/bin/qemu-arm-static:F\n"
                             ",wine,E,,exe,,/usr/bin/wine,\nx\n::\n";
    CHECK(oci::binfmt_d_names(text) == std::vector<std::string>{"qemu-arm", "wine"});
}

TEST_CASE("persist_path: the entry name with .conf", "[persist]") {
    CHECK(oci::persist_path("/etc/binfmt.d", "qemu-aarch64") == "/etc/binfmt.d/qemu-aarch64.conf");
    CHECK(oci::binfmt_d_dirs("/tmp/x").front() == "/tmp/x");
    CHECK(oci::binfmt_d_dirs("/tmp/x").back() == "/usr/lib/binfmt.d");
}

TEST_CASE("persist_state: absent, ours, masked and foreign files", "[persist]") {
    test::TempDir dir;
    CHECK(oci::persist_state(dir / "none.conf") == PersistState::Absent);
    oci::write_persist(dir.path(), arm64_entry());
    CHECK(oci::persist_state(dir / "qemu-aarch64.conf") == PersistState::Ours);
    dir.write("foreign.conf", ":x:E::x::/bin/true:\n");
    CHECK(oci::persist_state(dir / "foreign.conf") == PersistState::Foreign);
    dir.symlink("/dev/null", "masked.conf");
    CHECK(oci::persist_state(dir / "masked.conf") == PersistState::Masked);
    dir.symlink((dir / "qemu-aarch64.conf").string(), "link.conf");
    CHECK(oci::persist_state(dir / "link.conf") == PersistState::Foreign); // never written through
    dir.mkdir("dir.conf");
    CHECK(oci::persist_state(dir / "dir.conf") == PersistState::Foreign);
}

TEST_CASE("write_persist: creates the directory and replaces a mask", "[persist]") {
    test::TempDir dir;
    const auto d = dir / "etc/binfmt.d";
    oci::write_persist(d, arm64_entry());
    CHECK((test::file_mode(d / "qemu-aarch64.conf") & 0777) == 0644);
    std::filesystem::remove(d / "qemu-aarch64.conf");
    std::filesystem::create_symlink("/dev/null", d / "qemu-aarch64.conf");
    oci::write_persist(d, arm64_entry());
    CHECK(oci::persist_state(d / "qemu-aarch64.conf") == PersistState::Ours);
    CHECK(std::filesystem::exists("/dev/null"));
}

TEST_CASE("boot_sources: systemd's precedence by file name, masks and names", "[persist]") {
    test::TempDir dir;
    const auto etc = dir.mkdir("etc");
    const auto lib = dir.mkdir("lib");
    dir.write("lib/qemu-aarch64.conf", ":qemu-aarch64:M::\\x7fELF::/usr/bin/qemu-aarch64-static:OPF\n");
    dir.write("lib/qemu-all.conf", ":qemu-s390x:M::\\x7fELF::/s:F\n:qemu-aarch64:M::\\x7fELF::/a:F\n");
    dir.write("lib/qemu-arm.conf", ":qemu-arm:M::\\x7fELF::/a:F\n");
    const std::vector<std::filesystem::path> dirs{etc, lib};
    CHECK(oci::boot_sources("qemu-aarch64", dirs) ==
          std::vector<std::filesystem::path>{lib / "qemu-aarch64.conf", lib / "qemu-all.conf"});
    // A same-named file in the higher directory overrides; a mask hides.
    dir.write("etc/qemu-aarch64.conf", ":something-else:E::x::/bin/true:\n");
    dir.symlink("/dev/null", "etc/qemu-all.conf");
    CHECK(oci::boot_sources("qemu-aarch64", dirs).empty());
    CHECK(oci::boot_sources("qemu-arm", dirs) == std::vector<std::filesystem::path>{lib / "qemu-arm.conf"});
    CHECK(oci::boot_sources("qemu-arm", {dir / "missing"}).empty());
}

TEST_CASE("binfmt_support_entry: update-binfmts' database, and the command that stops it", "[persist]") {
    test::TempDir dir;
    dir.write("qemu-aarch64", "qemu-user-static\nmagic\n0\n\\x7fELF\\x02\n\\xff\\xff\\xff\\xff\\xff\n"
                              "/usr/libexec/qemu-binfmt/aarch64-binfmt-P\n\nno\nyes\nyes\n");
    dir.write("short", "pkg\nmagic\n");
    const auto e = oci::binfmt_support_entry("qemu-aarch64", dir.path());
    REQUIRE(e);
    CHECK(e->package == "qemu-user-static");
    CHECK(e->interpreter == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    CHECK(oci::binfmt_support_remove_command("qemu-aarch64", *e) ==
          "update-binfmts --package qemu-user-static --remove qemu-aarch64 /usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    CHECK_FALSE(oci::binfmt_support_entry("short", dir.path()));
    CHECK_FALSE(oci::binfmt_support_entry("missing", dir.path()));
    CHECK_FALSE(oci::binfmt_support_entry("../qemu-aarch64", dir.path()));
}

TEST_CASE("choose_persist_via: binfmt-support only where systemd did not boot and update-binfmts is installed", "[persist]") {
    using oci::PersistVia;
    CHECK(oci::choose_persist_via(false, true) == PersistVia::BinfmtSupport);
    CHECK(oci::choose_persist_via(true, true) == PersistVia::BinfmtD);   // systemd-binfmt registers at boot
    CHECK(oci::choose_persist_via(false, false) == PersistVia::BinfmtD); // right once systemd boots it
    CHECK(oci::choose_persist_via(true, false) == PersistVia::BinfmtD);
    CHECK(oci::parse_persist_via("binfmt-support") == PersistVia::BinfmtSupport);
    CHECK(oci::parse_persist_via("binfmt.d") == PersistVia::BinfmtD);
    CHECK(std::string(oci::to_string(PersistVia::BinfmtSupport)) == "binfmt-support");
    CHECK_THROWS_AS(oci::parse_persist_via("systemd"), oci::ArgumentError);
}

TEST_CASE("update_binfmts_install_args: update-binfmts 2.2.2's options for an entry", "[persist]") {
    auto e = oci::registration_for(test::platform("linux/arm64"), "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "FP");
    const std::string magic = "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
    const std::string mask = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
    CHECK(oci::update_binfmts_install_args(e, "/var/lib/binfmts", oci::k_binfmt_default_dir) ==
          std::vector<std::string>{"--package", "xarch", "--admindir", "/var/lib/binfmts", "--install", "qemu-aarch64",
                                   "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "--magic", magic, "--mask", mask, "--offset",
                                   "0", "--credentials", "no", "--preserve", "yes", "--fix-binary", "yes"});
    // Another binfmt_misc mount is passed on; C (which brings O) is expressible.
    e.flags = "OCF";
    const auto args = oci::update_binfmts_install_args(e, "/tmp/admin", "/tmp/binfmt_misc");
    CHECK(std::vector<std::string>(args.begin(), args.begin() + 6) ==
          std::vector<std::string>{"--package", "xarch", "--admindir", "/tmp/admin", "--procdir", "/tmp/binfmt_misc"});
    CHECK(std::vector<std::string>(args.end() - 6, args.end()) ==
          std::vector<std::string>{"--credentials", "yes", "--preserve", "no", "--fix-binary", "yes"});
    // O alone has no update-binfmts option; a bad entry is refused as registration_line refuses it.
    e.flags = "POF";
    CHECK_THROWS_WITH(oci::update_binfmts_install_args(e, "/a", oci::k_binfmt_default_dir), Contains("flag O and without C"));
    e.flags = "F";
    e.interpreter = "relative";
    CHECK_THROWS_AS(oci::update_binfmts_install_args(e, "/a", oci::k_binfmt_default_dir), oci::Error);
    CHECK(oci::update_binfmts_remove_args("qemu-aarch64", "/usr/bin/qemu-aarch64-static", "/a", oci::k_binfmt_default_dir) ==
          std::vector<std::string>{"--package", "xarch", "--admindir", "/a", "--remove", "qemu-aarch64",
                                   "/usr/bin/qemu-aarch64-static"});
}

TEST_CASE("shell_command: quotes what a shell would take apart", "[persist]") {
    CHECK(oci::shell_command("/usr/sbin/update-binfmts", {"--magic", "\\x7f", "it's", "/a/b", ""}) ==
          "/usr/sbin/update-binfmts --magic '\\x7f' 'it'\\''s' /a/b ''");
}

TEST_CASE("run_update_binfmts: its exit status and output make the error", "[persist]") {
    test::TempDir dir;
    const auto ok = dir.write("ok", "#!/bin/sh\n[ \"$1 $2\" = \"a b c\" ] || [ \"$*\" = \"a b c\" ]\n", 0755);
    CHECK_NOTHROW(oci::run_update_binfmts(ok, {"a", "b c"}));
    const auto bad = dir.write("bad", "#!/bin/sh\necho \"update-binfmts: warning: $1 already installed\" >&2\nexit 2\n", 0755);
    CHECK_THROWS_WITH(oci::run_update_binfmts(bad, {"qemu-aarch64"}),
                      Contains("exited with status 2") && Contains("qemu-aarch64 already installed") && Contains(bad.string()));
    CHECK_THROWS_WITH(oci::run_update_binfmts(dir / "missing", {}), Contains("could not be started"));
}
