#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/io.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>

using Catch::Matchers::Contains;

namespace {

struct Pipe {
    oci::UniqueFd rd, wr;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        rd.reset(fds[0]);
        wr.reset(fds[1]);
    }
};

} // namespace

// ---------------------------------------------------------------------------------------
// read_fd_capped

TEST_CASE("read_fd_capped: reads to EOF", "[io]") {
    Pipe p;
    oci::write_all(p.wr.get(), "{\"id\":\"c1\"}");
    p.wr.reset();
    CHECK(oci::read_fd_capped(p.rd.get()) == "{\"id\":\"c1\"}");
}

TEST_CASE("read_fd_capped: empty input", "[io]") {
    Pipe p;
    p.wr.reset();
    CHECK(oci::read_fd_capped(p.rd.get()).empty());
}

TEST_CASE("read_fd_capped: exactly the cap is accepted, one more byte is an Error", "[io]") {
    {
        Pipe p;
        oci::write_all(p.wr.get(), std::string(100, 'a'));
        p.wr.reset();
        CHECK(oci::read_fd_capped(p.rd.get(), 100).size() == 100);
    }
    {
        Pipe p;
        oci::write_all(p.wr.get(), std::string(101, 'a'));
        p.wr.reset();
        CHECK_THROWS_WITH(oci::read_fd_capped(p.rd.get(), 100), Contains("more than 100 bytes"));
    }
}

TEST_CASE("read_fd_capped: the cap counts across several reads", "[io]") {
    // 50000 bytes fit in a pipe buffer but take several 16 KiB reads.
    {
        Pipe p;
        oci::write_all(p.wr.get(), std::string(50000, 'x'));
        p.wr.reset();
        CHECK_THROWS_WITH(oci::read_fd_capped(p.rd.get(), 40000), Contains("more than 40000 bytes"));
    }
    {
        Pipe p;
        oci::write_all(p.wr.get(), std::string(50000, 'x'));
        p.wr.reset();
        CHECK(oci::read_fd_capped(p.rd.get(), 50000).size() == 50000);
    }
}

TEST_CASE("read_fd_capped: nothing arriving times out with an Error", "[io]") {
    Pipe p; // the write end stays open: no EOF ever comes
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(oci::read_fd_capped(p.rd.get(), 1024, std::chrono::milliseconds(100)), Contains("nothing received"));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= std::chrono::milliseconds(90));
    CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("read_fd_capped: partial input, then silence, times out", "[io]") {
    Pipe p;
    oci::write_all(p.wr.get(), "{\"id\":");
    CHECK_THROWS_AS(oci::read_fd_capped(p.rd.get(), 1024, std::chrono::milliseconds(100)), oci::Error);
}

TEST_CASE("read_fd_capped: a bad fd is a SysError", "[io]") {
    // poll reports POLLNVAL for a closed fd, read then fails with EBADF
    Pipe p;
    const int fd = p.rd.get();
    p.rd.reset();
    CHECK_THROWS_AS(oci::read_fd_capped(fd, 1024, std::chrono::milliseconds(100)), oci::SysError);
}

// ---------------------------------------------------------------------------------------
// read_file_capped

TEST_CASE("read_file_capped: regular files up to the cap", "[io]") {
    test::TempDir dir;
    dir.write("f", "hello");
    CHECK(oci::read_file_capped(dir / "f") == "hello");
    CHECK(oci::read_file_capped(dir / "f", 5) == "hello");
    CHECK_THROWS_WITH(oci::read_file_capped(dir / "f", 4), Contains("larger than 4 bytes"));
    dir.write("empty", "");
    CHECK(oci::read_file_capped(dir / "empty").empty());
}

TEST_CASE("read_file_capped: missing, directory and FIFO", "[io]") {
    test::TempDir dir;
    try {
        oci::read_file_capped(dir / "missing");
        FAIL("no exception");
    } catch (const oci::SysError& e) {
        CHECK(e.code() == ENOENT);
        CHECK_THAT(std::string(e.what()), Contains("missing"));
    }
    CHECK_THROWS_WITH(oci::read_file_capped(dir.path()), Contains("not a regular file"));
    const auto fifo = dir.fifo("fifo");
    const auto r = test::run_in_child([&] {
        try {
            oci::read_file_capped(fifo);
        } catch (const oci::Error& e) {
            return std::string(e.what()).find("not a regular file") != std::string::npos ? 0 : 2;
        }
        return 1;
    });
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 0);
}

// ---------------------------------------------------------------------------------------
// write_file_atomic, write_all

TEST_CASE("write_file_atomic: replaces the content and keeps the mode", "[io]") {
    test::TempDir dir;
    const auto f = dir.write("config.json", "{\"old\": true, \"padding\": \"longer than the new content\"}", 0600);
    oci::write_file_atomic(f, "{\"new\": 1}\n");
    CHECK(test::read_text(f) == "{\"new\": 1}\n");
    CHECK(test::file_mode(f) == 0600);

    test::TempDir::chmod(f, 0751);
    oci::write_file_atomic(f, "");
    CHECK(test::read_text(f).empty());
    CHECK(test::file_mode(f) == 0751);
}

