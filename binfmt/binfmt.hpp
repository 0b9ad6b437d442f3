#pragma once
// binfmt_misc: where it is mounted, what is registered, which entry the kernel would pick
// for a file, and validated registration/removal.
#include "base/fd.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oci {

constexpr const char* k_binfmt_default_dir = "/proc/sys/fs/binfmt_misc";

struct BinfmtEntry {
    std::string name;
    bool enabled = true;
    std::string interpreter;
    std::string flags;        // the letters P, O, C, F in any order
    char type = 'M';          // 'M' magic, 'E' extension
    unsigned offset = 0;
    std::vector<std::uint8_t> magic;
    std::vector<std::uint8_t> mask; // same length as magic; all 0xff when none was given
    std::string extension;          // for type 'E'
    std::uint64_t sequence = 0;     // registration order, larger is newer: from binfmt_misc's directory
                                    // order, which is the kernel's search order (inode numbers are not:
                                    // the kernel hands them out in per-CPU batches)

    bool has_flag(char f) const { return flags.find(f) != std::string::npos; }
};

// Every binfmt_misc mount point in /proc/self/mountinfo text, in its order. Does not throw.
std::vector<std::filesystem::path> find_binfmt_mounts(const std::string& mountinfo);

// The first of them; nullopt if not mounted. Does not throw.
std::optional<std::filesystem::path> find_binfmt_mount(const std::string& mountinfo);

// Finds binfmt_misc (a listed mount point that really is binfmt_misc, not one covered by a
// later mount), mounting it at /proc/sys/fs/binfmt_misc if `may_mount`; nullopt if it is not
// mounted and may not (or cannot) be. Throws SysError on unexpected failures.
std::optional<std::filesystem::path> locate_binfmt(bool may_mount);

// Parses the text of /proc/sys/fs/binfmt_misc/<name>; throws Error on malformed text.
BinfmtEntry parse_binfmt_entry(const std::string& name, const std::string& text);

struct BinfmtState {
    bool enabled = true;             // the global "status" file
    std::vector<BinfmtEntry> entries; // newest registration first, as the kernel searches
};

// Reads every entry of a binfmt_misc directory; throws Error/SysError.
BinfmtState read_binfmt(const std::filesystem::path& dir);

// True if `entry` would claim a file with these first bytes and this name (kernel rules:
// masked magic at offset within the first 256 bytes, or the file-name extension).
bool binfmt_matches(const BinfmtEntry& entry, std::span<const std::uint8_t> head, const std::string& filename);

// The entry the kernel would use for the file: the newest enabled match; nullptr if none.
// A globally disabled binfmt_misc matches nothing.
const BinfmtEntry* find_handler(const BinfmtState& state, std::span<const std::uint8_t> head,
                                const std::string& filename);

// Flags in the one order xarch writes and prints them, the kernel's own (P, O, C, F, as its
// entry files show them), each once; C implies O, as in the kernel. Unknown letters are kept at
// the end, for registration_line to reject.
std::string binfmt_flags(std::string_view flags);

// The ":name:type:offset:magic:mask:interpreter:flags" line for `register`, with magic and
// mask hex-escaped; throws Error if a field is invalid (name, absolute interpreter of at
// most 127 bytes without ':' or newline, known flags, magic/mask sizes, offset).
std::string registration_line(const BinfmtEntry& entry);

// What the kernel registers for one write of `line` to `register` (read from fs/binfmt_misc.c:
// create_entry, scanarg, check_special_flags), or nullopt where it would say EINVAL: how a
// binfmt.d line is compared with an entry (same_registration). Does not throw.
std::optional<BinfmtEntry> registered_by_line(const std::string& line);

// Registers `entry` by one write to `<dir>/register`. Returns false if an entry with this
// name already exists (EEXIST); throws Error/SysError otherwise.
bool register_binfmt(const std::filesystem::path& dir, const BinfmtEntry& entry);

// Removes entry `name` (writes -1); returns false if it does not exist. Throws SysError.
bool remove_binfmt(const std::filesystem::path& dir, const std::string& name);

// Enables or disables entry `name` (writes 1 or 0); throws SysError.
void set_binfmt_enabled(const std::filesystem::path& dir, const std::string& name, bool enabled);

// A binfmt_misc instance of the caller's user namespace (Linux >= 6.7) as a detached mount.
struct BinfmtInstance {
    UniqueFd mount;                   // keeps the instance's entries alive while it is held or attached
    std::vector<std::string> skipped; // seed entries that could not be copied, as messages
};

// Gives the caller's user namespace its own binfmt_misc instance (or opens the one it has),
// registers `seed`'s entries there (oldest first, disabled ones disabled, any named like
// `added` left out) so that what ran before still runs, then `added`, which is thus the
// newest. Once created, an instance replaces the host's entries for the namespace until the
// namespace ends, and loses its entries when its last mount goes away (userns_facts.sh):
// whoever creates one must attach it where it lives as long as the namespace's users. Entries
// that cannot be copied (F with an interpreter gone from disk) come back as messages. Throws
// SysError if the instance cannot be created or `added` cannot be registered.
BinfmtInstance open_binfmt_instance(const BinfmtState* seed, const BinfmtEntry& added);

// open_binfmt_instance, then attached at `mount_point` in the caller's mount namespace.
// Returns the skipped seed entries. Throws SysError.
std::vector<std::string> create_binfmt_instance(const std::filesystem::path& mount_point, const BinfmtState* seed,
                                                const BinfmtEntry& added);

// Parses "7f454c46" style hex; throws Error.
std::vector<std::uint8_t> parse_hex(const std::string& hex);

// Formats bytes as lowercase hex ("7f454c46"), the form binfmt_misc prints magic and mask in.
std::string to_hex(std::span<const std::uint8_t> bytes);

} // namespace oci
