// /proc/self/mountinfo lines (where binfmt_misc is mounted; the mount table of a namespace a
// rootless user controls): find_binfmt_mounts. The input's first line is also taken as a mount
// point, escaped as the kernel does and appended as a binfmt_misc line, which must come back
// unchanged.
#include "binfmt/binfmt.hpp"
#include "fuzz/check.hpp"

#include <cstdio>

namespace {

// seq_path's escaping in mountinfo: space, tab, newline and backslash as \ooo.
std::string mangle(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03o", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text = fuzz::text(data, size);
    const auto found = oci::find_binfmt_mounts(text); // does not throw
    std::size_t separators = 0;
    for (std::size_t at = text.find(" - "); at != std::string::npos; at = text.find(" - ", at + 1)) ++separators;
    FUZZ_CHECK(found.size() <= separators);

    // A mount point is any path without NUL (the kernel's paths are C strings).
    const std::string point = text.substr(0, std::min(text.find('\n'), text.find('\0')));
    if (point.empty()) return 0;
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    text += "2236 2235 0:57 / " + mangle(point) + " rw,nosuid,nodev,noexec,relatime shared:9 - binfmt_misc binfmt_misc rw\n";
    const auto again = oci::find_binfmt_mounts(text);
    FUZZ_CHECK(!again.empty() && again.back() == point);
    return 0;
}
