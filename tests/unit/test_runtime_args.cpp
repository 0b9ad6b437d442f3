#include "oci/runtime_args.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

struct Row {
    const char* name;
    std::vector<std::string> args;
    std::string command;
    std::string bundle; // expected bundle for create/run, empty otherwise
    std::string config;
    std::string id;
    std::string log = {};
    std::string format = "text";
    bool debug = false;
};

} // namespace

TEST_CASE("parse_runtime_args: every flag form, table-driven", "[runtime_args]") {
    const std::vector<Row> rows{
        {"plain run in cwd", {"run", "c1"}, "run", "/cwd", "/cwd/config.json", "c1"},
        {"--bundle value", {"create", "--bundle", "/b", "c1"}, "create", "/b", "/b/config.json", "c1"},
        {"-b value", {"create", "-b", "/b", "c1"}, "create", "/b", "/b/config.json", "c1"},
        {"--bundle=value", {"create", "--bundle=/b", "c1"}, "create", "/b", "/b/config.json", "c1"},
        {"-b=value", {"create", "-b=/b", "c1"}, "create", "/b", "/b/config.json", "c1"},
        {"relative bundle", {"run", "-b", "sub/dir", "c1"}, "run", "/cwd/sub/dir", "/cwd/sub/dir/config.json", "c1"},
        {"bundle named create is not the subcommand", {"create", "--bundle", "create", "c1"}, "create", "/cwd/create",
         "/cwd/create/config.json", "c1"},
        {"global value named create", {"--root", "create", "run", "c1"}, "run", "/cwd", "/cwd/config.json", "c1"},
        {"containerd's form",
         {"--root", "/run/containerd/runc/k8s.io", "--log", "/run/x/log.json", "--log-format", "json", "--systemd-cgroup",
          "create", "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", "--console-socket", "/tmp/s", "c1"},
         "create", "/run/b", "/run/b/config.json", "c1", "/run/x/log.json", "json"},
        {"--log= and --log-format=", {"--log=l.json", "--log-format=json", "--debug", "state", "c1"}, "state", "", "",
         "c1", "/cwd/l.json", "json", true},
        {"crun --config", {"create", "--config", "/other.json", "-b", "/b", "c1"}, "create", "/b", "/other.json", "c1"},
        {"crun -f=", {"run", "-f=rel.json", "c1"}, "run", "/cwd", "/cwd/rel.json", "c1"},
        {"unknown global boolean flag", {"--weird", "delete", "c1"}, "delete", "", "", "c1"},
        {"unknown global flag with =", {"--weird=create", "kill", "c1", "KILL"}, "kill", "", "", "c1"},
        {"unknown create flag", {"run", "--no-pivot", "--keep", "-d", "c1"}, "run", "/cwd", "/cwd/config.json", "c1"},
        {"preserve-fds takes a value", {"run", "--preserve-fds", "3", "c1"}, "run", "/cwd", "/cwd/config.json", "c1"},
        {"double dash", {"run", "--", "-odd-id"}, "run", "/cwd", "/cwd/config.json", "-odd-id"},
        {"no subcommand", {"--version"}, "", "", "", ""},
        {"nothing", {}, "", "", "", ""},
        {"exec passes through", {"exec", "--tty", "c1", "sh"}, "exec", "", "", "c1"},
    };
    for (const auto& row : rows) {
        SECTION(row.name) {
            const auto r = oci::parse_runtime_args(row.args, "/cwd");
            CHECK(r.args == row.args);
            CHECK(r.command == row.command);
            CHECK(r.bundle.string() == row.bundle);
            CHECK(r.config.string() == row.config);
            CHECK(r.container_id == row.id);
            CHECK(r.log_file.string() == row.log);
            CHECK(r.log_format == row.format);
            CHECK(r.debug == row.debug);
            if (!row.command.empty()) {
                REQUIRE(r.command_index.has_value());
                CHECK(row.args[*r.command_index] == row.command);
            } else {
                CHECK_FALSE(r.command_index.has_value());
            }
        }
    }
}

TEST_CASE("runs_kept_in_foreground: BuildKit's RUN step, not a detached or plain run", "[runtime_args]") {
    const auto kept = [](std::vector<std::string> a) { return oci::runs_kept_in_foreground(oci::parse_runtime_args(a, "/")); };
    // moby 26's BuildKit (go-runc): global --log and --log-format, then run --bundle B --keep ID
    CHECK(kept({"--log", "/x/runc-log.json", "--log-format", "json", "run", "--bundle", "/x/id", "--keep", "id"}));
    CHECK(kept({"run", "--no-pivot", "--keep", "id"}));
    CHECK_FALSE(kept({"run", "--bundle", "/b", "id"}));
    CHECK_FALSE(kept({"run", "--keep", "-d", "id"}));
    CHECK_FALSE(kept({"run", "--detach", "--keep", "id"}));
    CHECK_FALSE(kept({"create", "--keep", "id"}));
    CHECK_FALSE(kept({"run", "--", "--keep"})); // an id, after --
}

TEST_CASE("parse_runtime_args: --version and -v before any subcommand", "[runtime_args]") {
    CHECK(oci::parse_runtime_args({"--version"}, "/").version);
    CHECK(oci::parse_runtime_args({"--root", "/r", "-v"}, "/").version);
    CHECK_FALSE(oci::parse_runtime_args({"state", "--version"}, "/").version);
    CHECK_FALSE(oci::parse_runtime_args({"state", "x"}, "/").version);
}

TEST_CASE("creates_container: only create and run prepare a bundle", "[runtime_args]") {
    for (const char* cmd : {"create", "run"}) CHECK(oci::creates_container(oci::parse_runtime_args({cmd, "x"}, "/")));
    for (const char* cmd : {"start", "state", "delete", "kill", "exec", "ps", "list", "update", "pause", "features"})
        CHECK_FALSE(oci::creates_container(oci::parse_runtime_args({cmd, "x"}, "/")));
}
