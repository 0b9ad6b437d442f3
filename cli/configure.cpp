// xarch configure: one command per engine (Docker, containerd, podman, CRI-O).
#include "cli/configure.hpp"

#include "cli/cli.hpp"
#include "cli/commands.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/json.hpp"
#include "base/process.hpp"
#include "binfmt/persist.hpp"

#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <sstream>
#include <vector>

namespace cli {

namespace {

constexpr const char* k_block_begin = "# xarch configure containerd: begin (remove with: xarch configure containerd --undo)";
constexpr const char* k_block_end = "# xarch configure containerd: end";
constexpr const char* k_containerd_dropin_marker =
    "# Written by xarch configure containerd; remove with: xarch configure containerd --undo";
constexpr const char* k_podman_marker = "# Written by xarch configure podman; remove with: xarch configure podman --undo";
constexpr const char* k_crio_marker = "# Written by xarch configure crio; remove with: xarch configure crio --undo";
constexpr const char* k_docker_dropin_marker = "# Written by xarch configure docker; remove with: xarch configure docker --undo";
constexpr const char* k_buildkit_runc_variable = "DOCKER_BUILDKIT_RUNC_COMMAND";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::size_t end = nl == std::string::npos ? text.size() : nl;
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// The TOML table holding CRI runtime handlers, by config version.
std::vector<std::string> runtimes_table(std::int64_t version) {
    if (version >= 3) return {"plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes"};
    if (version == 2) return {"plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"};
    return {"plugins", "cri", "containerd", "runtimes"};
}

std::string table_header(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys) {
        const bool bare = std::all_of(k.begin(), k.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
        out += (out.empty() ? "" : ".") + (bare ? k : "\"" + k + "\"");
    }
    return out;
}

toml::table parse_toml(const std::string& text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw oci::Error("parse " + source + ": line " + std::to_string(e.source().begin.line) + ", column " +
                         std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
    }
}

toml::node_view<const toml::node> at(const toml::table& t, const std::vector<std::string>& keys) {
    if (keys.empty()) return {};
    toml::node_view<const toml::node> v = t[keys.front()];
    for (std::size_t i = 1; i < keys.size(); ++i) v = v[keys[i]];
    return v;
}

// The text with xarch's marked block (and the blank line put before it) taken out.
std::string without_block(const std::string& text, const std::string& source) {
    const auto begin = text.find(k_block_begin);
    if (begin == std::string::npos) return text;
    const auto end = text.find(k_block_end, begin);
    if (end == std::string::npos)
        throw oci::Error("edit " + source + ": xarch's block has a begin line but no end line ('" + std::string(k_block_end) +
                         "'); mend the file by hand");
    std::size_t from = begin;
    if (from >= 2 && text[from - 1] == '\n' && text[from - 2] == '\n') --from;
    std::size_t to = text.find('\n', end);
    to = to == std::string::npos ? text.size() : to + 1;
    return text.substr(0, from) + text.substr(to);
}

// The handler's tables, and runc's when the section lacks the default handler (see the header).
std::string handler_tables(const std::vector<std::string>& keys, const std::string& runtime, bool with_runc) {
    auto handler = keys;
    handler.push_back(k_runtime_name);
    const std::string h = table_header(handler);
    std::string out = "[" + h + "]\n  runtime_type = \"io.containerd.runc.v2\"\n[" + h + ".options]\n  BinaryName = \"" + runtime + "\"\n";
    if (with_runc) {
        auto runc = keys;
        runc.push_back("runc");
        out += "# containerd's default handler, which a runtimes table without it leaves out\n[" + table_header(runc) +
               "]\n  runtime_type = \"io.containerd.runc.v2\"\n";
    }
    return out;
}

// Whether the CRI section in `t` lacks the handler its default_runtime_name (default runc) names.
bool lacks_runc(const toml::table& t, const std::vector<std::string>& keys) {
    auto name = keys;
    name.back() = "default_runtime_name";
    if (at(t, name).value_or(std::string("runc")) != "runc") return false;
    auto runc = keys;
    runc.push_back("runc");
    return !at(t, runc);
}

void check_runtime_path(const std::string& runtime) {
    if (runtime.find_first_of("\"\\\n") != std::string::npos)
        throw oci::Error("configure containerd: the runtime path '" + runtime + "' cannot be written into TOML as it is");
}

} // namespace

std::string docker_config(const std::optional<std::string>& text, const std::string& source, const std::string& runtime,
                          bool make_default, bool undo) {
    const bool blank = !text || text->find_first_not_of(" \t\r\n") == std::string::npos;
    oci::Json doc = blank ? oci::Json::object() : oci::parse_json_object(*text, source);
    oci::JsonLayout layout = blank ? oci::JsonLayout{2, ' ', true} : oci::layout_of(*text);
    if (layout.indent < 0 && !blank && text->size() < 3) layout = {2, ' ', true};
    const auto runtimes = doc.find("runtimes");
    if (runtimes != doc.end() && !runtimes->is_object())
        throw oci::Error("edit " + source + ": \"runtimes\" is not an object; mend it first");
    if (undo) {
        if (runtimes != doc.end()) {
            runtimes->erase(k_runtime_name);
            if (runtimes->empty()) doc.erase("runtimes");
        }
        if (doc.value("default-runtime", "") == k_runtime_name) doc.erase("default-runtime");
    } else {
        auto& entry = doc["runtimes"][k_runtime_name];
        if (!entry.is_object()) entry = oci::Json::object();
        entry["path"] = runtime; // other keys of the user's (runtimeArgs) stay
        if (make_default) doc["default-runtime"] = k_runtime_name;
    }
    if (blank && doc.empty()) return text.value_or("");
    return oci::dump_like(doc, layout);
}

std::string containerd_config(const std::optional<std::string>& text, const std::string& source,
                              const std::string& runtime, bool undo, std::optional<std::int64_t> version) {
    const std::string rest = without_block(text.value_or(""), source);
    if (undo) {
        parse_toml(rest, source); // what is left must still be containerd's to read
        return rest;
    }
    check_runtime_path(runtime);
    // A new file is written for the config version of Debian's containerd (1.6): 2.
    std::string out = rest;
    if (rest.find_first_not_of(" \t\r\n") == std::string::npos) {
        const std::int64_t v = version.value_or(2);
        out = v >= 2 ? "version = " + std::to_string(v) + "\n" : "";
    }
    const toml::table parsed = parse_toml(out, source);
    const std::int64_t own_version = parsed["version"].value_or(std::int64_t{0});
    const std::int64_t effective = version.value_or(own_version ? own_version : 1);
    const auto keys = runtimes_table(effective);
    auto handler = keys;
    handler.push_back(k_runtime_name);
    if (at(parsed, handler))
        throw oci::Error("edit " + source + ": it already defines the runtime handler '" + std::string(k_runtime_name) +
                         "' (not written by xarch configure); remove that table first");
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += (out.empty() ? "" : "\n") + std::string(k_block_begin) + "\n" + handler_tables(keys, runtime, lacks_runc(parsed, keys)) +
           k_block_end + "\n";
    // What containerd will read: the handler must be there, with our binary.
    const toml::table check = parse_toml(out, source + " (as edited)");
    auto binary = handler;
    binary.insert(binary.end(), {"options", "BinaryName"});
    if (check["version"].value_or(std::int64_t{0}) != own_version || at(check, binary).value_or(std::string()) != runtime)
        throw oci::Error("edit " + source + ": the runtime handler cannot be added at the end of this file (is '" +
                         table_header(keys) + "' an inline table?); add it by hand from share/xarch/containerd/xarch.toml");
    return out;
}

std::vector<std::string> containerd_imports(const std::string& text, const std::string& source) {
    const toml::table t = parse_toml(text, source);
    std::vector<std::string> out;
    const auto imports = t["imports"];
    if (!imports) return out;
    const auto* array = imports.as_array();
    if (!array) throw oci::Error("read " + source + ": 'imports' is not an array");
    for (const auto& e : *array) {
        const auto s = e.value<std::string>();
        if (!s) throw oci::Error("read " + source + ": 'imports' holds something other than file names");
        out.push_back(*s);
    }
    return out;
}

std::optional<std::filesystem::path> containerd_dropin_path(const std::vector<std::string>& imports) {
    for (const auto& pattern : imports) {
        const auto slash = pattern.rfind('/');
        if (pattern.empty() || pattern.front() != '/' || pattern.find('*') == std::string::npos || slash == std::string::npos)
            continue;
        const std::string dir = pattern.substr(0, slash), name = pattern.substr(slash + 1);
        if (dir.find_first_of("*?[\\") != std::string::npos) continue; // a glob over directories
        for (const char* candidate : {"xarch.toml", "50-xarch.toml", "xarch.conf", "50-xarch.conf"})
            if (::fnmatch(name.c_str(), candidate, 0) == 0)
                return std::filesystem::path(dir.empty() ? "/" : dir).lexically_normal() / candidate;
    }
    return std::nullopt;
}

std::string containerd_dropin(std::int64_t version, const std::string& runtime) {
    check_runtime_path(runtime);
    // The section is xarch's alone (no other file defines it), so containerd's default runc
    // handler must be named here too.
    return std::string(k_containerd_dropin_marker) +
           "\n# containerd 1.6 and 1.7 take a plugin's section whole from the last file that has it:\n"
           "# settings of this plugin made in config.toml after this was written are not seen.\n" +
           (version >= 2 ? "version = " + std::to_string(version) + "\n" : "") + "\n" +
           handler_tables(runtimes_table(version), runtime, true);
}

std::vector<ConfigChange> containerd_changes(const std::filesystem::path& main, const std::vector<ConfigText>& loaded,
                                             const std::string& runtime, bool undo) {
    const auto quoted = [](const std::filesystem::path& p) { return "'" + p.string() + "'"; };
    std::vector<ConfigChange> out;
    if (loaded.empty()) {
        ConfigChange c{main, std::nullopt, containerd_config(std::nullopt, quoted(main), runtime, undo)};
        if (c.after->empty()) c.after.reset();
        out.push_back(std::move(c));
        return out;
    }
    // Each file without xarch's block, parsed; the configuration's version.
    std::vector<toml::table> tables;
    std::int64_t version = 0;
    for (const auto& f : loaded) {
        tables.push_back(parse_toml(without_block(f.text, quoted(f.path)), quoted(f.path)));
        if (const auto v = tables.back()["version"].value_or(std::int64_t{0})) version = v;
    }
    if (version == 0) version = 1;
    const auto is_dropin = [&](std::size_t i) { return loaded[i].text.find(k_containerd_dropin_marker) != std::string::npos; };
    const auto has_block = [&](std::size_t i) { return loaded[i].text.find(k_block_begin) != std::string::npos; };
    // A backup that an import glob matches would be read by containerd as a config file.
    std::vector<std::string> globs;
    for (const auto& f : loaded)
        for (const auto& e : containerd_imports(f.text, quoted(f.path)))
            if (e.find('*') != std::string::npos) globs.push_back(e);
    const auto backup_safe = [&](const std::filesystem::path& p) {
        const std::string b = p.string() + ".xarch-backup";
        return std::none_of(globs.begin(), globs.end(),
                            [&](const std::string& g) { return ::fnmatch(g.c_str(), b.c_str(), FNM_PATHNAME) == 0; });
    };
    const auto edit = [&](const ConfigText& f, std::optional<std::string> after) {
        out.push_back({f.path, f.text, std::move(after), backup_safe(f.path)});
    };
    if (undo) {
        for (std::size_t i = 0; i < loaded.size(); ++i) {
            if (is_dropin(i)) out.push_back({loaded[i].path, loaded[i].text, std::nullopt, false});
            else if (has_block(i))
                edit(loaded[i], containerd_config(loaded[i].text, quoted(loaded[i].path), "", true));
        }
        return out;
    }
    const std::string cri = runtimes_table(version)[1];
    std::optional<std::size_t> target; // the file whose CRI section containerd uses
    for (std::size_t i = 0; i < loaded.size(); ++i)
        if (!is_dropin(i) && at(tables[i], {"plugins", cri})) target = i;
    std::optional<std::filesystem::path> dropin;
    if (!target) {
        dropin = containerd_dropin_path(containerd_imports(loaded.front().text, quoted(main)));
        if (!dropin) target = 0;
    }
    bool dropin_seen = false;
    for (std::size_t i = 0; i < loaded.size(); ++i) {
        const auto& f = loaded[i];
        if (dropin && f.path.lexically_normal() == *dropin) {
            dropin_seen = true;
            if (!is_dropin(i))
                throw oci::Error("configure containerd: " + quoted(f.path) +
                                 " exists and was not written by xarch; left as it is (move it, or name the handler there by hand)");
            out.push_back({f.path, f.text, containerd_dropin(version, runtime), false});
        } else if (is_dropin(i)) {
            out.push_back({f.path, f.text, std::nullopt, false}); // the handler moves to where containerd now reads it
        } else if (target == i) {
            edit(f, containerd_config(f.text, quoted(f.path), runtime, false, version));
        } else if (has_block(i)) {
            edit(f, containerd_config(f.text, quoted(f.path), "", true));
        }
    }
    if (dropin && !dropin_seen) out.push_back({*dropin, std::nullopt, containerd_dropin(version, runtime), false});
    return out;
}

std::string hooks_d_entry(const std::filesystem::path& hook, const std::string& stage) {
    const oci::Json doc{{"version", "1.0.0"},
                        {"hook", {{"path", hook.string()}, {"args", {"xarch-hook", stage}}, {"timeout", 30}}},
                        {"when", {{"always", true}}},
                        {"stages", {stage}}};
    return doc.dump(2) + "\n";
}

namespace {

// [engine] hooks_dir of one containers.conf file; nullopt when it does not set it.
std::optional<std::vector<std::string>> hooks_dir_of(const ConfigText& f) {
    const toml::table t = parse_toml(f.text, "'" + f.path.string() + "'");
    const auto set = t["engine"]["hooks_dir"];
    if (!set) return std::nullopt;
    const auto* array = set.as_array();
    if (!array) throw oci::Error("read '" + f.path.string() + "': [engine] hooks_dir is not an array");
    std::vector<std::string> dirs;
    for (const auto& e : *array) {
        const auto s = e.value<std::string>();
        if (!s) throw oci::Error("read '" + f.path.string() + "': [engine] hooks_dir holds something other than directories");
        dirs.push_back(*s);
    }
    return dirs;
}

} // namespace

std::vector<std::string> podman_hooks_dirs(const std::vector<ConfigText>& files) {
    std::vector<std::string> dirs{"/usr/share/containers/oci/hooks.d"};
    for (const auto& f : files)
        if (auto set = hooks_dir_of(f)) dirs = std::move(*set);
    return dirs;
}

std::string podman_dropin(const std::vector<std::string>& dirs, const std::filesystem::path& dir) {
    std::string out = std::string(k_podman_marker) +
                      "\n# podman reads hooks.d entries only from hooks_dir: the directories it read before, and xarch's.\n"
                      "[engine]\nhooks_dir = [\n";
    auto all = dirs;
    if (std::find(all.begin(), all.end(), dir.string()) == all.end()) all.push_back(dir.string());
    for (const auto& d : all) {
        if (d.find_first_of("\"\\\n") != std::string::npos)
            throw oci::Error("configure podman: the directory '" + d + "' cannot be written into TOML as it is");
        out += "  \"" + d + "\",\n";
    }
    return out + "]\n";
}

bool podman_dropin_ours(const std::string& text) { return text.find(k_podman_marker) != std::string::npos; }

std::string docker_buildkit_dropin(const std::string& runtime) {
    // Inside Environment="...": a quote or backslash would end or escape it, '%' starts a
    // specifier, and a newline ends the line.
    if (runtime.find_first_of("\"\\%\n") != std::string::npos)
        throw oci::Error("configure docker: the runtime path '" + runtime + "' cannot be written into a systemd unit as it is");
    return std::string(k_docker_dropin_marker) +
           "\n# docker build (BuildKit) runs RUN steps with this command instead of runc (Docker 26 and later).\n"
           "[Service]\nEnvironment=\"" + k_buildkit_runc_variable + "=" + runtime + "\"\n";
}

bool docker_buildkit_dropin_ours(const std::string& text) { return text.starts_with(k_docker_dropin_marker); }

std::optional<int> docker_major_version(const std::string& version_output) {
    const std::string prefix = "Docker version ";
    const auto at = version_output.find(prefix);
    if (at == std::string::npos) return std::nullopt;
    std::size_t i = at + prefix.size();
    int major = 0;
    std::size_t digits = 0;
    for (; i < version_output.size() && std::isdigit(static_cast<unsigned char>(version_output[i])) && digits < 6; ++i, ++digits)
        major = major * 10 + (version_output[i] - '0');
    if (digits == 0 || digits == 6 || i >= version_output.size() || version_output[i] != '.') return std::nullopt;
    return major;
}

std::string crio_dropin(const std::filesystem::path& dir) {
    return std::string(k_crio_marker) + "\n[crio.runtime]\nhooks_dir = [\n  \"/usr/share/containers/oci/hooks.d\",\n  \"" +
           dir.string() + "\",\n]\n";
}

std::string unified_diff(const std::string& path, const std::string& before, const std::string& after) {
    if (before == after) return "";
    const auto a = lines_of(before), b = lines_of(after);
    // Longest common subsequence table, then a walk that emits ' ', '-' and '+' lines.
    std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1, std::vector<std::uint32_t>(b.size() + 1, 0));
    for (std::size_t i = a.size(); i-- > 0;)
        for (std::size_t j = b.size(); j-- > 0;)
            lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    struct Line {
        char kind;
        std::size_t ai, bi; // line numbers (0-based) before and after
        const std::string* text;
    };
    std::vector<Line> ops;
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) ops.push_back({' ', i, j, &a[i]}), ++i, ++j;
        else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push_back({'-', i, j, &a[i]}), ++i;
        else ops.push_back({'+', i, j, &b[j]}), ++j;
    }
    std::ostringstream out;
    out << "--- " << path << "\n+++ " << path << " (as xarch would write it)\n";
    constexpr std::size_t k_context = 3;
    for (std::size_t k = 0; k < ops.size();) {
        if (ops[k].kind == ' ') {
            ++k;
            continue;
        }
        // A hunk: from k_context lines before this change to k_context after the last change
        // that is at most 2 * k_context lines further on.
        std::size_t first = k >= k_context ? k - k_context : 0;
        std::size_t last = k;
        for (std::size_t m = k; m < ops.size(); ++m)
            if (ops[m].kind != ' ') {
                if (m > last + 2 * k_context) break;
                last = m;
            }
        const std::size_t end = std::min(ops.size(), last + k_context + 1);
        std::size_t a_count = 0, b_count = 0;
        for (std::size_t m = first; m < end; ++m) {
            if (ops[m].kind != '+') ++a_count;
            if (ops[m].kind != '-') ++b_count;
        }
        out << "@@ -" << ops[first].ai + (a_count ? 1 : 0) << "," << a_count << " +" << ops[first].bi + (b_count ? 1 : 0)
            << "," << b_count << " @@\n";
        for (std::size_t m = first; m < end; ++m) out << ops[m].kind << *ops[m].text << "\n";
        k = end;
    }
    return out.str();
}

