#include "cli/cli.hpp"
#include "cli/configure.hpp"

#include "base/error.hpp"

#include "cli_fixture.hpp"
#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
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

TEST_CASE("docker_buildkit_dropin: BuildKit's runc command for docker.service, recognised for --undo", "[configure]") {
    const std::string d = cli::docker_buildkit_dropin(k_runtime);
    CHECK(d.find("[Service]\nEnvironment=\"DOCKER_BUILDKIT_RUNC_COMMAND=" + std::string(k_runtime) + "\"\n") != std::string::npos);
    CHECK(cli::docker_buildkit_dropin_ours(d));
    CHECK_FALSE(cli::docker_buildkit_dropin_ours("[Service]\nEnvironment=\"DOCKER_BUILDKIT_RUNC_COMMAND=/usr/bin/runc\"\n"));
    // a quote, backslash or newline would break the line, '%' is a systemd specifier
    for (const char* bad : {"/opt/a\"b", "/opt/a\\b", "/opt/50%", "/opt/a\nb"})
        CHECK_THROWS_WITH(cli::docker_buildkit_dropin(bad), Contains("cannot be written into a systemd unit"));
}

TEST_CASE("docker_major_version: from dockerd --version", "[configure]") {
    CHECK(cli::docker_major_version("Docker version 26.1.5+dfsg1, build a72d7cd") == 26);
    CHECK(cli::docker_major_version("Docker version 20.10.24+dfsg1, build 5d6db84") == 20);
    CHECK(cli::docker_major_version("Docker version 28.2.2, build e6534b4") == 28);
    CHECK_FALSE(cli::docker_major_version("dockerd: command not found"));
    CHECK_FALSE(cli::docker_major_version("Docker version dev, build x"));
    CHECK_FALSE(cli::docker_major_version("Docker version 26"));
    CHECK_FALSE(cli::docker_major_version("Docker version 1234567.0"));
}

TEST_CASE("containerd_config: appends a marked handler block, keeps comments, undoes exactly", "[configure]") {
    const std::string before = "# site settings\nversion = 2\n\n[plugins]\n  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
                               "    sandbox_image = \"registry.k8s.io/pause:3.6\"  # pinned\n";
    const std::string after = cli::containerd_config(before, "'config.toml'", k_runtime, false);
    CHECK(after.starts_with(before));
    CHECK_THAT(after, Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]\n"
                               "  runtime_type = \"io.containerd.runc.v2\"\n") &&
                          Contains("BinaryName = \"/usr/bin/xarch-runtime\"\n") && Contains("runtimes.runc]") &&
                          EndsWith("# xarch configure containerd: end\n"));
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
    // --default on top: the backup now holds xarch's first version, nothing of anyone else's.
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string(), "--default"});
    CHECK_THAT(r.out, Contains("updated") && Contains(".xarch-backup"));
    // The file did not exist before xarch wrote it: --undo leaves none, and no backup either.
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--undo"});
    CHECK_THAT(r.out, Contains("removed " + daemon.string()));
    CHECK_FALSE(test::fs::exists(daemon));
    CHECK_FALSE(test::fs::exists(daemon.string() + ".xarch-backup"));
    // A file of the user's, even an empty object, stays.
    dir.write("daemon.json", "{}\n");
    xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string()});
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--undo"});
    CHECK_THAT(r.out, Contains("updated") && Contains(".xarch-backup"));
    CHECK(test::read_text(daemon) == "{}\n");
    test::fs::remove(daemon);
    dir.write("daemon.json", "{\"debug\": true}\n");
    xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string()});
    test::fs::remove(daemon); // gone meanwhile; xarch writes it anew, its backup is the user's
    xarch({"configure", "docker", "--config-file", daemon.string(), "--runtime", runtime.string()});
    r = xarch({"configure", "docker", "--config-file", daemon.string(), "--undo"});
    CHECK(test::read_text(daemon) == "{}\n");
    test::fs::remove(daemon);
    test::fs::remove(daemon.string() + ".xarch-backup");

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

