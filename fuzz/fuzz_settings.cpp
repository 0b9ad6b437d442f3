// xarch's settings file (/etc/xarch/config.json): parse_settings.
#include "base/error.hpp"
#include "base/settings.hpp"
#include "fuzz/check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    oci::Settings s;
    try {
        s = oci::parse_settings(fuzz::text(data, size), "fuzz");
    } catch (const oci::Error&) {
        return 0; // the documented failure; anything else escapes and is a crash
    }
    const auto absolute_or_empty = [](const std::filesystem::path& p) { return p.empty() || p.is_absolute(); };
    FUZZ_CHECK(std::all_of(s.emulator_dirs.begin(), s.emulator_dirs.end(), [](const auto& d) { return d.is_absolute(); }));
    FUZZ_CHECK(absolute_or_empty(s.log_file) && absolute_or_empty(s.hook) && s.state_dir.is_absolute());
    FUZZ_CHECK(!s.runtimes.empty());
    FUZZ_CHECK(std::all_of(s.runtimes.begin(), s.runtimes.end(), [](const auto& r) { return !r.empty(); }));

    // Every setting written back parses to the same settings.
    nlohmann::json doc{{"policy", s.policy == oci::Policy::Register    ? "register"
                                  : s.policy == oci::Policy::Namespace ? "namespace"
                                                                       : "fail"},
                       {"log_level", s.log_level},
                       {"state_dir", s.state_dir.string()},
                       {"runtimes", s.runtimes}};
    doc["emulator_dirs"] = nlohmann::json::array();
    for (const auto& d : s.emulator_dirs) doc["emulator_dirs"].push_back(d.string());
    if (!s.log_file.empty()) doc["log_file"] = s.log_file.string();
    if (!s.hook.empty()) doc["hook"] = s.hook.string();
    const oci::Settings again = oci::parse_settings(doc.dump(), "fuzz");
    FUZZ_CHECK(again.policy == s.policy && again.emulator_dirs == s.emulator_dirs && again.log_level == s.log_level);
    FUZZ_CHECK(again.log_file == s.log_file && again.state_dir == s.state_dir && again.runtimes == s.runtimes &&
               again.hook == s.hook);
    return 0;
}
