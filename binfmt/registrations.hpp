#pragma once
// The record of the binfmt_misc entries xarch itself registered host-wide (`xarch install`, and
// the hook under policy `register`), so that purging the package can remove those and only
// those. One file per entry in <state_dir>/registrations (/run/xarch/registrations: /run lives
// exactly as long as the registrations do), named after the entry and holding the kernel's own
// view of it (its file in binfmt_misc) as read right after xarch registered it. An entry counts
// as made by xarch only while its file still reads exactly so: one that was changed, disabled,
// or removed and registered again by someone else does not. Files are replaced atomically, one
// per entry, so hooks registering at the same time need no lock. packaging/debian/postrm makes
// the same comparison in shell when the package is purged.
#include "binfmt/binfmt.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace oci {

constexpr const char* k_registrations_subdir = "registrations";

// "<state_dir>/registrations". Does not throw.
std::filesystem::path registrations_dir(const std::filesystem::path& state_dir);

// Records `entry`, which xarch has just registered in binfmt_misc at `binfmt_dir`: reads the
// entry's file back and writes it to <record_dir>/<name> (directory created 0755, file 0644),
// but only if what the kernel holds under that name is `entry` (same_registration, enabled).
// Returns false, recording nothing, otherwise. Throws Error/SysError on I/O failures.
bool record_registration(const std::filesystem::path& record_dir, const std::filesystem::path& binfmt_dir,
                         const BinfmtEntry& entry);

// Forgets entry `name` (xarch removed it). Absent records are no error; throws SysError otherwise.
void drop_registration(const std::filesystem::path& record_dir, const std::string& name);

// The names of recorded entries whose files in binfmt_misc at `binfmt_dir` still read exactly as
// recorded, sorted. Does not throw (an unreadable record or entry does not count).
std::vector<std::string> registrations_made(const std::filesystem::path& record_dir, const std::filesystem::path& binfmt_dir);

} // namespace oci
