// binfmt_misc register strings: binfmt.d files (binfmt_d_names, which `xarch install --persist`
// and status read) and the lines xarch writes (registration_line, persist_content). Each line
// of the input the kernel would accept becomes an entry; whatever registration_line then
// writes for it must register that same entry, show as the same entry file, and be named by
// binfmt_d_names.
#include "base/error.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/persist.hpp"
#include "fuzz/check.hpp"
#include "fuzz/kernel_binfmt.hpp"

#include <algorithm>
#include <sstream>

namespace {

bool same_flags(const std::string& a, const std::string& b) {
    return std::all_of(a.begin(), a.end(), [&](char c) { return b.find(c) != std::string::npos; }) &&
           std::all_of(b.begin(), b.end(), [&](char c) { return a.find(c) != std::string::npos; });
}

bool same_entry(const oci::BinfmtEntry& a, const oci::BinfmtEntry& b) {
    if (a.name != b.name || a.type != b.type || a.interpreter != b.interpreter || !same_flags(a.flags, b.flags)) return false;
    if (a.type == 'E') return a.extension == b.extension;
    return a.offset == b.offset && a.magic == b.magic && a.mask == b.mask;
}

void check_line(const std::string& input_line) {
    const auto registered = fuzz::kernel_register(input_line);
    if (!registered) return;
    std::string line;
    try {
        line = oci::registration_line(*registered);
    } catch (const oci::Error&) {
        return; // stricter than the kernel (names, interpreter paths): refused, documented
    }
    FUZZ_CHECK(line.size() <= 1920 && line.find('\n') == std::string::npos);
    // The kernel registers exactly the entry xarch meant.
    const auto back = fuzz::kernel_register(line);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(same_entry(*back, *registered));
    // Its entry file reads back as that entry.
    const oci::BinfmtEntry shown = oci::parse_binfmt_entry(back->name, fuzz::kernel_entry_text(*back));
    oci::BinfmtEntry expected = *back;
    if (expected.type == 'M' && expected.mask.empty()) expected.mask.assign(expected.magic.size(), 0xff);
    FUZZ_CHECK(same_entry(shown, expected));
    // A binfmt.d file xarch writes names the entry it registers, and only that one.
    FUZZ_CHECK(oci::binfmt_d_names(line) == std::vector<std::string>{registered->name});
    FUZZ_CHECK(oci::binfmt_d_names(oci::persist_content(*registered)) == std::vector<std::string>{registered->name});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text = fuzz::text(data, size);
    const std::vector<std::string> names = oci::binfmt_d_names(text); // does not throw
    std::istringstream in(text);
    std::string line;
    std::size_t lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        check_line(line);
    }
    FUZZ_CHECK(names.size() <= lines);
    for (const auto& n : names) FUZZ_CHECK(!n.empty() && n.find('\n') == std::string::npos);
    return 0;
}
