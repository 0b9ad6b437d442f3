// xarch configure: one command per engine (Docker, containerd, podman, CRI-O).
#include "cli/configure.hpp"

#include "cli/cli.hpp"
#include "cli/commands.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/json.hpp"

#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ostream>
#include <sstream>
#include <vector>

namespace cli {

namespace {

constexpr const char* k_block_begin = "# xarch configure containerd: begin (remove with: xarch configure containerd --undo)";
constexpr const char* k_block_end = "# xarch configure containerd: end";
constexpr const char* k_crio_marker = "# Written by xarch configure crio; remove with: xarch configure crio --undo";

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
                              const std::string& runtime, bool undo) {
    if (runtime.find_first_of("\"\\\n") != std::string::npos)
        throw oci::Error("configure containerd: the runtime path '" + runtime + "' cannot be written into TOML as it is");
    const std::string rest = without_block(text.value_or(""), source);
    if (undo) {
        parse_toml(rest, source); // what is left must still be containerd's to read
        return rest;
    }
    // A new file is written for the config version of Debian's containerd (1.6): 2.
    std::string out = rest.find_first_not_of(" \t\r\n") == std::string::npos ? "version = 2\n" : rest;
    const toml::table parsed = parse_toml(out, source);
    const std::int64_t version = parsed["version"].value_or(std::int64_t{1});
    const auto keys = runtimes_table(version);
    auto handler = keys;
    handler.push_back(k_runtime_name);
    if (at(parsed, handler))
        throw oci::Error("edit " + source + ": it already defines the runtime handler '" + std::string(k_runtime_name) +
                         "' (not written by xarch configure); remove that table first");
    if (out.back() != '\n') out += '\n';
    const std::string header = table_header(handler);
    out += "\n" + std::string(k_block_begin) + "\n[" + header + "]\n  runtime_type = \"io.containerd.runc.v2\"\n[" + header +
           ".options]\n  BinaryName = \"" + runtime + "\"\n" + k_block_end + "\n";
    // What containerd will read: the handler must be there, with our binary.
    const toml::table check = parse_toml(out, source + " (as edited)");
    auto binary = handler;
    binary.insert(binary.end(), {"options", "BinaryName"});
    const auto version_after = check["version"].value_or(std::int64_t{1});
    if (version_after != version || at(check, binary).value_or(std::string()) != runtime)
        throw oci::Error("edit " + source + ": the runtime handler cannot be added at the end of this file (is '" +
                         table_header(keys) + "' an inline table?); add it by hand from share/xarch/containerd/xarch.toml");
    return out;
}

std::string hooks_d_entry(const std::filesystem::path& hook, const std::string& stage) {
    const oci::Json doc{{"version", "1.0.0"},
                        {"hook", {{"path", hook.string()}, {"args", {"xarch-hook", stage}}, {"timeout", 30}}},
                        {"when", {{"always", true}}},
                        {"stages", {stage}}};
    return doc.dump(2) + "\n";
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

struct FileChange {
    std::filesystem::path path;
    std::optional<std::string> before; // nullopt: absent
    std::optional<std::string> after;  // nullopt: removed
};

std::optional<std::string> read_if_present(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw oci::SysError("stat '" + path.string() + "'", errno);
    }
    return oci::read_file_capped(path, 4 * 1024 * 1024);
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

bool ours(const std::optional<std::string>& text, std::string_view marker) {
    return text && text->find(marker) != std::string::npos;
}

void apply(const FileChange& c) {
    std::error_code ec;
    if (c.after) {
        std::filesystem::create_directories(c.path.parent_path(), ec);
        if (ec) throw oci::SysError("create '" + c.path.parent_path().string() + "'", ec.value());
    }
    if (c.before) oci::write_file_atomic(c.path.string() + ".xarch-backup", *c.before);
    if (c.after) oci::write_file_atomic(c.path, *c.after);
    else if (::unlink(c.path.c_str()) != 0 && errno != ENOENT) throw oci::SysError("remove '" + c.path.string() + "'", errno);
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
    std::vector<FileChange> changes;
    std::string restart;
    if (engine == "docker") {
        const auto path = file.value_or("/etc/docker/daemon.json");
        FileChange c{path, read_if_present(path), {}};
        c.after = docker_config(c.before, "'" + path.string() + "'", runtime.string(), make_default, undo);
        if (!c.before && c.after->empty()) c.after.reset();
        changes.push_back(std::move(c));
        // A reload adds and changes runtimes, but keeps those no longer in the file.
        restart = undo ? "restart Docker to apply it: systemctl restart docker (a reload keeps the runtimes it knows)"
                       : "reload Docker to apply it: systemctl reload docker (or kill -HUP the dockerd process)" +
                             std::string(make_default ? "; then every docker run goes through xarch"
                                                      : "; then docker run --runtime xarch ...");
    } else if (engine == "containerd") {
        const auto path = file.value_or("/etc/containerd/config.toml");
        FileChange c{path, read_if_present(path), {}};
        c.after = containerd_config(c.before, "'" + path.string() + "'", runtime.string(), undo);
        if (!c.before && c.after->empty()) c.after.reset();
        changes.push_back(std::move(c));
        restart = "restart containerd to apply it: systemctl restart containerd" +
                  std::string(undo ? "" : "; then a RuntimeClass with handler 'xarch' (share/xarch/kubernetes/runtimeclass.yaml) "
                                          "runs pods through xarch-runtime");
    } else if (engine == "podman" || engine == "crio") {
        const std::filesystem::path dir = engine == "podman" && file ? *file : "/etc/containers/oci/hooks.d";
        const auto hook = undo ? std::filesystem::path() : program_path(args, "hook", oci::hook_binary(ctx.settings), "xarch-hook");
        for (const std::string stage : {"prestart", "poststop"}) {
            const auto path = dir / ("xarch-" + stage + ".json");
            FileChange c{path, read_if_present(path), {}};
            if (!undo) c.after = hooks_d_entry(hook, stage);
            else if (c.before && !ours(c.before, "\"xarch-hook\""))
                throw oci::Error("configure " + engine + " --undo: '" + path.string() + "' does not run xarch-hook; left as it is");
            changes.push_back(std::move(c));
        }
        if (engine == "crio") {
            const auto path = file.value_or("/etc/crio/crio.conf.d/50-xarch.conf");
            FileChange c{path, read_if_present(path), {}};
            if (c.before && !ours(c.before, k_crio_marker))
                throw oci::Error("configure crio: '" + path.string() + "' exists and was not written by xarch; left as it is");
            if (!undo) c.after = crio_dropin(dir);
            changes.push_back(std::move(c));
            restart = "restart CRI-O to apply it: systemctl restart crio";
        } else {
            restart = "podman reads hooks.d for every container: nothing to restart";
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
                << (c.before ? " (the previous version is in " + c.path.string() + ".xarch-backup)" : "") << "\n";
    }
    if (!changed) {
        ctx.out << "configure " << engine << ": " << (undo ? "nothing of xarch's is configured" : "already configured") << "\n";
        return k_exit_ok;
    }
    if (dry_run) return k_exit_ok;
    ctx.out << restart << "\n";
    return k_exit_ok;
}

} // namespace cli