namespace {

std::optional<std::string> read_if_present(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw oci::SysError("stat '" + path.string() + "'", errno);
    }
    return oci::read_file_capped(path, 4 * 1024 * 1024);
}

// The files containerd loads for `main`, in its order (LoadConfig in services/server/config of
// containerd 1.6): breadth first, each file once, globs (entries holding '*') sorted, other
// relative entries against the importing file's directory.
std::vector<ConfigText> containerd_load(const std::filesystem::path& main) {
    std::vector<ConfigText> out;
    std::vector<std::filesystem::path> pending{main};
    std::vector<std::string> seen;
    for (std::size_t next = 0; next < pending.size(); ++next) {
        const auto path = pending[next];
        if (std::find(seen.begin(), seen.end(), path.string()) != seen.end()) continue;
        seen.push_back(path.string());
        auto text = read_if_present(path);
        if (!text) {
            if (out.empty()) return out;
            throw oci::Error("configure containerd: '" + path.string() + "' is imported but does not exist (containerd would not start)");
        }
        if (out.size() >= 64) throw oci::Error("configure containerd: more than 64 files are imported from '" + main.string() + "'");
        for (const auto& entry : containerd_imports(*text, "'" + path.string() + "'")) {
            if (entry.find('*') != std::string::npos) {
                glob_t g{};
                if (::glob(entry.c_str(), 0, nullptr, &g) == 0)
                    for (std::size_t k = 0; k < g.gl_pathc; ++k) pending.emplace_back(g.gl_pathv[k]);
                ::globfree(&g);
            } else {
                std::filesystem::path p = std::filesystem::path(entry).lexically_normal();
                pending.push_back(p.is_absolute() ? p : (path.parent_path() / p).lexically_normal());
            }
        }
        out.push_back({path, std::move(*text)});
    }
    return out;
}

