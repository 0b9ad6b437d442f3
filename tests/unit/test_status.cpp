#include "cli/json.hpp"
#include "base/elf.hpp"
#include "base/settings.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/probe.hpp"
#include "engine/status.hpp"
#include "oci/rootfs.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using Catch::Matchers::Contains;

namespace {

const oci::Platform k_amd64 = test::platform("linux/amd64");
const oci::Platform k_arm64 = test::platform("linux/arm64");

oci::InterpreterInfo static_host_interp(const std::string& path) {
    oci::InterpreterInfo i;
    i.path = path;
    i.exists = true;
    i.resolved = path;
    i.regular = true;
    i.mode = 0100755;
    i.platform = k_amd64;
    i.is_static = true;
    return i;
}

std::vector<std::string> codes(const std::vector<oci::Warning>& warnings) {
    std::vector<std::string> out;
    for (const auto& w : warnings) out.push_back(w.code);
    return out;
}

oci::BinfmtEntry arm64_entry(const std::string& name, const std::string& flags, const std::string& interp) {
    auto e = oci::registration_for(k_arm64, interp, flags);
    e.name = name;
    return e;
}

// A 64-bit little-endian ELF with one PT_INTERP segment naming `loader`.
std::vector<std::uint8_t> elf_with_interp(const std::string& loader) {
    std::vector<std::uint8_t> out = test::build_elf(test::elf_spec(true, false, test::k_em_x86_64));
    out.resize(64 + 56, 0);
    test::put(out, 32, 64, 8, false);  // e_phoff
    test::put(out, 54, 56, 2, false);  // e_phentsize
    test::put(out, 56, 1, 2, false);   // e_phnum
    test::put(out, 64, test::k_pt_interp, 4, false);
    test::put(out, 64 + 8, 120, 8, false);                 // p_offset
    test::put(out, 64 + 32, loader.size() + 1, 8, false);  // p_filesz, with the NUL
    out.insert(out.end(), loader.begin(), loader.end());
    out.push_back(0);
    return out;
}

} // namespace

TEST_CASE("inspect_interpreter: missing, static, dynamic and FIFO files", "[status]") {
    test::TempDir dir;
    CHECK_FALSE(oci::inspect_interpreter((dir / "missing").string()).exists);

    const auto probe = dir.write("static", oci::exit_probe(k_arm64), 0755);
    auto info = oci::inspect_interpreter(probe.string());
    CHECK(info.exists);
    CHECK(info.regular);
    CHECK(info.platform == k_arm64);
    CHECK(info.is_static == std::optional<bool>(true));

    const auto dynamic = dir.write("dynamic", elf_with_interp("/lib/ld-musl.so.1"), 0755);
    dir.symlink(dynamic.string(), "link");
    info = oci::inspect_interpreter((dir / "link").string());
    CHECK(info.resolved == dynamic.string());
    CHECK(info.is_static == std::optional<bool>(false));
    CHECK(info.loader == "/lib/ld-musl.so.1");

    const auto fifo = dir.fifo("fifo");
    const auto r = test::run_in_child([&] { return oci::inspect_interpreter(fifo.string()).regular ? 1 : 0; }, 3000);
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 0);

    const auto writable = dir.write("writable", oci::exit_probe(k_arm64), 0777);
    CHECK(oci::inspect_interpreter(writable.string()).writable_by_others());
}

