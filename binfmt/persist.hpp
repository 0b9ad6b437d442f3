#pragma once
// binfmt.d files, so that systemd-binfmt registers xarch's entries again at boot (or, where
// binfmt-support does that instead, its database through update-binfmts). xarch
// writes "<entry name>.conf" into /etc/binfmt.d, which also overrides a same-named file of a
// package in /usr/lib/binfmt.d (Debian's qemu-user-static ships qemu-<target>.conf). Files
// xarch did not write are never overwritten or removed silently.
#include "binfmt/binfmt.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oci {

constexpr const char* k_binfmt_d_dir = "/etc/binfmt.d";

// The first line of every file xarch writes; how it recognises its own files.
constexpr const char* k_persist_marker = "# Written by xarch";

// systemd-binfmt's search path, highest precedence first, with /etc/binfmt.d replaced by
// `persist_dir` (so tests can use a private directory).
std::vector<std::filesystem::path> binfmt_d_dirs(const std::filesystem::path& persist_dir);

// "<dir>/<name>.conf".
std::filesystem::path persist_path(const std::filesystem::path& dir, const std::string& name);

// The file xarch writes for an entry: the marker, how to remove it, the registration line.
// Throws Error if the entry cannot be registered (see registration_line).
std::string persist_content(const BinfmtEntry& entry);

// The entry names a binfmt.d file registers (one registration per non-comment line, whose
// first character is the field delimiter).
std::vector<std::string> binfmt_d_names(const std::string& content);

enum class PersistState {
    Absent,
    Ours,    // written by xarch
    Masked,  // a symlink to /dev/null (systemd's way to disable a file of the same name)
    Foreign, // anything else: someone else's file
};

// What is at `path`, without following a symlink. Throws SysError on I/O errors.
PersistState persist_state(const std::filesystem::path& path);

// Writes the file for `entry` atomically (0644), creating `dir` if needed. Throws Error/SysError.
void write_persist(const std::filesystem::path& dir, const BinfmtEntry& entry);

// The effective binfmt.d files (after systemd's same-name overrides) that register entry
// `name` at boot, searching `dirs` in precedence order; masked and unreadable files are
// passed over. Does not throw.
std::vector<std::filesystem::path> boot_sources(const std::string& name, const std::vector<std::filesystem::path>& dirs);

// binfmt-support (update-binfmts), which Debian's qemu-user-static uses where it is installed:
// its database, one file per entry name, is enabled again at every boot by its service.
constexpr const char* k_binfmt_support_dir = "/var/lib/binfmts";

struct BinfmtSupportEntry {
    std::filesystem::path file; // <admindir>/<name>
    std::string package;        // the package that installed it ("qemu-user-static"), or ":" for a local one
    std::string interpreter;
};

// The binfmt-support database entry `name` in `admindir`, or nullopt if there is none (or it
// cannot be read). Does not throw.
std::optional<BinfmtSupportEntry> binfmt_support_entry(const std::string& name, const std::filesystem::path& admindir);

// The update-binfmts command that stops binfmt-support from registering `e` at boot.
std::string binfmt_support_remove_command(const std::string& name, const BinfmtSupportEntry& e);

// The package name xarch's own binfmt-support entries carry (update-binfmts --package xarch).
constexpr const char* k_binfmt_support_package = "xarch";

// How `install --persist` makes an entry survive a reboot: a binfmt.d file that systemd-binfmt
// reads, or an entry in binfmt-support's database, which its service enables at boot.
enum class PersistVia { BinfmtD, BinfmtSupport };

// "binfmt.d" or "binfmt-support".
const char* to_string(PersistVia via);

// "binfmt.d" or "binfmt-support"; throws ArgumentError.
PersistVia parse_persist_via(std::string_view name);

// The choice when none is given: binfmt-support where systemd is not what booted the machine
// (so no systemd-binfmt runs at boot) and update-binfmts is installed; binfmt.d otherwise (also
// where neither runs: the file is right for a machine that later boots with systemd). Does not throw.
PersistVia choose_persist_via(bool systemd_booted, bool update_binfmts_installed);

// Whether systemd booted this machine (its sd_booted() test: /run/systemd/system is a directory).
// Does not throw.
bool systemd_booted();

// update-binfmts in /usr/sbin or /sbin, or nullopt. Does not throw.
std::optional<std::filesystem::path> find_update_binfmts();

// The arguments (after the program) that install `entry` into binfmt-support's database at
// `admindir` as package xarch. binfmt-support can express the flags P, C and F only (C brings
// O with it in the kernel); throws Error for an entry it cannot hold as it is (O without C, an
// extension entry) or that registration_line rejects. `procdir` is passed (update-binfmts'
// --procdir) only when it is not the default binfmt_misc directory.
std::vector<std::string> update_binfmts_install_args(const BinfmtEntry& entry, const std::filesystem::path& admindir,
                                                     const std::filesystem::path& procdir);

// The arguments that remove xarch's entry `name` (interpreter `interpreter`) from the database;
// update-binfmts also removes the kernel's entry of that name, if there is one. Does not throw.
std::vector<std::string> update_binfmts_remove_args(const std::string& name, const std::string& interpreter,
                                                    const std::filesystem::path& admindir,
                                                    const std::filesystem::path& procdir);

// The command as a shell line, for messages (arguments quoted where needed). Does not throw.
std::string shell_command(const std::filesystem::path& program, const std::vector<std::string>& args);

// Runs update-binfmts (`program` with `args`, no shell, stdin /dev/null) and waits up to 30 s.
// Throws Error with the command and its output when it cannot run or exits non-zero.
void run_update_binfmts(const std::filesystem::path& program, const std::vector<std::string>& args);

} // namespace oci
