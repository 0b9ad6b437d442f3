#include "oci/record.hpp"

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/io.hpp"
#include "base/settings.hpp"
#include "base/userns.hpp"

#include "base/json.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace oci {

namespace {

std::string fnv1a(const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ULL; // stable, and paths and ids may be long
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

// One spelling per directory: "/a/./b/" and "/a/b" are the same rootfs.
std::filesystem::path normal(const std::filesystem::path& rootfs) {
    auto p = rootfs.lexically_normal();
    return p.has_filename() || p == p.root_path() ? p : p.parent_path();
}

std::string rootfs_key(const std::filesystem::path& rootfs) { return fnv1a(normal(rootfs).string()) + "-"; }

std::filesystem::path record_path(const std::filesystem::path& dir, const std::filesystem::path& rootfs,
                                  const std::string& container) {
    return dir / (rootfs_key(rootfs) + fnv1a(container) + ".json");
}

// A hook killed between writing a record and renaming it into place (write_file_atomic's
// ".<name>.xarch-XXXXXX") leaves the temporary file behind; under the lock no other writer is
// at work, so any there is stale.
void remove_stale_temporaries(const std::filesystem::path& dir) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with(".") && name.find(".json.xarch-") != std::string::npos) {
            std::error_code ignored;
            std::filesystem::remove(it->path(), ignored);
        }
    }
}

// A directory only this user can write, or an error.
std::filesystem::path private_dir(const std::filesystem::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("create '" + dir.string() + "'", errno);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) throw SysError("stat '" + dir.string() + "'", errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
        throw Error("refusing state directory '" + dir.string() + "': not a directory of this user's with mode 0700");
    return dir;
}

std::optional<Record> load(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt;
    const auto doc = Json::parse(read_file_capped(path, 1024 * 1024), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("rootfs") || !doc["rootfs"].is_string() ||
        !doc.contains("created") || !doc["created"].is_array())
        throw Error("corrupt record '" + path.string() + "'");
    Record r;
    r.rootfs = doc["rootfs"].get<std::string>();
    r.container = doc.value("container", "");
    for (const auto& c : doc["created"])
        if (c.is_string()) r.created.push_back(c.get<std::string>());
    return r;
}

void store(const std::filesystem::path& dir, const Record& record) {
    const Json doc{{"rootfs", normal(record.rootfs).string()},
                             {"container", record.container},
                             {"created", record.created}};
    // Records live in /run and matter only until poststop: no fsync on a container's start path.
    write_file_atomic(record_path(dir, record.rootfs, record.container), doc.dump() + "\n", false);
}

} // namespace

UniqueFd lock_records(const std::filesystem::path& dir, std::chrono::milliseconds timeout) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("create '" + dir.string() + "'", errno);
    const std::string path = (dir / ".lock").string();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw SysError("open '" + path + "'", errno);
    // Held for a few file operations at a time; polled, so that a holder that hangs (stopped,
    // stuck) stops this container with a message instead of hanging it.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) throw SysError("lock '" + path + "'", errno);
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error("lock '" + path + "': held by another process for " + std::to_string(timeout.count()) +
                        " ms (a hung or stopped xarch-hook?)");
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    return fd;
}

std::filesystem::path record_dir(const std::filesystem::path& configured) {
    const UserNamespace& ns = this_user_namespace();
    if (configured != k_default_state_dir || ns.maps_host_root()) return configured;
    const auto uid = to_outside(ns.uids, ::geteuid());
    const std::string id = uid ? std::to_string(*uid) : "unmapped";
    struct stat st {};
    const std::filesystem::path run_user = "/run/user/" + id;
    if (::stat(run_user.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid())
        return private_dir(run_user / "xarch");
    return private_dir("/tmp/xarch-" + id);
}

void save_record(const std::filesystem::path& dir, const Record& record) {
    const UniqueFd lock = lock_records(dir);
    remove_stale_temporaries(dir);
    // A hook run again for the same container (at two stages, or retried) adds to the record:
    // what an earlier run created must still be removed at poststop.
    std::optional<Record> earlier;
    try {
        earlier = load(record_path(dir, record.rootfs, record.container));
    } catch (const Error&) {
        // corrupt: replaced
    }
    if (!earlier || earlier->rootfs != normal(record.rootfs)) {
        store(dir, record);
        return;
    }
    Record merged = std::move(*earlier);
    for (const auto& path : record.created)
        if (std::find(merged.created.begin(), merged.created.end(), path) == merged.created.end()) merged.created.push_back(path);
    store(dir, merged);
}

std::optional<std::vector<std::string>> release_record(const std::filesystem::path& dir,
                                                        const std::filesystem::path& rootfs,
                                                        const std::string& container) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt; // the common case, without a throw
    const UniqueFd lock = lock_records(dir);
    remove_stale_temporaries(dir);
    std::optional<Record> mine;
    std::filesystem::path mine_path;
    for (const std::string& id : {container, std::string()}) {
        mine_path = record_path(dir, rootfs, id);
        mine = load(mine_path);
        if (mine && mine->rootfs == normal(rootfs)) break; // else a hash collision: not ours
        mine.reset();
        if (container.empty()) break;
    }
    if (!mine) return std::nullopt;
    std::filesystem::remove(mine_path);

    const std::string key = rootfs_key(rootfs);
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(key)) continue;
        auto other = load(entry.path());
        if (!other || other->rootfs != normal(rootfs)) continue;
        // Still in use: the paths stay, and the other container takes them over.
        for (auto& path : mine->created)
            if (std::find(other->created.begin(), other->created.end(), path) == other->created.end())
                other->created.push_back(path);
        store(dir, *other);
        return std::vector<std::string>{};
    }
    return mine->created;
}

} // namespace oci