// The user's configuration directory as podman finds it: $XDG_CONFIG_HOME, else $HOME/.config
// (podman falls back on the password database; a static xarch cannot read it portably).
std::filesystem::path user_config_home() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x == '/') return x;
    if (const char* h = std::getenv("HOME"); h && *h == '/') return std::filesystem::path(h) / ".config";
    throw oci::Error("configure podman: cannot tell your home directory; set HOME");
}

// containers.conf files as containers/common 0.50 reads them (systemConfigs): the file, then
// the .conf files of FILE.d in name order; `extra` (xarch's drop-in) takes its place there.
void add_containers_conf(std::vector<std::filesystem::path>& order, const std::filesystem::path& conf,
                         const std::filesystem::path& extra) {
    order.push_back(conf);
    std::vector<std::filesystem::path> d;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(conf.string() + ".d", ec))
        if (!e.is_directory() && e.path().extension() == ".conf") d.push_back(e.path());
    if (extra.parent_path() == std::filesystem::path(conf.string() + ".d") && std::find(d.begin(), d.end(), extra) == d.end())
        d.push_back(extra);
    std::sort(d.begin(), d.end());
    order.insert(order.end(), d.begin(), d.end());
}

// The program an option names, else `fallback` (found beside xarch); absolute and executable.
std::filesystem::path program_path(const ParsedArgs& args, const std::string& option, const std::filesystem::path& fallback,
                                   const std::string& name) {
    const std::filesystem::path p = args.value(option).value_or(fallback.string());
    if (p.empty())
        throw oci::Error("configure: cannot find " + name + " beside xarch; give its absolute path with --" + option);
    if (!p.is_absolute()) throw oci::ArgumentError("configure: --" + option + " must be an absolute path, not '" + p.string() + "'");
    if (::access(p.c_str(), X_OK) != 0)
        throw oci::Error("configure: cannot find " + name + " at '" + p.string() + "'; give its absolute path with --" + option);
    return p;
}

