#include "base/error.hpp"
#include "base/json.hpp"
#include "oci/spec.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <string>

using Catch::Matchers::Contains;
using json = oci::Json;

namespace {

// A runc-style state with one field replaced (or removed when `value` is discarded).
std::string state_with(const std::string& key, const json& value) {
    json s{{"ociVersion", "1.0.2"},
           {"id", "c1"},
           {"status", "created"},
           {"pid", 4242},
           {"bundle", "/run/bundles/c1"},
           {"annotations", {{"io.xarch.platform", "linux/arm64"}}}};
    if (value.is_discarded()) s.erase(key);
    else s[key] = value;
    return s.dump();
}

const json k_remove = json(json::value_t::discarded);

} // namespace

// ---------------------------------------------------------------------------------------
// parse_state

TEST_CASE("parse_state: a complete runc state", "[spec]") {
    const oci::State s = oci::parse_state(state_with("status", "created"));
    CHECK(s.oci_version == "1.0.2");
    CHECK(s.id == "c1");
    CHECK(s.status == "created");
    CHECK(s.pid == 4242);
    CHECK(s.bundle == "/run/bundles/c1");
    CHECK_FALSE(s.root.has_value());
    CHECK(s.annotations == json{{"io.xarch.platform", "linux/arm64"}});
}

TEST_CASE("parse_state: crun's root and a minimal state", "[spec]") {
    const oci::State s = oci::parse_state(R"({"id":"x","bundle":"/b","root":"/var/lib/containers/x/merged"})");
    CHECK(s.id == "x");
    CHECK(s.pid == 0);
    CHECK(s.oci_version.empty());
    CHECK(s.status.empty());
    REQUIRE(s.root.has_value());
    CHECK(*s.root == "/var/lib/containers/x/merged");
    CHECK(s.annotations.is_object());
    CHECK(s.annotations.empty());

    const oci::State nulls = oci::parse_state(R"({"id":"x","bundle":"/b","root":null,"pid":null,"annotations":null})");
    CHECK_FALSE(nulls.root.has_value());
    CHECK(nulls.pid == 0);
    CHECK(nulls.annotations.is_object());
}

TEST_CASE("parse_state: unknown fields are ignored", "[spec]") {
    const oci::State s = oci::parse_state(state_with("x-runtime-extra", json{{"a", 1}}));
    CHECK(s.id == "c1");
}

TEST_CASE("parse_state: required fields", "[spec]") {
    CHECK_THROWS_WITH(oci::parse_state(state_with("id", k_remove)), Contains("missing 'id'"));
    CHECK_THROWS_WITH(oci::parse_state(state_with("bundle", k_remove)), Contains("missing 'bundle'"));
    CHECK_NOTHROW(oci::parse_state(state_with("ociVersion", k_remove)));
    CHECK_NOTHROW(oci::parse_state(state_with("status", k_remove)));
    CHECK_NOTHROW(oci::parse_state(state_with("annotations", k_remove)));
}

TEST_CASE("parse_state: strict types", "[spec]") {
    CHECK_THROWS_AS(oci::parse_state(state_with("id", 7)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("id", nullptr)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("bundle", json::array({"/b"}))), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("status", true)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("ociVersion", 1.0)), oci::Error);
    CHECK_THROWS_WITH(oci::parse_state(state_with("root", 5)), Contains("'root' is not a string"));
    CHECK_THROWS_WITH(oci::parse_state(state_with("annotations", "a=b")), Contains("'annotations' is not an object"));
    CHECK_THROWS_AS(oci::parse_state(state_with("annotations", json::array())), oci::Error);
}

TEST_CASE("parse_state: bundle must be absolute", "[spec]") {
    CHECK_THROWS_WITH(oci::parse_state(state_with("bundle", "run/bundles/c1")), Contains("not an absolute path"));
    CHECK_THROWS_AS(oci::parse_state(state_with("bundle", "./c1")), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("bundle", "")), oci::Error);
    CHECK(oci::parse_state(state_with("bundle", "/")).bundle == "/");
}

