#include "base/error.hpp"
#include "base/settings.hpp"
#include "binfmt/emulator.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;

TEST_CASE("load_settings: a missing file gives the defaults", "[settings]") {
    test::TempDir dir;
    const oci::Settings s = oci::load_settings(dir / "config.json");
    CHECK(s.policy == oci::Policy::Register);
    CHECK(s.emulator_dirs == oci::default_emulator_dirs());
    CHECK(s.log_level == "warn");
    CHECK(s.log_file.empty());
    CHECK(s.state_dir == "/run/xarch");
    CHECK(s.runtimes == std::vector<std::string>{"runc", "crun"});
    CHECK(s.hook.empty());
    // a missing directory on the way is just as missing
    CHECK(oci::load_settings(dir / "no/such/dir/config.json").policy == oci::Policy::Register);
}

TEST_CASE("load_settings: an empty object gives the defaults", "[settings]") {
    test::TempDir dir;
    dir.write("config.json", "{}");
    const oci::Settings s = oci::load_settings(dir / "config.json");
    CHECK(s.policy == oci::Policy::Register);
    CHECK(s.emulator_dirs == oci::default_emulator_dirs());
    CHECK(s.log_level == "warn");
}

TEST_CASE("load_settings: each key", "[settings]") {
    test::TempDir dir;
    const auto load = [&](const std::string& text) {
        dir.write("config.json", text);
        return oci::load_settings(dir / "config.json");
    };
    CHECK(load(R"({"policy": "fail"})").policy == oci::Policy::Fail);
    CHECK(load(R"({"policy": "register"})").policy == oci::Policy::Register);
    CHECK(load(R"({"emulator_dirs": ["/opt/qemu", "/usr/local/bin"]})").emulator_dirs ==
          std::vector<std::filesystem::path>{"/opt/qemu", "/usr/local/bin"});
    CHECK(load(R"({"emulator_dirs": []})").emulator_dirs.empty());
    for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
        INFO(level);
        CHECK(load(std::string(R"({"log_level": ")") + level + "\"}").log_level == level);
    }
    CHECK(load(R"({"log_file": "/var/log/xarch.log"})").log_file == "/var/log/xarch.log");
    CHECK(load(R"({"state_dir": "/var/lib/xarch"})").state_dir == "/var/lib/xarch");

    CHECK(load(R"({"runtimes": ["crun"]})").runtimes == std::vector<std::string>{"crun"});
    CHECK(load(R"({"runtimes": ["/usr/local/sbin/runc", "youki"]})").runtimes ==
          std::vector<std::string>{"/usr/local/sbin/runc", "youki"});
    CHECK(load(R"({"hook": "/usr/libexec/xarch/xarch-hook"})").hook == "/usr/libexec/xarch/xarch-hook");

    const oci::Settings all = load(R"({"policy": "fail", "emulator_dirs": ["/q"], "log_level": "debug",
                                        "log_file": "/l", "state_dir": "/s"})");
    CHECK(all.policy == oci::Policy::Fail);
    CHECK(all.emulator_dirs == std::vector<std::filesystem::path>{"/q"});
    CHECK(all.log_level == "debug");
    CHECK(all.log_file == "/l");
    CHECK(all.state_dir == "/s");
}

TEST_CASE("load_settings: an unknown key is an Error", "[settings]") {
    test::TempDir dir;
    dir.write("config.json", R"({"polcy": "fail"})");
    CHECK_THROWS_AS(oci::load_settings(dir / "config.json"), oci::Error);
    CHECK_THROWS_WITH(oci::load_settings(dir / "config.json"), Contains("unknown key 'polcy'"));
    CHECK_THROWS_WITH(oci::load_settings(dir / "config.json"), Contains((dir / "config.json").string()));
}

TEST_CASE("load_settings: a bad policy is an Error", "[settings]") {
    test::TempDir dir;
    for (const char* text : {R"({"policy": "Register"})", R"({"policy": "mount"})", R"({"policy": ""})",
                             R"({"policy": 1})", R"({"policy": null})", R"({"policy": ["fail"]})"}) {
        INFO(text);
        dir.write("config.json", text);
        CHECK_THROWS_WITH(oci::load_settings(dir / "config.json"), Contains("'policy' must be"));
    }
}

TEST_CASE("load_settings: bad values of the other keys are Errors", "[settings]") {
    test::TempDir dir;
    for (const char* text : {R"({"emulator_dirs": "/usr/bin"})", R"({"emulator_dirs": ["usr/bin"]})",
                             R"({"emulator_dirs": [""]})", R"({"emulator_dirs": [1]})", R"({"log_level": "verbose"})",
                             R"({"log_level": "INFO"})", R"({"log_level": 3})", R"({"log_file": "xarch.log"})",
                             R"({"log_file": ""})", R"({"state_dir": "run/xarch"})", R"({"state_dir": null})",
                             R"({"runtimes": []})", R"({"runtimes": "runc"})", R"({"runtimes": ["runc", 1]})",
                             R"({"runtimes": [""]})", R"({"hook": "xarch-hook"})", R"({"hook": 1})"}) {
        INFO(text);
        dir.write("config.json", text);
        CHECK_THROWS_WITH(oci::load_settings(dir / "config.json"),
                          Catch::Contains("settings '" + (dir / "config.json").string() + "': '"));
    }
}

TEST_CASE("load_settings: invalid JSON names the file, the line and the column", "[settings]") {
    test::TempDir dir;
    dir.write("config.json", "{\n  \"policy\": \"fail\",\n  \"log_level\" \"debug\"\n}\n");
    CHECK_THROWS_WITH(oci::load_settings(dir / "config.json"),
                      Catch::StartsWith("parse settings '" + (dir / "config.json").string() + "': line 3, column 21: syntax error"));
}

TEST_CASE("load_settings: not a JSON object is an Error", "[settings]") {
    test::TempDir dir;
    for (const char* text : {"", "{", "[]", "null", "\"policy\"", "{\"policy\": \"fail\",}"}) {
        INFO("text: " << text);
        dir.write("config.json", text);
        CHECK_THROWS_AS(oci::load_settings(dir / "config.json"), oci::Error);
    }
}

TEST_CASE("load_settings: a directory instead of a file is an Error", "[settings]") {
    test::TempDir dir;
    dir.mkdir("config.json");
    CHECK_THROWS_AS(oci::load_settings(dir / "config.json"), oci::Error);
}
