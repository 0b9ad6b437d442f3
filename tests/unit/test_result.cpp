#include "base/error.hpp"
#include "base/result.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

using Catch::Matchers::Contains;

TEST_CASE("Result: a value or a failure with its errno", "[result]") {
    oci::Result<int> ok = 7;
    REQUIRE(ok);
    CHECK(ok.value() == 7);
    CHECK_FALSE(ok.failed_with(ENOENT));
    oci::Result<int> bad = oci::sys_failure("open 'x'", ENOENT);
    REQUIRE_FALSE(bad);
    CHECK(bad.failed_with(ENOENT));
    CHECK(bad.error().message == "open 'x': No such file or directory");
    CHECK(oci::Status(oci::done()).ok());
}

TEST_CASE("context: prefixes what was being done, keeps the errno", "[result]") {
    const auto r = oci::context(oci::Result<int>(oci::sys_failure("open 'x'", EACCES)), "mount emulator");
    CHECK(r.failed_with(EACCES));
    CHECK(r.error().message == "mount emulator: open 'x': Permission denied");
    CHECK(oci::context(oci::Result<int>(3), "unused").value() == 3);
}

TEST_CASE("raise: the command-level exception for a failure", "[result]") {
    try {
        oci::raise(oci::sys_failure("stat 'y'", ENOTDIR));
        FAIL("raise returned");
    } catch (const oci::SysError& e) {
        CHECK(e.code() == ENOTDIR);
        CHECK(std::string(e.what()) == "stat 'y': Not a directory"); // not formatted twice
    }
    CHECK_THROWS_WITH(oci::raise(oci::failure("no errno here")), "no errno here");
    CHECK(oci::value_or_raise(oci::Result<std::string>(std::string("v"))) == "v");
    CHECK_THROWS_AS(oci::value_or_raise(oci::Result<int>(oci::failure("x"))), oci::Error);
}

TEST_CASE("printable: control characters escaped, long values cut with their length", "[error]") {
    CHECK(oci::printable("linux/arm64") == "linux/arm64");
    CHECK(oci::printable(std::string("a\nb\0c\x1b", 6)) == "a\\nb\\0c\\x1b");
    CHECK(oci::printable(std::string(100, 'x'), 10) == "xxxxxxxxxx... (100 bytes)");
}