TEST_CASE("parse_state: pid", "[spec]") {
    CHECK(oci::parse_state(state_with("pid", k_remove)).pid == 0);
    CHECK(oci::parse_state(state_with("pid", 0)).pid == 0);
    CHECK(oci::parse_state(state_with("pid", 1)).pid == 1);
    CHECK(oci::parse_state(state_with("pid", 4194304)).pid == 4194304);
    CHECK_THROWS_WITH(oci::parse_state(state_with("pid", "4242")), Contains("'pid' is not an integer"));
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", 42.5)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", true)), oci::Error);
    CHECK_THROWS_WITH(oci::parse_state(state_with("pid", -1)), Contains("out of range"));
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", -4242)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", 0x40000000)), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", std::uint64_t{18446744073709551615ULL})), oci::Error);
    CHECK_THROWS_AS(oci::parse_state(state_with("pid", std::int64_t{1} << 40)), oci::Error);
}

TEST_CASE("parse_state: not a JSON object", "[spec]") {
    for (const char* text : {"", "{", "[]", "\"id\"", "42", "null", "{\"id\":\"x\",}", "{} {}"}) {
        INFO("text: " << text);
        CHECK_THROWS_AS(oci::parse_state(text), oci::Error);
    }
}

// ---------------------------------------------------------------------------------------
// parse_config, load_config, rootfs_path

TEST_CASE("parse_config: an object is kept whole", "[spec]") {
    const json c = oci::parse_config(R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"x-unknown":{"deep":[1,2]}})");
    CHECK(c["x-unknown"]["deep"] == json::array({1, 2}));
    CHECK(c["root"]["path"] == "rootfs");
}

TEST_CASE("parse_json_object: members keep their order; a repeated key keeps its place and the last value", "[spec]") {
    const json c = oci::parse_json_object(R"({"z":1,"a":{"y":[true,null,"s"],"b":2.5},"m":-3,"z":"last","e":{}})", "x");
    CHECK(c.dump() == R"({"z":"last","a":{"y":[true,null,"s"],"b":2.5},"m":-3,"e":{}})");
    CHECK(c["m"].is_number_integer());
    CHECK(oci::parse_json_object(R"({"u":18446744073709551615})", "x")["u"].get<std::uint64_t>() == 18446744073709551615ull);
    // Many members in one object (annotations): each is placed through a hash index, and all of
    // them, in order, are there.
    std::string many = "{";
    for (int i = 0; i < 100000; ++i) many += (i ? ",\"a" : "\"a") + std::to_string(i) + "\":" + std::to_string(i);
    many += ",\"a7\":\"again\"}";
    const json m = oci::parse_json_object(many, "x");
    REQUIRE(m.size() == 100000);
    CHECK(m.begin().key() == "a0");
    CHECK(m["a99999"] == 99999);
    CHECK(m["a7"] == "again");
    CHECK(std::next(m.begin(), 7).key() == "a7");
    // Deep nesting is built without recursion.
    const std::string deep = "{\"d\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(oci::parse_json_object(deep, "x")["d"].is_array());
}

TEST_CASE("parse_config: invalid JSON or not an object throws Error", "[spec]") {
    CHECK_THROWS_WITH(oci::parse_config("{"), Contains("parse config.json: line 1, column 2: syntax error"));
    // a number too large for a double is the library's out_of_range, reported the same way
    CHECK_THROWS_AS(oci::parse_config(R"({"a": 1e999})"), oci::Error);
    CHECK_THROWS_WITH(oci::parse_config(R"({"a": 1e999})"), Contains("parse config.json:") && Contains("1e999"));
    CHECK_THROWS_WITH(oci::parse_config("{\"a\": 1,\n\"b\": tru}", "'/b/config.json'"),
                      Contains("parse '/b/config.json': line 2, column"));
    CHECK_THROWS_WITH(oci::parse_config("[1,2]"), Contains("not a JSON object"));
    CHECK_THROWS_AS(oci::parse_config(""), oci::Error);
    CHECK_THROWS_AS(oci::parse_config("null"), oci::Error);
    CHECK_THROWS_AS(oci::parse_config("\"config\""), oci::Error);
}

