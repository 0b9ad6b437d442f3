#include "cli/cli.hpp"
#include "cli/text.hpp"

#include "base/io.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/probe.hpp"

#include "cli_fixture.hpp"
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

using test::xarch;

} // namespace

TEST_CASE("run: --help and --version everywhere", "[cli]") {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}}) {
        const auto r = xarch(args);
        CHECK(r.code == cli::k_exit_ok);
        CHECK_THAT(r.out, StartsWith("usage: xarch") && Contains("Exit status"));
    }
    CHECK(xarch({"--version"}).out == "xarch 0.1.0\n");
    for (const char* command : {"status", "install", "uninstall", "reset", "doctor", "detect", "inject"}) {
        INFO(command);
        auto r = xarch({command, "--help"});
        CHECK(r.code == cli::k_exit_ok);
        CHECK_THAT(r.out, StartsWith(std::string("usage: xarch ") + command));
        CHECK(xarch({"help", command}).out == r.out);
        r = xarch({command, "--version"});
        CHECK(r.code == cli::k_exit_ok);
        CHECK(r.out == "xarch 0.1.0\n");
        CHECK(xarch({command, "-h"}).out == xarch({command, "--help"}).out);
    }
}

TEST_CASE("run: usage errors exit 2 with one message and a pointer to --help", "[cli]") {
    auto r = xarch({});
    CHECK(r.code == cli::k_exit_usage);
    CHECK_THAT(r.err, StartsWith("usage: xarch"));
    r = xarch({"frobnicate"});
    CHECK(r.code == cli::k_exit_usage);
    CHECK(r.err == "xarch: unknown command 'frobnicate'\nTry 'xarch --help'.\n");
    r = xarch({"--frob", "status"});
    CHECK(r.code == cli::k_exit_usage);
    r = xarch({"install", "arm64", "--force"});
    CHECK(r.code == cli::k_exit_usage);
    CHECK(r.err == "xarch: install: unknown option '--force'\nTry 'xarch install --help'.\n");
    // bad names are rejected before anything is looked at, root or not
    r = xarch({"install", "sparc9"});
    CHECK(r.code == cli::k_exit_usage);
    CHECK_THAT(r.err, StartsWith("xarch: install: unknown platform 'sparc9'"));
    CHECK(xarch({"install"}).code == cli::k_exit_usage);
    CHECK(xarch({"install", "all", "arm64"}).code == cli::k_exit_usage);
    CHECK(xarch({"install", "arm64", "--mode", "sometimes"}).code == cli::k_exit_usage);
    CHECK(xarch({"install", "arm64", "--persist-dir", "relative"}).code == cli::k_exit_usage);
    const auto dir_alone = xarch({"install", "arm64", "--persist-dir", "/etc/binfmt.d"});
    CHECK(dir_alone.code == cli::k_exit_usage);
    CHECK_THAT(dir_alone.err, Contains("--persist-dir is used only with --persist"));
    CHECK(xarch({"uninstall"}).code == cli::k_exit_usage);
    CHECK(xarch({"reset", "arm64"}).code == cli::k_exit_usage);
    CHECK(xarch({"status", "extra"}).code == cli::k_exit_usage);
    CHECK(xarch({"doctor"}).code == cli::k_exit_usage);
    CHECK(xarch({"detect", "a", "b"}).code == cli::k_exit_usage);
}

TEST_CASE("run: a broken settings file is a failure", "[cli]") {
    test::TempDir dir;
    const auto bad = dir.write("config.json", "{not json");
    const auto r = xarch({"--config", bad.string(), "status"});
    CHECK(r.code == cli::k_exit_failure);
    CHECK_THAT(r.err, StartsWith("xarch: parse settings '"));
}

TEST_CASE("run: detect prints the platform, exit 3 when there is none", "[cli]") {
    test::TempDir dir;
    dir.write("rootfs/bin/sh", oci::exit_probe(test::platform("linux/riscv64")), 0755);
    auto r = xarch({"detect", (dir / "rootfs").string()});
    CHECK(r.code == cli::k_exit_ok);
    CHECK(r.out == "linux/riscv64\n");
    r = xarch({"detect", "--json", (dir / "rootfs").string()});
    CHECK_THAT(r.out, Contains("\"platform\": \"linux/riscv64\""));
    dir.mkdir("empty");
    r = xarch({"detect", (dir / "empty").string()});
    CHECK(r.code == cli::k_exit_problem);
    CHECK_THAT(r.err, Contains("no ELF program found"));
    r = xarch({"detect", (dir / "missing").string()});
    CHECK(r.code == cli::k_exit_failure);
    CHECK_THAT(r.err, StartsWith("xarch: detect '"));
}

TEST_CASE("run: status and doctor of the host's own programs", "[cli]") {
    auto r = xarch({"status", "--json"});
    REQUIRE(r.code == cli::k_exit_ok);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["schema_version"] == 1);
    CHECK(j["host"]["platform"] == oci::host_platform().str());
    r = xarch({"doctor", "/bin/sh"});
    CHECK(r.code == cli::k_exit_ok);
    CHECK_THAT(r.out, Contains("state        native"));
}

