#include "cli/json.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/probe.hpp"
#include "engine/classify.hpp"
#include "engine/doctor.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <set>

using Catch::Matchers::Contains;
using oci::DoctorState;

namespace {

const oci::Platform k_amd64 = test::platform("linux/amd64");
const oci::Platform k_arm64 = test::platform("linux/arm64");
const std::string k_static = "/usr/bin/qemu-aarch64-static";

oci::Emulator usable(const std::string& path) {
    oci::Emulator e;
    e.path = path;
    e.resolved = path;
    e.usable = true;
    e.is_static = true;
    return e;
}

oci::InterpreterInfo host_interp(const std::string& path, bool is_static = true) {
    oci::InterpreterInfo i;
    i.path = path;
    i.exists = true;
    i.regular = true;
    i.resolved = path;
    i.platform = k_amd64;
    i.is_static = is_static;
    if (!is_static) i.loader = "/lib64/ld-linux-x86-64.so.2";
    return i;
}

// An arm64 rootfs on an amd64 host with binfmt_misc mounted and empty, a static emulator installed.
oci::DoctorFacts base(oci::TargetKind kind = oci::TargetKind::Rootfs) {
    oci::DoctorFacts df;
    df.target = "/tmp/rootfs";
    df.detection.kind = kind;
    df.detection.rootfs = "/tmp/rootfs";
    df.detection.image = oci::ImageInfo{k_arm64, "ELF /bin/sh (/bin/sh)", "/bin/sh", oci::exit_probe(k_arm64)};
    df.kernel = "6.18.0";
    df.binfmt_dir = std::filesystem::path("/proc/sys/fs/binfmt_misc");
    oci::Facts& f = df.facts;
    f.image = k_arm64;
    f.host = k_amd64;
    f.head = df.detection.image->head;
    f.filename = "/bin/sh";
    f.binfmt = oci::BinfmtState{};
    f.emulator = usable(k_static);
    f.can_register = true;
    return df;
}

// Adds an entry for arm64 with `flags` and `interpreter`, inspected as `info`.
void with_entry(oci::DoctorFacts& df, const std::string& flags, const oci::InterpreterInfo& info, bool enabled = true) {
    auto e = oci::registration_for(k_arm64, info.path, flags);
    e.enabled = enabled;
    df.facts.binfmt->entries.push_back(e);
    df.handler_interpreter = info;
    oci::Emulator em;
    em.path = info.path;
    em.resolved = info.exists ? info.path : "";
    em.is_static = info.is_static.value_or(false);
    em.usable = info.exists && em.is_static;
    if (!em.usable) em.problem = info.exists ? "'" + info.path + "' is dynamically linked" : "does not exist";
    if (enabled) df.facts.handler_interpreter = em;
}

} // namespace

TEST_CASE("diagnose: native platform", "[doctor]") {
    auto df = base();
    df.facts.image = k_amd64;
    df.facts.native = true;
    const auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::Native);
    CHECK(d.runs);
    CHECK(d.fix.empty());
    CHECK(d.hook.kind == oci::ActionKind::Native);
}

TEST_CASE("diagnose: no handler", "[doctor]") {
    auto df = base();
    auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::NoHandler);
    CHECK_FALSE(d.runs);
    CHECK(d.error == "exec format error");
    CHECK_THAT(d.explanation, Contains("no binfmt_misc entry claims linux/arm64 programs") && Contains("/bin/sh"));
    CHECK(d.fix == "xarch install arm64");
    CHECK(d.hook.kind == oci::ActionKind::Register);
    df.facts.emulator.reset();
    d = oci::diagnose(df);
    CHECK(d.fix == "apt-get install qemu-user-static && xarch install arm64");
    CHECK(d.hook.kind == oci::ActionKind::Fail);
}

TEST_CASE("diagnose: binfmt_misc not mounted or disabled", "[doctor]") {
    auto df = base();
    df.facts.binfmt.reset();
    df.binfmt_dir.reset();
    auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::BinfmtNotMounted);
    CHECK(d.fix == "xarch install arm64");
    CHECK(d.hook.kind == oci::ActionKind::Register); // the hook mounts it itself
    df = base();
    df.facts.binfmt->enabled = false;
    d = oci::diagnose(df);
    CHECK(d.state == DoctorState::BinfmtDisabled);
    CHECK(d.fix == "echo 1 > /proc/sys/fs/binfmt_misc/status");
}

