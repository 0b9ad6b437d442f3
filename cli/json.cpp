#include "cli/json.hpp"

namespace cli {

using namespace oci;

namespace {

nlohmann::json optional_bool(const std::optional<bool>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json optional_string(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

} // namespace

nlohmann::json entry_json(const EntryReport& r) {
    const BinfmtEntry& e = r.entry;
    nlohmann::json j = {
        {"name", e.name},
        {"enabled", e.enabled},
        {"type", e.type == 'E' ? "extension" : "magic"},
        {"interpreter", e.interpreter},
        {"flags", e.flags},
        {"platform", r.platform ? nlohmann::json(r.platform->str()) : nlohmann::json(nullptr)},
    };
    if (e.type == 'E') {
        j["extension"] = e.extension;
    } else {
        j["offset"] = e.offset;
        j["magic"] = oci::to_hex(e.magic);
        j["mask"] = oci::to_hex(e.mask);
    }
    const InterpreterInfo& i = r.interpreter;
    j["interpreter_info"] = {
        {"exists", i.exists},
        {"resolved", optional_string(i.resolved)},
        {"static", optional_bool(i.is_static)},
        {"platform", i.platform ? nlohmann::json(i.platform->str()) : nlohmann::json(nullptr)},
        {"writable_by_others", i.writable_by_others()},
    };
    j["warnings"] = nlohmann::json::array();
    for (const auto& w : r.warnings) j["warnings"].push_back({{"code", w.code}, {"message", w.message}});
    return j;
}

nlohmann::json to_json(const StatusReport& r, const std::string& xarch_version) {
    nlohmann::json j;
    j["schema_version"] = k_status_schema_version;
    j["xarch_version"] = xarch_version;
    nlohmann::json native = nlohmann::json::array();
    for (const auto& p : r.native) native.push_back(p.str());
    j["host"] = {{"platform", r.host.str()},
                 {"kernel", r.kernel},
                 {"fix_binary", r.fix_binary},
                 {"binfmt_userns", r.binfmt_userns},
                 {"native", native}};
    j["binfmt_misc"] = {{"mounted", r.binfmt_dir.has_value()},
                        {"path", r.binfmt_dir ? nlohmann::json(r.binfmt_dir->string()) : nlohmann::json(nullptr)},
                        {"enabled", r.binfmt_dir ? nlohmann::json(r.binfmt_enabled) : nlohmann::json(nullptr)},
                        {"writable", r.binfmt_writable}};
    j["entries"] = nlohmann::json::array();
    for (const auto& e : r.entries) j["entries"].push_back(entry_json(e));
    j["emulators"] = nlohmann::json::array();
    for (const auto& e : r.emulators) {
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& rej : e.found.rejected) problems.push_back(rej.problem);
        j["emulators"].push_back({{"platform", e.platform.str()},
                                  {"qemu", e.qemu},
                                  {"path", e.found.emulator ? nlohmann::json(e.found.emulator->path.string()) : nlohmann::json(nullptr)},
                                  {"problems", problems}});
    }
    j["platforms"] = nlohmann::json::array();
    for (const auto& p : r.platforms)
        j["platforms"].push_back({{"platform", p.platform.str()},
                                  {"runs", p.runs},
                                  {"native", optional_bool(p.native)},
                                  {"entry", optional_string(p.entry)},
                                  {"error", optional_string(p.error)},
                                  {"empty_root", p.empty_root}});
    return j;
}

nlohmann::json to_json(const Detection& d, const std::filesystem::path& path) {
    nlohmann::json j = {{"schema_version", k_status_schema_version}, {"path", path.string()}, {"kind", to_string(d.kind)}};
    if (d.image) {
        j["platform"] = d.image->platform.str();
        j["file"] = d.image->file.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.image->file);
        j["source"] = d.image->source;
    } else {
        j["platform"] = nullptr;
        j["file"] = nullptr;
        j["source"] = nullptr;
    }
    return j;
}

nlohmann::json to_json(const DoctorFacts& df, const Diagnosis& d, const std::string& xarch_version) {
    nlohmann::json j;
    j["schema_version"] = k_status_schema_version;
    j["xarch_version"] = xarch_version;
    j["path"] = df.target.string();
    j["kind"] = to_string(df.detection.kind);
    const auto image = to_json(df.detection, df.target);
    j["image"] = {{"platform", image["platform"]}, {"file", image["file"]}, {"source", image["source"]}};
    j["host"] = {{"platform", df.facts.host.str()}, {"kernel", df.kernel}, {"fix_binary", df.fix_binary}};
    const bool mounted = df.binfmt_dir.has_value();
    j["binfmt_misc"] = {{"mounted", mounted},
                        {"path", mounted ? nlohmann::json(df.binfmt_dir->string()) : nlohmann::json(nullptr)},
                        {"enabled", df.facts.binfmt ? nlohmann::json(df.facts.binfmt->enabled) : nlohmann::json(nullptr)}};
    if (d.entry && df.facts.binfmt)
        j["entry"] = entry_json(report_entry(*d.entry, df.facts.host, *df.facts.binfmt));
    else
        j["entry"] = nullptr;
    if (df.interpreter_in_rootfs)
        j["interpreter_in_rootfs"] = {
            {"exists", df.interpreter_in_rootfs->exists},
            {"static", df.interpreter_in_rootfs->is_static ? nlohmann::json(*df.interpreter_in_rootfs->is_static) : nlohmann::json(nullptr)},
            {"platform", df.interpreter_in_rootfs->platform ? nlohmann::json(df.interpreter_in_rootfs->platform->str()) : nlohmann::json(nullptr)}};
    else
        j["interpreter_in_rootfs"] = d.entry && !d.entry->has_flag('F') ? nlohmann::json({{"exists", false}, {"static", nullptr}, {"platform", nullptr}})
                                                                        : nlohmann::json(nullptr);
    j["state"] = to_string(d.state);
    j["runs"] = d.runs;
    j["error"] = d.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.error);
    j["explanation"] = d.explanation;
    j["fix"] = d.fix.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.fix);
    if (df.detection.kind != TargetKind::Program)
        j["hook"] = {{"action", to_string(d.hook.kind)}, {"reason", d.hook.reason}};
    else
        j["hook"] = nullptr;
    return j;
}

nlohmann::json no_program_json(const Detection& d, const std::filesystem::path& path, const std::string& xarch_version,
                               const std::string& explanation) {
    nlohmann::json j;
    j["schema_version"] = k_status_schema_version;
    j["xarch_version"] = xarch_version;
    j["path"] = path.string();
    j["kind"] = to_string(d.kind);
    j["image"] = {{"platform", nullptr}, {"file", nullptr}, {"source", nullptr}};
    j["host"] = nullptr;
    j["binfmt_misc"] = nullptr;
    j["entry"] = nullptr;
    j["interpreter_in_rootfs"] = nullptr;
    j["state"] = "no-program";
    j["runs"] = false;
    j["error"] = nullptr;
    j["explanation"] = explanation;
    j["fix"] = nullptr;
    j["hook"] = nullptr;
    return j;
}

} // namespace cli
