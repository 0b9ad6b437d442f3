// hook::run's stage logic, without root: what reaches the runtime when the hook cannot or need
// not act. Foreign images depend on the machine's binfmt_misc and are covered by the
// integration tests.
#include "base/io.hpp"
#include "base/platform.hpp"
#include "hook/hook.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace {

struct Files {
    test::TempDir dir;
    std::filesystem::path in_path = dir / "stdin";
    std::filesystem::path out_path = dir / "stdout";
};

// Runs the hook with `input` on its stdin; returns its exit status, its stdout in `output`.
int run_hook(const std::vector<std::string>& args, const std::string& input, std::string& output,
             const std::filesystem::path& cwd = "/") {
    Files f;
    f.dir.write("stdin", input);
    const int in = ::open(f.in_path.c_str(), O_RDONLY | O_CLOEXEC);
    const int out = ::open(f.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(in >= 0);
    REQUIRE(out >= 0);
    const int rc = hook::run(args, cwd, in, out);
    ::close(in);
    ::close(out);
    output = test::read_text(f.out_path);
    return rc;
}

const std::vector<std::string> k_precreate{"--config", "/nonexistent/xarch.json", "precreate"};

} // namespace

TEST_CASE("hook::run: --help and --version answer on stdout and exit 0", "[hook]") {
    std::string out;
    CHECK(run_hook({"--help"}, "", out) == 0);
    CHECK(out.starts_with("usage: xarch-hook"));
    CHECK(run_hook({"--version"}, "", out) == 0);
    CHECK(out.starts_with("xarch-hook "));
}

TEST_CASE("hook::run: bad arguments are a usage error", "[hook]") {
    std::string out;
    CHECK(run_hook({}, "", out) == 2);
    CHECK(run_hook({"nonsense"}, "", out) == 2);
    CHECK(run_hook({"prestart", "poststop"}, "", out) == 2);
}

TEST_CASE("hook::run: oversized precreate input goes through byte for byte", "[hook]") {
    std::string big = "{\"x\": \"";
    big.append(oci::k_max_json_size + 4096, 'a');
    big += "\"}";
    std::string out;
    CHECK(run_hook(k_precreate, big, out) == 0);
    CHECK(out.size() == big.size());
    CHECK(out == big);
}

TEST_CASE("hook::run: before the platform is known, the container starts unchanged", "[hook]") {
    std::string out;
    SECTION("precreate: not JSON") {
        CHECK(run_hook(k_precreate, "not json {", out) == 0);
        CHECK(out == "not json {");
    }
    SECTION("precreate: the rootfs does not exist") {
        const std::string config = R"({"root": {"path": "/nonexistent/rootfs"}, "process": {"args": ["/bin/sh"]}})";
        CHECK(run_hook(k_precreate, config, out) == 0);
        CHECK(out == config);
    }
    SECTION("prestart and poststop: a state that is not one") {
        CHECK(run_hook({"--config", "/nonexistent/xarch.json", "prestart"}, "[1, 2]", out) == 0);
        CHECK(run_hook({"--config", "/nonexistent/xarch.json", "poststop"}, "garbage", out) == 0);
        CHECK(out.empty());
    }
}

TEST_CASE("hook::run: a native image's precreate config is handed on unchanged", "[hook]") {
    test::TempDir bundle;
    bundle.write("rootfs/bin/sh", test::elf_for(oci::host_platform().str()), 0755);
    // Spacing and key order that a re-serialisation would change.
    const std::string config = "{ \"root\" : {\"path\": \"rootfs\"},\n  \"process\": {\"args\": [\"/bin/sh\"]}, \"a\": 1 }";
    std::string out;
    CHECK(run_hook(k_precreate, config, out, bundle.path()) == 0);
    CHECK(out == config);
}

TEST_CASE("hook::run: bad settings never stop a precreate config", "[hook]") {
    test::TempDir dir;
    const std::string config = R"({"root": {"path": "/nonexistent/rootfs"}, "process": {"args": ["/bin/sh"]}})";
    for (const std::string settings : {R"({"emulator_dirs": [1]})", R"({"runtimes": "runc"})", R"({"log_level": 5})",
                                       R"({"state_dir": 7})", R"({"log_file": "/proc/no/such/dir/x.log"})", "[]", "{",
                                       R"({"policy": ["register"]})", R"({"hook": {}})"}) {
        INFO(settings);
        dir.write("config.json", settings);
        std::string out;
        CHECK(run_hook({"--config", (dir / "config.json").string(), "precreate"}, config, out) == 0);
        CHECK(out == config);
    }
}
