#include "oci/error.hpp"
#include "oci/record.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <vector>

namespace {

std::vector<test::fs::path> files_in(const test::fs::path& dir) {
    std::vector<test::fs::path> out;
    for (const auto& e : test::fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}

} // namespace

TEST_CASE("save_record: take_record round trip", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    const oci::Record rec{"/var/lib/containers/c1/merged", {"/usr", "/usr/bin", "/usr/bin/qemu-aarch64-static"}};
    oci::save_record(state, rec);
    const auto back = oci::take_record(state, rec.rootfs);
    REQUIRE(back);
    CHECK(back->rootfs == rec.rootfs);
    CHECK(back->created == rec.created);
}

TEST_CASE("take_record: a second take finds nothing", "[record]") {
    test::TempDir dir;
    const oci::Record rec{"/rootfs", {"/usr/bin/qemu-arm-static"}};
    oci::save_record(dir.path(), rec);
    CHECK(oci::take_record(dir.path(), "/rootfs"));
    CHECK_FALSE(oci::take_record(dir.path(), "/rootfs"));
    CHECK(files_in(dir.path()).empty());
}

TEST_CASE("take_record: nothing saved", "[record]") {
    test::TempDir dir;
    CHECK_FALSE(oci::take_record(dir.path(), "/rootfs"));
    CHECK_FALSE(oci::take_record(dir / "missing-state-dir", "/rootfs"));
}

TEST_CASE("save_record: records of different rootfs are kept apart", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/a/rootfs", {"/a1"}});
    oci::save_record(dir.path(), {"/b/rootfs", {"/b1", "/b2"}});
    CHECK(files_in(dir.path()).size() == 2);
    const auto b = oci::take_record(dir.path(), "/b/rootfs");
    REQUIRE(b);
    CHECK(b->created == std::vector<std::string>{"/b1", "/b2"});
    CHECK_FALSE(oci::take_record(dir.path(), "/c/rootfs"));
    const auto a = oci::take_record(dir.path(), "/a/rootfs");
    REQUIRE(a);
    CHECK(a->created == std::vector<std::string>{"/a1"});
}

TEST_CASE("save_record: a later save for the same rootfs replaces the record", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/r", {"/old"}});
    oci::save_record(dir.path(), {"/r", {"/new"}});
    CHECK(files_in(dir.path()).size() == 1);
    const auto r = oci::take_record(dir.path(), "/r");
    REQUIRE(r);
    CHECK(r->created == std::vector<std::string>{"/new"});
}

TEST_CASE("take_record: the rootfs path is compared normalised", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/var/lib/x/../y/./rootfs", {"/q"}});
    const auto r = oci::take_record(dir.path(), "/var/lib/y/rootfs");
    REQUIRE(r);
    CHECK(r->rootfs == "/var/lib/y/rootfs");
}

TEST_CASE("save_record: an empty list round-trips", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/r", {}});
    const auto r = oci::take_record(dir.path(), "/r");
    REQUIRE(r);
    CHECK(r->created.empty());
}

TEST_CASE("save_record: creates the state directory 0700", "[record]") {
    test::TempDir dir;
    const auto state = dir / "xarch";
    oci::save_record(state, {"/r", {"/q"}});
    REQUIRE(test::fs::is_directory(state));
    CHECK(test::file_mode(state) == 0700);
    // a missing parent is an error
    CHECK_THROWS_AS(oci::save_record(dir / "no/such/parent", {"/r", {"/q"}}), oci::Error);
}

TEST_CASE("take_record: a corrupt record is an Error", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/r", {"/q"}});
    const auto files = files_in(dir.path());
    REQUIRE(files.size() == 1);
    for (const char* text : {"not json", "[]", R"({"rootfs": "/r"})", R"({"rootfs": 1, "created": []})",
                             R"({"rootfs": "/r", "created": "/q"})"}) {
        INFO(text);
        dir.write(files[0].filename().string(), text);
        CHECK_THROWS_AS(oci::take_record(dir.path(), "/r"), oci::Error);
    }
}
