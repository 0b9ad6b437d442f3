#include "base/error.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"
#include "oci/detect.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using json = oci::Json;

namespace {

json config(const std::vector<std::string>& args, const json& annotations = json()) {
    json c{{"ociVersion", "1.0.2"},
           {"root", {{"path", "rootfs"}}},
           {"process", {{"args", args}, {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}, {"cwd", "/"}}}};
    if (!annotations.is_null()) c["annotations"] = annotations;
    return c;
}

} // namespace

TEST_CASE("detect_image: args[0] is an ELF program", "[detect]") {
    test::TempDir root;
    const auto elf = test::elf_for("linux/arm64");
    root.write("/usr/bin/app", elf, 0755);
    root.write("/bin/sh", test::elf_for("linux/s390x"), 0755); // must not be consulted
    const auto rootfs = oci::Rootfs::open(root.path());

    SECTION("by absolute path") {
        const auto info = oci::detect_image(rootfs, config({"/usr/bin/app", "--flag"}));
        REQUIRE(info);
        CHECK(info->platform.str() == "linux/arm64");
        CHECK(info->file == "/usr/bin/app");
        CHECK(info->head == elf);
        CHECK_THAT(info->source, Contains("ELF /usr/bin/app"));
        CHECK_THAT(info->source, Contains("command '/usr/bin/app'"));
    }
    SECTION("by name through PATH") {
        const auto info = oci::detect_image(rootfs, config({"app"}));
        REQUIRE(info);
        CHECK(info->platform.str() == "linux/arm64");
        CHECK(info->file == "/usr/bin/app");
        CHECK_THAT(info->source, Contains("command 'app'"));
    }
}

TEST_CASE("detect_image: every supported platform", "[detect]") {
    for (const auto& pe : test::supported_elves()) {
        INFO(pe.platform);
        test::TempDir root;
        root.write("/bin/prog", test::build_elf(pe.spec), 0755);
        const auto info = oci::detect_image(oci::Rootfs::open(root.path()), config({"/bin/prog"}));
        REQUIRE(info);
        CHECK(info->platform.str() == pe.platform);
    }
}

