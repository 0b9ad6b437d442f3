#include "base/error.hpp"
#include "base/userns.hpp"
#include "oci/spec.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <limits>

using Catch::Matchers::Contains;
using oci::IdMap;
using oci::UserNamespace;

namespace {

constexpr std::uint32_t k_all = std::numeric_limits<std::uint32_t>::max();

UserNamespace host() {
    UserNamespace ns;
    ns.uids = {{0, 0, k_all}};
    return ns;
}

// Rootless podman's namespace: root is the user (1001), then subordinate ids; overflow 65534
// is itself mapped (to a subordinate id), as with any 65536-id range.
UserNamespace rootless() {
    UserNamespace ns;
    ns.uids = {{0, 1001, 1}, {1, 100000, 65536}};
    return ns;
}

// A small rootless namespace whose ids do not reach the overflow uid.
UserNamespace rootless_small() {
    UserNamespace ns;
    ns.uids = {{0, 1001, 1}, {1, 100000, 1000}};
    return ns;
}

// A rootful container's namespace mapping host root to its root (and so trusting it).
UserNamespace root_mapped() {
    UserNamespace ns;
    ns.uids = {{0, 0, 65536}};
    return ns;
}

struct stat file(uid_t uid, gid_t gid, mode_t mode) {
    struct stat st {};
    st.st_uid = uid;
    st.st_gid = gid;
    st.st_mode = S_IFREG | mode;
    return st;
}

} // namespace

TEST_CASE("parse_id_map: /proc uid_map text", "[userns]") {
    const IdMap m = oci::parse_id_map("         0       1001          1\n         1     100000      65536\n");
    REQUIRE(m.size() == 2);
    CHECK(m[1].inside == 1);
    CHECK(m[1].outside == 100000);
    CHECK(m[1].count == 65536);
    CHECK(oci::parse_id_map("0 0 4294967295\n").at(0).count == k_all);
    CHECK(oci::parse_id_map("").empty());
}

TEST_CASE("parse_id_map: malformed text throws Error", "[userns]") {
    for (const char* bad : {"0 0\n", "0 0 0\n", "a b c\n", "0 0 1 1\n", "4294967295 0 2\n", "0 4294967296 1\n"})
        CHECK_THROWS_AS(oci::parse_id_map(bad), oci::Error);
}

TEST_CASE("to_outside and to_inside: ranges both ways", "[userns]") {
    const IdMap m = rootless().uids;
    CHECK(oci::to_outside(m, 0) == 1001U);
    CHECK(oci::to_outside(m, 65534) == 165533U);
    CHECK_FALSE(oci::to_outside(m, 65537));
    CHECK(oci::to_inside(m, 1001) == 0U);
    CHECK(oci::to_inside(m, 100000) == 1U);
    CHECK_FALSE(oci::to_inside(m, 0));
    CHECK_FALSE(oci::to_inside(m, 1000));
}

TEST_CASE("UserNamespace: initial and host root", "[userns]") {
    CHECK(host().initial());
    CHECK(host().maps_host_root());
    CHECK_FALSE(rootless().initial());
    CHECK_FALSE(rootless().maps_host_root());
    CHECK_FALSE(root_mapped().initial());
    CHECK(root_mapped().maps_host_root());
}

TEST_CASE("current_user_namespace: this process", "[userns]") {
    const UserNamespace ns = oci::current_user_namespace();
    CHECK_FALSE(ns.uids.empty());
    CHECK(ns.overflow_uid > 0);
    CHECK(&oci::this_user_namespace() == &oci::this_user_namespace());
}

TEST_CASE("ownership_problem: where host root is mapped, root must own the file", "[userns]") {
    for (const UserNamespace& ns : {host(), root_mapped()}) {
        CHECK_FALSE(oci::ownership_problem(file(0, 0, 0755), ns, std::nullopt));
        CHECK_FALSE(oci::ownership_problem(file(0, 50, 0755), ns, true)); // root can write anything: irrelevant
        CHECK_THAT(*oci::ownership_problem(file(1000, 0, 0755), ns, std::nullopt), Contains("not owned by root"));
        CHECK_THAT(*oci::ownership_problem(file(65534, 65534, 0755), ns, false), Contains("not owned by root"));
        CHECK_THAT(*oci::ownership_problem(file(0, 0, 0775), ns, std::nullopt), Contains("writable by its group"));
        CHECK_THAT(*oci::ownership_problem(file(0, 0, 0757), ns, std::nullopt), Contains("by others"));
    }
}

TEST_CASE("ownership_problem: rootless, a host root file shows the overflow uid and is trusted", "[userns]") {
    for (const UserNamespace& ns : {rootless(), rootless_small()}) {
        // What /usr/bin/qemu-aarch64-static looks like from rootless podman's namespace.
        CHECK_FALSE(oci::ownership_problem(file(65534, 65534, 0755), ns, false));
        CHECK_FALSE(oci::ownership_problem(file(65534, 65534, 0755), ns, std::nullopt)); // read-only file system
        // The namespace's root (the user) owns it: the user's containers could change it.
        CHECK_THAT(*oci::ownership_problem(file(0, 0, 0755), ns, true), Contains("uid 0 of this user namespace"));
        CHECK_THAT(*oci::ownership_problem(file(1000, 1000, 0755), ns, true), Contains("uid 1000"));
        // Overflow-looking but writable from inside: a mapped id 65534 owns it.
        CHECK_THAT(*oci::ownership_problem(file(65534, 65534, 0755), ns, true), Contains("changed from inside"));
        CHECK_THAT(*oci::ownership_problem(file(65534, 65534, 0777), ns, false), Contains("writable by its group"));
        CHECK_THAT(*oci::ownership_problem(file(65534, 65534, 0775), ns, false), Contains("writable by its group"));
    }
    UserNamespace other_overflow = rootless();
    other_overflow.overflow_uid = 99;
    CHECK_FALSE(oci::ownership_problem(file(99, 99, 0755), other_overflow, false));
    CHECK(oci::ownership_problem(file(65534, 65534, 0755), other_overflow, false));
}

