#pragma once
// What the hook (or the runtime, asked by xarch) created inside a rootfs for the emulator's
// mount, kept in the state directory so that poststop can take it out of a persistent
// container's upper layer. One record per container and rootfs: containers that share a
// rootfs (plain runc bundles) hand the paths on, and the last one out removes them.
#include "base/fd.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct Record {
    std::filesystem::path rootfs;
    std::string container;            // container id; empty when unknown (podman's precreate stage)
    std::vector<std::string> created; // absolute paths inside the rootfs, parents first
};

constexpr std::chrono::milliseconds k_record_lock_timeout{10000};

// Takes the lock every change of the records in `dir` holds (`dir`/.lock, creating `dir`
// 0700), waiting at most `timeout`: a holder that hangs must not hang every container start.
// Throws Error when the lock is not had in time, SysError on other failures.
UniqueFd lock_records(const std::filesystem::path& dir, std::chrono::milliseconds timeout = k_record_lock_timeout);

// The directory records go to: `configured`, except that in a user namespace without host
// root (rootless podman), where /run/xarch is not writable, the default becomes the user's
// /run/user/<uid>/xarch or else /tmp/xarch-<uid> (created 0700; refused unless it is a
// directory of this user's with mode 0700). Throws Error/SysError.
std::filesystem::path record_dir(const std::filesystem::path& configured);

// Saves the record (atomically, creating `dir` 0700). A record of the same container and rootfs
// that is already there keeps its paths and gains the new ones. Throws Error/SysError.
void save_record(const std::filesystem::path& dir, const Record& record);

// Ends `container`'s use of `rootfs`: deletes its record (or the anonymous one precreate
// wrote) and returns the paths that may now be removed. When another container still holds a
// record for the same rootfs, the paths are handed over to it and the list comes back empty.
// nullopt if there is no record. Throws Error/SysError.
std::optional<std::vector<std::string>> release_record(const std::filesystem::path& dir,
                                                        const std::filesystem::path& rootfs,
                                                        const std::string& container);

} // namespace oci
