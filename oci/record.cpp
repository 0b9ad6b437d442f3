#include "oci/record.hpp"

#include "oci/error.hpp"
#include "oci/io.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace oci {

namespace {

std::filesystem::path record_path(const std::filesystem::path& dir, const std::filesystem::path& rootfs) {
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a: stable, and the path itself may be long
    for (unsigned char c : rootfs.lexically_normal().string()) h = (h ^ c) * 0x100000001b3ULL;
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.json", static_cast<unsigned long long>(h));
    return dir / name;
}

} // namespace

void save_record(const std::filesystem::path& dir, const Record& record) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw SysError("create '" + dir.string() + "'", errno);
    const nlohmann::json doc{{"rootfs", record.rootfs.lexically_normal().string()}, {"created", record.created}};
    // Records live in /run and matter only until poststop: no fsync on a container's start path.
    write_file_atomic(record_path(dir, record.rootfs), doc.dump() + "\n", false);
}

std::optional<Record> take_record(const std::filesystem::path& dir, const std::filesystem::path& rootfs) {
    const auto path = record_path(dir, rootfs);
    // The common case (nothing recorded) is answered without an exception, which costs a
    // static binary about a millisecond the first time.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt;
    const std::string text = read_file_capped(path, 1024 * 1024);
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("rootfs") || !doc["rootfs"].is_string() ||
        !doc.contains("created") || !doc["created"].is_array())
        throw Error("corrupt record '" + path.string() + "'");
    Record r;
    r.rootfs = doc["rootfs"].get<std::string>();
    if (r.rootfs != rootfs.lexically_normal()) return std::nullopt; // hash collision: not ours
    std::filesystem::remove(path);
    for (const auto& c : doc["created"])
        if (c.is_string()) r.created.push_back(c.get<std::string>());
    return r;
}

} // namespace oci
