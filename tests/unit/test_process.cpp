#include "base/process.hpp"
#include "base/text.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

namespace {

std::set<int> open_fds() {
    std::set<int> fds;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return fds;
    const int own = ::dirfd(d);
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.' && std::atoi(e->d_name) != own) fds.insert(std::atoi(e->d_name));
    ::closedir(d);
    return fds;
}

std::string link_of(int fd) {
    char buf[256];
    const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf);
    return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
}

} // namespace

TEST_CASE("isolate_child: stdio onto /dev/null, only the kept fds stay", "[process]") {
    const auto r = test::run_in_child([] {
        const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        const int a = ::open("/etc/passwd", O_RDONLY); // inherited, not close-on-exec
        const int b = ::open("/etc/hostname", O_RDONLY | O_CLOEXEC);
        const int c = ::open("/", O_PATH | O_CLOEXEC);
        const int d = ::dup(a);
        if (devnull < 0 || a < 0 || b < 0 || c < 0 || d < 0) return 10;
        if (!oci::isolate_child(::getppid(), devnull, {c, a})) return 11;
        if (open_fds() != std::set<int>{0, 1, 2, a, c}) return 12;
        for (int fd = 0; fd <= 2; ++fd)
            if (link_of(fd) != "/dev/null") return 13;
        return 0;
    });
    CHECK(r.exited);
    CHECK(r.code == 0);
}

TEST_CASE("isolate_child: a kept fd among 0-2 is left as it is", "[process]") {
    const auto r = test::run_in_child([] {
        const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        const int passwd = ::open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        if (devnull < 0 || passwd < 0 || ::dup2(passwd, 1) < 0) return 10;
        if (!oci::isolate_child(::getppid(), devnull, {1})) return 11;
        return link_of(1) == "/etc/passwd" && link_of(0) == "/dev/null" && open_fds() == std::set<int>{0, 1, 2} ? 0 : 12;
    });
    CHECK(r.exited);
    CHECK(r.code == 0);
}

TEST_CASE("die_with_parent: the child is killed when its parent dies", "[process]") {
    // middle forks `helper`, which asks to die with middle and then waits forever; middle
    // reports the helper's pid and exits.
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const pid_t middle = ::fork();
    REQUIRE(middle >= 0);
    if (middle == 0) {
        const pid_t self = ::getpid();
        const pid_t helper = ::fork();
        if (helper == 0) {
            if (!oci::die_with_parent(self)) ::_exit(1);
            for (;;) ::pause();
        }
        // Give the helper time to ask before this process goes.
        ::usleep(100 * 1000);
        (void)!::write(fds[1], &helper, sizeof helper);
        ::_exit(0);
    }
    ::close(fds[1]);
    pid_t helper = -1;
    REQUIRE(::read(fds[0], &helper, sizeof helper) == static_cast<ssize_t>(sizeof helper));
    ::close(fds[0]);
    const int helper_fd = static_cast<int>(::syscall(SYS_pidfd_open, helper, 0));
    int status = 0;
    REQUIRE(::waitpid(middle, &status, 0) == middle);
    if (helper_fd < 0) {
        CHECK(errno == ESRCH); // already gone and reaped
        return;
    }
    struct pollfd p {helper_fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 5000);
    if (n == 0) ::kill(helper, SIGKILL);
    ::close(helper_fd);
    CHECK(n == 1); // the helper ended with its parent, not at our kill
}

TEST_CASE("die_with_parent: false when the parent named is not the parent", "[process]") {
    const auto r = test::run_in_child([] { return oci::die_with_parent(::getpid()) ? 1 : 0; });
    CHECK(r.exited);
    CHECK(r.code == 0);
}

TEST_CASE("search_path_dirs: a PATH list in order, empty entries left out", "[process]") {
    using P = std::vector<std::filesystem::path>;
    CHECK(oci::search_path_dirs("/usr/sbin:/usr/bin") == P{"/usr/sbin", "/usr/bin"});
    CHECK(oci::search_path_dirs(":/a::rel:") == P{"/a", "rel"});
    CHECK(oci::search_path_dirs("").empty());
}

TEST_CASE("split_nonempty: parts in order, empty ones left out", "[text]") {
    using S = std::vector<std::string>;
    CHECK(oci::split_nonempty("arm64,riscv64", ',') == S{"arm64", "riscv64"});
    CHECK(oci::split_nonempty(",a,,b,", ',') == S{"a", "b"});
    CHECK(oci::split_nonempty("a:b,c", ',') == S{"a:b", "c"});
    CHECK(oci::split_nonempty("", ',').empty());
}

TEST_CASE("run_captured: output, status and why", "[process]") {
    const auto ok = oci::run_captured("/bin/sh", {"-c", "echo out; echo err >&2"}, std::chrono::seconds(10));
    CHECK(ok.succeeded());
    CHECK(ok.output == "out\nerr");
    CHECK(ok.why().empty());
    const auto three = oci::run_captured("/bin/sh", {"-c", "exit 3"}, std::chrono::seconds(10));
    CHECK(three.ran());
    CHECK(three.why() == "exited with status 3");
    CHECK(oci::run_captured("/nonexistent", {}, std::chrono::seconds(10)).why() == "could not be started");
    CHECK(oci::run_captured("/bin/sh", {"-c", "sleep 5"}, std::chrono::seconds(1)).why() == "did not finish within 1 s");
}
