#include "oci/mount.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/process.hpp"
#include "base/userns.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <sstream>

namespace oci {

namespace {

constexpr int k_child_timeout_ms = 10000;

// pidfd ioctls (Linux >= 6.11; <linux/pidfd.h> of older headers lacks them): a namespace fd
// straight from the pidfd, with no path through /proc at all.
constexpr unsigned long k_pidfd_get_mnt_namespace = _IO(0xFF, 3);
constexpr unsigned long k_pidfd_get_user_namespace = _IO(0xFF, 9);

// Namespace `name` ("user" or "mnt") of the process behind `pidfd`, whose verified /proc
// directory is `dir`: from the pidfd where the kernel can, else from /proc/<pid>/ns/<name>,
// which must then be a namespace file.
UniqueFd namespace_of(int pidfd, int dir, const std::string& name) {
    const unsigned long request = name == "user" ? k_pidfd_get_user_namespace : k_pidfd_get_mnt_namespace;
    if (pidfd >= 0)
        if (const int fd = ::ioctl(pidfd, request, 0); fd >= 0) return UniqueFd(fd);
    UniqueFd fd(::openat(dir, ("ns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open the " + name + " namespace of a process", errno);
    struct statfs fs {};
    if (::fstatfs(fd.get(), &fs) != 0) throw SysError("statfs the " + name + " namespace of a process", errno);
    if (fs.f_type != NSFS_MAGIC)
        throw Error("the " + name + " namespace file in /proc is not a namespace (something is mounted over it)");
    return fd;
}

// A process as the hook addresses it: a pidfd, and its directory in a verified /proc.
struct Process {
    UniqueFd pidfd;
    UniqueFd dir;
};

Process open_process(pid_t pid) {
    Process p;
    p.pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!p.pidfd) throw SysError("pidfd_open " + std::to_string(pid), errno);
    p.dir = open_process_dir(pid);
    return p;
}

std::vector<std::string> components(const std::string& target) {
    if (target.empty() || target.front() != '/') throw Error("mount target '" + target + "' is not an absolute path");
    std::vector<std::string> parts;
    std::istringstream in(target);
    std::string part;
    while (std::getline(in, part, '/')) {
        if (part.empty()) continue;
        if (part == "." || part == "..") throw Error("mount target '" + target + "' is not normalised");
        parts.push_back(part);
    }
    if (parts.empty()) throw Error("mount target '" + target + "' names the rootfs itself");
    return parts;
}

std::string prefix_path(const std::vector<std::string>& parts, std::size_t n) {
    std::string p;
    for (std::size_t i = 0; i < n; ++i) p += "/" + parts[i];
    return p.empty() ? "/" : p;
}

// At prestart the container's view of its rootfs already holds volumes, /dev and /proc: a
// symlink in the image must not steer the mount target onto any of them.
constexpr std::uint64_t k_target_resolve = RESOLVE_NO_XDEV;

// A failed lookup of a mount target, said so that the image's trick is named.
[[noreturn]] void target_error(const std::string& path, int err) {
    if (err == EXDEV)
        throw Error("mount target path '" + path + "' leads out of the image's filesystem (a symlink onto a volume or "
                    "a kernel filesystem?); xarch will not create anything there");
    if (err == ELOOP)
        throw Error("mount target path '" + path + "' passes through a symlink in the image; the runtime would "
                    "create the target wherever it points, so xarch will not ask it to");
    throw SysError("resolve '" + path + "' in rootfs", err);
}

UniqueFd open_dir(const Rootfs& rootfs, const std::string& path) {
    auto fd = open_in_root(rootfs.fd(), path, O_PATH | O_DIRECTORY, k_target_resolve);
    if (!fd) target_error(path, fd.error().err);
    return std::move(fd).value();
}

struct Identity {
    dev_t dev;
    ino_t ino;
    bool operator==(const Identity&) const = default;
};

Identity identity(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw SysError("stat " + what, errno);
    return {st.st_dev, st.st_ino};
}

// The container's view of its rootfs: the process root once it has pivoted, or root.path
// inside its mount namespace before (runc and crun run prestart hooks before pivot_root).
UniqueFd container_rootfs(int proc_root, const std::filesystem::path& rootfs, Identity want) {
    if (identity(proc_root, "container root") == want) return UniqueFd(::fcntl(proc_root, F_DUPFD_CLOEXEC, 3));
    if (auto fd = open_in_root(proc_root, rootfs.string(), O_PATH | O_DIRECTORY))
        if (identity(fd.value().get(), "container rootfs") == want) return std::move(fd).value();
    throw Error("cannot find rootfs '" + rootfs.string() + "' in the container's mount namespace");
}

// After move_mount: does `target` now lead to the emulator, read-only and nosuid?
Status verify_mount(int rootfs_fd, const std::string& target, Identity source) {
    auto check = context(open_in_root(rootfs_fd, target, O_PATH), "reopen after mounting");
    if (!check) return check.error();
    struct stat st {};
    struct statvfs vfs {};
    if (::fstat(check.value().get(), &st) != 0 || ::fstatvfs(check.value().get(), &vfs) != 0)
        return sys_failure("stat '" + target + "' after mounting", errno);
    if (st.st_dev != source.dev || st.st_ino != source.ino) return failure("'" + target + "' is not the emulator after mounting");
    if ((vfs.f_flag & ST_RDONLY) == 0 || (vfs.f_flag & ST_NOSUID) == 0)
        return failure("'" + target + "' is not read-only and nosuid after mounting");
    return done();
}

// Runs in the forked child: join the mount namespace, attach the tree, check it is ours and
// read-only. A check that fails (the path was swapped after the mount) detaches the mount
// again, so that a refusal leaves nothing mounted in the container.
Status attach_in_namespace(int pidfd, int tree, int rootfs_fd, const std::string& target, Identity source) {
    // This process's fds, for unmounting the tree by its fd: opened before setns, as the
    // container's /proc (of its own pid namespace) has no entry for this process.
    const UniqueFd own_fds(::openat(open_process_dir(::getpid()).get(), "fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!own_fds) return sys_failure("open this process's fd directory", errno);
    if (::setns(pidfd, CLONE_NEWNS) != 0) return sys_failure("setns into the container's mount namespace", errno);
    auto target_fd = context(open_in_root(rootfs_fd, target, O_PATH, k_target_resolve), "open mount target");
    if (!target_fd) return target_fd.error();
    if (::syscall(SYS_move_mount, tree, "", target_fd.value().get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
        return sys_failure("move_mount onto '" + target + "'", errno);
    const Status verified = verify_mount(rootfs_fd, target, source);
    if (verified) return verified;
    if (const Status undone = detach_mount(own_fds.get(), tree); !undone)
        return failure(verified.error().message + "; and it could not be unmounted again: " + undone.error().message);
    return verified;
}

} // namespace

void check_container_pid(pid_t pid) {
    const char* why = pid <= 1 ? "not a container's process" : pid == ::getpid() ? "xarch-hook itself"
                    : pid == ::getppid() ? "the process that runs xarch-hook (the runtime)" : nullptr;
    if (why) throw Error("refusing to enter the namespaces of pid " + std::to_string(pid) + ": " + why);
}

UniqueFd open_process_dir(pid_t pid, const std::filesystem::path& proc) {
    const UniqueFd root(::open(proc.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) throw SysError("open '" + proc.string() + "'", errno);
    struct statfs fs {};
    if (::fstatfs(root.get(), &fs) != 0) throw SysError("statfs '" + proc.string() + "'", errno);
    if (fs.f_type != PROC_SUPER_MAGIC)
        throw Error("'" + proc.string() + "' is not the proc file system (something is mounted over it); it cannot be "
                    "trusted to name the container's process");
    // Pids in the OCI state are the runtime's, which shares the hook's pid namespace: "self"
    // names this process only in a proc of that namespace.
    char self[32] = {};
    const ssize_t n = ::readlinkat(root.get(), "self", self, sizeof self - 1);
    if (n <= 0 || std::string(self, static_cast<std::size_t>(n)) != std::to_string(::getpid()))
        throw Error("'" + proc.string() + "' is the proc file system of another pid namespace; it cannot be trusted "
                    "to name the container's process");
    struct open_how how {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH;
    const std::string name = std::to_string(pid);
    const long fd = ::syscall(SYS_openat2, root.get(), name.c_str(), &how, sizeof how);
    if (fd < 0 && errno == EXDEV)
        throw Error("'" + (proc / name).string() + "' has something mounted over it; it cannot be trusted to be process " +
                    name);
    if (fd < 0) throw SysError("open '" + (proc / name).string() + "'", errno);
    return UniqueFd(static_cast<int>(fd));
}

Status detach_mount(int own_fds, int mount_fd) {
    // The fd names the attached mount; <own_fds>/<fd> leads to its root, whatever its path.
    if (::fchdir(own_fds) != 0) return sys_failure("change to this process's fd directory", errno);
    if (::umount2(std::to_string(mount_fd).c_str(), MNT_DETACH) != 0) return sys_failure("unmount by fd", errno);
    return done();
}

bool process_has_own_userns(pid_t pid) {
    const Process p = open_process(pid);
    const Process self = open_process(::getpid());
    return !(identity(namespace_of(p.pidfd.get(), p.dir.get(), "user").get(), "user namespace") ==
             identity(namespace_of(self.pidfd.get(), self.dir.get(), "user").get(), "own user namespace"));
}

bool process_maps_host_root(pid_t pid) {
    if (!process_has_own_userns(pid)) return false;
    const Process p = open_process(pid);
    const UniqueFd map(::openat(p.dir.get(), "uid_map", O_RDONLY | O_CLOEXEC));
    if (!map) throw SysError("open the uid_map of process " + std::to_string(pid), errno);
    // Read from this namespace, the map's outside ids are ids here.
    return child_maps_host_root(parse_id_map(read_fd_capped(map.get(), 64 * 1024)), this_user_namespace());
}

std::vector<std::string> missing_paths(const Rootfs& rootfs, const std::string& target) {
    const auto parts = components(target);
    std::vector<std::string> missing;
    for (std::size_t i = 1; i <= parts.size(); ++i) {
        const std::string path = prefix_path(parts, i);
        if (!missing.empty()) {
            missing.push_back(path);
            continue;
        }
        // The runtime will create what is missing, following symlinks as it goes: allow none.
        const auto fd = open_in_root(rootfs.fd(), path, O_PATH | (i < parts.size() ? O_DIRECTORY : 0),
                                     k_target_resolve | RESOLVE_NO_SYMLINKS);
        if (fd.failed_with(ENOENT)) {
            missing.push_back(path);
            continue;
        }
        if (!fd) target_error(path, fd.error().err);
    }
    return missing;
}

std::vector<std::string> create_mount_target(const Rootfs& rootfs, const std::string& target) {
    const auto parts = components(target);
    std::vector<std::string> created;
    try {
        for (std::size_t i = 1; i <= parts.size(); ++i) {
            const bool last = i == parts.size();
            const std::string path = prefix_path(parts, i);
            const auto fd = open_in_root(rootfs.fd(), path, O_PATH | (last ? 0 : O_DIRECTORY), k_target_resolve);
            if (fd) continue;
            if (!fd.failed_with(ENOENT)) target_error(path, fd.error().err);
            // Create relative to the parent we resolved inside the rootfs, never by path.
            const UniqueFd parent = open_dir(rootfs, prefix_path(parts, i - 1));
            const int rc = last ? ::mknodat(parent.get(), parts[i - 1].c_str(), S_IFREG | 0644, 0)
                                : ::mkdirat(parent.get(), parts[i - 1].c_str(), 0755);
            if (rc != 0 && errno != EEXIST) throw SysError("create '" + path + "' in rootfs", errno);
            if (rc == 0) created.push_back(path);
        }
    } catch (...) {
        remove_created(rootfs, created);
        throw;
    }
    return created;
}

std::size_t remove_created(const Rootfs& rootfs, const std::vector<std::string>& created) {
    std::size_t removed = 0;
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
        try {
            const std::filesystem::path p(*it);
            auto opened = open_in_root(rootfs.fd(), p.parent_path().string(), O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
            if (!opened) continue;
            const UniqueFd owned = std::move(opened).value();
            const int parent = owned.get();
            const std::string name = p.filename().string();
            struct stat st {};
            if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            int rc = -1;
            if (S_ISREG(st.st_mode) && st.st_size == 0) rc = ::unlinkat(parent, name.c_str(), 0);
            else if (S_ISDIR(st.st_mode)) rc = ::unlinkat(parent, name.c_str(), AT_REMOVEDIR);
            if (rc == 0) ++removed;
        } catch (const std::exception&) {
            // best effort: a path we cannot inspect is left alone
        }
    }
    return removed;
}

namespace {

// A running container as the hook sees it: a pidfd for its init and its rootfs as its own
// mount namespace sees it.
struct ContainerView {
    UniqueFd pidfd;
    UniqueFd userns; // its namespaces, opened while the hook still holds all its privileges: once in
    UniqueFd mntns;  // the container's user namespace, setns by pidfd would need ptrace rights over
                     // runc's non-dumpable init, which only the host's root has
    UniqueFd rootfs; // in the container's mount namespace
};

ContainerView open_container(pid_t pid, const std::filesystem::path& rootfs) {
    check_container_pid(pid);
    ContainerView c;
    Process p = open_process(pid);
    const std::string proc = "/proc/" + std::to_string(pid);
    UniqueFd proc_root(::openat(p.dir.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!proc_root) throw SysError("open '" + proc + "/root'", errno);
    c.userns = namespace_of(p.pidfd.get(), p.dir.get(), "user");
    c.mntns = namespace_of(p.pidfd.get(), p.dir.get(), "mnt");
    const Process self = open_process(::getpid());
    if (identity(c.mntns.get(), "mount namespace") ==
        identity(namespace_of(self.pidfd.get(), self.dir.get(), "mnt").get(), "own mount namespace"))
        throw Error("container process " + std::to_string(pid) + " shares the hook's mount namespace");
    c.pidfd = std::move(p.pidfd);
    // Everything above was opened by pid; the pidfd proves that pid still names the same process.
    if (::syscall(SYS_pidfd_send_signal, c.pidfd.get(), 0, nullptr, 0) != 0)
        throw SysError("container process " + std::to_string(pid), errno);

    const UniqueFd host_rootfs(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!host_rootfs) throw SysError("open rootfs '" + rootfs.string() + "'", errno);
    c.rootfs = container_rootfs(proc_root.get(), rootfs, identity(host_rootfs.get(), "rootfs"));
    return c;
}

// Runs `work` in a forked child (which may join namespaces; the hook itself never does) that
// dies with the hook, holds none of the runtime's pipes (stdio is /dev/null) and keeps only
// the fds in `keep` (not the hook's log, record lock or config.json), and throws Error with
// `what` and the child's failure if it fails or does not finish in time.
void run_in_child(const std::string& what, const std::vector<int>& keep, const std::function<Status()>& work) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw SysError("pipe", errno);
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    const UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) throw SysError("open '/dev/null'", errno);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) throw SysError("fork", errno);
    if (child == 0) {
        rd.reset();
        std::vector<int> kept = keep;
        kept.push_back(wr.get());
        if (!isolate_child(parent, devnull.get(), std::move(kept))) ::_exit(1);
        std::string err;
        try {
            if (const Status s = work(); !s) err = s.error().message;
        } catch (const std::exception& e) {
            err = e.what();
        } catch (...) {
            // Nothing may unwind out of the child into the parent's code it shares.
            err = "unexpected exception";
        }
        if (!err.empty()) (void)!::write(wr.get(), err.data(), err.size());
        ::_exit(err.empty() ? 0 : 1);
    }
    wr.reset();
    UniqueFd child_fd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    const int status = wait_child(child, child_fd ? child_fd.get() : -1,
                                  std::chrono::steady_clock::now() + std::chrono::milliseconds(k_child_timeout_ms))
                           .status;
    std::string err;
    try {
        err = read_fd_capped(rd.get(), 4096, std::chrono::milliseconds(100));
    } catch (const Error&) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(what + ": " + (err.empty() ? "helper process failed" : err));
}

} // namespace

std::vector<std::string> bind_into_container(pid_t pid, const std::filesystem::path& rootfs,
                                             const std::filesystem::path& source, const std::string& target) {
    const ContainerView c = open_container(pid, rootfs);
    const Rootfs inside(UniqueFd(::fcntl(c.rootfs.get(), F_DUPFD_CLOEXEC, 3)));

    // Check the emulator on the fd that is then mounted, so nothing can be swapped in between.
    const UniqueFd source_fd(::open(source.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!source_fd) throw SysError("open emulator '" + source.string() + "'", errno);
    struct stat source_st {};
    if (::fstat(source_fd.get(), &source_st) != 0) throw SysError("stat emulator '" + source.string() + "'", errno);
    if (!S_ISREG(source_st.st_mode)) throw Error("emulator '" + source.string() + "' is not a regular file");
    if (const auto problem = file_ownership_problem(source_fd.get(), source_st))
        throw Error("emulator '" + source.string() + "' " + *problem);
    UniqueFd tree(static_cast<int>(
        ::syscall(SYS_open_tree, source_fd.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
    if (!tree) throw SysError("open_tree '" + source.string() + "'", errno);
    const Identity source_id = identity(tree.get(), "'" + source.string() + "'");
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    attr.propagation = MS_PRIVATE;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
        throw SysError("make '" + source.string() + "' read-only", errno);

    // Already there (the hook ran at another stage too, or again): a read-only, nosuid mount
    // of this very file at the target. Nothing more to do, and nothing was created by this run.
    if (auto there = open_in_root(inside.fd(), target, O_PATH)) {
        struct stat st {};
        struct statvfs vfs {};
        if (::fstat(there.value().get(), &st) == 0 && ::fstatvfs(there.value().get(), &vfs) == 0 &&
            Identity{st.st_dev, st.st_ino} == source_id && (vfs.f_flag & ST_RDONLY) != 0 && (vfs.f_flag & ST_NOSUID) != 0)
            return {};
    }
    const auto created = create_mount_target(inside, target);
    try {
        const auto target_fd = open_in_root(inside.fd(), target, O_PATH, k_target_resolve);
        if (!target_fd) target_error(target, target_fd.error().err);
        struct stat st {};
        if (::fstat(target_fd.value().get(), &st) != 0 || !S_ISREG(st.st_mode))
            throw Error("mount target '" + target + "' in the rootfs is not a regular file");
        run_in_child("mount emulator at '" + target + "' in container", {c.pidfd.get(), tree.get(), inside.fd()}, [&] {
            return attach_in_namespace(c.pidfd.get(), tree.get(), inside.fd(), target, source_id);
        });
    } catch (...) {
        remove_created(inside, created);
        throw;
    }
    return created;
}

std::vector<std::string> register_in_container(pid_t pid, const std::filesystem::path& rootfs, const BinfmtState* seed,
                                               const BinfmtEntry& entry) {
    const ContainerView c = open_container(pid, rootfs);
    if (!process_has_own_userns(pid)) throw Error("the container has no user namespace of its own");
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw SysError("pipe", errno);
    UniqueFd skipped_rd(pipefd[0]), skipped_wr(pipefd[1]);
    run_in_child("register '" + entry.name + "' in the container's user namespace",
                 {c.userns.get(), c.mntns.get(), c.rootfs.get(), skipped_wr.get()}, [&]() -> Status {
        // Into the container's user namespace, and a mount namespace of its own there: the
        // instance belongs to the container's namespace, and F opens the host's emulator.
        if (::setns(c.userns.get(), CLONE_NEWUSER) != 0) return sys_failure("setns into the container's user namespace", errno);
        if (::unshare(CLONE_NEWNS) != 0) return sys_failure("unshare the mount namespace", errno);
        BinfmtInstance instance = open_binfmt_instance(seed, entry);
        std::string skipped;
        for (const auto& s : instance.skipped) skipped += s + "\n";
        (void)!::write(skipped_wr.get(), skipped.data(), std::min<std::size_t>(skipped.size(), 4000));
        // The instance lives as long as a mount of it: attach it inside the container, read-only.
        if (::setns(c.mntns.get(), CLONE_NEWNS) != 0) return sys_failure("setns into the container's mount namespace", errno);
        auto target = context(open_in_root(c.rootfs.get(), k_binfmt_default_dir, O_PATH | O_DIRECTORY),
                              "the container's binfmt_misc directory");
        if (!target) return target.error();
        struct statfs fs {};
        if (::fstatfs(target.value().get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC)
            return failure(std::string("the container's ") + k_binfmt_default_dir + " is not in /proc");
        if (::syscall(SYS_move_mount, instance.mount.get(), "", target.value().get(), "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
            return sys_failure("attach the binfmt_misc instance in the container", errno);
        struct mount_attr attr {};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, instance.mount.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
            return sys_failure("make the container's binfmt_misc read-only", errno);
        return done();
    });
    skipped_wr.reset();
    std::vector<std::string> skipped;
    try {
        std::istringstream in(read_fd_capped(skipped_rd.get(), 8192, std::chrono::milliseconds(100)));
        for (std::string l; std::getline(in, l);)
            if (!l.empty()) skipped.push_back(l);
    } catch (const Error&) {
    }
    return skipped;
}

} // namespace oci
