#pragma once
// What the hook created inside a rootfs, kept in the state directory so that poststop can
// remove it from a persistent container's upper layer. Keyed by the rootfs path, which
// both the precreate stage (config only) and poststop (state + config) know.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct Record {
    std::filesystem::path rootfs;
    std::vector<std::string> created; // absolute paths inside the rootfs, parents first
};

// Saves the record (atomically, creating `dir` 0700); throws Error/SysError.
void save_record(const std::filesystem::path& dir, const Record& record);

// Loads and deletes the record for `rootfs`; nullopt if there is none. Throws Error for a corrupt record.
std::optional<Record> take_record(const std::filesystem::path& dir, const std::filesystem::path& rootfs);

} // namespace oci
