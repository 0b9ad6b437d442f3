#include "base/elf.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/install.hpp"
#include "binfmt/probe.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <cerrno>
#include <chrono>

using Catch::Matchers::Contains;

namespace {

// The host's own binfmt_misc state, or an empty one when it cannot be read.
oci::BinfmtState host_binfmt() {
    try {
        if (const auto dir = oci::locate_binfmt(false)) return oci::read_binfmt(*dir);
    } catch (const oci::Error&) {
    }
    return {};
}

} // namespace

TEST_CASE("exit_probe: every catalogue platform has a small static program of its own platform", "[probe]") {
    for (const auto& p : oci::catalogue_platforms()) {
        INFO(p.str());
        const auto program = oci::exit_probe(p);
        REQUIRE_FALSE(program.empty());
        CHECK(program.size() < 512);
        const auto header = oci::parse_elf_header(program);
        REQUIRE(header);
        CHECK(header->type == 2); // ET_EXEC
        const auto platform = oci::elf_platform(*header);
        REQUIRE(platform);
        CHECK(*platform == p);
        CHECK(oci::elf_has_interpreter(*header, program) == std::optional<bool>(false));
    }
    CHECK(oci::probe_platforms() == oci::catalogue_platforms());
}

TEST_CASE("exit_probe: claimed by its own platform's qemu entry and by no other", "[probe]") {
    for (const auto& p : oci::catalogue_platforms()) {
        const auto program = oci::exit_probe(p);
        for (const auto& other : oci::catalogue_platforms()) {
            INFO(p.str() << " probe against the " << other.str() << " entry");
            const auto entry = oci::registration_for(other, "/usr/bin/qemu-static");
            CHECK(oci::binfmt_matches(entry, program, "") == (p == other));
        }
    }
}

TEST_CASE("exit_probe: platforms without a probe give an empty program", "[probe]") {
    CHECK(oci::exit_probe(oci::Platform{"linux", "hppa", ""}).empty());
    // arm variants share the v7 probe's machine; only the platform's architecture matters
    CHECK_FALSE(oci::exit_probe(test::platform("linux/arm/v5")).empty());
}

TEST_CASE("native_probe: only 386 and arm have one, arm's is soft float", "[probe]") {
    const auto p386 = oci::native_probe(test::platform("linux/386"));
    const auto parm = oci::native_probe(test::platform("linux/arm/v7"));
    REQUIRE_FALSE(p386.empty());
    REQUIRE_FALSE(parm.empty());
    CHECK(oci::elf_platform(*oci::parse_elf_header(p386)) == test::platform("linux/386"));
    // soft float: any 32-bit arm CPU takes it, so a "no" really means "not native"
    CHECK(oci::elf_platform(*oci::parse_elf_header(parm)) == test::platform("linux/arm/v5"));
    CHECK(oci::native_probe(test::platform("linux/arm64")).empty());
    CHECK(oci::native_probe(test::platform("linux/amd64")).empty());
}

// An arm64 host with AArch32 tells a 32-bit task "aarch64" (no emulator does): the probe's
// verdict on each answer, run under qemu-arm with the answer given instead of asked for.
TEST_CASE("native_probe: arm's verdict, native on an arm64 kernel, not under qemu-arm", "[probe]") {
    const auto arm = test::platform("linux/arm/v7");
    const auto real = oci::native_probe(arm);
    const auto given = oci::native_probe_given(arm, "aarch64");
    // The verdict checked below is the real probe's: same 8 words after the 4 of newuname
    // (real) and the 2 that point at the given answer.
    const std::size_t code_at = 52 + 2 * 32; // ELF32 header and two program headers
    REQUIRE(real.size() == code_at + 12 * 4);
    REQUIRE(given.size() > code_at + 10 * 4);
    CHECK(std::equal(real.begin() + code_at + 16, real.end(), given.begin() + code_at + 8, given.begin() + code_at + 40));
    CHECK(oci::native_probe_given(test::platform("linux/amd64"), "x86_64").empty());

    const std::string qemu = "/usr/bin/qemu-arm-static";
    if (::access(qemu.c_str(), X_OK) != 0) {
        WARN("SKIP: " << qemu << " is not installed");
        return;
    }
    test::TempDir dir;
    const std::pair<const char*, int> answers[] = {
        {"aarch64", 0},   // AArch32 task on an arm64 kernel
        {"armv8l", 0},    // the same under setarch linux32
        {"armv7l", 1},    // qemu-arm
        {"armv5tejl", 1}, // qemu-arm -cpu arm926
    };
    for (const auto& [machine, want] : answers) {
        INFO(machine);
        const auto file = dir.write(std::string("probe-") + machine, oci::native_probe_given(arm, machine), 0755);
        const int status = std::system((qemu + " " + file.string()).c_str());
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == want);
    }
    // Asking for real, qemu-arm's own answer is "not native".
    const auto file = dir.write("probe-real", real, 0755);
    const int status = std::system((qemu + " " + file.string()).c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
}