TEST_CASE("diagnose: handler disabled", "[doctor]") {
    auto df = base();
    with_entry(df, "F", host_interp(k_static), false);
    const auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::HandlerDisabled);
    REQUIRE(d.entry);
    CHECK(d.entry->name == "qemu-aarch64");
    CHECK(d.error == "exec format error");
    CHECK(d.fix == "echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64");
}

TEST_CASE("diagnose: handler without F, interpreter absent from the rootfs", "[doctor]") {
    auto df = base();
    with_entry(df, "OP", host_interp("/usr/libexec/qemu-binfmt/aarch64-binfmt-P"));
    const auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::InterpreterMissing);
    CHECK_FALSE(d.runs);
    CHECK(d.error == "no such file or directory");
    CHECK_THAT(d.explanation, Contains("has no F flag") && Contains("the rootfs has no such file"));
    CHECK(d.fix == "xarch install arm64 --replace");
    CHECK(d.hook.kind == oci::ActionKind::Mount);
    CHECK(d.hook.target == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
}

TEST_CASE("diagnose: handler without F, interpreter inside the rootfs", "[doctor]") {
    auto df = base();
    with_entry(df, "", host_interp(k_static));
    df.interpreter_in_rootfs = host_interp(k_static);
    auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::InterpreterPresent);
    CHECK(d.runs);
    df.interpreter_in_rootfs = host_interp(k_static, false);
    d = oci::diagnose(df);
    CHECK(d.state == DoctorState::DynamicInterpreter);
    CHECK(d.error == "no such file or directory");
    df.interpreter_in_rootfs->platform = k_arm64;
    d = oci::diagnose(df);
    CHECK(d.state == DoctorState::InterpreterUnusable);
    CHECK(d.error == "exec format error");
}

TEST_CASE("diagnose: F with a dynamic interpreter", "[doctor]") {
    auto df = base();
    with_entry(df, "F", host_interp("/usr/bin/qemu-aarch64", false));
    auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::DynamicInterpreter);
    CHECK_FALSE(d.runs);
    CHECK(d.error == "no such file or directory");
    CHECK_THAT(d.explanation, Contains("/lib64/ld-linux-x86-64.so.2") && Contains("dynamically linked"));
    CHECK(d.fix == "xarch install arm64 --replace");
    // The hook cannot change what an F entry runs, so it lets the container start and warns.
    CHECK(d.hook.kind == oci::ActionKind::Covered);
    CHECK_THAT(d.hook.warning, Contains("dynamically linked"));
    // The same program on the host itself runs: its libraries are there.
    df.detection.kind = oci::TargetKind::Program;
    d = oci::diagnose(df);
    CHECK(d.state == DoctorState::DynamicInterpreter);
    CHECK(d.runs);
}

TEST_CASE("diagnose: covered by F", "[doctor]") {
    auto df = base();
    with_entry(df, "F", host_interp(k_static));
    auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::Covered);
    CHECK(d.runs);
    CHECK(d.error.empty());
    CHECK(d.hook.kind == oci::ActionKind::Covered);
    // The interpreter gone from disk: the kernel still holds the file it opened.
    df = base();
    oci::InterpreterInfo gone;
    gone.path = k_static;
    with_entry(df, "F", gone);
    d = oci::diagnose(df);
    CHECK(d.state == DoctorState::Covered);
    CHECK_THAT(d.explanation, Contains("gone from disk"));
}

TEST_CASE("diagnose: F with an interpreter for another machine", "[doctor]") {
    auto df = base();
    auto wrong = host_interp("/opt/qemu");
    wrong.platform = test::platform("linux/s390x");
    with_entry(df, "F", wrong);
    const auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::InterpreterUnusable);
    CHECK_THAT(d.explanation, Contains("linux/s390x"));
}

