// xarch-runtime's bundle preparation, without root and without exec'ing a runtime. Foreign
// images depend on the machine's binfmt_misc; the integration tests (shim.*) run those.
#include "base/platform.hpp"
#include "oci/runtime_args.hpp"
#include "shim/shim.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

namespace {

oci::RuntimeArgs create_args(const test::TempDir& bundle) {
    return oci::parse_runtime_args({"create", "--bundle", bundle.str(), "ctr"}, "/");
}

} // namespace

TEST_CASE("shim::prepare_bundle: a native bundle is left byte for byte", "[shim]") {
    test::TempDir bundle;
    bundle.write("rootfs/bin/sh", test::elf_for(oci::host_platform().str()), 0755);
    // A seccomp profile without the host's architecture: still nothing to do for native code.
    const std::string config = R"({"root": {"path": "rootfs"}, "process": {"args": ["/bin/sh"]},
        "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_AARCH64"]}}})";
    bundle.write("config.json", config);
    CHECK(shim::prepare_bundle(create_args(bundle), oci::Settings{}).runnable);
    CHECK(test::read_text(bundle / "config.json") == config);
}

TEST_CASE("shim::prepare_bundle: before the platform is known, the bundle is left as it is", "[shim]") {
    test::TempDir bundle;
    SECTION("config.json is not JSON") {
        bundle.write("config.json", "{ not json");
        CHECK(shim::prepare_bundle(create_args(bundle), oci::Settings{}).runnable);
        CHECK(test::read_text(bundle / "config.json") == "{ not json");
    }
    SECTION("no config.json") {
        CHECK(shim::prepare_bundle(create_args(bundle), oci::Settings{}).runnable);
        CHECK_FALSE(std::filesystem::exists(bundle / "config.json"));
    }
    SECTION("the rootfs is missing") {
        const std::string config = R"({"root": {"path": "nope"}, "process": {"args": ["/bin/sh"]}})";
        bundle.write("config.json", config);
        CHECK(shim::prepare_bundle(create_args(bundle), oci::Settings{}).runnable);
        CHECK(test::read_text(bundle / "config.json") == config);
    }
}
