#pragma once
// What `xarch status` reports: the host, binfmt_misc and every entry in it with warnings,
// the emulators installed, and which platforms really run, proven by executing a probe
// program per platform. The JSON form is a stable interface (schema_version 1), documented in
// the xarch(1) man page; fields are only ever added.
#include "base/platform.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"
#include "oci/rootfs.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

// A host file as binfmt_misc would use it as an interpreter (following symlinks, like the kernel).
struct InterpreterInfo {
    std::string path;
    bool exists = false;
    std::string resolved;            // the file the path names after symlinks
    bool regular = false;
    uid_t uid = 0;
    mode_t mode = 0;
    std::optional<Platform> platform; // of its ELF header; nullopt if not ELF or unknown machine
    std::optional<bool> is_static;    // nullopt if not ELF or its program headers are out of reach
    std::string loader;               // PT_INTERP of a dynamic one
    std::string path_problem;         // on the host: who else could replace it (path_ownership_problem)

    // Owned by someone other than root, or writable by group or others.
    bool writable_by_others() const { return exists && (uid != 0 || (mode & 022) != 0); }
};

// Inspects `path` on the host, never opening anything but a regular file. Does not throw.
InterpreterInfo inspect_interpreter(const std::string& path);

// The same for a file inside a rootfs (resolved with RESOLVE_IN_ROOT); nullopt if it is absent.
// Does not throw.
std::optional<InterpreterInfo> inspect_interpreter_in(const Rootfs& rootfs, const std::string& path);

struct Warning {
    std::string code;    // stable: credential, interpreter-missing, interpreter-writable, interpreter-dynamic,
                         // interpreter-wrong-machine, host-platform, shadowed
    std::string message;
};

struct EntryReport {
    BinfmtEntry entry;
    std::optional<Platform> platform; // the catalogue platform it claims
    InterpreterInfo interpreter;
    std::vector<Warning> warnings;
};

// The warnings for one entry of `state` on `host`. Pure; does not throw.
std::vector<Warning> entry_warnings(const BinfmtEntry& entry, const std::optional<Platform>& platform,
                                    const InterpreterInfo& interpreter, const Platform& host, const BinfmtState& state);

struct EmulatorReport {
    Platform platform;
    std::string qemu;
    FoundEmulator found;
};

struct PlatformReport {
    Platform platform;
    bool runs = false;            // its probe exited 0
    std::optional<bool> native;   // the kernel runs it itself; nullopt: cannot tell (an entry intercepts the probe)
    std::string entry;            // the binfmt_misc entry that handles it, empty if none
    std::string error;            // why the probe did not exit 0
    // It would also run in an empty root (natively, or through an entry with the F flag, whose
    // interpreter the kernel opened at registration): BuildKit in a container (docker buildx's
    // docker-container driver) checks a platform by running a static program in an empty chroot.
    bool empty_root = false;
};

struct StatusReport {
    Platform host;
    std::string kernel;
    bool fix_binary = false;
    bool binfmt_userns = false;
    std::vector<Platform> native;
    std::optional<std::filesystem::path> binfmt_dir; // nullopt: not mounted
    bool binfmt_enabled = false;
    bool binfmt_writable = false;
    std::vector<EntryReport> entries;      // newest first: the order the kernel tries them
    std::vector<EmulatorReport> emulators; // catalogue platforms other than the host's
    std::vector<PlatformReport> platforms; // every platform xarch has a probe for
};


// Gathers everything `xarch status` shows; runs every probe (in parallel, bounded). Never
// mounts or changes anything. Throws Error/SysError when binfmt_misc cannot be read.
StatusReport gather_status(const std::vector<std::filesystem::path>& emulator_dirs);

// Builds an EntryReport (platform, interpreter inspection, warnings) for an entry of `state`.
EntryReport report_entry(const BinfmtEntry& entry, const Platform& host, const BinfmtState& state);

} // namespace oci