TEST_CASE("diagnose: a platform without an emulator", "[doctor]") {
    auto df = base();
    df.facts.image = oci::Platform{"linux", "hppa", ""};
    const auto d = oci::diagnose(df);
    CHECK(d.state == DoctorState::Unsupported);
    CHECK_FALSE(d.runs);
}

TEST_CASE("to_string: stable state names", "[doctor]") {
    CHECK(std::string(oci::to_string(DoctorState::InterpreterMissing)) == "interpreter-missing");
    CHECK(std::string(oci::to_string(DoctorState::DynamicInterpreter)) == "dynamic-interpreter");
    CHECK(std::string(oci::to_string(DoctorState::HandlerDisabled)) == "handler-disabled");
    CHECK(std::string(oci::to_string(DoctorState::NoHandler)) == "no-handler");
    CHECK(std::string(oci::to_string(DoctorState::Covered)) == "covered");
    CHECK(std::string(oci::to_string(oci::TargetKind::Program)) == "program");
}

TEST_CASE("to_json: the documented doctor schema", "[doctor]") {
    auto df = base();
    with_entry(df, "OP", host_interp("/usr/libexec/qemu-binfmt/aarch64-binfmt-P"));
    const auto d = oci::diagnose(df);
    const auto j = cli::to_json(df, d, "1.2.3");
    CHECK(j["schema_version"] == 1);
    CHECK(j["kind"] == "rootfs");
    CHECK(j["image"]["platform"] == "linux/arm64");
    CHECK(j["image"]["file"] == "/bin/sh");
    CHECK(j["host"]["platform"] == "linux/amd64");
    CHECK(j["binfmt_misc"]["mounted"] == true);
    CHECK(j["entry"]["name"] == "qemu-aarch64");
    CHECK(j["entry"]["flags"] == "PO");
    CHECK(j["interpreter_in_rootfs"]["exists"] == false);
    CHECK(j["state"] == "interpreter-missing");
    CHECK(j["runs"] == false);
    CHECK(j["error"] == "no such file or directory");
    CHECK(j["fix"] == "xarch install arm64 --replace");
    CHECK(j["hook"]["action"] == "mount");
    df.detection.kind = oci::TargetKind::Program;
    CHECK(cli::to_json(df, oci::diagnose(df), "1")["hook"].is_null());
}

TEST_CASE("detect_path: rootfs, bundle, program, script and nothing", "[doctor]") {
    test::TempDir dir;
    dir.write("rootfs/bin/busybox", oci::exit_probe(k_arm64), 0755);
    dir.symlink("busybox", "rootfs/bin/sh");
    auto d = oci::detect_path(dir / "rootfs");
    CHECK(d.kind == oci::TargetKind::Rootfs);
    REQUIRE(d.image);
    CHECK(d.image->platform == k_arm64);

    dir.write("config.json", R"({"root": {"path": "rootfs"}, "process": {"args": ["/bin/busybox"], "cwd": "/"}})");
    d = oci::detect_path(dir.path());
    CHECK(d.kind == oci::TargetKind::Bundle);
    REQUIRE(d.image);
    CHECK(d.image->file == "/bin/busybox");

    d = oci::detect_path(dir / "rootfs/bin/busybox");
    CHECK(d.kind == oci::TargetKind::Program);
    REQUIRE(d.image);
    CHECK(d.image->platform == k_arm64);
    // not executable: still its own header
    dir.write("plain", oci::exit_probe(test::platform("linux/s390x")), 0644);
    d = oci::detect_path(dir / "plain");
    REQUIRE(d.image);
    CHECK(d.image->platform == test::platform("linux/s390x"));

    dir.write("text", "hello\n");
    CHECK_FALSE(oci::detect_path(dir / "text").image);
    dir.mkdir("empty");
    CHECK_FALSE(oci::detect_path(dir / "empty").image);
    CHECK_THROWS_AS(oci::detect_path(dir / "missing"), oci::SysError);
    dir.write("sparc", test::build_elf(test::elf_spec(false, true, test::k_em_parisc)), 0755);
    CHECK_THROWS_WITH(oci::detect_path(dir / "sparc"), Contains("unsupported program"));
}

