#include "engine/prepare.hpp"
#include "oci/seccomp.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using Catch::Matchers::Contains;
using json = oci::Json;
using oci::ActionKind;
using oci::Way;

namespace {

const std::string k_target = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P";
const std::string k_source = "/usr/bin/qemu-aarch64-static";
const std::filesystem::path k_hook = "/usr/bin/xarch-hook";

oci::Action action(ActionKind kind) {
    oci::Action a;
    a.kind = kind;
    a.reason = "test";
    if (kind == ActionKind::Mount) {
        a.target = k_target;
        a.source = k_source;
    }
    return a;
}

// A config.json whose seccomp profile lists only the image's architecture, as a profile made
// for arm64 would: under emulation the system calls are the host's.
json foreign_profile() {
    return json::parse(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "mounts": [],
        "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_AARCH64"],
                              "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}},
        "x-unknown": {"kept": true}})");
}

bool lists_native_arch(const json& config) {
    for (const auto& a : config["linux"]["seccomp"]["architectures"])
        if (a == oci::native_seccomp_arch()) return true;
    return false;
}

std::size_t count_mounts_at(const json& config, const std::string& destination) {
    std::size_t n = 0;
    for (const auto& m : config["mounts"])
        if (m.value("destination", "") == destination) ++n;
    return n;
}

std::size_t poststop_hooks(const json& config) {
    return config.contains("hooks") && config["hooks"].contains("poststop") ? config["hooks"]["poststop"].size() : 0;
}

} // namespace

TEST_CASE("plan_edits: precreate edits the seccomp profile exactly as xarch-runtime does", "[prepare]") {
    for (ActionKind kind : {ActionKind::Covered, ActionKind::Mount}) {
        json precreate = foreign_profile();
        json runtime = foreign_profile();
        std::vector<std::string> warnings;
        oci::apply_edits(precreate, oci::plan_edits(Way::Precreate, action(kind), precreate, "/r", "", {}, {}).edits, warnings);
        oci::apply_edits(runtime, oci::plan_edits(Way::Runtime, action(kind), runtime, "/r", "id", {}, {}).edits, warnings);
        INFO(oci::to_string(kind));
        CHECK(lists_native_arch(precreate));
        CHECK(precreate["linux"]["seccomp"] == runtime["linux"]["seccomp"]);
        CHECK(precreate["x-unknown"]["kept"] == true);
    }
}

