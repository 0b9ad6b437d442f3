#include "base/error.hpp"
#include "oci/record.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

using oci::UniqueFd;

namespace {

std::vector<test::fs::path> records_in(const test::fs::path& dir) {
    std::vector<test::fs::path> out;
    for (const auto& e : test::fs::directory_iterator(dir))
        if (e.path().extension() == ".json") out.push_back(e.path());
    return out;
}

using Paths = std::vector<std::string>;

} // namespace

TEST_CASE("release_record: returns what save_record kept, once", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    oci::save_record(state, {"/var/lib/c1/rootfs", "c1", {"/usr/libexec", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"}});
    struct stat st {};
    REQUIRE(::stat(state.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    const auto paths = oci::release_record(state, "/var/lib/c1/rootfs", "c1");
    REQUIRE(paths);
    CHECK(*paths == Paths{"/usr/libexec", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"});
    CHECK_FALSE(oci::release_record(state, "/var/lib/c1/rootfs", "c1"));
    CHECK(records_in(state).empty());
}

TEST_CASE("release_record: nothing saved, or no state directory", "[record]") {
    test::TempDir dir;
    CHECK_FALSE(oci::release_record(dir.path(), "/rootfs", "c1"));
    CHECK_FALSE(oci::release_record(dir / "missing-state-dir", "/rootfs", "c1"));
}

TEST_CASE("release_record: precreate's anonymous record is found by the container's poststop", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/overlay/merged", "", {"/usr/bin/qemu-aarch64-static"}});
    const auto paths = oci::release_record(dir.path(), "/overlay/merged/", "podman-id");
    REQUIRE(paths);
    CHECK(*paths == Paths{"/usr/bin/qemu-aarch64-static"});
}

TEST_CASE("release_record: records of different rootfs and containers are kept apart", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/a/rootfs", "a", {"/a1"}});
    oci::save_record(dir.path(), {"/b/rootfs", "b", {"/b1", "/b2"}});
    CHECK_FALSE(oci::release_record(dir.path(), "/a/rootfs", "b"));
    const auto b = oci::release_record(dir.path(), "/b/rootfs", "b");
    REQUIRE(b);
    CHECK(*b == Paths{"/b1", "/b2"});
    const auto a = oci::release_record(dir.path(), "/a/rootfs", "a");
    REQUIRE(a);
    CHECK(*a == Paths{"/a1"});
}

TEST_CASE("release_record: a rootfs still in use keeps its paths until the last container", "[record]") {
    test::TempDir dir;
    // A created the target; B, on the same rootfs, found it there and created nothing.
    oci::save_record(dir.path(), {"/shared/rootfs", "a", {"/usr/libexec", "/usr/libexec/x"}});
    oci::save_record(dir.path(), {"/shared/rootfs", "b", {}});
    const auto a = oci::release_record(dir.path(), "/shared/rootfs", "a");
    REQUIRE(a);
    CHECK(a->empty()); // B still has the emulator mounted on that file
    const auto b = oci::release_record(dir.path(), "/shared/rootfs", "b");
    REQUIRE(b);
    CHECK(*b == Paths{"/usr/libexec", "/usr/libexec/x"});
    CHECK(records_in(dir.path()).empty());
}

TEST_CASE("release_record: a corrupt record is an Error", "[record]") {
    test::TempDir dir;
    oci::save_record(dir.path(), {"/r", "c", {"/x"}});
    const auto files = records_in(dir.path());
    REQUIRE(files.size() == 1);
    dir.write(files.front().filename().string(), "{not json");
    CHECK_THROWS_AS(oci::release_record(dir.path(), "/r", "c"), oci::Error);
}

TEST_CASE("save_record: a second run for the same container adds to the record, never drops paths", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    oci::save_record(state, {"/r", "c1", {"/usr/libexec", "/usr/libexec/qemu-binfmt"}});
    oci::save_record(state, {"/r", "c1", {}}); // the hook again at another stage: nothing new created
    oci::save_record(state, {"/r", "c1", {"/usr/libexec/qemu-binfmt", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"}});
    oci::save_record(state, {"/r", "c2", {"/other"}});
    CHECK(records_in(state).size() == 2);
    const auto paths = oci::release_record(state, "/r", "c1");
    REQUIRE(paths);
    // c2 still uses the rootfs: c1's paths are handed on to it
    CHECK(paths->empty());
    const auto last = oci::release_record(state, "/r", "c2");
    REQUIRE(last);
    CHECK(*last == Paths{"/other", "/usr/libexec", "/usr/libexec/qemu-binfmt", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"});
}

TEST_CASE("save_record and release_record: a record write cut short (a killed hook) leaves no temporary file", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    oci::save_record(state, {"/var/lib/c1/rootfs", "c1", {"/usr/libexec"}});
    const auto record = records_in(state).at(0);
    // What write_file_atomic had written when the hook was killed before its rename.
    const auto stale = state / ("." + record.filename().string() + ".xarch-Ab12Cd");
    dir.write("state/" + stale.filename().string(), "{\"rootfs\": \"/x\"", 0600);
    const auto other = dir.write("state/.keep-me", "", 0600);
    oci::save_record(state, {"/var/lib/c2/rootfs", "c2", {"/usr"}});
    CHECK_FALSE(test::fs::exists(stale));
    CHECK(test::fs::exists(other)); // only xarch's own temporaries
    dir.write("state/" + stale.filename().string(), "{", 0600);
    CHECK(oci::release_record(state, "/var/lib/c1/rootfs", "c1") == Paths{"/usr/libexec"});
    CHECK_FALSE(test::fs::exists(stale));
}

TEST_CASE("lock_records: a holder that hangs gets an Error after the timeout, not a hang", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    const UniqueFd held = oci::lock_records(state);
    const auto r = test::run_in_child([&] {
        const auto start = std::chrono::steady_clock::now();
        try {
            oci::lock_records(state, std::chrono::milliseconds(200));
            return 1;
        } catch (const oci::Error& e) {
            if (std::string(e.what()).find("held by another process for 200 ms") == std::string::npos) return 2;
        }
        return std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200) ? 0 : 3;
    });
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 0);
}

TEST_CASE("lock_records: once the holder lets go, the lock is had", "[record]") {
    test::TempDir dir;
    const auto state = dir / "state";
    { const UniqueFd held = oci::lock_records(state); }
    CHECK(oci::lock_records(state, std::chrono::milliseconds(0)));
}