TEST_CASE("load_config: reads config.json from the bundle", "[spec]") {
    test::TempDir bundle;
    SECTION("present") {
        bundle.write("config.json", R"({"root":{"path":"rootfs"}})");
        CHECK(oci::load_config(bundle.path())["root"]["path"] == "rootfs");
    }
    SECTION("missing") {
        CHECK_THROWS_AS(oci::load_config(bundle.path()), oci::SysError);
    }
    SECTION("not an object") {
        bundle.write("config.json", "[]");
        CHECK_THROWS_AS(oci::load_config(bundle.path()), oci::Error);
    }
}

TEST_CASE("rootfs_path: relative to the bundle unless absolute", "[spec]") {
    CHECK(oci::rootfs_path(json{{"root", {{"path", "rootfs"}}}}, "/b") == "/b/rootfs");
    CHECK(oci::rootfs_path(json{{"root", {{"path", "sub/dir"}}}}, "/b") == "/b/sub/dir");
    CHECK(oci::rootfs_path(json{{"root", {{"path", "/var/lib/x/merged"}}}}, "/b") == "/var/lib/x/merged");
    CHECK(oci::rootfs_path(json{{"root", {{"path", "rootfs"}, {"readonly", true}}}}, "/b") == "/b/rootfs");
}

TEST_CASE("rootfs_path: missing or mistyped root.path throws Error", "[spec]") {
    CHECK_THROWS_AS(oci::rootfs_path(json::object(), "/b"), oci::Error);
    CHECK_THROWS_AS(oci::rootfs_path(json{{"root", "rootfs"}}, "/b"), oci::Error);
    CHECK_THROWS_AS(oci::rootfs_path(json{{"root", json::object()}}, "/b"), oci::Error);
    CHECK_THROWS_AS(oci::rootfs_path(json{{"root", {{"path", 5}}}}, "/b"), oci::Error);
    CHECK_THROWS_AS(oci::rootfs_path(json{{"root", {{"path", nullptr}}}}, "/b"), oci::Error);
    CHECK_THROWS_WITH(oci::rootfs_path(json{{"root", {{"path", ""}}}}, "/b"), Contains("root.path"));
}

// ---------------------------------------------------------------------------------------
// process_args, process_lookup

TEST_CASE("process_args: the argument vector", "[spec]") {
    CHECK(oci::process_args(json{{"process", {{"args", {"sh", "-c", "uname -m"}}}}}) ==
          std::vector<std::string>{"sh", "-c", "uname -m"});
    CHECK(oci::process_args(json::object()).empty());
    CHECK(oci::process_args(json{{"process", json::object()}}).empty());
    CHECK(oci::process_args(json{{"process", {{"args", nullptr}}}}).empty());
    CHECK(oci::process_args(json{{"process", {{"args", json::array()}}}}).empty());
}

TEST_CASE("process_args: wrong types throw Error", "[spec]") {
    CHECK_THROWS_WITH(oci::process_args(json{{"process", {{"args", "sh"}}}}), Contains("process.args is not an array"));
    CHECK_THROWS_WITH(oci::process_args(json{{"process", {{"args", {"sh", 1}}}}}), Contains("non-string"));
    CHECK_THROWS_AS(oci::process_args(json{{"process", {{"args", {"sh", nullptr}}}}}), oci::Error);
    CHECK_THROWS_AS(oci::process_args(json{{"process", {{"args", {{"sh"}}}}}}), oci::Error);
}

TEST_CASE("process_lookup: env and cwd with their defaults", "[spec]") {
    const oci::CommandLookup full =
        oci::process_lookup(json{{"process", {{"env", {"PATH=/bin", "HOME=/root"}}, {"cwd", "/work"}}}});
    CHECK(full.env == std::vector<std::string>{"PATH=/bin", "HOME=/root"});
    CHECK(full.cwd == "/work");

    const oci::CommandLookup none = oci::process_lookup(json::object());
    CHECK(none.env.empty());
    CHECK(none.cwd == "/");

    CHECK(oci::process_lookup(json{{"process", {{"cwd", ""}}}}).cwd == "/");
    CHECK(oci::process_lookup(json{{"process", {{"cwd", nullptr}}}}).cwd == "/");
    CHECK(oci::process_lookup(json{{"process", {{"env", nullptr}}}}).env.empty());
}

