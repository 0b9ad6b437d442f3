#include "base/io.hpp"

#include "base/error.hpp"
#include "base/fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

namespace oci {

namespace {

// One read of at most `size` bytes, waiting at most `timeout` for data; 0 at EOF.
std::size_t read_some(int fd, char* buf, std::size_t size, std::chrono::milliseconds timeout) {
    for (;;) {
        struct pollfd p {fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw SysError("poll input", errno);
        if (r == 0) throw Error("read input: nothing received for " + std::to_string(timeout.count()) + " ms");
        const ssize_t n = ::read(fd, buf, size);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) throw SysError("read input", errno);
        return static_cast<std::size_t>(n);
    }
}

} // namespace

BoundedRead read_fd_bounded(int fd, std::size_t cap, std::chrono::milliseconds timeout) {
    BoundedRead out;
    char buf[16384];
    while (const std::size_t n = read_some(fd, buf, sizeof buf, timeout)) {
        out.data.append(buf, n);
        if (out.data.size() > cap) {
            out.complete = false;
            break;
        }
    }
    return out;
}

void copy_fd(int from, int to, std::chrono::milliseconds timeout) {
    char buf[16384];
    while (const std::size_t n = read_some(from, buf, sizeof buf, timeout)) write_all(to, std::string(buf, n));
}

std::string read_fd_capped(int fd, std::size_t cap, std::chrono::milliseconds timeout) {
    BoundedRead r = read_fd_bounded(fd, cap, timeout);
    if (!r.complete) throw Error("read input: more than " + std::to_string(cap) + " bytes");
    return std::move(r.data);
}

std::string read_file_capped(const std::filesystem::path& path, std::size_t cap) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) throw SysError("open '" + path.string() + "'", errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw SysError("stat '" + path.string() + "'", errno);
    if (!S_ISREG(st.st_mode)) throw Error("read '" + path.string() + "': not a regular file");
    if (static_cast<std::size_t>(st.st_size) > cap)
        throw Error("read '" + path.string() + "': larger than " + std::to_string(cap) + " bytes");
    std::string out;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("read '" + path.string() + "'", errno);
        if (n == 0) return out;
        if (out.size() + static_cast<std::size_t>(n) > cap)
            throw Error("read '" + path.string() + "': larger than " + std::to_string(cap) + " bytes");
        out.append(buf, static_cast<std::size_t>(n));
    }
}

void write_all(int fd, const std::string& content) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("write", errno);
        done += static_cast<std::size_t>(n);
    }
}

namespace {

struct WriteTarget {
    std::filesystem::path path;
    std::optional<struct stat> existing; // the file there now, if any
};

// Where a write to `path` lands: `path` itself, or the file its symlinks finally name (at most
// 40 links, as the kernel allows). Throws Error for a loop or a link to nothing.
WriteTarget write_target(const std::filesystem::path& path) {
    std::filesystem::path p = path;
    for (int hops = 0; hops <= 40; ++hops) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            if (errno == ENOENT && hops > 0)
                throw Error("write '" + path.string() + "': it is a symlink to '" + p.string() + "', which does not exist");
            if (errno == ENOENT) return {p, std::nullopt};
            throw SysError("stat '" + p.string() + "'", errno);
        }
        if (!S_ISLNK(st.st_mode)) {
            if (!S_ISREG(st.st_mode)) throw Error("write '" + path.string() + "': '" + p.string() + "' is not a regular file");
            return {p, st};
        }
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(p, ec);
        if (ec) throw SysError("read link '" + p.string() + "'", ec.value());
        p = target.is_absolute() ? target : p.parent_path() / target;
    }
    throw Error("write '" + path.string() + "': too many levels of symbolic links");
}

void fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) throw SysError("fsync directory '" + dir.string() + "'", errno);
}

} // namespace

void write_file_atomic(const std::filesystem::path& requested, const std::string& content, bool durable) {
    const auto [path, existing] = write_target(requested);
    std::string tmpl = (path.parent_path() / ("." + path.filename().string() + ".xarch-XXXXXX")).string();
    UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd) throw SysError("create temporary file for '" + path.string() + "'", errno);
    try {
        if (existing && (existing->st_uid != ::geteuid() || existing->st_gid != ::getegid()) &&
            ::fchown(fd.get(), existing->st_uid, existing->st_gid) != 0)
            throw SysError("keep the owner of '" + path.string() + "'", errno);
        if (::fchmod(fd.get(), existing ? (existing->st_mode & 07777) : 0644) != 0) throw SysError("chmod '" + tmpl + "'", errno);
        write_all(fd.get(), content);
        if (durable && ::fsync(fd.get()) != 0) throw SysError("fsync '" + tmpl + "'", errno);
        if (::rename(tmpl.c_str(), path.c_str()) != 0) throw SysError("rename to '" + path.string() + "'", errno);
    } catch (...) {
        ::unlink(tmpl.c_str());
        throw;
    }
    // The rename itself must survive a crash too.
    if (durable) fsync_directory(path.parent_path());
}

} // namespace oci