TEST_CASE("plan_edits: a Mount decision, each way in", "[prepare]") {
    const std::vector<std::string> missing{"/usr/libexec", "/usr/libexec/qemu-binfmt", k_target};
    SECTION("precreate: bind mount and an anonymous record; hooks.d runs poststop") {
        json config = foreign_profile();
        const auto p = oci::plan_edits(Way::Precreate, action(ActionKind::Mount), config, "/r", "", missing, {});
        std::vector<std::string> warnings;
        const auto changed = oci::apply_edits(config, p.edits, warnings);
        CHECK(count_mounts_at(config, k_target) == 1);
        CHECK(poststop_hooks(config) == 0);
        REQUIRE(p.record);
        CHECK(p.record->container.empty());
        CHECK(p.record->created == missing);
        CHECK(changed.size() == 2); // the mount and the seccomp architecture
    }
    SECTION("runtime with xarch-hook beside it: bind mount, poststop hook, record with the id") {
        json config = foreign_profile();
        const auto p = oci::plan_edits(Way::Runtime, action(ActionKind::Mount), config, "/r", "ctr", missing, k_hook);
        std::vector<std::string> warnings;
        oci::apply_edits(config, p.edits, warnings);
        CHECK(count_mounts_at(config, k_target) == 1);
        CHECK(poststop_hooks(config) == 1);
        REQUIRE(p.record);
        CHECK(p.record->container == "ctr");
        // Idempotent: a second create of the same bundle changes nothing.
        CHECK(oci::apply_edits(config, p.edits, warnings).empty());
        CHECK(count_mounts_at(config, k_target) == 1);
        CHECK(poststop_hooks(config) == 1);
    }
    SECTION("runtime with settings from another file: the poststop hook reads the same file") {
        // Its records are in that file's state_dir; the default file may name another one.
        for (const auto& [file, want] : std::vector<std::pair<std::string, json>>{
                 {"/srv/xarch.json", {"xarch-hook", "--config", "/srv/xarch.json", "poststop"}},
                 {oci::k_default_settings_path, {"xarch-hook", "poststop"}},
                 {"", {"xarch-hook", "poststop"}}}) {
            json config = foreign_profile();
            const auto p = oci::plan_edits(Way::Runtime, action(ActionKind::Mount), config, "/r", "ctr", missing, k_hook, file);
            std::vector<std::string> warnings;
            oci::apply_edits(config, p.edits, warnings);
            REQUIRE(poststop_hooks(config) == 1);
            CHECK(config["hooks"]["poststop"][0]["args"] == want);
        }
    }
    SECTION("runtime without xarch-hook: the mount only, nothing to record") {
        json config = foreign_profile();
        const auto p = oci::plan_edits(Way::Runtime, action(ActionKind::Mount), config, "/r", "ctr", missing, {});
        std::vector<std::string> warnings;
        oci::apply_edits(config, p.edits, warnings);
        CHECK(count_mounts_at(config, k_target) == 1);
        CHECK(poststop_hooks(config) == 0);
        CHECK_FALSE(p.record);
    }
    SECTION("the user already mounts something there: theirs wins, nothing recorded") {
        json config = foreign_profile();
        config["mounts"].push_back({{"destination", k_target}, {"type", "bind"}, {"source", "/opt/qemu"}});
        const auto p = oci::plan_edits(Way::Runtime, action(ActionKind::Mount), config, "/r", "ctr", missing, k_hook);
        std::vector<std::string> warnings;
        oci::apply_edits(config, p.edits, warnings);
        CHECK(count_mounts_at(config, k_target) == 1);
        CHECK(config["mounts"][0]["source"] == "/opt/qemu");
        CHECK_FALSE(p.record);
        CHECK(lists_native_arch(config));
    }
    SECTION("a running container: no config edits (the hook mounts into it instead)") {
        const json config = foreign_profile();
        CHECK(oci::plan_edits(Way::Running, action(ActionKind::Mount), config, "/r", "ctr", missing, k_hook).edits.empty());
    }
}

TEST_CASE("plan_edits: Fail and Native change nothing", "[prepare]") {
    for (Way way : {Way::Precreate, Way::Runtime, Way::Running})
        for (ActionKind kind : {ActionKind::Fail, ActionKind::Native}) {
            const auto p = oci::plan_edits(way, action(kind), foreign_profile(), "/r", "id", {"/x"}, k_hook);
            CHECK(p.edits.empty());
            CHECK_FALSE(p.record);
        }
}

TEST_CASE("seccomp_edit: warns about system calls the host does not know", "[prepare]") {
    json config = foreign_profile();
    config["linux"]["seccomp"]["syscalls"].push_back({{"names", {"no_such_syscall_xarch"}}, {"action", "SCMP_ACT_ALLOW"}});
    std::vector<std::string> warnings;
    oci::apply_edits(config, {oci::seccomp_edit()}, warnings);
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Contains("no_such_syscall_xarch"));
}

TEST_CASE("hook_edit: the entry inject and the runtime add", "[prepare]") {
    json config = json::object();
    std::vector<std::string> warnings;
    const auto changed = oci::apply_edits(config, {oci::hook_edit("prestart", k_hook, {"xarch-hook", "prestart"}),
                                                   oci::hook_edit("poststop", k_hook, {"xarch-hook", "poststop"})},
                                          warnings);
    CHECK(changed.size() == 2);
    CHECK(config["hooks"]["prestart"][0]["path"] == k_hook.string());
    CHECK(config["hooks"]["poststop"][0]["args"] == json({"xarch-hook", "poststop"}));
}