TEST_CASE("child_maps_host_root: a child namespace's map read from its parent", "[userns]") {
    const IdMap maps_zero{{0, 0, 65536}};
    const IdMap subordinate{{0, 100000, 65536}};
    const IdMap keep_id{{0, 1, 1000}, {1000, 0, 1}}; // podman --userns=keep-id inside rootless: 0 is the user
    CHECK(oci::child_maps_host_root(maps_zero, host()));
    CHECK_FALSE(oci::child_maps_host_root(subordinate, host()));
    CHECK(oci::child_maps_host_root(keep_id, host()));
    // From rootless podman's namespace, id 0 is the user, never host root.
    CHECK_FALSE(oci::child_maps_host_root(maps_zero, rootless()));
    CHECK_FALSE(oci::child_maps_host_root(keep_id, rootless()));
    // A rootful container namespace mapping host root: its child mapping 0 maps host root too.
    CHECK(oci::child_maps_host_root(maps_zero, root_mapped()));
}

TEST_CASE("config_maps_host_root: hostIDs are ids of the runtime's namespace", "[userns][spec]") {
    const auto config = oci::Json::parse(R"({"linux": {"namespaces": [{"type": "user"}, {"type": "mount"}],
        "uidMappings": [{"containerID": 0, "hostID": 0, "size": 1}, {"containerID": 1, "hostID": 1, "size": 65535}]}})");
    CHECK(oci::config_maps_host_root(config, host()));
    CHECK_FALSE(oci::config_maps_host_root(config, rootless()));
    const auto auto_ns = oci::Json::parse(R"({"linux": {"namespaces": [{"type": "user"}],
        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}})");
    CHECK_FALSE(oci::config_maps_host_root(auto_ns, host()));
    const auto no_userns = oci::Json::parse(R"({"linux": {"namespaces": [{"type": "mount"}]}})");
    CHECK_FALSE(oci::config_maps_host_root(no_userns, host()));
    const auto unknown = oci::Json::parse(R"({"linux": {"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}]}})");
    CHECK(oci::config_maps_host_root(unknown, host())); // joins a namespace it does not describe: assume the worst
    const auto huge = oci::Json::parse(R"({"linux": {"namespaces": [{"type": "user"}],
        "uidMappings": [{"containerID": 0, "hostID": 4294967296, "size": 1}]}})");
    CHECK_THROWS_AS(oci::config_maps_host_root(huge, host()), oci::Error);
}

TEST_CASE("path_ownership_problem: a directory others can write, unless sticky", "[userns]") {
    test::TempDir dir; // under /tmp: 1777, sticky, so it passes itself
    const auto file = dir.write("x/qemu-aarch64-static", "", 0755);
    const auto x = file.parent_path();
    if (!test::is_root()) {
        WARN("SKIP: needs root (the directories must be root's)");
        return;
    }
    SECTION("0755: nobody but root can change what the path names") {
        test::fs::permissions(x, test::fs::perms(0755));
        CHECK_FALSE(oci::path_ownership_problem(file, host()));
    }
    SECTION("0777: anyone can put another file there") {
        test::fs::permissions(x, test::fs::perms(0777));
        const auto problem = oci::path_ownership_problem(file, host());
        REQUIRE(problem);
        CHECK_THAT(*problem, Contains("is in directory '" + x.string() + "', which is writable by its group or by others"));
    }
    SECTION("0775: the group can") {
        test::fs::permissions(x, test::fs::perms(0775));
        CHECK(oci::path_ownership_problem(file, host()));
    }
    SECTION("1777: only root may rename root's file") {
        test::fs::permissions(x, test::fs::perms(01777));
        CHECK_FALSE(oci::path_ownership_problem(file, host()));
    }
    SECTION("a directory owned by another user") {
        test::fs::permissions(x, test::fs::perms(0755));
        REQUIRE(::chown(x.c_str(), 1000, 1000) == 0);
        const auto problem = oci::path_ownership_problem(file, host());
        REQUIRE(problem);
        CHECK_THAT(*problem, Contains("'" + x.string() + "', which is not owned by root"));
    }
    SECTION("a symlink on the way owned by another user, who may point it elsewhere") {
        test::fs::permissions(x, test::fs::perms(0755));
        const auto link = dir / "link";
        test::fs::create_symlink(x, link);
        CHECK_FALSE(oci::path_ownership_problem(link / "qemu-aarch64-static", host()));
        REQUIRE(::lchown(link.c_str(), 1000, 1000) == 0);
        const auto problem = oci::path_ownership_problem(link / "qemu-aarch64-static", host());
        REQUIRE(problem);
        CHECK_THAT(*problem, Contains("passes through symlink '" + link.string() + "', which is not owned by root"));
    }
    SECTION("relative paths and missing components are left to the caller") {
        CHECK_FALSE(oci::path_ownership_problem("relative/qemu", host()));
        CHECK_FALSE(oci::path_ownership_problem(dir / "missing/qemu", host()));
    }
}
