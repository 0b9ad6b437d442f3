// "#!" lines of scripts in an image (what find_executable and check_start follow):
// parse_shebang over a file's first bytes and env_command over its argument.
#include "fuzz/check.hpp"
#include "oci/rootfs.hpp"

#include <span>

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto s = oci::parse_shebang(std::span<const std::uint8_t>(data, size));
    const std::string all = fuzz::text(data, size);
    if (!all.starts_with("#!")) {
        FUZZ_CHECK(!s);
        return 0;
    }
    const std::string line = all.substr(2, all.find('\n') == std::string::npos ? std::string::npos : all.find('\n') - 2);
    const auto first = line.find_first_not_of(" \t");
    // No interpreter word on the line: nothing to follow (the kernel says ENOEXEC).
    FUZZ_CHECK(s.has_value() == (first != std::string::npos));
    if (!s) return 0;

    // The interpreter is the line's first word; the argument the rest, blanks trimmed.
    FUZZ_CHECK(!s->interpreter.empty() && s->interpreter.find_first_of(" \t\n") == std::string::npos);
    FUZZ_CHECK(line.compare(first, s->interpreter.size(), s->interpreter) == 0);
    FUZZ_CHECK(s->argument.find('\n') == std::string::npos);
    if (!s->argument.empty()) {
        FUZZ_CHECK(!blank(s->argument.front()) && !blank(s->argument.back()) && s->argument.back() != '\r');
        const std::size_t at = line.find(s->argument, first + s->interpreter.size());
        FUZZ_CHECK(at != std::string::npos);
        FUZZ_CHECK(line.find_first_not_of(" \t", first + s->interpreter.size()) == at);
    }

    // "#!/usr/bin/env ARGS": the command is one word of the argument.
    const std::string command = oci::env_command(s->argument);
    FUZZ_CHECK(command.find_first_of(" \t\n") == std::string::npos);
    FUZZ_CHECK(command.empty() || s->argument.find(command) != std::string::npos);
    return 0;
}