TEST_CASE("write_file_atomic: a new file is 0644, whatever the umask", "[io]") {
    test::TempDir dir;
    const mode_t old = ::umask(077);
    oci::write_file_atomic(dir / "new", "content");
    ::umask(old);
    CHECK(test::read_text(dir / "new") == "content");
    CHECK(test::file_mode(dir / "new") == 0644);
}

TEST_CASE("write_file_atomic: replaces the inode and leaves no temporary file", "[io]") {
    test::TempDir dir;
    const auto f = dir.write("f", "old");
    struct stat st_before {};
    REQUIRE(::stat(f.c_str(), &st_before) == 0);
    oci::write_file_atomic(f, std::string(100000, 'z'));
    struct stat st_after {};
    REQUIRE(::stat(f.c_str(), &st_after) == 0);
    CHECK(st_after.st_ino != st_before.st_ino);
    CHECK(st_after.st_size == 100000);
    std::size_t entries = 0;
    for (const auto& e : test::fs::directory_iterator(dir.path())) {
        INFO(e.path().string());
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("write_file_atomic: a missing directory is a SysError", "[io]") {
    test::TempDir dir;
    CHECK_THROWS_AS(oci::write_file_atomic(dir / "no/such/dir/f", "x"), oci::SysError);
}

TEST_CASE("write_file_atomic: a symlinked path stays a symlink; the file it names is replaced", "[io]") {
    test::TempDir dir;
    const auto real = dir.write("real/config.json", "old", 0640);
    test::fs::create_directories(dir / "bundle");
    test::fs::create_symlink("../real/config.json", dir / "bundle/config.json");
    test::fs::create_symlink(dir / "bundle/config.json", dir / "chained");
    oci::write_file_atomic(dir / "chained", "new");
    CHECK(test::fs::is_symlink(dir / "chained"));
    CHECK(test::fs::is_symlink(dir / "bundle/config.json"));
    CHECK(test::read_text(real) == "new");
    CHECK(test::file_mode(real) == 0640);
}

TEST_CASE("write_file_atomic: refuses a link to nothing, a loop and a non-regular file", "[io]") {
    test::TempDir dir;
    test::fs::create_symlink("missing", dir / "dangling");
    CHECK_THROWS_WITH(oci::write_file_atomic(dir / "dangling", "x"), Catch::Contains("which does not exist"));
    CHECK_FALSE(test::fs::exists(dir / "missing"));
    test::fs::create_symlink("b", dir / "a");
    test::fs::create_symlink("a", dir / "b");
    CHECK_THROWS_WITH(oci::write_file_atomic(dir / "a", "x"), Catch::Contains("too many levels"));
    test::fs::create_directories(dir / "d");
    CHECK_THROWS_WITH(oci::write_file_atomic(dir / "d", "x"), Catch::Contains("not a regular file"));
    test::fs::create_symlink("/dev/null", dir / "null");
    CHECK_THROWS_WITH(oci::write_file_atomic(dir / "null", "x"), Catch::Contains("not a regular file"));
}

TEST_CASE("write_file_atomic: keeps the owner of a file root does not own", "[io]") {
    if (::geteuid() != 0) {
        WARN("SKIP: needs root to own a file as another user");
        return;
    }
    test::TempDir dir;
    const auto f = dir.write("owned", "old", 0600);
    REQUIRE(::chown(f.c_str(), 1234, 5678) == 0);
    oci::write_file_atomic(f, "new");
    struct stat st {};
    REQUIRE(::stat(f.c_str(), &st) == 0);
    CHECK(st.st_uid == 1234);
    CHECK(st.st_gid == 5678);
    CHECK(test::file_mode(f) == 0600);
    CHECK(test::read_text(f) == "new");
}

TEST_CASE("write_all: writes everything, throws SysError on a bad fd", "[io]") {
    test::TempDir dir;
    oci::UniqueFd fd(::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    REQUIRE(fd);
    const std::string big(1 << 20, 'q');
    oci::write_all(fd.get(), big);
    fd.reset();
    CHECK(test::read_text(dir / "out") == big);
    CHECK_THROWS_AS(oci::write_all(-1, "x"), oci::SysError);
    oci::write_all(-1, ""); // nothing to write: no system call, no error
}

TEST_CASE("UniqueFd: owns and closes its descriptor", "[io]") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    {
        oci::UniqueFd a(fds[0]);
        oci::UniqueFd b(std::move(a));
        CHECK_FALSE(a);
        CHECK(b.get() == fds[0]);
        oci::UniqueFd c;
        c = std::move(b);
        CHECK(c.get() == fds[0]);
        oci::UniqueFd w(fds[1]);
        const int raw = w.release();
        CHECK_FALSE(w);
        CHECK(raw == fds[1]);
        ::close(raw);
    }
    CHECK(::fcntl(fds[0], F_GETFD) == -1); // closed by c's destructor
}
