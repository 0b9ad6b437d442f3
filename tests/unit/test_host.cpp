#include "base/platform.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/host.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using oci::Platform;

TEST_CASE("runs_natively: the same platform runs natively", "[host]") {
    for (const auto& p : oci::catalogue_platforms()) {
        INFO(p.str());
        CHECK(oci::runs_natively(p, p));
    }
    for (const char* name : {"linux/arm/v6", "linux/arm/v5"}) {
        const auto p = test::platform(name);
        CHECK(oci::runs_natively(p, p));
    }
}

TEST_CASE("runs_natively: arm variants on an arm host", "[host]") {
    const auto v7 = test::platform("linux/arm/v7");
    const auto v6 = test::platform("linux/arm/v6");
    const auto v5 = test::platform("linux/arm/v5");
    CHECK(oci::runs_natively(v5, v7));
    CHECK(oci::runs_natively(v6, v7));
    CHECK(oci::runs_natively(v5, v6));
    CHECK_FALSE(oci::runs_natively(v7, v5));
    CHECK_FALSE(oci::runs_natively(v7, v6));
    CHECK_FALSE(oci::runs_natively(v6, v5));
    // an unknown variant on either side is taken as the same platform
    CHECK(oci::runs_natively(Platform{"linux", "arm", ""}, v5));
    CHECK(oci::runs_natively(v7, Platform{"linux", "arm", ""}));
}

TEST_CASE("runs_natively: unrelated architectures never run natively", "[host]") {
    const auto p = [](const char* n) { return test::platform(n); };
    CHECK_FALSE(oci::runs_natively(p("linux/arm64"), p("linux/amd64")));
    CHECK_FALSE(oci::runs_natively(p("linux/amd64"), p("linux/arm64")));
    CHECK_FALSE(oci::runs_natively(p("linux/amd64"), p("linux/386"))); // 64-bit code on a 32-bit host
    CHECK_FALSE(oci::runs_natively(p("linux/arm64"), p("linux/arm/v7")));
    CHECK_FALSE(oci::runs_natively(p("linux/s390x"), p("linux/ppc64le")));
    CHECK_FALSE(oci::runs_natively(p("linux/ppc64"), p("linux/ppc64le")));
    CHECK_FALSE(oci::runs_natively(p("linux/mips64"), p("linux/mips64le")));
    CHECK_FALSE(oci::runs_natively(p("linux/riscv64"), p("linux/loong64")));
}

TEST_CASE("runs_natively: the 386 probe on amd64 answers quickly", "[host]") {
    const auto start = std::chrono::steady_clock::now();
    bool native = false;
    REQUIRE_NOTHROW(native = oci::runs_natively(test::platform("linux/386"), test::platform("linux/amd64")));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    INFO("386 runs natively: " << native);
    CHECK(elapsed < std::chrono::seconds(5));
    // whatever the answer, it is stable
    CHECK(oci::runs_natively(test::platform("linux/386"), test::platform("linux/amd64")) == native);
}

TEST_CASE("runs_natively: a probe that cannot run natively means not native", "[host]") {
    // On a host that is not arm64 or arm, the AArch32 probe either cannot be executed or runs
    // under qemu-arm, which says "armv7l": either way the answer is false, and nothing throws.
    const auto host = oci::host_platform();
    if (host.architecture == "arm64" || host.architecture == "arm") {
        WARN("SKIP: the host is " << host.str() << ", where the arm probe may really run natively");
        return;
    }
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(oci::runs_natively(test::platform("linux/arm/v7"), test::platform("linux/arm64")));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(6));
}
