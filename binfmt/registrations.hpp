#pragma once
// The record of the binfmt_misc entries xarch itself registered host-wide (`xarch install`, and
// the hook under policy `register`), so that purging the package can remove those and only
// those, and the runtime binfmt.d file that keeps each of them registered across restarts of
// systemd-binfmt until reboot.
//
// One record per entry in <state_dir>/registrations (/run/xarch/registrations: /run lives exactly
// as long as the registrations do), named after the entry: "inode N" (the entry's inode in
// binfmt_misc), then the kernel's own view of it (its file there), as read right after xarch
// registered it. Comparing the text alone cannot tell whose an entry is: Debian's binfmt.d
// lines register byte for byte what xarch does, and systemd-binfmt removes every entry and
// registers its files' again whenever it restarts. The inode can: binfmt_misc gives every
// registration a new one. An entry is xarch's while
// - it is the very entry xarch registered: the same inode, reading the same; or
// - it reads the same and xarch's runtime file (below) is there: that file is what a restart of
//   systemd-binfmt registered it from (systemd-binfmt applies files in name order, each line
//   replacing an entry of the same name, so "xarch-NAME.conf" comes after a package's
//   "NAME.conf").
// Where systemd booted the machine, each record of an entry registered until reboot comes with
// <runtime_dir>/xarch-<name>.conf (/run/binfmt.d, which systemd-binfmt reads and a reboot
// empties): a restart of systemd-binfmt then registers the entry again instead of taking it
// away from running containers. Its own name keeps it clear of masks of a package's NAME.conf
// in /etc/binfmt.d. Where a binfmt.d file that systemd-binfmt reads (not masked) already
// registers the very same entry (Debian's qemu-user-binfmt does, byte for byte), there is no
// such file: the restart brings the entry back as the distribution's, and purge leaves it. Files are replaced atomically, one per entry, so hooks registering at the
// same time need no lock. packaging/debian/postrm makes the same judgement in shell when the
// package is purged.
#include "binfmt/binfmt.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

constexpr const char* k_registrations_subdir = "registrations";

// The binfmt.d directory systemd-binfmt reads that lasts only until reboot.
constexpr const char* k_runtime_binfmt_d_dir = "/run/binfmt.d";

// Where registrations are recorded, and where their runtime binfmt.d files go (none: no such files).
struct RegistrationRecords {
    std::filesystem::path dir;                               // <state_dir>/registrations
    std::optional<std::filesystem::path> runtime_binfmt_d{}; // /run/binfmt.d where systemd booted the machine
    // systemd-binfmt's directories, highest precedence first (binfmt_d_dirs): where another file
    // may register the entry the same way.
    std::vector<std::filesystem::path> binfmt_d{};
};

// "<state_dir>/registrations". Does not throw.
std::filesystem::path registrations_dir(const std::filesystem::path& state_dir);

// The records under `state_dir`, with /run/binfmt.d for runtime files and systemd-binfmt's
// directories where systemd booted the machine (systemd_booted()), none elsewhere, where nothing
// reads them. Does not throw.
RegistrationRecords registration_records(const std::filesystem::path& state_dir);

// "<runtime_binfmt_d>/xarch-<name>.conf". Does not throw.
std::filesystem::path runtime_binfmt_d_path(const std::filesystem::path& runtime_binfmt_d, const std::string& name);

// How long a recorded registration is meant to last.
enum class Lasting {
    UntilReboot, // registered now only: a runtime binfmt.d file keeps it across systemd-binfmt restarts
    Persisted,   // also in /etc/binfmt.d or binfmt-support's database: no runtime file (one left is removed)
};

// Records `entry`, which xarch has just registered in binfmt_misc at `binfmt_dir`: writes its
// inode and the kernel's view of it to <records.dir>/<name> (directory created 0755, file 0644)
// and, for Lasting::UntilReboot with records.runtime_binfmt_d set, its runtime binfmt.d file
// unless a file in records.binfmt_d registers the same entry;
// but only if what the kernel holds under that name is `entry` (same_registration, enabled).
// Returns false, recording nothing, otherwise. Throws Error/SysError on I/O failures.
bool record_registration(const RegistrationRecords& records, const std::filesystem::path& binfmt_dir,
                         const BinfmtEntry& entry, Lasting lasting = Lasting::UntilReboot);

// Forgets entry `name` (xarch removed it): its record and xarch's runtime binfmt.d file for it.
// Absent files are no error; a runtime file of that name that is not xarch's stays. Throws
// SysError otherwise.
void drop_registration(const RegistrationRecords& records, const std::string& name);

// The names of recorded entries that are xarch's by the rules above, sorted. Does not throw (an
// unreadable record or entry does not count).
std::vector<std::string> registrations_made(const RegistrationRecords& records, const std::filesystem::path& binfmt_dir);

} // namespace oci
