#include "cli/text.hpp"

#include <algorithm>

namespace cli {

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string interpreter_text(const oci::InterpreterInfo& i) {
    if (!i.exists) return i.path + " (missing)";
    std::string out = i.path;
    if (!i.resolved.empty() && i.resolved != i.path) out += " -> " + i.resolved;
    if (i.is_static) out += *i.is_static ? " (static)" : " (dynamic)";
    return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

} // namespace

std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t c = 0; c + 1 < row.size(); ++c) {
            if (widths.size() <= c) widths.resize(c + 1, 0);
            widths[c] = std::max(widths[c], row[c].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line = indent;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string format_status(const oci::StatusReport& r) {
    std::vector<std::string> native;
    for (const auto& p : r.native) native.push_back(p.str());
    std::string binfmt = "not mounted ('xarch install' mounts it)";
    if (r.binfmt_dir)
        binfmt = r.binfmt_dir->string() + " (" + (r.binfmt_enabled ? "enabled" : "DISABLED: echo 1 > " + r.binfmt_dir->string() + "/status") +
                 ", " + (r.binfmt_writable ? "writable" : "read-only for you") + ")";
    std::string out = table({{"host", r.host.str() + " (kernel " + r.kernel + ", F flag: " + yes_no(r.fix_binary) +
                                          ", binfmt_misc per user namespace: " + yes_no(r.binfmt_userns) + ")"},
                             {"native", join(native, ", ")},
                             {"binfmt_misc", binfmt}},
                            "");

    out += "\nentries (newest first, the order the kernel tries them):\n";
    if (r.entries.empty()) out += "  none\n";
    std::vector<std::vector<std::string>> rows;
    std::vector<std::vector<std::string>> warnings; // per row
    for (const auto& e : r.entries) {
        rows.push_back({e.entry.name, e.entry.enabled ? "enabled" : "disabled",
                        "flags " + (e.entry.flags.empty() ? std::string("-") : e.entry.flags),
                        e.platform ? e.platform->str() : (e.entry.type == 'E' ? "." + e.entry.extension : "-"),
                        interpreter_text(e.interpreter)});
        std::vector<std::string> w;
        for (const auto& warning : e.warnings) w.push_back(warning.code + ": " + warning.message);
        warnings.push_back(std::move(w));
    }
    const std::string entry_table = table(rows);
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto end = entry_table.find('\n', line_start);
        out += entry_table.substr(line_start, end - line_start + 1);
        line_start = end + 1;
        for (const auto& w : warnings[i]) out += "      warning: " + w + "\n";
    }

    out += "\nemulators:\n";
    rows.clear();
    for (const auto& e : r.emulators) {
        std::string where = e.found.emulator ? e.found.emulator->path.string() : "none";
        std::vector<std::string> problems;
        for (const auto& rej : e.found.rejected) problems.push_back(rej.problem);
        if (!problems.empty()) where += " (" + join(problems, "; ") + ")";
        rows.push_back({e.platform.str(), where});
    }
    out += table(rows);

    out += "\nplatforms (a probe program of each was run):\n";
    rows.clear();
    for (const auto& p : r.platforms) {
        std::string how;
        if (p.runs) how = p.entry.empty() ? "native" : "via " + p.entry;
        else how = p.error + (p.entry.empty() ? "" : " (entry " + p.entry + ")");
        rows.push_back({p.platform.str(), p.runs ? "runs" : "fails", how});
    }
    out += table(rows);
    std::vector<std::string> builder;
    for (const auto& p : r.platforms)
        if (p.empty_root) builder.push_back(p.platform.str());
    out += "\nBuildKit in a container (docker buildx create --driver docker-container) can build for: " + join(builder, ", ") +
           "\n  (its check runs a static program in an empty root: only native platforms and entries with the F flag pass;\n"
           "  for another platform: xarch install PLATFORM, which registers with F)\n";
    return out;
}

std::string format_hook(const oci::Action& a) {
    switch (a.kind) {
    case oci::ActionKind::Native:
    case oci::ActionKind::Covered: return "xarch-hook has nothing to do";
    case oci::ActionKind::Mount:
        return "xarch-hook bind-mounts " + a.source.string() + " read-only at " + a.target + " inside the container, so it starts";
    case oci::ActionKind::Register:
        return "xarch-hook registers '" + a.entry.name + "' (" + a.entry.interpreter + ", flags " + a.entry.flags +
               ") host-wide, so the container starts";
    case oci::ActionKind::Fail: return "xarch-hook stops the container: " + a.reason;
    }
    return "";
}

std::string format_diagnosis(const oci::DoctorFacts& df, const oci::Diagnosis& d) {
    const oci::Facts& f = df.facts;
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"target", df.target.string() + " (" + oci::to_string(df.detection.kind) + ")"});
    if (df.detection.image) rows.push_back({"image", df.detection.image->platform.str() + ", from " + df.detection.image->source});
    rows.push_back({"host", f.host.str() + " (kernel " + df.kernel + ", F flag " + (df.fix_binary ? "supported" : "not supported") + ")"});
    std::string binfmt = "not mounted";
    if (df.binfmt_dir) {
        binfmt = df.binfmt_dir->string();
        if (f.binfmt) binfmt += f.binfmt->enabled ? ", enabled" : ", disabled";
    }
    rows.push_back({"binfmt_misc", binfmt});
    if (d.entry) {
        std::string entry = "'" + d.entry->name + "': " + (d.entry->enabled ? "enabled" : "disabled") + ", flags " +
                            (d.entry->flags.empty() ? std::string("none") : d.entry->flags) + ", interpreter ";
        entry += df.handler_interpreter ? interpreter_text(*df.handler_interpreter) : d.entry->interpreter;
        rows.push_back({"entry", entry});
        if (!d.entry->has_flag('F')) {
            const auto& in = df.interpreter_in_rootfs;
            std::string where = d.entry->interpreter + ": ";
            if (!in || !in->exists) where += "absent";
            else where += std::string("present") + (in->is_static ? (*in->is_static ? ", static" : ", dynamic") : "");
            rows.push_back({df.detection.kind == oci::TargetKind::Program ? "on host" : "in rootfs", where});
        }
    } else if (f.binfmt && !f.native) {
        rows.push_back({"entry", "none claims " + f.image.str() + " programs"});
    }
    rows.push_back({"state", oci::to_string(d.state)});
    rows.push_back({"verdict", (d.runs ? "runs: " : "does not run: ") + d.explanation});
    if (df.detection.kind != oci::TargetKind::Program) rows.push_back({"with hook", format_hook(d.hook)});
    if (!d.fix.empty()) rows.push_back({"fix", d.fix});
    return table(rows, "");
}

} // namespace cli