TEST_CASE("detect_image: a script follows its interpreter", "[detect]") {
    test::TempDir root;
    root.write("/bin/busybox", test::elf_for("linux/ppc64le"), 0755);
    root.symlink("/bin/busybox", "/bin/sh");
    root.write("/docker-entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n", 0755);
    const auto info = oci::detect_image(oci::Rootfs::open(root.path()), config({"/docker-entrypoint.sh", "nginx"}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/ppc64le");
    CHECK(info->file == "/bin/sh");
}

TEST_CASE("detect_image: script of a missing interpreter falls back to /bin/sh", "[detect]") {
    test::TempDir root;
    root.write("/bin/sh", test::elf_for("linux/arm/v7"), 0755);
    root.write("/app/run.py", "#!/usr/bin/python3\nprint('hi')\n", 0755);
    const auto info = oci::detect_image(oci::Rootfs::open(root.path()), config({"/app/run.py"}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/arm/v7");
    CHECK(info->file == "/bin/sh");
    CHECK_THAT(info->source, Contains("fallback /bin/sh"));
    CHECK_THAT(info->source, Contains("'/app/run.py'"));
}

TEST_CASE("detect_image: a missing args[0] falls back to /bin/sh", "[detect]") {
    test::TempDir root;
    root.write("/bin/sh", test::elf_for("linux/mips64le"), 0755);
    const auto info = oci::detect_image(oci::Rootfs::open(root.path()), config({"does-not-exist"}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/mips64le");
    CHECK_THAT(info->source, Contains("fallback /bin/sh"));
}

TEST_CASE("detect_image: no args uses /bin/sh", "[detect]") {
    test::TempDir root;
    root.write("/bin/sh", test::elf_for("linux/riscv64"), 0755);
    const auto rootfs = oci::Rootfs::open(root.path());
    for (const json& c : {config({}), json{{"root", {{"path", "rootfs"}}}}}) {
        const auto info = oci::detect_image(rootfs, c);
        REQUIRE(info);
        CHECK(info->platform.str() == "linux/riscv64");
        CHECK(info->file == "/bin/sh");
        CHECK_THAT(info->source, Contains("(/bin/sh)"));
    }
}

TEST_CASE("detect_image: no ELF anywhere gives nullopt", "[detect]") {
    test::TempDir root;
    SECTION("empty rootfs") {
        CHECK_FALSE(oci::detect_image(oci::Rootfs::open(root.path()), config({"/app"})));
        CHECK_FALSE(oci::detect_image(oci::Rootfs::open(root.path()), config({})));
    }
    SECTION("only scripts") {
        root.write("/app", "#!/bin/sh\n", 0755);
        root.write("/bin/sh", "#!/bin/busybox\n", 0755); // a script, not a program
        CHECK_FALSE(oci::detect_image(oci::Rootfs::open(root.path()), config({"/app"})));
    }
    SECTION("a /bin/sh that is not executable") {
        root.write("/bin/sh", test::elf_for("linux/arm64"), 0644);
        CHECK_FALSE(oci::detect_image(oci::Rootfs::open(root.path()), config({"/app"})));
    }
}

TEST_CASE("detect_image: the annotation refines the variant of the detected program", "[detect]") {
    test::TempDir root;
    const auto armel = test::elf_for("linux/arm/v5");
    root.write("/bin/app", armel, 0755);
    const auto info = oci::detect_image(oci::Rootfs::open(root.path()),
                                        config({"/bin/app"}, {{"io.xarch.platform", "linux/arm/v7"}}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/arm/v7");
    CHECK(info->file == "/bin/app");
    CHECK(info->head == armel);
    CHECK_THAT(info->source, StartsWith("annotation io.xarch.platform"));
    CHECK_THAT(info->source, Contains("ELF /bin/app"));
}

TEST_CASE("detect_image: the annotation overrides another architecture", "[detect]") {
    test::TempDir root;
    root.write("/bin/app", test::elf_for("linux/arm64"), 0755);
    const auto info = oci::detect_image(oci::Rootfs::open(root.path()),
                                        config({"/bin/app"}, {{"io.xarch.platform", "linux/s390x"}}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/s390x");
    CHECK(info->file.empty());
    CHECK(info->source == "annotation io.xarch.platform");
    // binfmt_misc matching then sees the catalogue's header for that platform
    REQUIRE(info->head.size() == 64);
    const auto reg = oci::registration_for(info->platform, "/usr/bin/qemu-s390x-static");
    CHECK(oci::binfmt_matches(reg, info->head, info->file));
    const auto other = oci::registration_for(test::platform("linux/arm64"), "/usr/bin/qemu-aarch64-static");
    CHECK_FALSE(oci::binfmt_matches(other, info->head, info->file));
}

TEST_CASE("detect_image: the annotation alone, aliases accepted", "[detect]") {
    test::TempDir root; // nothing at all in the rootfs
    for (const auto& [alias, expected] : std::vector<std::pair<std::string, std::string>>{
             {"aarch64", "linux/arm64"}, {"armhf", "linux/arm/v7"}, {"linux/ppc64le", "linux/ppc64le"}, {"ppc64el", "linux/ppc64le"}}) {
        INFO(alias);
        const auto info = oci::detect_image(oci::Rootfs::open(root.path()), config({"/app"}, {{"io.xarch.platform", alias}}));
        REQUIRE(info);
        CHECK(info->platform.str() == expected);
        CHECK(info->head.size() == 64);
        CHECK(oci::binfmt_matches(oci::registration_for(info->platform, "/q"), info->head, info->file));
    }
}

TEST_CASE("detect_image: an invalid annotation throws Error", "[detect]") {
    test::TempDir root;
    root.write("/bin/app", test::elf_for("linux/arm64"), 0755);
    const auto rootfs = oci::Rootfs::open(root.path());
    CHECK_THROWS_AS(oci::detect_image(rootfs, config({"/bin/app"}, {{"io.xarch.platform", "linux/hppa"}})), oci::Error);
    CHECK_THROWS_WITH(oci::detect_image(rootfs, config({"/bin/app"}, {{"io.xarch.platform", "garbage"}})),
                      Contains("unknown platform 'garbage'"));
    CHECK_THROWS_AS(oci::detect_image(rootfs, config({"/bin/app"}, {{"io.xarch.platform", ""}})), oci::Error);
    // a non-string annotation is not an annotation
    const auto info = oci::detect_image(rootfs, config({"/bin/app"}, {{"io.xarch.platform", 42}}));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/arm64");
}

TEST_CASE("detect_image: an unsupported ELF throws Error", "[detect]") {
    test::TempDir root;
    root.write("/bin/app", test::build_elf(test::elf_spec(false, true, test::k_em_parisc)), 0755);
    CHECK_THROWS_WITH(oci::detect_image(oci::Rootfs::open(root.path()), config({"/bin/app"})),
                      Contains("unsupported executable '/bin/app'") && Contains("ELF machine 0xf"));
}

TEST_CASE("detect_image: the annotation wins over an unsupported ELF", "[detect]") {
    // "The image's platform: the io.xarch.platform annotation if present, otherwise the ELF
    // header": an image whose program xarch cannot name (here x32, EM_X86_64 in a 32-bit ELF)
    // is exactly when the annotation is needed, so detection must not throw before reading it.
    test::TempDir root;
    root.write("/bin/app", test::build_elf(test::elf_spec(false, false, test::k_em_x86_64)), 0755);
    std::optional<oci::ImageInfo> info;
    REQUIRE_NOTHROW(info = oci::detect_image(oci::Rootfs::open(root.path()),
                                             config({"/bin/app"}, {{"io.xarch.platform", "linux/amd64"}})));
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/amd64");
}

TEST_CASE("detect_image: malformed process fields throw Error", "[detect]") {
    test::TempDir root;
    const auto rootfs = oci::Rootfs::open(root.path());
    CHECK_THROWS_AS(oci::detect_image(rootfs, json{{"process", {{"args", "sh"}}}}), oci::Error);
    CHECK_THROWS_AS(oci::detect_image(rootfs, json{{"process", {{"args", {"sh"}}, {"cwd", 5}}}}), oci::Error);
    CHECK_THROWS_AS(oci::detect_image(rootfs, json{{"process", {{"args", {"sh"}}, {"env", "PATH=/bin"}}}}), oci::Error);
}

TEST_CASE("detect_image: process.env and cwd are used for the lookup", "[detect]") {
    test::TempDir root;
    root.write("/opt/tools/app", test::elf_for("linux/loong64"), 0755);
    root.write("/bin/sh", test::elf_for("linux/arm64"), 0755);
    const auto rootfs = oci::Rootfs::open(root.path());
    json c = config({"app"});
    c["process"]["env"] = {"PATH=/opt/tools"};
    auto info = oci::detect_image(rootfs, c);
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/loong64");

    json rel = config({"tools/app"});
    rel["process"]["cwd"] = "/opt";
    info = oci::detect_image(rootfs, rel);
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/loong64");
}

TEST_CASE("detect_command: a single command or the rootfs shell", "[detect]") {
    test::TempDir root;
    root.write("/usr/bin/tool", test::elf_for("linux/mips64"), 0755);
    root.write("/bin/sh", test::elf_for("linux/386"), 0755);
    const auto rootfs = oci::Rootfs::open(root.path());
    auto info = oci::detect_command(rootfs, "tool", {});
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/mips64");
    info = oci::detect_command(rootfs, "", {});
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/386");
    info = oci::detect_command(rootfs, "missing", {});
    REQUIRE(info);
    CHECK(info->platform.str() == "linux/386");
    CHECK_THAT(info->source, Contains("fallback"));
}
