// binfmt_misc entry files (/proc/sys/fs/binfmt_misc/<name>, read by every decision, status
// and doctor): parse_binfmt_entry, and find_handler with the entry against the same bytes.
#include "binfmt/binfmt.hpp"
#include "base/error.hpp"
#include "fuzz/check.hpp"
#include "fuzz/kernel_binfmt.hpp"

#include <algorithm>
#include <span>

namespace {

bool same_flags(const std::string& a, const std::string& b) {
    return std::all_of(a.begin(), a.end(), [&](char c) { return b.find(c) != std::string::npos; }) &&
           std::all_of(b.begin(), b.end(), [&](char c) { return a.find(c) != std::string::npos; });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text = fuzz::text(data, size);
    oci::BinfmtEntry e;
    try {
        e = oci::parse_binfmt_entry("qemu-aarch64", text);
    } catch (const oci::Error&) {
        return 0; // the documented failure; anything else escapes and is a crash
    }
    FUZZ_CHECK(!e.interpreter.empty());
    FUZZ_CHECK(e.type == 'M' || e.type == 'E');
    if (e.type == 'M') FUZZ_CHECK(!e.magic.empty() && e.mask.size() == e.magic.size());

    // The text the kernel would show for this entry parses to the same entry.
    if (std::all_of(e.flags.begin(), e.flags.end(), [](char c) { return std::string_view("POCF").find(c) != std::string_view::npos; })) {
        const oci::BinfmtEntry again = oci::parse_binfmt_entry("qemu-aarch64", fuzz::kernel_entry_text(e));
        FUZZ_CHECK(again.enabled == e.enabled && again.interpreter == e.interpreter && again.type == e.type);
        FUZZ_CHECK(same_flags(again.flags, e.flags));
        if (e.type == 'E') FUZZ_CHECK(again.extension == e.extension);
        else FUZZ_CHECK(again.offset == e.offset && again.magic == e.magic && again.mask == e.mask);
    }

    // Matching never reads past the file's first bytes, and a magic match lies within them.
    const std::span<const std::uint8_t> head(data, std::min<std::size_t>(size, 256));
    oci::BinfmtState state;
    state.entries.push_back(e);
    const oci::BinfmtEntry* h = oci::find_handler(state, head, "/bin/x.sh");
    if (h) {
        FUZZ_CHECK(h == &state.entries.front() && e.enabled);
        if (e.type == 'M') FUZZ_CHECK(e.offset + e.magic.size() <= head.size());
    }
    return 0;
}
