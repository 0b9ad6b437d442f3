#include "base/userns.hpp"

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <iterator>
#include <limits>
#include <sstream>

namespace oci {

namespace {

constexpr std::uint64_t k_id_space = 1ULL << 32;

std::uint32_t read_overflow(const char* path) {
    try {
        const std::string text = read_file_capped(path, 64);
        std::uint32_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && end != text.data()) return v;
    } catch (const Error&) {
    }
    return 65534; // the kernel's default
}

} // namespace

IdMap parse_id_map(const std::string& text) {
    IdMap map;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        std::istringstream fields(line);
        std::uint64_t inside = 0, outside = 0, count = 0;
        std::string extra;
        if (!(fields >> inside >> outside >> count) || (fields >> extra) || count == 0 || inside + count > k_id_space ||
            outside + count > k_id_space)
            throw Error("malformed id map line '" + line + "'");
        map.push_back({static_cast<std::uint32_t>(inside), static_cast<std::uint32_t>(outside),
                       static_cast<std::uint32_t>(count)});
    }
    return map;
}

std::optional<std::uint32_t> to_outside(const IdMap& map, std::uint32_t inside) {
    for (const auto& r : map)
        if (inside >= r.inside && inside - r.inside < r.count) return r.outside + (inside - r.inside);
    return std::nullopt;
}

std::optional<std::uint32_t> to_inside(const IdMap& map, std::uint32_t outside) {
    for (const auto& r : map)
        if (outside >= r.outside && outside - r.outside < r.count) return r.inside + (outside - r.outside);
    return std::nullopt;
}

bool UserNamespace::initial() const {
    return uids.size() == 1 && uids[0].inside == 0 && uids[0].outside == 0 &&
           uids[0].count == std::numeric_limits<std::uint32_t>::max();
}

bool UserNamespace::maps_host_root() const { return to_inside(uids, 0).has_value(); }

UserNamespace current_user_namespace() {
    UserNamespace ns;
    ns.uids = parse_id_map(read_file_capped("/proc/self/uid_map", 64 * 1024));
    ns.overflow_uid = read_overflow("/proc/sys/kernel/overflowuid");
    return ns;
}

const UserNamespace& this_user_namespace() {
    static const UserNamespace ns = [] {
        try {
            return current_user_namespace();
        } catch (const Error&) {
            // Without /proc nothing else works either; assume the host, which trusts least.
            UserNamespace host;
            host.uids = {{0, 0, std::numeric_limits<std::uint32_t>::max()}};
            return host;
        }
    }();
    return ns;
}

std::optional<std::string> ownership_problem(const struct stat& st, const UserNamespace& ns,
                                             std::optional<bool> writable_by_ns_root) {
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "is writable by its group or by others";
    if (const auto root = to_inside(ns.uids, 0)) {
        if (st.st_uid != *root) return "is not owned by root";
        return std::nullopt;
    }
    // Host root is not mapped: its files show the overflow uid. A mapped user with that very
    // uid would look the same, but the namespace's root could then write the file.
    if (st.st_uid != ns.overflow_uid)
        return "is owned by uid " + std::to_string(st.st_uid) + " of this user namespace, which may change it";
    if (writable_by_ns_root.value_or(false)) return "can be changed from inside this user namespace";
    return std::nullopt;
}

std::optional<bool> writable_by_caller(int fd) {
    if (::syscall(SYS_faccessat2, fd, "", W_OK, AT_EACCESS | AT_EMPTY_PATH) == 0) return true;
    if (errno == EROFS) return std::nullopt;
    return false;
}

std::optional<std::string> file_ownership_problem(int fd, const struct stat& st, const UserNamespace& ns) {
    // On the host root can write anything, so the question only means something rootless.
    return ownership_problem(st, ns, ns.maps_host_root() ? std::optional<bool>{} : writable_by_caller(fd));
}

std::optional<std::string> path_ownership_problem(const std::filesystem::path& path, const UserNamespace& ns) {
    if (!path.is_absolute()) return std::nullopt;
    std::filesystem::path prefix;
    const auto last = std::prev(path.end());
    for (auto it = path.begin(); it != path.end(); ++it) {
        prefix /= *it;
        struct stat st {};
        if (::lstat(prefix.c_str(), &st) != 0) return std::nullopt;
        if (S_ISLNK(st.st_mode)) {
            // A symlink's mode means nothing; whoever owns it may point it elsewhere.
            st.st_mode = S_IFLNK | 0755;
            if (const auto problem = ownership_problem(st, ns, std::nullopt))
                return "passes through symlink '" + prefix.string() + "', which " + *problem;
        }
        if (it == last) break;
        const UniqueFd dir(::open(prefix.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir || ::fstat(dir.get(), &st) != 0) return std::nullopt;
        const bool sticky = (st.st_mode & S_ISVTX) != 0;
        if (sticky) st.st_mode &= ~static_cast<mode_t>(S_IWGRP | S_IWOTH);
        const auto problem = ownership_problem(
            st, ns, ns.maps_host_root() || sticky ? std::optional<bool>{} : writable_by_caller(dir.get()));
        if (problem) return "is in directory '" + prefix.string() + "', which " + *problem;
    }
    return std::nullopt;
}

bool child_maps_host_root(const IdMap& child, const UserNamespace& parent) {
    // The child's outside ids are ids of the parent namespace; host root is one of them only
    // if the parent maps it.
    const auto root_in_parent = to_inside(parent.uids, 0);
    return root_in_parent && to_inside(child, *root_in_parent).has_value();
}

} // namespace oci