// dockerd's `--version` output, or nullopt when there is no dockerd in PATH (or the usual
// directories) or it does not answer within 10 s.
std::optional<std::string> dockerd_version_output() {
    const char* env = std::getenv("PATH");
    const std::string search = std::string(env ? env : "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& dir : oci::search_path_dirs(search)) {
        if (!dir.is_absolute()) continue;
        const auto dockerd = dir / "dockerd";
        if (::access(dockerd.c_str(), X_OK) != 0) continue;
        const oci::Captured r = oci::run_captured(dockerd, {"--version"}, std::chrono::seconds(10));
        if (!r.succeeded()) return std::nullopt;
        return r.output;
    }
    return std::nullopt;
}

// What `xarch configure docker` says about docker build (BuildKit): whether this Docker honours
// the drop-in's variable and, where systemd does not run dockerd, what to add by hand.
std::string buildkit_notes(const std::string& runtime, bool dropin) {
    std::string out;
    const auto version = dockerd_version_output();
    const auto major = version ? docker_major_version(*version) : std::nullopt;
    if (!dropin)
        out += "docker build (BuildKit) runs RUN steps with its own runc, not with Docker's runtimes: systemd does not "
               "run dockerd here, so start dockerd with " + std::string(k_buildkit_runc_variable) + "=" + runtime +
               " in its environment\n";
    if (major && *major < k_docker_buildkit_runc_command_since)
        out += "note: this Docker (" + *version + ") ignores " + k_buildkit_runc_variable + " (Docker " +
               std::to_string(k_docker_buildkit_runc_command_since) +
               " and later read it): docker build (BuildKit) runs foreign RUN steps only where an F entry serves their "
               "platform; register one: xarch install PLATFORM (for example xarch install arm64)\n";
    return out;
}

