#include "cli/cli.hpp"
#include "cli/configure.hpp"

#include "base/error.hpp"

#include "cli_fixture.hpp"
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string k_runtime = "/usr/bin/xarch-runtime";

using test::xarch;

} // namespace

TEST_CASE("docker_config: adds the runtime, keeping the rest, its order and indentation", "[configure]") {
    const std::string before = "{\n    \"log-level\": \"warn\",\n    \"runtimes\": {\"nvidia\": {\"path\": \"/usr/bin/nvidia-container-runtime\"}},\n"
                               "    \"data-root\": \"/srv/docker\"\n}\n";
    const std::string after = cli::docker_config(before, "'daemon.json'", k_runtime, false, false);
    CHECK(after == "{\n    \"log-level\": \"warn\",\n    \"runtimes\": {\n        \"nvidia\": {\n            \"path\": "
                   "\"/usr/bin/nvidia-container-runtime\"\n        },\n        \"xarch\": {\n            \"path\": "
                   "\"/usr/bin/xarch-runtime\"\n        }\n    },\n    \"data-root\": \"/srv/docker\"\n}\n");
    // idempotent, and --undo gives back the same document
    CHECK(cli::docker_config(after, "'daemon.json'", k_runtime, false, false) == after);
    const auto undone = nlohmann::json::parse(cli::docker_config(after, "'daemon.json'", "", false, true));
    CHECK(undone == nlohmann::json::parse(before));
}

TEST_CASE("docker_config: a new or empty file, --default, and undo of --default", "[configure]") {
    const std::string fresh = cli::docker_config(std::nullopt, "'daemon.json'", k_runtime, true, false);
    CHECK(nlohmann::json::parse(fresh) ==
          nlohmann::json{{"runtimes", {{"xarch", {{"path", k_runtime}}}}}, {"default-runtime", "xarch"}});
    CHECK(cli::docker_config(std::string("\n"), "'daemon.json'", k_runtime, false, false).starts_with("{\n  \"runtimes\""));
    CHECK(cli::docker_config(fresh, "'daemon.json'", "", false, true) == "{}\n");
    // someone else's default stays on undo; the user's runtimeArgs for xarch stay on re-configure
    const std::string other = R"({"default-runtime": "runc", "runtimes": {"xarch": {"path": "/old", "runtimeArgs": ["--debug"]}}})";
    const auto j = nlohmann::json::parse(cli::docker_config(other, "'daemon.json'", k_runtime, false, false));
    CHECK(j["runtimes"]["xarch"] == nlohmann::json{{"path", k_runtime}, {"runtimeArgs", {"--debug"}}});
    CHECK(j["default-runtime"] == "runc");
    CHECK(nlohmann::json::parse(cli::docker_config(other, "'daemon.json'", "", false, true))["default-runtime"] == "runc");
}

TEST_CASE("docker_config: a broken file is named with its line and never rewritten", "[configure]") {
    CHECK_THROWS_WITH(cli::docker_config(std::string("{\n  \"a\": 1,\n}\n"), "'/etc/docker/daemon.json'", k_runtime, false, false),
                      StartsWith("parse '/etc/docker/daemon.json': line 3, column 1"));
    CHECK_THROWS_WITH(cli::docker_config(std::string(R"({"runtimes": ["runc"]})"), "'d.json'", k_runtime, false, false),
                      Contains("\"runtimes\" is not an object"));
    CHECK_THROWS_AS(cli::docker_config(std::string("[]"), "'d.json'", k_runtime, false, false), oci::Error);
}

TEST_CASE("containerd_config: appends a marked handler block, keeps comments, undoes exactly", "[configure]") {
    const std::string before = "# site settings\nversion = 2\n\n[plugins]\n  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
                               "    sandbox_image = \"registry.k8s.io/pause:3.6\"  # pinned\n";
    const std::string after = cli::containerd_config(before, "'config.toml'", k_runtime, false);
    CHECK(after.starts_with(before));
    CHECK_THAT(after, Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]\n"
                               "  runtime_type = \"io.containerd.runc.v2\"\n") &&
                          Contains("BinaryName = \"/usr/bin/xarch-runtime\"\n# xarch configure containerd: end\n"));
    CHECK(cli::containerd_config(after, "'config.toml'", "", true) == before);
    // configuring again replaces the block (a new path), never stacks a second one
    const std::string moved = cli::containerd_config(after, "'config.toml'", "/opt/xarch/bin/xarch-runtime", false);
    CHECK(moved.find("BinaryName") == moved.rfind("BinaryName"));
    CHECK_THAT(moved, Contains("/opt/xarch/bin/xarch-runtime"));
}