TEST_CASE("process_lookup: wrong types throw Error", "[spec]") {
    CHECK_THROWS_WITH(oci::process_lookup(json{{"process", {{"cwd", 1}}}}), Contains("process.cwd is not a string"));
    CHECK_THROWS_WITH(oci::process_lookup(json{{"process", {{"env", "PATH=/bin"}}}}), Contains("process.env is not an array"));
    CHECK_THROWS_AS(oci::process_lookup(json{{"process", {{"env", {"A=1", 2}}}}}), oci::Error);
    CHECK_THROWS_AS(oci::process_lookup(json{{"process", {{"env", {{"A", "1"}}}}}}), oci::Error);
}

// ---------------------------------------------------------------------------------------
// annotation

TEST_CASE("annotation: string values only", "[spec]") {
    const json c{{"annotations", {{"io.xarch.platform", "linux/arm64"}, {"num", 5}, {"obj", json::object()}}}};
    CHECK(oci::annotation(c, "io.xarch.platform") == std::optional<std::string>("linux/arm64"));
    CHECK_FALSE(oci::annotation(c, "num"));
    CHECK_FALSE(oci::annotation(c, "obj"));
    CHECK_FALSE(oci::annotation(c, "missing"));
    CHECK_FALSE(oci::annotation(json::object(), "io.xarch.platform"));
    CHECK_FALSE(oci::annotation(json{{"annotations", "io.xarch.platform=linux/arm64"}}, "io.xarch.platform"));
    CHECK_FALSE(oci::annotation(json{{"annotations", nullptr}}, "io.xarch.platform"));
    CHECK(oci::annotation(json{{"annotations", {{"empty", ""}}}}, "empty") == std::optional<std::string>(""));
}

// ---------------------------------------------------------------------------------------
// has_mount, add_bind_mount

TEST_CASE("has_mount: matches the destination exactly", "[spec]") {
    const json c{{"mounts",
                  {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                   {{"destination", "/usr/bin/qemu-aarch64-static"}, {"type", "bind"}},
                   {{"type", "tmpfs"}},
                   {{"destination", 5}},
                   "not-an-object"}}};
    CHECK(oci::has_mount(c, "/proc"));
    CHECK(oci::has_mount(c, "/usr/bin/qemu-aarch64-static"));
    CHECK_FALSE(oci::has_mount(c, "/usr/bin"));
    CHECK_FALSE(oci::has_mount(c, "/proc/"));
    CHECK_FALSE(oci::has_mount(json::object(), "/proc"));
    CHECK_FALSE(oci::has_mount(json{{"mounts", "x"}}, "/proc"));
}

TEST_CASE("add_bind_mount: appends a read-only private bind mount", "[spec]") {
    json c = oci::parse_config(R"({
        "ociVersion": "1.0.2",
        "x-vendor": {"keep": [1, {"me": true}]},
        "process": {"args": ["sh"], "x-extra": 7},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "x-mount-extra": "kept"}]
    })");
    const json before = c;
    oci::add_bind_mount(c, {"/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64-static"});

    REQUIRE(c["mounts"].size() == 2);
    CHECK(c["mounts"][0] == before["mounts"][0]);
    const json& m = c["mounts"][1];
    CHECK(m["destination"] == "/usr/bin/qemu-aarch64-static");
    CHECK(m["source"] == "/usr/bin/qemu-aarch64-static");
    CHECK(m["type"] == "bind");
    CHECK(m["options"] == json::array({"bind", "ro", "nosuid", "nodev", "rprivate"}));
    // every other key survives untouched
    json without_mounts = c;
    without_mounts.erase("mounts");
    json before_without = before;
    before_without.erase("mounts");
    CHECK(without_mounts == before_without);
    CHECK(oci::has_mount(c, "/usr/bin/qemu-aarch64-static"));
}