bool ours(const std::optional<std::string>& text, std::string_view marker) {
    return text && text->find(marker) != std::string::npos;
}

void apply(const ConfigChange& c) {
    std::error_code ec;
    if (c.after) {
        std::filesystem::create_directories(c.path.parent_path(), ec);
        if (ec) throw oci::SysError("create '" + c.path.parent_path().string() + "'", ec.value());
    }
    const std::string backup = c.path.string() + ".xarch-backup";
    if (c.before && c.backup && !c.remove_backup) oci::write_file_atomic(backup, *c.before);
    if (c.after) oci::write_file_atomic(c.path, *c.after);
    else if (::unlink(c.path.c_str()) != 0 && errno != ENOENT) throw oci::SysError("remove '" + c.path.string() + "'", errno);
    else if (c.remove_empty_dir) ::rmdir(c.path.parent_path().c_str()); // fails, harmlessly, when something else is there
    if (c.remove_backup && ::unlink(backup.c_str()) != 0 && errno != ENOENT) throw oci::SysError("remove '" + backup + "'", errno);
}

// --undo that leaves a file empty (`empty`: no settings at all, as a missing file has) removes it
// when xarch created it: there is no backup (xarch backs up only files that existed), or the
// backup is itself xarch's (empty once `undo` takes xarch's part out, yet not empty as it is: an
// empty file of the user's stays). Its backup goes with it.
void remove_if_created(ConfigChange& c, const std::function<bool(const std::string&)>& empty,
                       const std::function<std::string(const std::string&)>& undo) {
    if (!c.before || !c.after || !empty(*c.after)) return;
    const auto backup = read_if_present(c.path.string() + ".xarch-backup");
    if (backup) {
        try {
            if (empty(*backup) || !empty(undo(*backup))) return;
        } catch (const oci::Error&) {
            return; // not xarch's to judge
        }
    }
    c.after.reset();
    c.backup = false;
    c.remove_backup = backup.has_value();
}

} // namespace

