#include "base/elf.hpp"
#include "base/error.hpp"
#include "oci/rootfs.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>
#include <string>
#include <vector>

using oci::CommandLookup;
using oci::Rootfs;

namespace {

// A temp-dir rootfs with an aarch64 busybox and /bin/sh -> /bin/busybox, as in Alpine.
struct RootfsFixture {
    test::TempDir dir;
    std::vector<std::uint8_t> busybox = test::elf_for("linux/arm64");

    RootfsFixture() {
        dir.write("/bin/busybox", busybox, 0755);
        dir.symlink("/bin/busybox", "/bin/sh");
        dir.write("/etc/passwd", "root:x:0:0:inside the rootfs:/root:/bin/sh\n");
    }
    Rootfs open() const { return Rootfs::open(dir.path()); }
};

std::string head_text(const Rootfs& r, const std::string& path, std::size_t max = 4096) {
    const auto head = r.read_head(path, max);
    if (!head) return "<none>";
    return {head->begin(), head->end()};
}

CommandLookup env_path(const std::string& path, const std::string& cwd = "/") {
    CommandLookup l;
    l.env = {"HOME=/root", "PATH=" + path};
    l.cwd = cwd;
    return l;
}

} // namespace

// ---------------------------------------------------------------------------------------
// Rootfs::open, open_in_root, open_path

TEST_CASE("Rootfs::open: missing or not a directory throws SysError", "[rootfs]") {
    test::TempDir dir;
    dir.write("file", "x");
    try {
        (void)Rootfs::open(dir / "missing");
        FAIL("no exception");
    } catch (const oci::SysError& e) {
        CHECK(e.code() == ENOENT);
    }
    try {
        (void)Rootfs::open(dir / "file");
        FAIL("no exception");
    } catch (const oci::SysError& e) {
        CHECK(e.code() == ENOTDIR);
    }
    CHECK_NOTHROW(Rootfs::open(dir.path()));
}

TEST_CASE("open_in_root: absolute symlinks resolve inside the rootfs", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.symlink("/etc/passwd", "/link-passwd");
    fx.dir.symlink("/etc/shadow", "/link-shadow"); // exists on the host, not in the rootfs
    const Rootfs r = fx.open();
    CHECK(head_text(r, "/link-passwd") == "root:x:0:0:inside the rootfs:/root:/bin/sh\n");
    CHECK(head_text(r, "link-passwd") == "root:x:0:0:inside the rootfs:/root:/bin/sh\n");
    CHECK_FALSE(r.open_path("/link-shadow"));
    CHECK(oci::open_in_root(r.fd(), "/link-shadow", O_PATH).failed_with(ENOENT));
    CHECK_FALSE(r.read_head("/link-shadow", 16));
}

TEST_CASE("open_in_root: ../ chains stop at the rootfs", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.symlink("../../../../../../../../etc/passwd", "/deep/er/up");
    fx.dir.symlink("/../../..", "/root-link");
    const Rootfs r = fx.open();
    const std::string inside = "root:x:0:0:inside the rootfs:/root:/bin/sh\n";
    CHECK(head_text(r, "/../../../../etc/passwd") == inside);
    CHECK(head_text(r, "../../etc/passwd") == inside);
    CHECK(head_text(r, "/bin/../../../etc/./passwd") == inside);
    CHECK(head_text(r, "/deep/er/up") == inside);
    CHECK(head_text(r, "/root-link/etc/passwd") == inside);
    CHECK(head_text(r, "/root-link/../etc/passwd") == inside);
    // the host's files stay out of reach
    CHECK_FALSE(r.open_path("/../../../../etc/shadow"));
    CHECK_FALSE(r.open_path("/../../../../etc/hostname"));
}

