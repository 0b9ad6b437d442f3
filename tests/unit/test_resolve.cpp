#include "engine/resolve.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

// Only the paths that touch nothing on the host: with the image's platform equal to the
// host's, neither binfmt_misc nor the emulator directories are looked at. The rest of
// gather_facts/resolve_action reads (and may register in) the real binfmt_misc, which the
// integration tests cover.

namespace {

oci::ImageInfo image_of(const oci::Platform& platform) {
    oci::ImageInfo info;
    info.platform = platform;
    info.source = "test";
    info.file = "/bin/sh";
    info.head = test::elf_for(platform.str());
    return info;
}

} // namespace

TEST_CASE("gather_facts: the host's own platform is native without looking further", "[resolve]") {
    const auto host = test::platform("linux/s390x"); // not this machine: nothing may be probed or read
    oci::Settings settings;
    settings.policy = oci::Policy::Fail;
    settings.emulator_dirs = {"/nonexistent"};
    const oci::Facts f = oci::gather_facts(image_of(host), host, settings, false);
    CHECK(f.native);
    CHECK(f.image == host);
    CHECK(f.host == host);
    CHECK(f.filename == "/bin/sh");
    CHECK(f.head == test::elf_for("linux/s390x"));
    CHECK(f.policy == oci::Policy::Fail);
    CHECK_FALSE(f.binfmt.has_value());
    CHECK_FALSE(f.emulator.has_value());
    CHECK_FALSE(f.handler_interpreter.has_value());
    CHECK(f.rejected.empty());
    CHECK_FALSE(f.can_register);
}

TEST_CASE("resolve_action: the host's own platform needs nothing", "[resolve]") {
    const auto host = test::platform("linux/riscv64");
    const oci::Action a = oci::resolve_action(image_of(host), host, oci::Settings{});
    CHECK(a.kind == oci::ActionKind::Native);
    CHECK(a.reason == "native platform linux/riscv64 on linux/riscv64 host");
}