int configure_command(const ParsedArgs& args, Context& ctx) {
    if (args.positional.size() != 1)
        throw oci::ArgumentError("configure needs one engine: docker, containerd, podman or crio");
    const std::string engine = args.positional.front();
    const bool undo = args.has("undo");
    const bool dry_run = args.has("dry-run");
    const bool make_default = args.has("default");
    if (make_default && engine != "docker")
        throw oci::ArgumentError("configure: --default is for docker; containerd selects a runtime per pod (a RuntimeClass "
                                 "with handler 'xarch') or per container (ctr run --runtime)");
    if (make_default && undo) throw oci::ArgumentError("configure: --default and --undo contradict each other");
    std::optional<std::filesystem::path> file;
    if (const auto f = args.value("config-file")) file = std::filesystem::absolute(*f);

    // Docker and containerd register xarch-runtime; --undo needs none.
    const std::filesystem::path runtime =
        undo || (engine != "docker" && engine != "containerd")
            ? std::filesystem::path()
            : program_path(args, "runtime", oci::program_beside("xarch-runtime"), "xarch-runtime");
    std::vector<ConfigChange> changes;
    std::string restart;
    std::string notes; // said whether or not anything changed
    if (engine == "docker") {
        const auto path = file.value_or("/etc/docker/daemon.json");
        const std::string source = "'" + path.string() + "'";
        ConfigChange c{path, read_if_present(path), {}};
        c.after = docker_config(c.before, source, runtime.string(), make_default, undo);
        if (!c.before && c.after->empty()) c.after.reset();
        if (undo)
            remove_if_created(
                c,
                [&](const std::string& text) {
                    try {
                        return text.find_first_not_of(" \t\r\n") == std::string::npos || oci::parse_json_object(text, source).empty();
                    } catch (const oci::Error&) {
                        return false;
                    }
                },
                [&](const std::string& text) { return docker_config(text, source, "", false, true); });
        changes.push_back(std::move(c));
        // BuildKit's RUN steps: a drop-in for docker.service where systemd runs dockerd (or
        // under --unit-dir); --undo removes it wherever it is.
        const auto unit_dir = args.value("unit-dir");
        const std::filesystem::path dropin_path =
            std::filesystem::absolute(unit_dir.value_or("/etc/systemd/system")) / "docker.service.d/xarch.conf";
        const bool dropin = unit_dir.has_value() || oci::systemd_booted();
        ConfigChange d{dropin_path, read_if_present(dropin_path), {}, false, false, true};
        if (d.before && !docker_buildkit_dropin_ours(*d.before))
            throw oci::Error("configure docker: '" + dropin_path.string() + "' exists and was not written by xarch; left as it is");
        if (!undo && dropin) d.after = docker_buildkit_dropin(runtime.string());
        const bool dropin_changes = d.before != d.after;
        changes.push_back(std::move(d));
        // A reload adds and changes runtimes, but keeps those no longer in the file; dockerd reads
        // its environment only when it starts.
        if (dropin_changes)
            restart = "restart Docker to apply it: systemctl daemon-reload && systemctl restart docker" +
                      std::string(undo ? "" : make_default ? "; then every docker run and docker build goes through xarch"
                                                           : "; then docker run --runtime xarch ... and docker build go through xarch");
        else
            restart = undo ? "restart Docker to apply it: systemctl restart docker (a reload keeps the runtimes it knows)"
                           : "reload Docker to apply it: systemctl reload docker (or kill -HUP the dockerd process)" +
                                 std::string(make_default ? "; then every docker run goes through xarch"
                                                          : "; then docker run --runtime xarch ...");
        if (!undo) notes = buildkit_notes(runtime.string(), dropin);
    } else if (engine == "containerd") {
        const auto path = file.value_or("/etc/containerd/config.toml");
        for (auto& c : containerd_changes(path, containerd_load(path), runtime.string(), undo)) {
            const std::string source = "'" + c.path.string() + "'";
            if (undo)
                remove_if_created(
                    c,
                    [&](const std::string& text) {
                        try {
                            const toml::table t = parse_toml(text, source);
                            return std::all_of(t.begin(), t.end(), [](const auto& kv) { return kv.first.str() == "version"; });
                        } catch (const oci::Error&) {
                            return false;
                        }
                    },
                    [&](const std::string& text) { return without_block(text, source); });
            changes.push_back(std::move(c));
        }
        restart = "restart containerd to apply it: systemctl restart containerd" +
                  std::string(undo ? "" : "; then a RuntimeClass with handler 'xarch' (share/xarch/kubernetes/runtimeclass.yaml) "
                                          "runs pods through xarch-runtime");
    } else if (engine == "podman" || engine == "crio") {
        // podman as a user reads that user's containers.conf and hooks directory, not root's.
        const bool rootless = engine == "podman" && ::geteuid() != 0;
        const std::filesystem::path home = rootless ? user_config_home() : std::filesystem::path();
        const std::filesystem::path dir = engine == "podman" && file ? *file
                                          : rootless                 ? home / "containers/oci/hooks.d"
                                                                     : "/etc/containers/oci/hooks.d";
        const auto hook = undo ? std::filesystem::path() : program_path(args, "hook", oci::hook_binary(ctx.settings), "xarch-hook");
        for (const std::string stage : {"prestart", "poststop"}) {
            const auto path = dir / ("xarch-" + stage + ".json");
            ConfigChange c{path, read_if_present(path), {}};
            c.backup = !ours(c.before, "\"xarch-hook\"");
            if (!undo) c.after = hooks_d_entry(hook, stage);
            else if (c.before && c.backup)
                throw oci::Error("configure " + engine + " --undo: '" + path.string() + "' does not run xarch-hook; left as it is");
            changes.push_back(std::move(c));
        }
        if (engine == "crio") {
            const auto path = file.value_or("/etc/crio/crio.conf.d/50-xarch.conf");
            ConfigChange c{path, read_if_present(path), {}};
            if (c.before && !ours(c.before, k_crio_marker))
                throw oci::Error("configure crio: '" + path.string() + "' exists and was not written by xarch; left as it is");
            if (!undo) c.after = crio_dropin(dir);
            changes.push_back(std::move(c));
            restart = "restart CRI-O to apply it: systemctl restart crio";
        } else if (!file) {
            // podman 4.3 reads hooks.d entries only from containers.conf's hooks_dir (default
            // /usr/share/containers/oci/hooks.d): a drop-in adds the directory to what it read.
            if (const char* only = std::getenv("CONTAINERS_CONF"); only && *only)
                throw oci::Error("configure podman: CONTAINERS_CONF is set, so podman reads only '" + std::string(only) +
                                 "': add \"" + dir.string() + "\" to its [engine] hooks_dir, or unset CONTAINERS_CONF");
            const std::filesystem::path dropin =
                (rootless ? home / "containers" : std::filesystem::path("/etc/containers")) / "containers.conf.d/xarch.conf";
            std::vector<std::filesystem::path> order{"/usr/share/containers/containers.conf"};
            add_containers_conf(order, "/etc/containers/containers.conf", dropin);
            if (rootless) add_containers_conf(order, home / "containers/containers.conf", dropin);
            std::vector<ConfigText> before_ours;
            bool past = false;
            for (const auto& p : order) {
                if (p == dropin) {
                    past = true;
                    continue;
                }
                auto text = read_if_present(p);
                if (!text) continue;
                ConfigText f{p, std::move(*text)};
                if (!past) before_ours.push_back(std::move(f));
                else if (auto set = hooks_dir_of(f); set && !undo && std::find(set->begin(), set->end(), dir.string()) == set->end())
                    throw oci::Error("configure podman: '" + p.string() + "' sets [engine] hooks_dir after xarch's drop-in '" +
                                     dropin.string() + "' would: add \"" + dir.string() + "\" there");
            }
            ConfigChange c{dropin, read_if_present(dropin), {}, false};
            if (c.before && !podman_dropin_ours(*c.before))
                throw oci::Error("configure podman: '" + dropin.string() + "' exists and was not written by xarch; left as it is");
            if (!undo) c.after = podman_dropin(podman_hooks_dirs(before_ours), dir);
            changes.push_back(std::move(c));
            restart = "podman reads containers.conf and hooks.d for every command: nothing to restart";
        } else {
            restart = "podman reads hooks.d for every container: nothing to restart (run it with --hooks-dir " + dir.string() + ")";
        }
    } else {
        throw oci::ArgumentError("configure: unknown engine '" + engine + "': use docker, containerd, podman or crio");
    }

    bool changed = false;
    for (const auto& c : changes) {
        if (c.before == c.after) continue;
        changed = true;
        if (dry_run) {
            ctx.out << unified_diff(c.path.string(), c.before.value_or(""), c.after.value_or(""));
            continue;
        }
        apply(c);
        ctx.out << (c.after ? (c.before ? "updated " : "wrote ") : "removed ") << c.path.string()
                << (c.before && c.backup && !c.remove_backup ? " (the previous version is in " + c.path.string() + ".xarch-backup)" : "") << "\n";
    }
    if (!changed) {
        ctx.out << "configure " << engine << ": " << (undo ? "nothing of xarch's is configured" : "already configured") << "\n"
                << notes;
        return k_exit_ok;
    }
    if (!dry_run) ctx.out << restart << "\n";
    ctx.out << notes;
    return k_exit_ok;
}

} // namespace cli