TEST_CASE("table: columns padded to the widest cell, last column free", "[cli]") {
    CHECK(cli::table({{"a", "bb", "c"}, {"ccc", "d", "eeee"}}) == "  a    bb  c\n  ccc  d   eeee\n");
    CHECK(cli::table({{"x", ""}}, "") == "x\n");
}

TEST_CASE("format_status: sections, entries with warnings, probe results", "[cli]") {
    oci::StatusReport r;
    r.host = test::platform("linux/amd64");
    r.kernel = "6.18.0";
    r.native = {r.host};
    oci::EntryReport e;
    e.entry = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64", "F");
    e.platform = test::platform("linux/arm64");
    e.interpreter.path = e.entry.interpreter;
    e.interpreter.exists = true;
    e.interpreter.is_static = false;
    e.warnings = {{"interpreter-dynamic", "it is dynamic"}};
    r.entries.push_back(e);
    r.platforms.push_back({test::platform("linux/arm64"), false, false, "qemu-aarch64", "no such file or directory"});
    const std::string text = cli::format_status(r);
    CHECK_THAT(text, Contains("binfmt_misc  not mounted"));
    CHECK_THAT(text, Contains("qemu-aarch64  enabled  flags F  linux/arm64  /usr/bin/qemu-aarch64 (dynamic)\n"
                              "      warning: interpreter-dynamic: it is dynamic\n"));
    CHECK_THAT(text, Contains("linux/arm64  fails  no such file or directory (entry qemu-aarch64)"));
}

TEST_CASE("format_hook: one sentence per action", "[cli]") {
    oci::Action a;
    a.kind = oci::ActionKind::Mount;
    a.source = "/usr/bin/qemu-aarch64-static";
    a.target = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P";
    CHECK(cli::format_hook(a) == "xarch-hook bind-mounts /usr/bin/qemu-aarch64-static read-only at "
                                 "/usr/libexec/qemu-binfmt/aarch64-binfmt-P inside the container, so it starts");
    a.kind = oci::ActionKind::Fail;
    a.reason = "no emulator";
    CHECK(cli::format_hook(a) == "xarch-hook stops the container: no emulator");
    a.kind = oci::ActionKind::Covered;
    CHECK(cli::format_hook(a) == "xarch-hook has nothing to do");
}

TEST_CASE("run: inject adds the hook once and keeps the rest of config.json", "[cli]") {
    test::TempDir dir;
    const nlohmann::json original = {{"ociVersion", "1.0.2"},
                                     {"process", {{"args", {"uname", "-m"}}}},
                                     {"root", {{"path", "rootfs"}}},
                                     {"hooks", {{"prestart", {{{"path", "/bin/other"}}}}}},
                                     {"x-unknown", {1, 2, 3}}};
    dir.write("config.json", original.dump());
    const auto first = xarch({"inject", "--hook", "/opt/xarch/bin/xarch-hook", "--stage", "createRuntime", dir.str()});
    REQUIRE(first.code == cli::k_exit_ok);
    CHECK_THAT(first.out, Contains("createRuntime"));
    const auto config = nlohmann::json::parse(oci::read_file_capped(dir / "config.json"));
    CHECK(config["x-unknown"] == original["x-unknown"]);
    CHECK(config["hooks"]["prestart"] == original["hooks"]["prestart"]);
    CHECK(config["hooks"]["createRuntime"] ==
          nlohmann::json::array({{{"path", "/opt/xarch/bin/xarch-hook"}, {"args", {"xarch-hook", "createRuntime"}}}}));
    CHECK(config["hooks"]["poststop"][0]["args"] == nlohmann::json::array({"xarch-hook", "poststop"}));

    const auto again = xarch({"inject", "--hook", "/opt/xarch/bin/xarch-hook", "--stage", "createRuntime", dir.str()});
    CHECK(again.code == cli::k_exit_ok);
    CHECK_THAT(again.out, Contains("already there"));
    CHECK(nlohmann::json::parse(oci::read_file_capped(dir / "config.json")) == config);
}

