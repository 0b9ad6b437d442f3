#include "cli/args.hpp"

#include "binfmt/install.hpp"

#include <algorithm>

namespace cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
}

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& options) {
    ParsedArgs out;
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (options_done || a.size() < 2 || a[0] != '-') {
            out.positional.push_back(a);
            continue;
        }
        if (a == "--") {
            options_done = true;
            continue;
        }
        std::string name;
        std::optional<std::string> inline_value;
        if (a == "-h") {
            name = "help";
        } else if (a.starts_with("--")) {
            name = a.substr(2);
            if (const auto eq = name.find('='); eq != std::string::npos) {
                inline_value = name.substr(eq + 1);
                name.resize(eq);
            }
        } else {
            throw oci::ArgumentError("unknown option '" + a + "'");
        }
        const auto spec = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.name == name; });
        if (spec == options.end()) throw oci::ArgumentError("unknown option '--" + name + "'");
        if (out.has(name)) throw oci::ArgumentError("option '--" + name + "' given twice");
        if (!spec->takes_value) {
            if (inline_value) throw oci::ArgumentError("option '--" + name + "' takes no value");
            out.flags.insert(name);
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) throw oci::ArgumentError("option '--" + name + "' needs a value");
            inline_value = args[++i];
        }
        out.values[name] = *inline_value;
    }
    return out;
}

} // namespace cli