TEST_CASE("containerd_config: names containerd's default runc handler when the section lacks it", "[configure]") {
    // Debian's config.toml: a CRI section without runtimes. A runtimes table holding only xarch
    // would replace containerd's default one, and the CRI plugin refuses to load without runc.
    const std::string debian = "version = 2\n\n[plugins]\n  [plugins.\"io.containerd.grpc.v1.cri\"]\n"
                               "    [plugins.\"io.containerd.grpc.v1.cri\".cni]\n      bin_dir = \"/usr/lib/cni\"\n";
    const std::string after = cli::containerd_config(debian, "'config.toml'", k_runtime, false);
    CHECK_THAT(after, Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                               "  runtime_type = \"io.containerd.runc.v2\"\n# xarch configure containerd: end\n"));
    CHECK(cli::containerd_config(after, "'config.toml'", "", true) == debian);
    // a file with runc, or another default handler, keeps its own
    const std::string with_runc = debian + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = "
                                           "\"io.containerd.runc.v2\"\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes."
                                           "runc.options]\n    SystemdCgroup = true\n";
    CHECK(cli::containerd_config(with_runc, "'c.toml'", k_runtime, false).find("runtimes.runc]") ==
          with_runc.find("runtimes.runc]"));
    const std::string crun = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"crun\"\n";
    CHECK_THAT(cli::containerd_config(crun, "'c.toml'", k_runtime, false), !Contains("runtimes.runc"));
    // an imported file is read with the configuration's version, not its own (absent) one
    CHECK_THAT(cli::containerd_config(std::string("[plugins.\"io.containerd.grpc.v1.cri\"]\n"), "'d.toml'", k_runtime, false, 2),
               Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]") && !Contains("version"));
}

TEST_CASE("containerd imports: the drop-in's place, from containerd's globs", "[configure]") {
    using cli::containerd_dropin_path;
    CHECK(containerd_dropin_path({"/etc/containerd/conf.d/*.toml"}) == std::filesystem::path("/etc/containerd/conf.d/xarch.toml"));
    CHECK(containerd_dropin_path({"/etc/containerd/conf.d/[0-9][0-9]-*.toml"}) ==
          std::filesystem::path("/etc/containerd/conf.d/50-xarch.toml"));
    CHECK(containerd_dropin_path({"/etc/containerd/site.toml", "/etc/containerd/*.conf"}) ==
          std::filesystem::path("/etc/containerd/xarch.conf"));
    // not a glob for containerd (no '*'), relative, a glob over directories, nothing xarch's matches
    CHECK_FALSE(containerd_dropin_path({"/etc/containerd/xarch.tom?"}));
    CHECK_FALSE(containerd_dropin_path({"conf.d/*.toml"}));
    CHECK_FALSE(containerd_dropin_path({"/etc/containerd/*/*.toml"}));
    CHECK_FALSE(containerd_dropin_path({"/etc/containerd/conf.d/gpu-*.toml"}));
    CHECK_FALSE(containerd_dropin_path({}));
    CHECK(cli::containerd_imports("version = 2\nimports = [\"/a/*.toml\", \"b.toml\"]\n", "'c'") ==
          std::vector<std::string>{"/a/*.toml", "b.toml"});
    CHECK(cli::containerd_imports("version = 2\n", "'c'").empty());
    CHECK_THROWS_WITH(cli::containerd_imports("imports = [1]\n", "'c'"), Contains("'imports' holds something other than file names"));
}

