#pragma once
// Host-wide emulation setup for the admin CLI: which platforms a name means, which
// binfmt_misc entries serve a platform, and plans for install, uninstall and reset that are
// pure functions over plain facts, carried out by small apply functions that undo what they
// did when a step fails (nothing is left half-registered).
#include "base/error.hpp"
#include "base/platform.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/host.hpp"
#include "binfmt/persist.hpp"
#include "binfmt/registrations.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oci {

// The catalogue platform whose programs `entry` claims (tested against that platform's exit
// probe); nullopt for entries of other kinds (extensions, interpreters for scripts, unknown machines).
std::optional<Platform> entry_platform(const BinfmtEntry& entry);

// Every entry, enabled or not, that claims programs of `platform`, newest first.
std::vector<const BinfmtEntry*> entries_for(const BinfmtState& state, const Platform& platform);

// True if two registrations behave the same (name, magic, mask, offset, interpreter, flags;
// flag order is irrelevant and C implies O, as in the kernel). The enabled state is not compared.
bool same_registration(const BinfmtEntry& a, const BinfmtEntry& b);

// A platform argument: OCI names (arm64, linux/arm/v7, 386), qemu names (aarch64, i386,
// mips64el) and Debian names (armhf, ppc64el). Throws ArgumentError for anything else,
// listing the names xarch knows.
Platform parse_platform_arg(std::string_view name);

// The platforms the host runs without an emulator, each verified where it can be: the host's
// own platform, and 386 on amd64 or arm on arm64 only when the native probe runs (a probe that a
// binfmt_misc entry would intercept cannot be verified and counts as not native). Does not throw.
std::vector<Platform> native_platforms(const Platform& host, const std::optional<BinfmtState>& binfmt);

enum class InstallMode { Auto, Registration, Execution };

// "auto", "registration" or "execution"; throws ArgumentError.
InstallMode parse_install_mode(std::string_view name);
const char* to_string(InstallMode mode);

struct InstallOptions {
    InstallMode mode = InstallMode::Auto;
    bool replace = false;        // replace existing entries for the platform
    bool credential = false;     // C flag (implies O): setuid foreign binaries get their privileges
    // P flag (with O): the program sees its real argv[0]. nullopt: where Debian's T-binfmt-P name
    // of the emulator exists (which tells qemu about P on any kernel).
    std::optional<bool> preserve_argv0;
    // O with P (the kernel opens the program for the emulator). Off where the entry must be what
    // binfmt-support registers at boot, which has no O without C.
    bool open_binary = true;
};

struct InstallFacts {
    Platform host;
    bool fix_binary = true;                       // the kernel supports the F flag
    std::string kernel;                           // its release, for messages
    BinfmtState binfmt;
    std::vector<Platform> native;                 // from native_platforms
    std::map<std::string, FoundEmulator> emulators; // by qemu target
    std::vector<std::filesystem::path> emulator_dirs; // where they were looked for, for messages
};

enum class StepKind {
    Register, // nothing serves the platform: register `entry`
    Replace,  // remove `remove`, then register `entry`
    Keep,     // `entry` is registered and stays: identical to the request, or --replace not given
    Skip,     // "all" passes over this platform (native, or no emulator): `message` says why
};

struct InstallStep {
    StepKind kind = StepKind::Skip;
    Platform platform;
    BinfmtEntry entry;
    std::vector<BinfmtEntry> remove;
    bool identical = false; // Keep: the registered entry is exactly what was asked for
    std::string message;    // Keep and Skip: what the user should know
};

struct InstallPlan {
    InstallMode mode = InstallMode::Registration; // resolved: Registration or Execution
    std::string mode_note;                        // how auto chose, or empty
    std::vector<InstallStep> steps;
    std::vector<std::string> errors;              // if any, nothing may be done
};

// Plans `xarch install`: resolves the mode, the emulator and entry for every platform
// (`all`: every catalogue platform the host does not run natively and has an emulator for).
// Problems with explicitly named platforms become errors; nothing is changed by planning.
// Does not throw for any facts.
InstallPlan plan_install(const std::vector<Platform>& platforms, bool all, const InstallOptions& options,
                         const InstallFacts& facts);

struct RemovalPlan {
    std::vector<BinfmtEntry> remove;  // entries to remove, newest first
    std::vector<std::string> names;   // entry names whose xarch binfmt.d files go too
    std::vector<std::string> notes;   // "nothing is registered for linux/arm64"
};

// Plans `xarch uninstall ARG...`: ARG is "all" (every entry serving a catalogue platform), a
// platform name (every entry serving it) or an entry name. Throws ArgumentError for an ARG that
// is none of these.
RemovalPlan plan_uninstall(const std::vector<std::string>& args, const BinfmtState& state);

// True for entries qemu's tools, Debian, tonistiigi/binfmt or xarch registered: the name
// starts with "qemu-" or the interpreter path mentions qemu.
bool is_qemu_entry(const BinfmtEntry& entry);

// Plans `xarch reset`: every qemu entry.
RemovalPlan plan_reset(const BinfmtState& state);

// What outlives the command: where binfmt.d files are written (`persist_dir`, normally
// /etc/binfmt.d; nullopt: none), binfmt-support's database, and the record of registrations.
struct PersistOptions {
    std::optional<std::filesystem::path> dir;
    bool mask_others = false; // removal: also mask other binfmt.d files that register the entry at boot
    std::filesystem::path binfmt_support_dir = k_binfmt_support_dir; // binfmt-support's database
    // Install: persist through binfmt-support, running this update-binfmts (instead of `dir`).
    // Removal: xarch's own database entries are removed through it (nullopt: they are only named).
    std::optional<std::filesystem::path> update_binfmts{};
    bool binfmt_support = false; // install: persist through update_binfmts
    // registration_records(state_dir): entries registered are recorded there (with a runtime
    // binfmt.d file unless persisted), removed ones dropped.
    std::optional<RegistrationRecords> records{};
};

// Carries out an install plan in binfmt_misc at `dir` and, with `persist.dir`, writes one
// binfmt.d file per registered entry; with `persist.binfmt_support`, installs each into
// binfmt-support's database as package xarch instead (an entry there of another package is
// refused before anything changes). Registered entries are recorded in `persist.records`. On any failure every change made so far is undone
// (entries removed or re-registered, files restored) and the error is thrown (Error/SysError).
// Returns one line per change for the user.
std::vector<std::string> apply_install(const InstallPlan& plan, const std::filesystem::path& dir,
                                       const PersistOptions& persist);

// Carries out a removal plan: removes entries (re-registering them if a later removal fails, then
// throwing), their records, xarch's own binfmt.d files and binfmt-support entries for them; with `mask_others`, masks other binfmt.d
// files that would register them again at boot. Returns lines for the user, including notes
// about such files when they are not masked. Throws Error/SysError.
std::vector<std::string> apply_removal(const RemovalPlan& plan, const std::filesystem::path& dir,
                                       const PersistOptions& persist);

// Why xarch cannot change binfmt_misc at `dir` (not root, read-only), or nullopt if it can.
std::optional<std::string> binfmt_write_problem(const std::filesystem::path& dir);

} // namespace oci