TEST_CASE("open_in_root: magic links are refused", "[rootfs]") {
    // With the host's / as the "rootfs", /proc/self/root and /proc/self/exe are magic links:
    // RESOLVE_NO_MAGICLINKS must refuse them (they would jump to wherever the kernel says).
    const Rootfs host = Rootfs::open("/");
    if (!host.open_path("/proc/self/status")) {
        WARN("SKIP: /proc is not mounted");
        return;
    }
    CHECK(oci::open_in_root(host.fd(), "/proc/self/root/etc/passwd", O_PATH).failed_with(ELOOP));
    CHECK(oci::open_in_root(host.fd(), "/proc/self/exe", O_PATH).failed_with(ELOOP));
    CHECK(oci::open_in_root(host.fd(), "/proc/self/cwd", O_PATH).failed_with(ELOOP));
    CHECK_FALSE(host.open_path("/proc/self/root"));
    CHECK_FALSE(host.read_head("/proc/self/exe", 64));
    // /proc/self itself is an ordinary symlink
    CHECK(host.open_path("/proc/self/status"));

    // inside a rootfs without /proc the same path simply does not exist
    RootfsFixture fx;
    const Rootfs r = fx.open();
    CHECK_FALSE(r.open_path("/proc/self/root/etc/shadow"));
}

TEST_CASE("open_in_root: symlink loops are an error, not a hang", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.symlink("/loop-b", "/loop-a");
    fx.dir.symlink("/loop-a", "/loop-b");
    fx.dir.symlink("self", "/self");
    fx.dir.symlink("/bin/dir-loop/x", "/bin/dir-loop");
    const Rootfs r = fx.open();
    const auto child = test::run_in_child([&] {
        for (const char* p : {"/loop-a", "/loop-b", "/self", "/bin/dir-loop", "/loop-a/x"}) {
            if (!oci::open_in_root(r.fd(), p, O_PATH).failed_with(ELOOP)) return 1;
            if (r.open_path(p)) return 2;
            if (r.read_head(p, 16)) return 3;
            if (r.is_executable(p)) return 4;
        }
        return 0;
    });
    CHECK_FALSE(child.timed_out);
    CHECK(child.exited);
    CHECK(child.code == 0);
}

