#include "base/error.hpp"
#include "oci/mount.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using oci::Rootfs;

namespace {

using Paths = std::vector<std::string>;

const char* const k_target = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P";

constexpr int k_no_namespaces = 77;

// Runs `body` in a forked child with a user and mount namespace of its own (where it may mount
// without privileges, and nothing reaches the host); returns its exit status, k_no_namespaces
// if the namespaces cannot be made.
int in_own_mount_namespace(const std::function<int()>& body, int extra_flags = 0) {
    const pid_t child = ::fork();
    if (child < 0) return -1;
    if (child == 0) {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | extra_flags) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            ::_exit(k_no_namespaces);
        int rc = 3;
        try {
            rc = body();
        } catch (...) {
        }
        ::_exit(rc);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// 0 if open_process_dir refuses with a message holding `expected`, 1 if it accepts, 2 if the
// message is another.
int refusal(pid_t pid, const std::string& proc, const std::string& expected) {
    try {
        oci::open_process_dir(pid, proc);
        return 1;
    } catch (const oci::Error& e) {
        return std::string(e.what()).find(expected) != std::string::npos ? 0 : 2;
    }
}

pid_t sleeping_child() {
    const pid_t child = ::fork();
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    return child;
}

void reap(pid_t child) {
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
}

} // namespace

// ---------------------------------------------------------------------------------------
// missing_paths

TEST_CASE("missing_paths: parents first, only what does not exist", "[mount]") {
    test::TempDir root;
    root.mkdir("/usr/bin");
    const Rootfs r = Rootfs::open(root.path());
    CHECK(oci::missing_paths(r, k_target) ==
          Paths{"/usr/libexec", "/usr/libexec/qemu-binfmt", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"});
    CHECK(oci::missing_paths(r, "/usr/bin/qemu-aarch64-static") == Paths{"/usr/bin/qemu-aarch64-static"});
    CHECK(oci::missing_paths(r, "/usr/bin") == Paths{});
    CHECK(oci::missing_paths(r, "/opt/q") == Paths{"/opt", "/opt/q"});
    root.write("/usr/bin/qemu-aarch64-static", "");
    CHECK(oci::missing_paths(r, "/usr/bin/qemu-aarch64-static").empty());
}

TEST_CASE("missing_paths: doubled and trailing slashes are tolerated", "[mount]") {
    test::TempDir root;
    root.mkdir("/usr");
    const Rootfs r = Rootfs::open(root.path());
    CHECK(oci::missing_paths(r, "//usr//bin/") == Paths{"/usr/bin"});
}

TEST_CASE("missing_paths: a parent that is not a directory is an Error", "[mount]") {
    test::TempDir root;
    root.write("/usr/bin", "a file where a directory should be");
    const Rootfs r = Rootfs::open(root.path());
    CHECK_THROWS_AS(oci::missing_paths(r, "/usr/bin/qemu-aarch64-static"), oci::Error);
    CHECK_THROWS_AS(oci::missing_paths(r, "/usr/bin/sub/qemu"), oci::Error);
}

TEST_CASE("missing_paths: targets that are not absolute and normalised are Errors", "[mount]") {
    test::TempDir root;
    const Rootfs r = Rootfs::open(root.path());
    for (const char* bad : {"", "usr/bin/q", "./usr/bin/q", "/usr/../etc/q", "/usr/bin/..", "/..", "/usr/./bin/q", "/",
                            "//", "/."}) {
        INFO("target '" << bad << "'");
        CHECK_THROWS_AS(oci::missing_paths(r, bad), oci::Error);
        CHECK_THROWS_AS(oci::create_mount_target(r, bad), oci::Error);
    }
    CHECK(test::fs::is_empty(root.path()));
}

// ---------------------------------------------------------------------------------------
// create_mount_target

TEST_CASE("create_mount_target: creates the parents and an empty file", "[mount]") {
    test::TempDir root;
    root.mkdir("/usr");
    const Rootfs r = Rootfs::open(root.path());
    const Paths created = oci::create_mount_target(r, k_target);
    CHECK(created == Paths{"/usr/libexec", "/usr/libexec/qemu-binfmt", "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"});
    CHECK(test::fs::is_directory(root / "/usr/libexec/qemu-binfmt"));
    CHECK(test::fs::is_regular_file(root / k_target));
    CHECK(test::fs::file_size(root / k_target) == 0);
    CHECK(test::file_mode(root / "/usr/libexec") == 0755);
    CHECK(test::file_mode(root / k_target) == 0644);
    // nothing left to create: a second call creates nothing
    CHECK(oci::create_mount_target(r, k_target).empty());
    CHECK(oci::missing_paths(r, k_target).empty());
}

TEST_CASE("create_mount_target: an existing file is left as it is", "[mount]") {
    test::TempDir root;
    root.write("/usr/bin/qemu-aarch64-static", "the image's own file");
    const Rootfs r = Rootfs::open(root.path());
    CHECK(oci::create_mount_target(r, "/usr/bin/qemu-aarch64-static").empty());
    CHECK(test::read_text(root / "/usr/bin/qemu-aarch64-static") == "the image's own file");
}

TEST_CASE("create_mount_target: a parent that is a file is an Error", "[mount]") {
    test::TempDir root;
    root.write("/usr/libexec", "not a directory");
    const Rootfs r = Rootfs::open(root.path());
    CHECK_THROWS_AS(oci::create_mount_target(r, k_target), oci::Error);
    CHECK(test::read_text(root / "/usr/libexec") == "not a directory");
}

TEST_CASE("create_mount_target: a failure removes what was created", "[mount]") {
    test::TempDir root;
    const Rootfs r = Rootfs::open(root.path());
    // the last component is longer than NAME_MAX: the directories before it are created, then undone
    const std::string target = "/new/dir/" + std::string(300, 'x');
    CHECK_THROWS_AS(oci::create_mount_target(r, target), oci::Error);
    CHECK_FALSE(test::fs::exists(root / "/new"));
}

TEST_CASE("create_mount_target: through an absolute symlink it stays inside the rootfs", "[mount]") {
    test::TempDir root;
    root.mkdir("/real-lib");
    root.symlink("/real-lib", "/usr/lib");
    const Rootfs r = Rootfs::open(root.path());
    const Paths created = oci::create_mount_target(r, "/usr/lib/qemu/qemu-arm-static");
    CHECK(created == Paths{"/usr/lib/qemu", "/usr/lib/qemu/qemu-arm-static"});
    CHECK(test::fs::is_regular_file(root / "/real-lib/qemu/qemu-arm-static"));
    CHECK(test::fs::is_symlink(root / "/usr/lib"));
}

TEST_CASE("create_mount_target: symlinks to host paths never create anything on the host", "[mount]") {
    test::TempDir root;
    test::TempDir outside;
    root.symlink(outside.str(), "/opt");                               // absolute host path
    root.symlink("../../../../../../../../" + outside.str(), "/up");   // ../ chain to it
    root.symlink((outside / "target").string(), "/usr/bin/qemu");     // last component
    const Rootfs r = Rootfs::open(root.path());
    CHECK_THROWS_AS(oci::create_mount_target(r, "/opt/qemu"), oci::Error);
    CHECK_THROWS_AS(oci::create_mount_target(r, "/up/qemu"), oci::Error);
    CHECK_THROWS_AS(oci::create_mount_target(r, "/opt/sub/qemu"), oci::Error);
    // the last component exists (as a dangling symlink inside the rootfs): nothing is created
    CHECK(oci::create_mount_target(r, "/usr/bin/qemu").empty());
    CHECK(test::fs::is_empty(outside.path()));
    CHECK(test::fs::is_symlink(root / "/opt"));
    CHECK(test::fs::is_symlink(root / "/usr/bin/qemu"));
}

// ---------------------------------------------------------------------------------------
// remove_created

TEST_CASE("remove_created: undoes create_mount_target", "[mount]") {
    test::TempDir root;
    root.mkdir("/usr");
    const Rootfs r = Rootfs::open(root.path());
    const Paths created = oci::create_mount_target(r, k_target);
    REQUIRE(created.size() == 3);
    CHECK(oci::remove_created(r, created) == 3);
    CHECK_FALSE(test::fs::exists(root / "/usr/libexec"));
    CHECK(test::fs::is_directory(root / "/usr"));
    // again: nothing left to remove, no error
    CHECK(oci::remove_created(r, created) == 0);
}

TEST_CASE("remove_created: a file with content is left alone, and so are its parents", "[mount]") {
    test::TempDir root;
    const Rootfs r = Rootfs::open(root.path());
    const Paths created = oci::create_mount_target(r, "/a/b/file");
    root.write("/a/b/file", "written by the container");
    CHECK(oci::remove_created(r, created) == 0);
    CHECK(test::read_text(root / "/a/b/file") == "written by the container");
}

TEST_CASE("remove_created: a directory the container filled is left alone", "[mount]") {
    test::TempDir root;
    const Rootfs r = Rootfs::open(root.path());
    const Paths created = oci::create_mount_target(r, "/a/b/file");
    root.write("/a/b/other", "x");
    CHECK(oci::remove_created(r, created) == 1); // only the empty file
    CHECK_FALSE(test::fs::exists(root / "/a/b/file"));
    CHECK(test::fs::exists(root / "/a/b/other"));
}

TEST_CASE("remove_created: never through or of symlinks", "[mount]") {
    test::TempDir root;
    root.write("/real/file", "");
    root.mkdir("/real/dir");
    root.symlink("/real", "/link");
    root.symlink("/real/file", "/file-link");
    const Rootfs r = Rootfs::open(root.path());
    CHECK(oci::remove_created(r, {"/link/file", "/link/dir", "/file-link", "/link"}) == 0);
    CHECK(test::fs::exists(root / "/real/file"));
    CHECK(test::fs::exists(root / "/real/dir"));
    CHECK(test::fs::is_symlink(root / "/link"));
    CHECK(test::fs::is_symlink(root / "/file-link"));
}

TEST_CASE("remove_created: missing paths and odd entries are skipped", "[mount]") {
    test::TempDir root;
    root.write("/x", "");
    root.fifo("/fifo");
    const Rootfs r = Rootfs::open(root.path());
    CHECK(oci::remove_created(r, {}) == 0);
    CHECK(oci::remove_created(r, {"/missing", "/missing/deeper", "", "/fifo", "relative", "/x"}) == 1);
    CHECK(test::fs::exists(root / "/fifo"));
    CHECK_FALSE(test::fs::exists(root / "/x"));
}

// ---------------------------------------------------------------------------------------
// bind_into_container: only the refusals (a real mount needs root and a container)

TEST_CASE("bind_into_container: refuses pid 1, itself and a process sharing its namespace", "[mount]") {
    test::TempDir root;
    CHECK_THROWS_WITH(oci::bind_into_container(1, root.path(), "/bin/true", "/q"), Contains("refusing"));
    CHECK_THROWS_WITH(oci::bind_into_container(0, root.path(), "/bin/true", "/q"), Contains("refusing"));
    CHECK_THROWS_WITH(oci::bind_into_container(-5, root.path(), "/bin/true", "/q"), Contains("refusing"));
    CHECK_THROWS_WITH(oci::bind_into_container(::getpid(), root.path(), "/bin/true", "/q"), Contains("refusing"));

    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    CHECK_THROWS_WITH(oci::bind_into_container(child, root.path(), "/bin/true", "/q"),
                      Contains("shares the hook's mount namespace"));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(test::fs::is_empty(root.path()));
    // the child is gone now
    CHECK_THROWS_AS(oci::bind_into_container(child, root.path(), "/bin/true", "/q"), oci::Error);
}

// ---------------------------------------------------------------------------------------
// open_process_dir: /proc is trusted only when it is procfs of our pid namespace, not overmounted

TEST_CASE("open_process_dir: the real /proc, for this process and a child", "[mount]") {
    const pid_t child = sleeping_child();
    REQUIRE(child > 0);
    CHECK(oci::open_process_dir(::getpid()));
    CHECK(oci::open_process_dir(child));
    reap(child);
    CHECK_THROWS_AS(oci::open_process_dir(child), oci::SysError);
}

TEST_CASE("open_process_dir: a tree that only looks like /proc", "[mount]") {
    test::TempDir fake;
    fake.mkdir("/" + std::to_string(::getpid()) + "/ns");
    test::fs::create_symlink(std::to_string(::getpid()), fake / "self");
    CHECK_THROWS_WITH(oci::open_process_dir(::getpid(), fake.path()), Contains("is not the proc file system"));
}

TEST_CASE("open_process_dir: /proc overmounted", "[mount]") {
    const pid_t victim = sleeping_child();
    REQUIRE(victim > 0);
    // A tmpfs over /proc.
    int rc = in_own_mount_namespace([] {
        if (::mount("tmpfs", "/proc", "tmpfs", 0, nullptr) != 0) return 4;
        return refusal(::getpid(), "/proc", "is not the proc file system");
    });
    if (rc == k_no_namespaces) {
        reap(victim);
        WARN("SKIP: no user namespaces here to mount in");
        return;
    }
    CHECK(rc == 0);
    // Another process's /proc/<pid> bound over the victim's: still procfs, but not the victim.
    rc = in_own_mount_namespace([victim] {
        const std::string other = "/proc/" + std::to_string(::getpid());
        const std::string over = "/proc/" + std::to_string(victim);
        if (::mount(other.c_str(), over.c_str(), nullptr, MS_BIND, nullptr) != 0) return 4;
        return refusal(victim, "/proc", "has something mounted over it");
    });
    CHECK(rc == 0);
    reap(victim);
}

TEST_CASE("open_process_dir: a proc of another pid namespace", "[mount]") {
    test::TempDir dir;
    const std::string path = dir.str();
    const int rc = in_own_mount_namespace(
        [&path] {
            // The first child in the new pid namespace mounts its proc; this process is not in it.
            const pid_t inner = ::fork();
            if (inner == 0) ::_exit(::mount("proc", path.c_str(), "proc", 0, nullptr) == 0 ? 0 : 1);
            int status = 0;
            ::waitpid(inner, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 4;
            return refusal(::getpid(), path, "another pid namespace");
        },
        CLONE_NEWPID);
    if (rc == k_no_namespaces) {
        WARN("SKIP: no user namespaces here to mount in");
        return;
    }
    CHECK(rc == 0);
}

// ---------------------------------------------------------------------------------------
// detach_mount: how a mount whose check failed is taken away again

TEST_CASE("detach_mount: unmounts the attached tree its fd names, wherever it went", "[mount]") {
    test::TempDir dir;
    dir.mkdir("/target");
    dir.write("/target/below", "x");
    const std::string target = (dir / "/target").string();
    const int rc = in_own_mount_namespace([&target] {
        const int fs = static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
        if (fs < 0 || ::syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return 4;
        const int tree = static_cast<int>(::syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0));
        const int target_fd = ::open(target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (tree < 0 || target_fd < 0 ||
            ::syscall(SYS_move_mount, tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return 5;
        struct stat st {};
        if (::stat((target + "/below").c_str(), &st) == 0) return 6; // the tmpfs covers it
        const int own_fds = ::open(("/proc/" + std::to_string(::getpid()) + "/fd").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!oci::detach_mount(own_fds, tree)) return 7;
        return ::stat((target + "/below").c_str(), &st) == 0 ? 0 : 8; // uncovered again
    });
    if (rc == k_no_namespaces) {
        WARN("SKIP: no user namespaces here to mount in");
        return;
    }
    CHECK(rc == 0);
}