TEST_CASE("containerd_config: versions, new files and refusals", "[configure]") {
    CHECK_THAT(cli::containerd_config(std::nullopt, "'c.toml'", k_runtime, false),
               StartsWith("version = 2\n") && Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]"));
    CHECK_THAT(cli::containerd_config(std::string("version = 3\n"), "'c.toml'", k_runtime, false),
               Contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.xarch]"));
    CHECK_THAT(cli::containerd_config(std::string("root = \"/var/lib/containerd\"\n"), "'c.toml'", k_runtime, false),
               Contains("[plugins.cri.containerd.runtimes.xarch]"));
    CHECK_THROWS_WITH(cli::containerd_config(std::string("version = 2\n[plugins\n"), "'/etc/containerd/config.toml'", k_runtime, false),
                      StartsWith("parse '/etc/containerd/config.toml': line 2"));
    const std::string theirs = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]\n"
                               "  runtime_type = \"io.containerd.runc.v2\"\n";
    CHECK_THROWS_WITH(cli::containerd_config(theirs, "'c.toml'", k_runtime, false), Contains("already defines the runtime handler"));
    // an inline table cannot be extended by a later header: refused, not broken
    const std::string inline_table = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  runtimes = {}\n";
    CHECK_THROWS_AS(cli::containerd_config(inline_table, "'c.toml'", k_runtime, false), oci::Error);
    CHECK_THROWS_AS(cli::containerd_config(std::string("version = 2\n"), "'c.toml'", "/a\"b", false), oci::Error);
}

TEST_CASE("unified_diff: hunks with context, nothing for equal texts", "[configure]") {
    CHECK(cli::unified_diff("f", "a\nb\n", "a\nb\n").empty());
    CHECK(cli::unified_diff("f", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nfive\n6\n7\n8\n") ==
          "--- f\n+++ f (as xarch would write it)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    CHECK(cli::unified_diff("f", "", "x\n") == "--- f\n+++ f (as xarch would write it)\n@@ -0,0 +1,1 @@\n+x\n");
}

TEST_CASE("run: configure docker and podman in files of the test's own", "[configure][cli]") {
    test::TempDir dir;
    const auto runtime = dir.write("bin/xarch-runtime", "#!/bin/sh\n", 0755);
    const auto hook = dir.write("bin/xarch-hook", "#!/bin/sh\n", 0755);
    const auto daemon = dir / "daemon.json";
    auto r = xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string(), "--dry-run"});
    CHECK(r.code == cli::k_exit_ok);
    CHECK_THAT(r.out, Contains("+  \"runtimes\": {"));
    CHECK_FALSE(test::fs::exists(daemon));
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string()});
    CHECK(r.code == cli::k_exit_ok);
    CHECK_THAT(r.out, Contains("wrote " + daemon.string()) && Contains("systemctl reload docker"));
    CHECK(nlohmann::json::parse(test::read_text(daemon))["runtimes"]["xarch"]["path"] == runtime.string());
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string()});
    CHECK_THAT(r.out, Contains("already configured"));
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--undo"});
    CHECK_THAT(r.out, Contains("updated") && Contains(".xarch-backup"));
    CHECK(test::read_text(daemon) == "{}\n");

    const auto hooks = dir / "hooks.d";
    r = xarch({"configure", "podman", "--config-file", hooks.string(), "--hook", hook.string()});
    CHECK(r.code == cli::k_exit_ok);
    const auto prestart = nlohmann::json::parse(test::read_text(hooks / "xarch-prestart.json"));
    CHECK(prestart["hook"]["path"] == hook.string());
    CHECK(prestart["stages"] == nlohmann::json::array({"prestart"}));
    r = xarch({"configure", "podman", "--config-file", hooks.string(), "--undo"});
    CHECK_FALSE(test::fs::exists(hooks / "xarch-prestart.json"));
    CHECK_FALSE(test::fs::exists(hooks / "xarch-poststop.json"));

    CHECK(xarch({"configure"}).code == cli::k_exit_usage);
    CHECK(xarch({"configure", "lxc"}).code == cli::k_exit_usage);
    CHECK(xarch({"configure", "containerd", "--default"}).code == cli::k_exit_usage);
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", "relative/xarch-runtime"});
    CHECK(r.code == cli::k_exit_usage);
    dir.write("broken.json", "{\"a\": }");
    r = xarch({"configure", "docker", "--config-file", (dir / "broken.json").string(), "--runtime", runtime.string()});
    CHECK(r.code == cli::k_exit_failure);
    CHECK_THAT(r.err, Contains("broken.json': line 1"));
    CHECK(test::read_text(dir / "broken.json") == "{\"a\": }");
}