TEST_CASE("run: inject keeps the file's member order, indentation and final newline", "[cli]") {
    test::TempDir dir;
    const std::string hook = "/opt/xarch/bin/xarch-hook";
    const std::string indented = "{\n    \"ociVersion\": \"1.0.2\",\n    \"root\": {\n        \"path\": \"rootfs\"\n    },\n"
                                 "    \"process\": {\n        \"args\": [\n            \"sh\"\n        ]\n    }\n}\n";
    dir.write("config.json", indented);
    REQUIRE(xarch({"inject", "--hook", hook, dir.str()}).code == cli::k_exit_ok);
    const std::string after = test::read_text(dir / "config.json");
    // the user's members first, in their order, then ours; four spaces as before
    CHECK(after.starts_with(indented.substr(0, indented.size() - 3) + ",\n    \"hooks\": {\n        \"prestart\": ["));
    CHECK(after.ends_with("}\n"));

    dir.write("config.json", "{\n\t\"ociVersion\": \"1.0.2\",\n\t\"root\": {\"path\": \"rootfs\"}\n}");
    REQUIRE(xarch({"inject", "--hook", hook, dir.str()}).code == cli::k_exit_ok);
    const std::string tabs = test::read_text(dir / "config.json");
    CHECK(tabs.starts_with("{\n\t\"ociVersion\": \"1.0.2\",\n\t\"root\": {\n\t\t\"path\": \"rootfs\"\n\t},\n\t\"hooks\""));
    CHECK_FALSE(tabs.ends_with("\n"));

    dir.write("config.json", R"({"ociVersion":"1.0.2","root":{"path":"rootfs"}})");
    REQUIRE(xarch({"inject", "--hook", hook, dir.str()}).code == cli::k_exit_ok);
    const std::string compact = test::read_text(dir / "config.json");
    CHECK(compact.find('\n') == std::string::npos);
    CHECK(compact.starts_with(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"hooks":{)"));
}

TEST_CASE("run: inject moves the hook between stages and writes through a symlinked config.json", "[cli]") {
    test::TempDir dir;
    const auto real = dir.write("store/config.json", R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}})");
    test::fs::create_directories(dir / "bundle");
    test::fs::create_symlink(real, dir / "bundle/config.json");
    const std::string bundle = (dir / "bundle").string();
    REQUIRE(xarch({"inject", "--hook", "/usr/bin/xarch-hook", bundle}).code == cli::k_exit_ok);
    REQUIRE(xarch({"inject", "--hook", "/usr/local/bin/xarch-hook", "--stage", "createRuntime", bundle}).code == cli::k_exit_ok);
    CHECK(test::fs::is_symlink(dir / "bundle/config.json"));
    const auto config = nlohmann::json::parse(test::read_text(real));
    CHECK(config["hooks"]["prestart"].empty());
    CHECK(config["hooks"]["createRuntime"] ==
          nlohmann::json::array({{{"path", "/usr/local/bin/xarch-hook"}, {"args", {"xarch-hook", "createRuntime"}}}}));
    CHECK(config["hooks"]["poststop"] ==
          nlohmann::json::array({{{"path", "/usr/local/bin/xarch-hook"}, {"args", {"xarch-hook", "poststop"}}}}));
}

TEST_CASE("run: inject refuses bad stages, relative hooks and missing bundles", "[cli]") {
    test::TempDir dir;
    dir.write("config.json", R"({"ociVersion": "1.0.2"})");
    CHECK(xarch({"inject", "--hook", "/x/xarch-hook", "--stage", "poststop", dir.str()}).code == cli::k_exit_usage);
    CHECK(xarch({"inject", "--hook", "/x/xarch-hook"}).code == cli::k_exit_usage);
    CHECK(xarch({"inject", "--hook", "relative/xarch-hook", dir.str()}).code == cli::k_exit_usage);
    const auto missing = xarch({"inject", "--hook", "/x/xarch-hook", (dir / "nope").string()});
    CHECK(missing.code == cli::k_exit_failure);
    CHECK_THAT(missing.err, Contains("config.json"));
}

TEST_CASE("run: detect and doctor documents carry the schema version, also without a program", "[cli]") {
    test::TempDir dir;
    dir.mkdir("empty");
    auto r = xarch({"doctor", "--json", (dir / "empty").string()});
    CHECK(r.code == cli::k_exit_problem);
    const auto doctor = nlohmann::json::parse(r.out);
    CHECK(doctor["schema_version"] == 1);
    CHECK(doctor["state"] == "no-program");
    CHECK(doctor["runs"] == false);
    CHECK(doctor["hook"].is_null());
    r = xarch({"detect", "--json", (dir / "empty").string()});
    CHECK(nlohmann::json::parse(r.out)["schema_version"] == 1);
}

TEST_CASE("run: a relocatable object is no program", "[cli]") {
    test::TempDir dir;
    auto object = test::elf_for("linux/arm64");
    object[16] = 1; // e_type ET_REL (little endian)
    const auto path = dir.write("rootfs/bin/sh", object, 0755);
    const auto r = xarch({"detect", path.string()});
    CHECK(r.code != cli::k_exit_ok);
    CHECK_THAT(r.err, Contains("relocatable object"));
    // In a rootfs the hook finds no program to judge: nothing to do, the runtime reports the rest.
    CHECK(xarch({"detect", (dir / "rootfs").string()}).code == cli::k_exit_problem);
}

TEST_CASE("run: --config needs a value, and a named file must exist; --debug after the command", "[cli]") {
    auto r = xarch({"--config"});
    CHECK(r.code == cli::k_exit_usage);
    CHECK_THAT(r.err, Contains("--config needs a file name"));
    r = xarch({"--config=", "status"});
    CHECK(r.code == cli::k_exit_usage);
    r = xarch({"--config", "/nonexistent/xarch.json", "detect", "/bin/sh"});
    CHECK(r.code == cli::k_exit_failure);
    CHECK_THAT(r.err, Contains("'/nonexistent/xarch.json'") && Contains("No such file"));
    CHECK(xarch({"detect", "/bin/sh", "--debug"}).code == cli::k_exit_ok);
}