TEST_CASE("add_bind_mount: idempotent", "[spec]") {
    json c = json::object();
    oci::add_bind_mount(c, {"/usr/bin/qemu-arm-static", "/host/qemu-arm-static"});
    const json once = c;
    oci::add_bind_mount(c, {"/usr/bin/qemu-arm-static", "/host/qemu-arm-static"});
    CHECK(c == once);
    // an existing mount at the destination is left as it is, whatever its source
    oci::add_bind_mount(c, {"/usr/bin/qemu-arm-static", "/elsewhere"});
    CHECK(c == once);
    REQUIRE(c["mounts"].size() == 1);
    CHECK(c["mounts"][0]["source"] == "/host/qemu-arm-static");
}

TEST_CASE("add_bind_mount: creates the mounts array when missing or null", "[spec]") {
    json missing = json::object();
    oci::add_bind_mount(missing, {"/q", "/h"});
    REQUIRE(missing["mounts"].is_array());
    CHECK(missing["mounts"].size() == 1);

    json null_mounts{{"mounts", nullptr}};
    oci::add_bind_mount(null_mounts, {"/q", "/h"});
    REQUIRE(null_mounts["mounts"].is_array());
    CHECK(null_mounts["mounts"].size() == 1);
}

TEST_CASE("add_bind_mount: mounts that is not an array throws Error", "[spec]") {
    json c{{"mounts", {{"destination", "/q"}}}};
    CHECK_THROWS_AS(oci::add_bind_mount(c, {"/x", "/h"}), oci::Error);
    json s{{"mounts", "none"}};
    CHECK_THROWS_AS(oci::add_bind_mount(s, {"/x", "/h"}), oci::Error);
}

// ---------------------------------------------------------------------------------------
// place_hook

TEST_CASE("place_hook: appends to the stage, keeping other hooks and keys", "[spec]") {
    json c = oci::parse_config(R"({
        "x-vendor": 1,
        "hooks": {"prestart": [{"path": "/usr/bin/nvidia-hook", "args": ["nvidia-hook", "prestart"]}],
                  "x-stage": "kept"}
    })");
    CHECK(oci::place_hook(c, "poststop", "/usr/libexec/xarch/xarch-hook", {"xarch-hook", "poststop"}));
    CHECK(c["x-vendor"] == 1);
    CHECK(c["hooks"]["x-stage"] == "kept");
    CHECK(c["hooks"]["prestart"].size() == 1);
    REQUIRE(c["hooks"]["poststop"].size() == 1);
    CHECK(c["hooks"]["poststop"][0] ==
          json{{"path", "/usr/libexec/xarch/xarch-hook"}, {"args", {"xarch-hook", "poststop"}}});

    CHECK(oci::place_hook(c, "prestart", "/usr/libexec/xarch/xarch-hook", {"xarch-hook", "prestart"}));
    REQUIRE(c["hooks"]["prestart"].size() == 2);
    CHECK(c["hooks"]["prestart"][0]["path"] == "/usr/bin/nvidia-hook"); // appended after the existing one
}

TEST_CASE("place_hook: one hook of a program per stage, replaced in place, never stacked", "[spec]") {
    json c = json::object();
    CHECK(oci::place_hook(c, "poststop", "/h", {"h", "poststop"}));
    const json once = c;
    CHECK_FALSE(oci::place_hook(c, "poststop", "/h", {"h", "poststop"}));
    CHECK(c == once);
    // other arguments or another install path replace it, keeping the user's other keys
    c["hooks"]["poststop"][0]["timeout"] = 5;
    CHECK(oci::place_hook(c, "poststop", "/opt/bin/h", {"h", "poststop", "--debug"}));
    REQUIRE(c["hooks"]["poststop"].size() == 1);
    CHECK(c["hooks"]["poststop"][0] == json{{"path", "/opt/bin/h"}, {"args", {"h", "poststop", "--debug"}}, {"timeout", 5}});
    // copies stacked by older tools collapse to one, in the first one's place
    c = oci::parse_config(R"({"hooks": {"prestart": [
        {"path": "/usr/bin/xarch-hook", "args": ["xarch-hook", "prestart"]},
        {"path": "/usr/bin/other", "args": ["other"]},
        {"path": "/usr/local/bin/xarch-hook"}]}})");
    CHECK(oci::place_hook(c, "prestart", "/usr/bin/xarch-hook", {"xarch-hook", "prestart"}));
    REQUIRE(c["hooks"]["prestart"].size() == 2);
    CHECK(c["hooks"]["prestart"][0]["path"] == "/usr/bin/xarch-hook");
    CHECK(c["hooks"]["prestart"][1]["path"] == "/usr/bin/other");
}

