#pragma once
// The kernel's side of binfmt_misc, written from fs/binfmt_misc.c (create_entry, scanarg,
// check_special_flags, bm_entry_read) as an oracle for the fuzz targets: what a register write
// becomes, and the text an entry file then shows. Test code only; xarch never parses register
// lines (it writes them) and reads entries through parse_binfmt_entry.
#include "binfmt/binfmt.hpp"

#include <cstring>
#include <optional>
#include <string>

namespace fuzz {

// UNESCAPE_HEX: "\xHH" becomes one byte, anything else is kept.
inline std::vector<std::uint8_t> kernel_unescape_hex(const std::string& s) {
    std::vector<std::uint8_t> out;
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'x' && i + 2 < s.size() && hex(s[i + 2]) >= 0) {
            int v = hex(s[i + 2]);
            i += 2;
            if (i + 1 < s.size() && hex(s[i + 1]) >= 0) v = v * 16 + hex(s[++i]);
            out.push_back(static_cast<std::uint8_t>(v));
        } else {
            out.push_back(static_cast<std::uint8_t>(s[i]));
        }
    }
    return out;
}

// What the kernel registers for one write of `line` to `register`; nullopt where it says EINVAL.
inline std::optional<oci::BinfmtEntry> kernel_register(const std::string& line) {
    if (line.size() < 11 || line.size() > 1920) return std::nullopt;
    // The kernel pads the copied buffer with 8 delimiters and works on C strings.
    const char del = line[0];
    std::string buf = line + std::string(8, del);
    const std::size_t count = line.size();
    char* const base = buf.data();
    char* p = base + 1;
    const auto scanarg = [del](char* s) -> char* {
        char c;
        while ((c = *s++) != del) {
            if (c == '\0') return nullptr; // past the padding: cannot happen with a padded buffer
            if (c == '\\' && *s == 'x') {
                ++s;
                if (!std::isxdigit(static_cast<unsigned char>(*s++))) return nullptr;
                if (!std::isxdigit(static_cast<unsigned char>(*s++))) return nullptr;
            }
        }
        s[-1] = '\0';
        return s;
    };
    oci::BinfmtEntry e;
    char* name = p;
    p = std::strchr(p, del);
    if (!p) return std::nullopt;
    *p++ = '\0';
    e.name = name;
    if (e.name.empty() || e.name == "." || e.name == ".." || e.name.find('/') != std::string::npos) return std::nullopt;
    const char type = *p++;
    if (type != 'E' && type != 'M') return std::nullopt;
    e.type = type;
    if (*p++ != del) return std::nullopt;
    if (type == 'M') {
        char* s = std::strchr(p, del);
        if (!s) return std::nullopt;
        *s = '\0';
        if (p != s) {
            // kstrtoint: decimal digits (one leading '+'), fits an int, not negative.
            std::string digits(p);
            if (!digits.empty() && digits[0] == '+') digits.erase(0, 1);
            if (digits.empty() || digits.size() > 10 || digits.find_first_not_of("0123456789") != std::string::npos)
                return std::nullopt;
            const unsigned long long v = std::stoull(digits);
            if (v > 0x7fffffff) return std::nullopt;
            e.offset = static_cast<unsigned>(v);
        }
        p = s;
        if (*p++) return std::nullopt;
        char* magic = p;
        p = scanarg(p);
        if (!p || !magic[0]) return std::nullopt;
        char* mask = p;
        p = scanarg(p);
        if (!p) return std::nullopt;
        e.magic = kernel_unescape_hex(magic);
        if (mask[0]) {
            e.mask = kernel_unescape_hex(mask);
            if (e.mask.size() != e.magic.size()) return std::nullopt;
        }
        if (e.magic.size() > 256 || 256 - e.magic.size() < e.offset) return std::nullopt;
    } else {
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
        char* ext = p;
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
        e.extension = ext;
        if (e.extension.empty() || e.extension.find('/') != std::string::npos) return std::nullopt;
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
    }
    char* interp = p;
    p = std::strchr(p, del);
    if (!p) return std::nullopt;
    *p++ = '\0';
    e.interpreter = interp;
    if (e.interpreter.empty()) return std::nullopt;
    while (*p == 'P' || *p == 'O' || *p == 'C' || *p == 'F') {
        if (e.flags.find(*p) == std::string::npos) e.flags.push_back(*p);
        ++p;
    }
    if (*p == '\n') ++p;
    if (p != base + count) return std::nullopt;
    // C implies O.
    if (e.has_flag('C') && !e.has_flag('O')) e.flags.push_back('O');
    return e;
}

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
