#pragma once
// The kernel's side of binfmt_misc, written from fs/binfmt_misc.c (bm_entry_read) as an oracle
// for the fuzz targets: the text an entry file shows. What a register write becomes is the
// library's registered_by_line (xarch reads binfmt.d lines with it to tell whether another file
// registers an entry the same way).
#include "binfmt/binfmt.hpp"

#include <cstring>
#include <optional>
#include <string>

namespace fuzz {

// What the kernel registers for one write of `line` to `register`: the library's reading of
// fs/binfmt_misc.c, which the targets check against registration_line and the entry text below.
inline std::optional<oci::BinfmtEntry> kernel_register(const std::string& line) { return oci::registered_by_line(line); }

// The text of /proc/sys/fs/binfmt_misc/<name> for an entry (bm_entry_read), flags in the
// kernel's order.
inline std::string kernel_entry_text(const oci::BinfmtEntry& e) {
    std::string t = e.enabled ? "enabled\n" : "disabled\n";
    t += "interpreter " + e.interpreter + "\n";
    t += "flags: ";
    for (char f : std::string("POCF"))
        if (e.has_flag(f)) t.push_back(f);
    t += "\n";
    if (e.type == 'E') {
        t += "extension ." + e.extension + "\n";
    } else {
        t += "offset " + std::to_string(e.offset) + "\n";
        t += "magic " + oci::to_hex(e.magic) + "\n";
        if (!e.mask.empty()) t += "mask " + oci::to_hex(e.mask) + "\n";
    }
    return t;
}

} // namespace fuzz