TEST_CASE("open_in_root: a failure with its errno instead of an exception", "[rootfs]") {
    RootfsFixture fx;
    const Rootfs r = fx.open();
    CHECK(oci::open_in_root(r.fd(), "/missing", O_PATH).failed_with(ENOENT));
    CHECK(oci::open_in_root(r.fd(), "/etc/passwd/x", O_PATH).failed_with(ENOTDIR));
    CHECK(oci::open_in_root(r.fd(), "/etc/passwd", O_PATH | O_DIRECTORY).failed_with(ENOTDIR));
    CHECK(oci::open_in_root(r.fd(), "/bin/sh", O_PATH, RESOLVE_NO_SYMLINKS).failed_with(ELOOP));
    const auto missing = oci::open_in_root(r.fd(), "/missing", O_PATH);
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message, Catch::Matchers::Contains("'/missing'"));
    const auto fd = oci::open_in_root(r.fd(), "/bin/sh", O_PATH);
    REQUIRE(fd);
    CHECK((::fcntl(fd.value().get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(oci::open_in_root(r.fd(), "", O_PATH | O_DIRECTORY));
}

// ---------------------------------------------------------------------------------------
// read_head, is_executable

TEST_CASE("read_head: a FIFO gives nullopt without blocking", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.fifo("/run/fifo");
    fx.dir.symlink("/run/fifo", "/bin/fifo-link");
    const Rootfs r = fx.open();
    const auto child = test::run_in_child([&] {
        if (r.read_head("/run/fifo", 256)) return 1;
        if (r.read_head("/bin/fifo-link", 256)) return 2;
        if (r.is_executable("/run/fifo")) return 3;
        return 0;
    });
    CHECK_FALSE(child.timed_out);
    CHECK(child.exited);
    CHECK(child.code == 0);
}

TEST_CASE("read_head: directories, devices and missing files give nullopt", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.mkdir("/usr/bin");
    const Rootfs r = fx.open();
    CHECK_FALSE(r.read_head("/usr/bin", 256));
    CHECK_FALSE(r.read_head("/", 256));
    CHECK_FALSE(r.read_head("", 256));
    CHECK_FALSE(r.read_head("/missing", 256));
    CHECK_FALSE(r.read_head("/bin/busybox/x", 256));
    // /dev/null of the host is not reachable, and would not be read
    CHECK_FALSE(r.read_head("/dev/null", 256));
    const Rootfs host_dev = Rootfs::open("/dev");
    CHECK_FALSE(host_dev.read_head("/null", 256));
    CHECK_FALSE(host_dev.read_head("/zero", 256));
}

TEST_CASE("read_head: the size cap is respected", "[rootfs]") {
    RootfsFixture fx;
    std::string big(10000, 'a');
    big[0] = 'Z';
    fx.dir.write("/big", big);
    fx.dir.write("/empty", "");
    const Rootfs r = fx.open();
    const auto ten = r.read_head("/big", 10);
    REQUIRE(ten);
    CHECK(ten->size() == 10);
    CHECK((*ten)[0] == 'Z');
    const auto all = r.read_head("/big", 1 << 20);
    REQUIRE(all);
    CHECK(all->size() == 10000);
    const auto zero = r.read_head("/big", 0);
    REQUIRE(zero);
    CHECK(zero->empty());
    const auto empty = r.read_head("/empty", 256);
    REQUIRE(empty);
    CHECK(empty->empty());
    const auto sh = r.read_head("/bin/sh", 256);
    REQUIRE(sh);
    CHECK(*sh == fx.busybox); // smaller than 256 bytes
}

TEST_CASE("is_executable: regular files with an execute bit", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/usr/bin/plain", "data", 0644);
    fx.dir.write("/usr/bin/owner-x", "data", 0700);
    fx.dir.write("/usr/bin/other-x", "data", 0601);
    fx.dir.mkdir("/usr/bin/dir");
    fx.dir.symlink("/missing", "/usr/bin/dangling");
    const Rootfs r = fx.open();
    CHECK(r.is_executable("/bin/busybox"));
    CHECK(r.is_executable("/bin/sh"));
    CHECK(r.is_executable("/usr/bin/owner-x"));
    CHECK(r.is_executable("/usr/bin/other-x"));
    CHECK_FALSE(r.is_executable("/usr/bin/plain"));
    CHECK_FALSE(r.is_executable("/usr/bin/dir"));
    CHECK_FALSE(r.is_executable("/usr/bin/dangling"));
    CHECK_FALSE(r.is_executable("/usr/bin/missing"));
    CHECK_FALSE(r.is_executable(""));
}

// ---------------------------------------------------------------------------------------
// resolve_command

TEST_CASE("resolve_command: PATH from the environment", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/opt/bin/tool", "#!/bin/sh\n", 0755);
    fx.dir.write("/usr/bin/tool", "#!/bin/sh\n", 0755);
    const Rootfs r = fx.open();
    CHECK(oci::resolve_command(r, "tool", env_path("/opt/bin:/usr/bin")) == std::optional<std::string>("/opt/bin/tool"));
    CHECK(oci::resolve_command(r, "tool", env_path("/usr/bin:/opt/bin")) == std::optional<std::string>("/usr/bin/tool"));
    CHECK(oci::resolve_command(r, "tool", env_path("/usr/bin/")) == std::optional<std::string>("/usr/bin/tool"));
    CHECK_FALSE(oci::resolve_command(r, "tool", env_path("/bin:/sbin")));
    CHECK(oci::resolve_command(r, "busybox", env_path("/sbin:/bin")) == std::optional<std::string>("/bin/busybox"));
}

TEST_CASE("resolve_command: the first PATH in the environment counts", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/a/tool", "x", 0755);
    fx.dir.write("/b/tool", "x", 0755);
    const Rootfs r = fx.open();
    CommandLookup l;
    l.env = {"PATHX=/b", "MYPATH=/b", "PATH=/a", "PATH=/b"};
    CHECK(oci::resolve_command(r, "tool", l) == std::optional<std::string>("/a/tool"));
}

TEST_CASE("resolve_command: default PATH without one in the environment", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/usr/bin/tool", "x", 0755);
    fx.dir.write("/bin/tool", "x", 0755);
    fx.dir.write("/sbin/only-sbin", "x", 0755);
    const Rootfs r = fx.open();
    const CommandLookup none;
    CHECK(oci::resolve_command(r, "tool", none) == std::optional<std::string>("/usr/bin/tool"));
    CHECK(oci::resolve_command(r, "sh", none) == std::optional<std::string>("/bin/sh"));
    CHECK(oci::resolve_command(r, "only-sbin", none) == std::optional<std::string>("/sbin/only-sbin"));
    CHECK_FALSE(oci::resolve_command(r, "missing", none));
}

TEST_CASE("resolve_command: names with a slash are paths, relative to cwd", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/work/bin/run", "x", 0755);
    fx.dir.write("/work/data", "x", 0644);
    const Rootfs r = fx.open();
    CHECK(oci::resolve_command(r, "/bin/busybox", {}) == std::optional<std::string>("/bin/busybox"));
    CHECK(oci::resolve_command(r, "/work/bin/run", env_path("/nowhere")) == std::optional<std::string>("/work/bin/run"));

    const auto rel = oci::resolve_command(r, "bin/run", env_path("/bin", "/work"));
    REQUIRE(rel);
    CHECK(*rel == "/work/bin/run");
    const auto dot = oci::resolve_command(r, "./bin/run", env_path("/bin", "/work"));
    REQUIRE(dot);
    CHECK(std::filesystem::path(*dot).lexically_normal() == "/work/bin/run");
    const auto up = oci::resolve_command(r, "../bin/run", env_path("/bin", "/work/bin"));
    REQUIRE(up);
    CHECK(std::filesystem::path(*up).lexically_normal() == "/work/bin/run");
    const auto trailing = oci::resolve_command(r, "bin/run", env_path("/bin", "/work/"));
    REQUIRE(trailing);
    CHECK(std::filesystem::path(*trailing).lexically_normal() == "/work/bin/run");

    // a slash means no PATH search
    CHECK_FALSE(oci::resolve_command(r, "bin/run", env_path("/work", "/")));
    CHECK_FALSE(oci::resolve_command(r, "/work/data", {}));
    CHECK_FALSE(oci::resolve_command(r, "/work/missing", {}));
}

TEST_CASE("resolve_command: cwd-relative and empty PATH entries", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/work/bin/run", "x", 0755);
    fx.dir.write("/work/here", "x", 0755);
    const Rootfs r = fx.open();
    const auto rel = oci::resolve_command(r, "run", env_path("bin:/usr/bin", "/work"));
    REQUIRE(rel);
    CHECK(std::filesystem::path(*rel).lexically_normal() == "/work/bin/run");
    // an empty element, leading, in the middle or trailing, means the working directory
    for (const char* path : {":/usr/bin", "/usr/bin::/sbin", "/usr/bin:"}) {
        INFO("PATH=" << path);
        const auto here = oci::resolve_command(r, "here", env_path(path, "/work"));
        REQUIRE(here);
        CHECK(std::filesystem::path(*here).lexically_normal() == "/work/here");
    }
    CHECK_FALSE(oci::resolve_command(r, "here", env_path("/usr/bin:/sbin", "/work")));
}

TEST_CASE("resolve_command: non-executable files and directories are skipped", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/usr/local/bin/tool", "x", 0644);
    fx.dir.mkdir("/usr/sbin/tool");
    fx.dir.symlink("/missing", "/sbin/tool");
    fx.dir.write("/usr/bin/tool", "x", 0755);
    const Rootfs r = fx.open();
    CHECK(oci::resolve_command(r, "tool", env_path("/usr/local/bin:/usr/sbin:/sbin:/usr/bin")) ==
          std::optional<std::string>("/usr/bin/tool"));
    CHECK_FALSE(oci::resolve_command(r, "tool", env_path("/usr/local/bin:/usr/sbin:/sbin")));
}

TEST_CASE("resolve_command: empty command", "[rootfs]") {
    RootfsFixture fx;
    const Rootfs r = fx.open();
    CHECK_FALSE(oci::resolve_command(r, "", {}));
}

// ---------------------------------------------------------------------------------------
// find_executable

TEST_CASE("find_executable: an ELF program directly", "[rootfs]") {
    RootfsFixture fx;
    const Rootfs r = fx.open();
    const auto exe = oci::find_executable(r, "busybox", {});
    REQUIRE(exe);
    CHECK(exe->path == "/bin/busybox");
    CHECK(exe->chain.empty());
    CHECK(exe->bytes == fx.busybox);
}

TEST_CASE("find_executable: only the first 256 bytes are read", "[rootfs]") {
    RootfsFixture fx;
    auto big = test::elf_for("linux/s390x");
    big.resize(4096, 0xaa);
    fx.dir.write("/usr/bin/big", big, 0755);
    const Rootfs r = fx.open();
    const auto exe = oci::find_executable(r, "/usr/bin/big", {});
    REQUIRE(exe);
    REQUIRE(exe->bytes.size() == 256);
    CHECK(std::equal(exe->bytes.begin(), exe->bytes.end(), big.begin()));
}

TEST_CASE("find_executable: an absolute symlink resolves inside the rootfs, not on the host", "[rootfs]") {
    RootfsFixture fx; // /bin/sh -> /bin/busybox; the host's /bin/busybox, if any, is not aarch64
    const Rootfs r = fx.open();
    const auto exe = oci::find_executable(r, "sh", {});
    REQUIRE(exe);
    CHECK(exe->path == "/bin/sh");
    CHECK(exe->bytes == fx.busybox);
    const auto h = oci::parse_elf_header(exe->bytes);
    REQUIRE(h);
    CHECK(oci::elf_platform(*h)->str() == "linux/arm64");
}

TEST_CASE("find_executable: #!/bin/sh script", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n", 0755);
    const Rootfs r = fx.open();
    const auto exe = oci::find_executable(r, "/entrypoint.sh", {});
    REQUIRE(exe);
    CHECK(exe->path == "/bin/sh");
    CHECK(exe->chain == std::vector<std::string>{"/entrypoint.sh"});
    CHECK(exe->bytes == fx.busybox);
}

TEST_CASE("find_executable: shebang spacing and an argument", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/s1", "#! /bin/sh -e\n", 0755);
    fx.dir.write("/s2", "#!\t/bin/sh  -x -e  \r\n", 0755);
    fx.dir.write("/s3", "#!/bin/sh", 0755); // no newline at all
    const Rootfs r = fx.open();
    for (const char* s : {"/s1", "/s2", "/s3"}) {
        INFO(s);
        const auto exe = oci::find_executable(r, s, {});
        REQUIRE(exe);
        CHECK(exe->path == "/bin/sh");
    }
}

TEST_CASE("find_executable: a CR after the interpreter is part of its name, as for the kernel", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/dos.sh", "#!/bin/sh\r\necho\r\n", 0755);
    const Rootfs r = fx.open();
    CHECK_FALSE(oci::find_executable(r, "/dos.sh", {}));
}

TEST_CASE("find_executable: #!/usr/bin/env bash searches PATH", "[rootfs]") {
    RootfsFixture fx;
    const auto bash = test::elf_for("linux/ppc64le");
    fx.dir.write("/usr/bin/env", test::elf_for("linux/arm64"), 0755);
    fx.dir.write("/usr/local/bin/bash", bash, 0755);
    fx.dir.write("/app/run", "#!/usr/bin/env bash\nset -e\n", 0755);
    const Rootfs r = fx.open();
    const auto exe = oci::find_executable(r, "run", env_path("/app:/usr/local/bin:/usr/bin"));
    REQUIRE(exe);
    CHECK(exe->path == "/usr/local/bin/bash");
    CHECK(exe->bytes == bash);
    CHECK(exe->chain == std::vector<std::string>{"/app/run", "/usr/bin/env"});
}

TEST_CASE("find_executable: #!/usr/bin/env with options", "[rootfs]") {
    RootfsFixture fx;
    const auto bash = test::elf_for("linux/riscv64");
    fx.dir.write("/usr/bin/env", test::elf_for("linux/arm64"), 0755);
    fx.dir.write("/bin/bash", bash, 0755);
    fx.dir.write("/s-split", "#!/usr/bin/env -S bash -e\n", 0755);
    fx.dir.write("/s-joined", "#!/usr/bin/env -Sbash -e\n", 0755);
    fx.dir.write("/s-assign", "#!/usr/bin/env LC_ALL=C bash\n", 0755);
    fx.dir.write("/s-ignore", "#!/usr/bin/env -i bash\n", 0755);
    fx.dir.write("/s-unset", "#!/usr/bin/env -u HOME bash\n", 0755);
    const Rootfs r = fx.open();
    for (const char* s : {"/s-split", "/s-joined", "/s-assign", "/s-ignore", "/s-unset"}) {
        INFO(s);
        const auto exe = oci::find_executable(r, s, {});
        REQUIRE(exe);
        CHECK(exe->path == "/bin/bash");
        CHECK(exe->bytes == bash);
    }
}

TEST_CASE("find_executable: #!/usr/bin/env of a missing command falls back to env", "[rootfs]") {
    RootfsFixture fx;
    const auto env = test::elf_for("linux/arm64");
    fx.dir.write("/usr/bin/env", env, 0755);
    fx.dir.write("/s", "#!/usr/bin/env python3\n", 0755);
    fx.dir.write("/bare", "#!/usr/bin/env\n", 0755);
    const Rootfs r = fx.open();
    for (const char* s : {"/s", "/bare"}) {
        INFO(s);
        const auto exe = oci::find_executable(r, s, {});
        REQUIRE(exe);
        CHECK(exe->path == "/usr/bin/env");
        CHECK(exe->bytes == env);
    }
}

TEST_CASE("find_executable: script chains up to 4 levels", "[rootfs]") {
    RootfsFixture fx;
    // /s0 -> /s1 -> ... -> /s<n-1> -> /bin/sh: n scripts before the ELF
    const auto chain = [&](int n) {
        for (int i = 0; i < n; ++i) {
            const std::string next = i + 1 < n ? "/s" + std::to_string(n) + "-" + std::to_string(i + 1) : "/bin/sh";
            fx.dir.write("/s" + std::to_string(n) + "-" + std::to_string(i), "#!" + next + "\n", 0755);
        }
        return "/s" + std::to_string(n) + "-0";
    };
    const std::string one = chain(1), four = chain(4), five = chain(5), six = chain(6);
    const Rootfs r = fx.open();
    const auto e1 = oci::find_executable(r, one, {});
    REQUIRE(e1);
    CHECK(e1->chain.size() == 1);
    const auto e4 = oci::find_executable(r, four, {});
    REQUIRE(e4);
    CHECK(e4->path == "/bin/sh");
    CHECK(e4->chain == std::vector<std::string>{"/s4-0", "/s4-1", "/s4-2", "/s4-3"});
    CHECK_FALSE(oci::find_executable(r, five, {}));
    CHECK_FALSE(oci::find_executable(r, six, {}));
}

TEST_CASE("find_executable: a script loop ends", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/a", "#!/b\n", 0755);
    fx.dir.write("/b", "#!/a\n", 0755);
    fx.dir.write("/self", "#!/self\n", 0755);
    const Rootfs r = fx.open();
    const auto child = test::run_in_child([&] {
        return oci::find_executable(r, "/a", {}) || oci::find_executable(r, "/self", {}) ? 1 : 0;
    });
    CHECK_FALSE(child.timed_out);
    CHECK(child.exited);
    CHECK(child.code == 0);
}

TEST_CASE("find_executable: nothing found", "[rootfs]") {
    RootfsFixture fx;
    fx.dir.write("/missing-interp.sh", "#!/bin/bash\necho\n", 0755);
    fx.dir.write("/not-exec-interp.sh", "#!/data/tool\n", 0755);
    fx.dir.write("/data/tool", test::elf_for("linux/arm64"), 0644);
    fx.dir.write("/text", "just text\n", 0755);
    fx.dir.write("/empty", "", 0755);
    fx.dir.write("/bang", "#!\n", 0755);
    fx.dir.write("/spaces", "#!    \n", 0755);
    fx.dir.write("/noexec", test::elf_for("linux/arm64"), 0644);
    const Rootfs r = fx.open();
    for (const char* cmd : {"/missing-interp.sh", "/not-exec-interp.sh", "/text", "/empty", "/bang", "/spaces", "/noexec",
                            "missing", "", "/"}) {
        INFO("command '" << cmd << "'");
        CHECK_FALSE(oci::find_executable(r, cmd, {}));
    }
}