TEST_CASE("inspect_interpreter_in: resolved inside the rootfs, absent is nullopt", "[status]") {
    test::TempDir root;
    root.write("/usr/bin/qemu-aarch64-static", oci::exit_probe(k_amd64), 0755);
    root.symlink("/usr/bin/qemu-aarch64-static", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    const auto rootfs = oci::Rootfs::open(root.path());
    const auto in = oci::inspect_interpreter_in(rootfs, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
    REQUIRE(in);
    CHECK(in->exists);
    CHECK(in->platform == k_amd64);
    CHECK(in->is_static == std::optional<bool>(true));
    CHECK_FALSE(oci::inspect_interpreter_in(rootfs, "/usr/bin/qemu-s390x-static"));
    // an absolute symlink stays inside the rootfs
    root.symlink("/etc/passwd", "/escape");
    const auto escaped = oci::inspect_interpreter_in(rootfs, "/escape");
    CHECK_FALSE(escaped);
}

TEST_CASE("entry_warnings: a clean static F entry has none", "[status]") {
    const auto e = arm64_entry("qemu-aarch64", "F", "/usr/bin/qemu-aarch64-static");
    oci::BinfmtState state{true, {e}};
    CHECK(oci::entry_warnings(e, k_arm64, static_host_interp(e.interpreter), k_amd64, state).empty());
}

TEST_CASE("entry_warnings: credential flag, missing and writable interpreters", "[status]") {
    auto e = arm64_entry("qemu-aarch64", "OC", "/usr/bin/qemu-aarch64-static");
    oci::BinfmtState state{true, {e}};
    oci::InterpreterInfo missing;
    missing.path = e.interpreter;
    auto w = oci::entry_warnings(e, k_arm64, missing, k_amd64, state);
    CHECK(codes(w) == std::vector<std::string>{"credential", "interpreter-missing"});
    CHECK_THAT(w[1].message, Contains("no such file or directory"));

    e.flags = "F";
    w = oci::entry_warnings(e, k_arm64, missing, k_amd64, state);
    CHECK(codes(w) == std::vector<std::string>{"interpreter-missing"});
    CHECK_THAT(w[0].message, Contains("still holds"));

    auto writable = static_host_interp(e.interpreter);
    writable.uid = 1000;
    CHECK(codes(oci::entry_warnings(e, k_arm64, writable, k_amd64, state)) == std::vector<std::string>{"interpreter-writable"});
    writable.uid = 0;
    writable.mode = 0100775;
    w = oci::entry_warnings(e, k_arm64, writable, k_amd64, state);
    CHECK(codes(w) == std::vector<std::string>{"interpreter-writable"});
    CHECK_THAT(w[0].message, Contains("mode 0775"));
}

TEST_CASE("entry_warnings: dynamic and wrong-machine interpreters of emulator entries", "[status]") {
    auto e = arm64_entry("qemu-aarch64", "F", "/usr/bin/qemu-aarch64");
    oci::BinfmtState state{true, {e}};
    auto dynamic = static_host_interp(e.interpreter);
    dynamic.is_static = false;
    dynamic.loader = "/lib64/ld-linux-x86-64.so.2";
    auto w = oci::entry_warnings(e, k_arm64, dynamic, k_amd64, state);
    REQUIRE(codes(w) == std::vector<std::string>{"interpreter-dynamic"});
    CHECK_THAT(w[0].message, Contains("/lib64/ld-linux-x86-64.so.2") && Contains("xarch install arm64 --replace"));
    e.flags = "";
    w = oci::entry_warnings(e, k_arm64, dynamic, k_amd64, state);
    CHECK_THAT(w[0].message, Contains("no F flag"));

    auto foreign = static_host_interp(e.interpreter);
    foreign.platform = test::platform("linux/s390x");
    CHECK(codes(oci::entry_warnings(e, k_arm64, foreign, k_amd64, state)) == std::vector<std::string>{"interpreter-wrong-machine"});

    // Not an emulator entry (a script interpreter by extension): dynamic is normal there.
    oci::BinfmtEntry ext;
    ext.name = "python3.11";
    ext.type = 'E';
    ext.extension = "pyc";
    ext.interpreter = "/usr/bin/python3.11";
    CHECK(oci::entry_warnings(ext, std::nullopt, dynamic, k_amd64, state).empty());
}

TEST_CASE("entry_warnings: the host's own platform and shadowed entries", "[status]") {
    const auto host_entry = oci::registration_for(k_amd64, "/usr/bin/qemu-x86_64-static");
    oci::BinfmtState state{true, {host_entry}};
    CHECK(codes(oci::entry_warnings(host_entry, k_amd64, static_host_interp(host_entry.interpreter), k_amd64, state)) ==
          std::vector<std::string>{"host-platform"});

    const auto newer = arm64_entry("newer", "F", "/usr/bin/qemu-aarch64-static");
    const auto older = arm64_entry("qemu-aarch64", "F", "/usr/bin/qemu-aarch64-static");
    state = {true, {newer, older}}; // newest first
    const auto w = oci::entry_warnings(older, k_arm64, static_host_interp(older.interpreter), k_amd64, state);
    REQUIRE(codes(w) == std::vector<std::string>{"shadowed"});
    CHECK_THAT(w[0].message, Contains("'newer'"));
    CHECK(oci::entry_warnings(newer, k_arm64, static_host_interp(newer.interpreter), k_amd64, state).empty());
}

TEST_CASE("to_json: the documented status schema", "[status]") {
    oci::StatusReport r;
    r.host = k_amd64;
    r.kernel = "6.18.0";
    r.fix_binary = true;
    r.native = {k_amd64};
    r.binfmt_dir = std::filesystem::path("/proc/sys/fs/binfmt_misc");
    r.binfmt_enabled = true;
    oci::EntryReport er;
    er.entry = arm64_entry("qemu-aarch64", "F", "/usr/bin/qemu-aarch64-static");
    er.platform = k_arm64;
    er.interpreter = static_host_interp(er.entry.interpreter);
    er.warnings = {{"credential", "flag C"}};
    r.entries.push_back(er);
    oci::EmulatorReport em{k_arm64, "aarch64", {}};
    r.emulators.push_back(em);
    r.platforms.push_back({k_arm64, true, false, "qemu-aarch64", ""});
    r.platforms.push_back({test::platform("linux/386"), false, std::nullopt, "", "exec format error"});

    const auto j = cli::to_json(r, "1.2.3");
    CHECK(j["schema_version"] == 1);
    CHECK(j["xarch_version"] == "1.2.3");
    CHECK(j["host"]["platform"] == "linux/amd64");
    CHECK(j["host"]["fix_binary"] == true);
    CHECK(j["host"]["native"] == nlohmann::json::array({"linux/amd64"}));
    CHECK(j["binfmt_misc"]["mounted"] == true);
    CHECK(j["binfmt_misc"]["path"] == "/proc/sys/fs/binfmt_misc");
    const auto& e = j["entries"][0];
    CHECK(e["name"] == "qemu-aarch64");
    CHECK(e["type"] == "magic");
    CHECK(e["flags"] == "F");
    CHECK(e["platform"] == "linux/arm64");
    CHECK(e["magic"] == "7f454c460201010000000000000000000200b700");
    CHECK(e["interpreter_info"]["static"] == true);
    CHECK(e["warnings"][0]["code"] == "credential");
    CHECK(j["emulators"][0]["path"].is_null());
    CHECK(j["emulators"][0]["problems"] == nlohmann::json::array());
    CHECK(j["platforms"][0]["entry"] == "qemu-aarch64");
    CHECK(j["platforms"][0]["error"].is_null());
    CHECK(j["platforms"][1]["native"].is_null());
    CHECK(j["platforms"][1]["entry"].is_null());
    CHECK(j["platforms"][1]["error"] == "exec format error");

    r.binfmt_dir.reset();
    const auto unmounted = cli::to_json(r, "1.2.3");
    CHECK(unmounted["binfmt_misc"]["path"].is_null());
    CHECK(unmounted["binfmt_misc"]["enabled"].is_null());
}

TEST_CASE("gather_status: runs here and covers every probe platform", "[status]") {
    const auto r = oci::gather_status(oci::default_emulator_dirs());
    CHECK(r.host == oci::host_platform());
    CHECK(r.platforms.size() == oci::probe_platforms().size());
    CHECK(std::find(r.native.begin(), r.native.end(), r.host) != r.native.end());
    const auto host = std::find_if(r.platforms.begin(), r.platforms.end(), [&](const oci::PlatformReport& p) { return p.platform == r.host; });
    REQUIRE(host != r.platforms.end());
    CHECK(host->native == std::optional<bool>(true));
    CHECK(r.emulators.size() + 1 == oci::catalogue_platforms().size());
}

TEST_CASE("entry_warnings: an interpreter in a directory others can write", "[status]") {
    auto e = arm64_entry("qemu-aarch64", "", "/tmp/x/qemu-aarch64-static");
    oci::BinfmtState state{true, {e}};
    auto interp = static_host_interp(e.interpreter);
    interp.path_problem = "'/tmp/x/qemu-aarch64-static' is in directory '/tmp/x', which is writable by its group or by others";
    auto w = oci::entry_warnings(e, k_arm64, interp, k_amd64, state);
    REQUIRE(codes(w) == std::vector<std::string>{"interpreter-replaceable"});
    CHECK_THAT(w[0].message, Contains("in directory '/tmp/x'") && Contains("never mounts it"));
    e.flags = "F";
    w = oci::entry_warnings(e, k_arm64, interp, k_amd64, state);
    REQUIRE(codes(w) == std::vector<std::string>{"interpreter-replaceable"});
    CHECK_THAT(w[0].message, Contains("before the entry is registered again"));
}

TEST_CASE("inspect_interpreter: names a directory others can write", "[status]") {
    if (!test::is_root()) {
        WARN("SKIP: needs root");
        return;
    }
    test::TempDir dir;
    const auto file = dir.write("x/qemu", "", 0755);
    test::fs::permissions(file.parent_path(), test::fs::perms(0777));
    CHECK_THAT(oci::inspect_interpreter(file.string()).path_problem, Contains("is in directory '" + file.parent_path().string() + "'"));
    test::fs::permissions(file.parent_path(), test::fs::perms(0755));
    CHECK(oci::inspect_interpreter(file.string()).path_problem.empty());
}
