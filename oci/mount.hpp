#pragma once
// Making a host emulator appear inside a container: mount targets are created with
// mkdirat/mknodat on fds resolved inside the rootfs, the bind mount is made fd-to-fd
// (open_tree + move_mount) from a child that joined the container's mount namespace
// through a pidfd, and then verified.
#include "binfmt/binfmt.hpp"
#include "oci/rootfs.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace oci {

// The components of absolute path `target` that do not exist in the rootfs, parents first
// (what a runtime will create for a bind mount there). Throws Error if a parent exists but is
// not a directory, or the path is not absolute and normalised.
std::vector<std::string> missing_paths(const Rootfs& rootfs, const std::string& target);

// Creates `target` as an empty regular file, and its missing parent directories, inside the
// rootfs; returns what it created, parents first. Throws Error/SysError.
std::vector<std::string> create_mount_target(const Rootfs& rootfs, const std::string& target);

// Removes what create_mount_target (or a runtime) created, children first: only empty
// regular files and empty directories, never through symlinks. Does not throw; returns
// the number of paths removed.
std::size_t remove_created(const Rootfs& rootfs, const std::vector<std::string>& created);

// The directory /proc/<pid> (O_PATH), once `proc` has shown itself to be the proc file system
// (by its magic) of the caller's own pid namespace with nothing mounted over /proc/<pid>: an
// overmounted /proc could otherwise send xarch into another process's namespaces or rootfs.
// Throws Error naming what is wrong, SysError if there is no such process.
UniqueFd open_process_dir(pid_t pid, const std::filesystem::path& proc = "/proc");

// Detaches (MNT_DETACH) the mount that `mount_fd` names (an attached open_tree or fsmount fd),
// through `own_fds`, this process's /proc/<pid>/fd opened while /proc was still its own (the
// mount namespace it is in may have a /proc of another pid namespace). Changes the working
// directory to `own_fds`.
Status detach_mount(int own_fds, int mount_fd);

// True if process `pid` is in a user namespace other than the caller's. Throws SysError if
// /proc/<pid> cannot be read.
bool process_has_own_userns(pid_t pid);

// Throws Error unless `pid` can name a container's process: never pid 0 or 1, xarch itself or
// its parent (the runtime). A host process is refused later, by its mount namespace.
void check_container_pid(pid_t pid);

// True if process `pid` is in a user namespace other than the caller's whose uid_map maps
// host uid 0. Throws SysError if /proc/<pid> cannot be read.
bool process_maps_host_root(pid_t pid);

// Bind-mounts host file `source` read-only, nosuid, nodev and private at `target` inside the
// mount namespace of process `pid`, whose rootfs is `rootfs` on the host; verifies the result.
// Returns the paths it created in the rootfs. If the target already is a read-only, nosuid mount
// of this file (the hook ran at two stages, or again), does nothing and returns no paths.
// Throws Error/SysError, leaving nothing behind.
std::vector<std::string> bind_into_container(pid_t pid, const std::filesystem::path& rootfs,
                                             const std::filesystem::path& source, const std::string& target);

// Gives the user namespace of container process `pid` (whose rootfs is `rootfs` on the host)
// its own binfmt_misc instance holding `seed`'s entries and then `entry`, opened from the
// host's file system (F), and attaches it read-only at the container's /proc/sys/fs/binfmt_misc,
// where it lives exactly as long as the container's mount namespace. Returns the seed entries
// that could not be copied. Throws Error/SysError (nothing is left behind in the container).
std::vector<std::string> register_in_container(pid_t pid, const std::filesystem::path& rootfs, const BinfmtState* seed,
                                               const BinfmtEntry& entry);

} // namespace oci
