#pragma once
// The user namespace xarch runs in, and the one rule for trusting a host file from inside it.
//
// Trust rule (used by the hook, the shim, `status` and `doctor` through inspect_emulator): a
// file may be exposed to containers as an emulator when nobody the namespace maps can change
// it. Where the namespace maps host root (the host itself, or a rootful container namespace
// mapping 0), that means owned by root and not writable by group or others. Where host root is
// not mapped (rootless podman), root-owned host files appear owned by the overflow uid
// (`nobody`): such a file is trusted when it shows the overflow uid, has no group or other
// write bit, and the namespace's root, holding every capability there, still cannot open it
// for writing (CAP_DAC_OVERRIDE only works on files whose owner and group are both mapped).
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct IdRange {
    std::uint32_t inside = 0;  // first id in the namespace
    std::uint32_t outside = 0; // the id it maps to in the parent namespace
    std::uint32_t count = 0;
};
using IdMap = std::vector<IdRange>;

// Parses /proc/<pid>/uid_map or gid_map text ("inside outside count" per line). Throws
// Error on malformed text.
IdMap parse_id_map(const std::string& text);

// The parent-namespace id that `inside` maps to; nullopt if unmapped. Does not throw.
std::optional<std::uint32_t> to_outside(const IdMap& map, std::uint32_t inside);

// The namespace id that parent-namespace id `outside` appears as; nullopt if unmapped. Does not throw.
std::optional<std::uint32_t> to_inside(const IdMap& map, std::uint32_t outside);

struct UserNamespace {
    IdMap uids;                         // relative to the parent namespace
    std::uint32_t overflow_uid = 65534; // what unmapped owners appear as

    // The initial namespace maps every id to itself.
    bool initial() const;
    // Host uid 0 has an id here (the host, or a namespace whose parent's root is mapped). With
    // nested namespaces the parent is taken for the host: conservative, as a rootless parent's
    // root then counts as host root and its files need a root owner.
    bool maps_host_root() const;
};

// The caller's namespace from /proc/self. Throws Error/SysError if /proc cannot be read.
UserNamespace current_user_namespace();

// The same, read once per process (the hook and the shim never change namespace in place).
const UserNamespace& this_user_namespace();

// Why a file with this owner and mode must not be trusted as an emulator seen from `ns`;
// nullopt if it may be. `writable_by_ns_root` is whether the namespace's root can open it for
// writing (nullopt: not known, e.g. a read-only mount). Pure; does not throw.
std::optional<std::string> ownership_problem(const struct stat& st, const UserNamespace& ns,
                                             std::optional<bool> writable_by_ns_root);

// Whether the caller, with its capabilities, could open `fd` for writing; nullopt when the
// file system is read-only (no answer about the owner). Does not throw.
std::optional<bool> writable_by_caller(int fd);

// ownership_problem for the open file `fd` whose fstat is `st`, asking the kernel whether this
// namespace's root could write it where host root is unmapped. Does not throw.
std::optional<std::string> file_ownership_problem(int fd, const struct stat& st,
                                                  const UserNamespace& ns = this_user_namespace());

// Why the absolute `path` could be made to name another file by someone `ns` does not trust;
// nullopt if it cannot. Every directory on the way (followed, as a lookup follows it) must be
// owned as ownership_problem requires and not writable by group or others, unless it is
// sticky (then only an entry's owner, checked in turn, may rename it: /tmp itself is fine,
// /tmp/x with mode 0777 is not); every symlink on the way must be owned the same way, since
// its owner may point it elsewhere. The final file itself is not judged (ownership_problem
// does that). A component that cannot be examined is left to the caller's open. Does not throw.
std::optional<std::string> path_ownership_problem(const std::filesystem::path& path,
                                                  const UserNamespace& ns = this_user_namespace());

// Whether uid map `child` (as read from /proc/<pid>/uid_map by a process of the parent
// namespace `parent`, or a config.json's uidMappings) maps host uid 0. Does not throw.
bool child_maps_host_root(const IdMap& child, const UserNamespace& parent);

} // namespace oci
