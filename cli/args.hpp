#pragma once
// Command-line parsing for xarch: long options with or without a value, "--" ending them.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cli {

struct OptionSpec {
    std::string name; // without dashes: "mode"
    bool takes_value = false;
};

struct ParsedArgs {
    std::vector<std::string> positional;
    std::set<std::string> flags;
    std::map<std::string, std::string> values;

    bool has(const std::string& name) const { return flags.count(name) != 0 || values.count(name) != 0; }
    std::optional<std::string> value(const std::string& name) const;
};

// Parses `args` against `options`: "--name", "--name=value", "--name value", "-h" for help;
// anything after "--" is positional. Throws oci::ArgumentError for an unknown option, a missing
// value, a value given to a flag, or an option given twice.
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& options);

} // namespace cli