TEST_CASE("classify: the hook's action and doctor's diagnosis come from one reading of the facts", "[doctor][classify]") {
    using oci::ActionKind;
    using oci::Situation;
    // Every state doctor knows, built from the same facts the hook decides on.
    std::vector<std::pair<std::string, oci::DoctorFacts>> cases;
    const auto add = [&](std::string name, oci::DoctorFacts df) { cases.emplace_back(std::move(name), std::move(df)); };
    {
        auto df = base();
        df.facts.image = k_amd64;
        df.facts.native = true;
        add("native", df);
    }
    {
        auto df = base();
        df.facts.image = oci::Platform{"linux", "hppa", ""};
        add("unsupported", df);
    }
    {
        auto df = base();
        df.facts.binfmt.reset();
        df.binfmt_dir.reset();
        add("binfmt not mounted", df);
    }
    {
        auto df = base();
        df.facts.binfmt->enabled = false;
        add("binfmt disabled", df);
    }
    {
        auto df = base();
        with_entry(df, "F", host_interp(k_static), false);
        add("handler disabled", df);
    }
    add("no handler", base());
    {
        auto df = base();
        df.facts.emulator.reset();
        add("no handler, no emulator", df);
    }
    {
        auto df = base();
        with_entry(df, "F", host_interp(k_static));
        add("F, static", df);
    }
    {
        auto df = base();
        with_entry(df, "F", host_interp("/usr/bin/qemu-aarch64", false));
        add("F, dynamic", df);
    }
    for (bool present : {false, true}) {
        auto df = base();
        with_entry(df, "OP", host_interp("/usr/libexec/qemu-binfmt/aarch64-binfmt-P"));
        if (present) df.interpreter_in_rootfs = host_interp("/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
        add(present ? "no F, interpreter in the rootfs" : "no F, interpreter missing", df);
    }

    std::set<Situation> seen;
    for (const auto& [name, df] : cases) {
        INFO(name);
        const oci::Classification c = oci::classify(df.facts);
        seen.insert(c.situation);
        const oci::Action action = oci::decide(df.facts);
        const oci::Diagnosis d = oci::diagnose(df);
        switch (c.situation) {
        case Situation::Native:
            CHECK(d.state == DoctorState::Native);
            CHECK(action.kind == ActionKind::Native);
            break;
        case Situation::Unsupported:
            CHECK(d.state == DoctorState::Unsupported);
            CHECK(action.kind == ActionKind::Fail);
            break;
        case Situation::BinfmtNotMounted:
            CHECK(d.state == DoctorState::BinfmtNotMounted);
            CHECK(action.kind == ActionKind::Fail); // as root the hook mounts it first: doctor says so
            CHECK(d.hook.kind == ActionKind::Register);
            break;
        case Situation::BinfmtDisabled:
            CHECK(d.state == DoctorState::BinfmtDisabled);
            CHECK(action.kind == ActionKind::Fail);
            break;
        case Situation::HandlerDisabled:
            CHECK(d.state == DoctorState::HandlerDisabled);
            CHECK(action.kind == ActionKind::Fail);
            break;
        case Situation::NoHandler:
            CHECK(d.state == DoctorState::NoHandler);
            CHECK((action.kind == ActionKind::Register || action.kind == ActionKind::Fail));
            break;
        case Situation::FixedHandler:
            CHECK((d.state == DoctorState::Covered || d.state == DoctorState::DynamicInterpreter));
            CHECK(action.kind == ActionKind::Covered); // the kernel's pinned file decides; the hook never stops it
            break;
        case Situation::OpenHandler:
            CHECK((d.state == DoctorState::InterpreterMissing || d.state == DoctorState::InterpreterPresent));
            CHECK(action.kind == ActionKind::Mount); // the hook mounts the emulator whatever the rootfs holds
            break;
        }
        // Where the hook's facts are complete, doctor's view of the hook is the hook's decision.
        if (c.situation != Situation::BinfmtNotMounted) {
            CHECK(d.hook.kind == action.kind);
            CHECK(d.hook.reason == action.reason);
        }
    }
    CHECK(seen.size() == 8); // every situation was exercised
}