TEST_CASE("containerd_changes: a drop-in where imports allow and no file has the CRI section", "[configure]") {
    const std::filesystem::path main = "/etc/containerd/config.toml";
    const std::string config = "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\nroot = \"/srv/containerd\"\n";
    const std::vector<cli::ConfigText> loaded{{main, config}, {"/etc/containerd/conf.d/10-gc.toml", "version = 2\n[timeouts]\n"}};
    auto changes = cli::containerd_changes(main, loaded, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "/etc/containerd/conf.d/xarch.toml");
    CHECK_FALSE(changes[0].before);
    const std::string dropin = *changes[0].after;
    CHECK(dropin == cli::containerd_dropin(2, k_runtime));
    CHECK_THAT(dropin, Contains("\nversion = 2\n") && Contains("containerd.runtimes.xarch.options]\n  BinaryName = \"/usr/bin/xarch-runtime\"") &&
                           Contains("containerd.runtimes.runc]"));
    // configured: nothing more to do; --undo removes exactly the drop-in
    auto again = loaded;
    again.push_back({"/etc/containerd/conf.d/xarch.toml", dropin});
    changes = cli::containerd_changes(main, again, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].before == changes[0].after);
    changes = cli::containerd_changes(main, again, "", true);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "/etc/containerd/conf.d/xarch.toml");
    CHECK_FALSE(changes[0].after);
    // a block written into config.toml before moves into the drop-in
    const std::string with_block = cli::containerd_config(config, "'c'", k_runtime, false);
    changes = cli::containerd_changes(main, {{main, with_block}}, k_runtime, false);
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].after == config);
    CHECK(changes[1].path == "/etc/containerd/conf.d/xarch.toml");
    // someone else's file where the drop-in would go is left alone
    CHECK_THROWS_WITH(cli::containerd_changes(main, {{main, config}, {"/etc/containerd/conf.d/xarch.toml", "version = 2\n"}}, k_runtime, false),
                      Contains("was not written by xarch"));
}

TEST_CASE("containerd_changes: the file whose CRI section containerd uses, else config.toml", "[configure]") {
    const std::filesystem::path main = "/etc/containerd/config.toml";
    // config.toml has the CRI section: a drop-in would replace all of it, so config.toml is edited
    const std::string config = "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n"
                               "[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"example.org/pause:9\"\n";
    auto changes = cli::containerd_changes(main, {{main, config}}, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == main);
    CHECK(changes[0].after == cli::containerd_config(config, "'c'", k_runtime, false));
    // an imported file has the section last: that file, read as version 2 though it says nothing
    const std::string gpu = "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"runc\"\n";
    changes = cli::containerd_changes(main, {{main, config}, {"/etc/containerd/conf.d/gpu.toml", gpu}}, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "/etc/containerd/conf.d/gpu.toml");
    CHECK_THAT(*changes[0].after, StartsWith(gpu) && Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.xarch]"));
    // imports that cover no place for a drop-in: config.toml, as without imports
    const std::string relative = "version = 2\nimports = [\"conf.d/*.toml\"]\n";
    changes = cli::containerd_changes(main, {{main, relative}}, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == main);
    // no config.toml at all: a new one
    changes = cli::containerd_changes(main, {}, k_runtime, false);
    REQUIRE(changes.size() == 1);
    CHECK_THAT(changes[0].after.value_or(""), StartsWith("version = 2\n"));
    CHECK(cli::containerd_changes(main, {}, "", true).front().after == std::nullopt);
}

TEST_CASE("podman: hooks_dir as containers.conf files leave it, and xarch's drop-in", "[configure]") {
    using cli::ConfigText;
    // podman 4.3's default reads /usr/share/containers/oci/hooks.d only, root or rootless
    CHECK(cli::podman_hooks_dirs({}) == std::vector<std::string>{"/usr/share/containers/oci/hooks.d"});
    const std::vector<ConfigText> files{
        {"/usr/share/containers/containers.conf", "[engine]\n#hooks_dir = [\"/x\"]\nruntime = \"crun\"\n"},
        {"/etc/containers/containers.conf.d/10-gpu.conf", "[engine]\nhooks_dir = [\"/usr/share/containers/oci/hooks.d\", \"/opt/gpu/hooks.d\"]\n"},
        {"/home/u/.config/containers/containers.conf", "[containers]\ndefault_ulimits = [\"nofile=1024:1024\"]\n"}};
    const auto dirs = cli::podman_hooks_dirs(files);
    CHECK(dirs == std::vector<std::string>{"/usr/share/containers/oci/hooks.d", "/opt/gpu/hooks.d"});
    // a later file replaces the list, it does not add to it
    auto later = files;
    later.push_back({"/home/u/.config/containers/containers.conf.d/a.conf", "[engine]\nhooks_dir = []\n"});
    CHECK(cli::podman_hooks_dirs(later).empty());
    CHECK_THROWS_WITH(cli::podman_hooks_dirs({{"/etc/containers/containers.conf", "[engine]\nhooks_dir = \"/x\"\n"}}),
                      Contains("'/etc/containers/containers.conf': [engine] hooks_dir is not an array"));
    CHECK_THROWS_WITH(cli::podman_hooks_dirs({{"/etc/containers/containers.conf", "[engine\n"}}),
                      StartsWith("parse '/etc/containers/containers.conf': line 1"));

    const std::string dropin = cli::podman_dropin(dirs, "/home/u/.config/containers/oci/hooks.d");
    CHECK(cli::podman_dropin_ours(dropin));
    CHECK_FALSE(cli::podman_dropin_ours("[engine]\nhooks_dir = []\n"));
    // what podman reads from it: the earlier directories, then the user's
    CHECK(cli::podman_hooks_dirs({{"/x.conf", dropin}}) ==
          std::vector<std::string>{"/usr/share/containers/oci/hooks.d", "/opt/gpu/hooks.d", "/home/u/.config/containers/oci/hooks.d"});
    // a directory already listed is not listed twice
    CHECK(cli::podman_hooks_dirs({{"/x.conf", cli::podman_dropin(dirs, "/opt/gpu/hooks.d")}}) == dirs);
    CHECK_THROWS_AS(cli::podman_dropin(dirs, "/a\"b"), oci::Error);
}