TEST_CASE("place_hook: moving a hook to another stage removes it from the others", "[spec]") {
    json c = oci::parse_config(R"({"hooks": {"prestart": [{"path": "/usr/bin/xarch-hook", "args": ["xarch-hook", "prestart"]},
                                                          {"path": "/usr/bin/other", "args": ["other"]}],
                                             "poststop": [{"path": "/usr/bin/xarch-hook", "args": ["xarch-hook", "poststop"]}]}})");
    CHECK(oci::place_hook(c, "createRuntime", "/usr/bin/xarch-hook", {"xarch-hook", "createRuntime"},
                          {"prestart", "createRuntime"}));
    CHECK(c["hooks"]["prestart"] == json::array({json{{"path", "/usr/bin/other"}, {"args", {"other"}}}}));
    CHECK(c["hooks"]["createRuntime"].size() == 1);
    CHECK(c["hooks"]["poststop"].size() == 1); // not one of the stages named
    CHECK_FALSE(oci::place_hook(c, "createRuntime", "/usr/bin/xarch-hook", {"xarch-hook", "createRuntime"},
                                {"prestart", "createRuntime"}));
}

TEST_CASE("place_hook: wrong types throw Error", "[spec]") {
    json not_object{{"hooks", json::array()}};
    CHECK_THROWS_AS(oci::place_hook(not_object, "poststop", "/h", {"h"}), oci::Error);
    json not_array{{"hooks", {{"poststop", {{"path", "/x"}}}}}};
    CHECK_THROWS_AS(oci::place_hook(not_array, "poststop", "/h", {"h"}), oci::Error);
    json null_hooks{{"hooks", nullptr}};
    CHECK(oci::place_hook(null_hooks, "poststop", "/h", {"h"}));
}

TEST_CASE("place_hook: another entry of any shape is kept and compared, never thrown on", "[spec]") {
    json c = oci::parse_config(R"({"hooks": {"poststop": [{"path": 1, "args": []}, {"path": null}, {"args": ["h"]}, 7]}})");
    CHECK(oci::place_hook(c, "poststop", "/h", {"h"}));
    // the entry of the same program ({"args": ["h"]}) became ours in its place; the others stay
    REQUIRE(c["hooks"]["poststop"].size() == 4);
    CHECK(c["hooks"]["poststop"][0]["path"] == 1);
    CHECK(c["hooks"]["poststop"][1]["path"].is_null());
    CHECK(c["hooks"]["poststop"][2]["path"] == "/h");
    CHECK(c["hooks"]["poststop"][2]["args"] == json::array({"h"}));
    CHECK(c["hooks"]["poststop"][3] == 7);
    CHECK_FALSE(oci::place_hook(c, "poststop", "/h", {"h"}));
}

TEST_CASE("config_grants_sys_admin: the bounding set decides", "[spec]") {
    using Json = oci::Json;
    const auto with = [](Json bounding) { return Json{{"process", {{"capabilities", {{"bounding", bounding}}}}}}; };
    CHECK(oci::config_grants_sys_admin(with(Json::array({"CAP_KILL", "CAP_SYS_ADMIN"}))));
    CHECK_FALSE(oci::config_grants_sys_admin(with(Json::array({"CAP_KILL", "CAP_AUDIT_WRITE"}))));
    CHECK_FALSE(oci::config_grants_sys_admin(Json{{"process", {{"args", {"sh"}}}}}));
    CHECK_FALSE(oci::config_grants_sys_admin(Json::object()));
    CHECK_THROWS_AS(oci::config_grants_sys_admin(with("CAP_SYS_ADMIN")), oci::Error);
}
