#pragma once
// Runs the xarch command in-process, as the unit tests of its commands do.
#include "cli/cli.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace test {

struct CliResult {
    int code;
    std::string out;
    std::string err;
};

inline CliResult xarch(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = cli::run(args, out, err);
    return {code, out.str(), err.str()};
}

} // namespace test