TEST_CASE("run: configure containerd --undo removes a config.toml that xarch created", "[configure][cli]") {
    test::TempDir dir;
    const auto runtime = dir.write("bin/xarch-runtime", "#!/bin/sh\n", 0755);
    const auto main = dir / "config.toml";
    auto r = xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string()});
    CHECK_THAT(r.out, Contains("wrote " + main.string()));
    r = xarch({"configure", "containerd", "--config-file", main.string(), "--undo"});
    CHECK_THAT(r.out, Contains("removed " + main.string()));
    CHECK_FALSE(test::fs::exists(main));
    CHECK_FALSE(test::fs::exists(main.string() + ".xarch-backup"));
    // One of the user's keeps what is left of it.
    dir.write("config.toml", "version = 2\n");
    xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string()});
    xarch({"configure", "containerd", "--config-file", main.string(), "--undo"});
    CHECK(test::read_text(main) == "version = 2\n");
}

TEST_CASE("run: configure containerd through config.toml's imports", "[configure][cli]") {
    test::TempDir dir;
    const auto runtime = dir.write("bin/xarch-runtime", "#!/bin/sh\n", 0755);
    const std::string config = "version = 2\nimports = [\"" + (dir / "conf.d").string() + "/*.toml\"]\n";
    const auto main = dir.write("config.toml", config);
    dir.write("conf.d/10-site.toml", "version = 2\n[debug]\n  level = \"info\"\n");
    auto r = xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string(), "--dry-run"});
    CHECK(r.code == cli::k_exit_ok);
    CHECK_THAT(r.out, Contains("--- " + (dir / "conf.d/xarch.toml").string()) && Contains("+  BinaryName = \"" + runtime.string() + "\""));
    CHECK_FALSE(test::fs::exists(dir / "conf.d/xarch.toml"));
    r = xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string()});
    CHECK(r.code == cli::k_exit_ok);
    CHECK_THAT(r.out, Contains("wrote " + (dir / "conf.d/xarch.toml").string()));
    CHECK(test::read_text(main) == config);
    CHECK(test::read_text(dir / "conf.d/xarch.toml") == cli::containerd_dropin(2, runtime.string()));
    r = xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string()});
    CHECK_THAT(r.out, Contains("already configured"));
    r = xarch({"configure", "containerd", "--config-file", main.string(), "--undo"});
    CHECK_THAT(r.out, Contains("removed " + (dir / "conf.d/xarch.toml").string()));
    CHECK_FALSE(test::fs::exists(dir / "conf.d/xarch.toml"));
    CHECK_FALSE(test::fs::exists(dir / "conf.d/xarch.toml.xarch-backup")); // the glob would import it
    CHECK(test::read_text(main) == config);
    // an import that does not exist stops containerd, and xarch says so
    dir.write("config.toml", "version = 2\nimports = [\"missing.toml\"]\n");
    r = xarch({"configure", "containerd", "--config-file", main.string(), "--runtime", runtime.string()});
    CHECK(r.code == cli::k_exit_failure);
    CHECK_THAT(r.err, Contains((dir / "missing.toml").string() + "' is imported but does not exist"));
}