TEST_CASE("run_program: the host's own probe exits with the probe's status", "[probe]") {
    const auto host = oci::host_platform();
    const auto program = oci::exit_probe(host);
    if (program.empty()) {
        WARN("SKIP: no probe for the host " << host.str());
        return;
    }
    if (oci::find_handler(host_binfmt(), program, "")) {
        WARN("SKIP: a binfmt_misc entry claims the host's own programs");
        return;
    }
    const auto r = oci::run_program(program);
    INFO(r.describe());
    CHECK(r.started);
    CHECK(r.proved());
    CHECK(r.describe() == "exit status 42");
}

TEST_CASE("run_program: a foreign probe that nothing handles fails with exec format error", "[probe]") {
    const auto host = oci::host_platform();
    const auto state = host_binfmt();
    for (const auto& p : oci::catalogue_platforms()) {
        if (p.architecture == host.architecture || !oci::native_probe(p).empty()) continue;
        const auto program = oci::exit_probe(p);
        if (oci::find_handler(state, program, "")) continue;
        INFO(p.str());
        const auto r = oci::run_program(program);
        CHECK_FALSE(r.started);
        CHECK(r.exec_errno == ENOEXEC);
        CHECK(r.describe() == "exec format error");
        return;
    }
    WARN("SKIP: binfmt_misc handles every foreign platform here");
}

TEST_CASE("run_program: bytes that are no program are not started", "[probe]") {
    const auto r = oci::run_program(test::to_bytes("not a program at all, not even a script\n"));
    CHECK_FALSE(r.started);
    CHECK_FALSE(r.ok());
    CHECK(r.exec_errno == ENOEXEC);
}

TEST_CASE("run_programs: a program that never exits is killed at the timeout", "[probe]") {
    const auto host = oci::host_platform();
    if (host.architecture != "amd64") {
        WARN("SKIP: the endless loop is x86-64 code");
        return;
    }
    auto program = oci::exit_probe(host);
    program[64 + 2 * 56] = 0xeb; // jmp .
    program[64 + 2 * 56 + 1] = 0xfe;
    if (oci::find_handler(host_binfmt(), program, "")) {
        WARN("SKIP: a binfmt_misc entry claims the host's own programs");
        return;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto results = oci::run_programs({program, oci::exit_probe(host)}, std::chrono::milliseconds(300));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    REQUIRE(results.size() == 2);
    CHECK(results[0].timed_out);
    CHECK(results[0].describe() == "timed out");
    CHECK(results[1].proved()); // the other one is unaffected
}

TEST_CASE("ProbeResult::describe: outcomes and the first line of stderr", "[probe]") {
    oci::ProbeResult r;
    r.exec_errno = ENOENT;
    CHECK(r.describe() == "no such file or directory");
    r = {};
    r.started = true;
    r.exited = true;
    r.exit_code = 3;
    r.stderr_text = "qemu-aarch64: Could not open '/lib/ld-linux-aarch64.so.1'\nmore\n";
    CHECK(r.describe() == "exit status 3: qemu-aarch64: Could not open '/lib/ld-linux-aarch64.so.1'");
    r = {};
    r.started = true;
    r.signal = 11;
    CHECK(r.describe() == "killed by signal 11");
    CHECK_FALSE(r.ok());
}

TEST_CASE("ProbeResult::proved: only the probe's own status proves that the probe ran", "[probe]") {
    oci::ProbeResult r;
    r.started = true;
    r.exited = true;
    r.exit_code = 0; // what an interpreter like /bin/ls returns when handed the probe
    CHECK(r.ok());
    CHECK_FALSE(r.proved());
    r.exit_code = oci::k_probe_exit_code;
    CHECK(r.proved());
    r.exited = false;
    CHECK_FALSE(r.proved());
}

TEST_CASE("exit_probe: each program exits with the probe's status under its qemu", "[probe]") {
    test::TempDir dir;
    for (const auto& p : oci::probe_platforms()) {
        const std::string qemu = "/usr/bin/qemu-" + oci::qemu_target(p) + "-static";
        INFO(p.str());
        if (::access(qemu.c_str(), X_OK) != 0) {
            WARN("SKIP: " << qemu << " is not installed");
            continue;
        }
        const auto file = dir.write(oci::qemu_target(p), oci::exit_probe(p), 0755);
        const std::string command = qemu + " " + file.string();
        const int status = std::system(command.c_str());
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == oci::k_probe_exit_code);
    }
}
