#include "oci/spec.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/json.hpp"

namespace oci {

namespace {

const Json* member(const Json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::vector<std::string> string_array(const Json& config, const char* key) {
    std::vector<std::string> out;
    const auto* process = member(config, "process");
    const auto* value = process ? member(*process, key) : nullptr;
    if (!value || value->is_null()) return out;
    if (!value->is_array()) throw Error(std::string("config.json: process.") + key + " is not an array");
    for (const auto& v : *value) {
        if (!v.is_string()) throw Error(std::string("config.json: process.") + key + " holds a non-string");
        out.push_back(v.get<std::string>());
    }
    return out;
}

} // namespace

State parse_state(const std::string& text) {
    const Json doc = parse_json_object(text, "OCI state");
    State s;
    const auto get_string = [&](const char* key, bool required) -> std::string {
        const auto* v = member(doc, key);
        if (!v) {
            if (required) throw Error(std::string("OCI state: missing '") + key + "'");
            return {};
        }
        if (!v->is_string()) throw Error(std::string("OCI state: '") + key + "' is not a string");
        return v->get<std::string>();
    };
    s.oci_version = get_string("ociVersion", false);
    s.id = get_string("id", true);
    s.status = get_string("status", false);
    const std::string bundle = get_string("bundle", true);
    if (bundle.empty() || bundle.front() != '/') throw Error("OCI state: 'bundle' is not an absolute path: '" + bundle + "'");
    s.bundle = bundle;
    if (const auto* pid = member(doc, "pid"); pid && !pid->is_null()) {
        if (!pid->is_number_integer()) throw Error("OCI state: 'pid' is not an integer");
        const auto value = pid->get<long long>();
        if (value < 0 || value > 0x3fffffff) throw Error("OCI state: 'pid' out of range: " + std::to_string(value));
        s.pid = static_cast<pid_t>(value);
    }
    if (const auto* root = member(doc, "root"); root && !root->is_null()) {
        if (!root->is_string()) throw Error("OCI state: 'root' is not a string");
        s.root = root->get<std::string>();
    }
    if (const auto* ann = member(doc, "annotations"); ann && !ann->is_null()) {
        if (!ann->is_object()) throw Error("OCI state: 'annotations' is not an object");
        s.annotations = *ann;
    }
    return s;
}

Json parse_config(const std::string& text, const std::string& source) {
    return parse_json_object(text, source);
}

Json load_config(const std::filesystem::path& bundle) {
    const auto path = bundle / "config.json";
    return parse_config(read_file_capped(path), "'" + path.string() + "'");
}

std::filesystem::path rootfs_path(const Json& config, const std::filesystem::path& bundle) {
    const auto* root = member(config, "root");
    const auto* path = root ? member(*root, "path") : nullptr;
    if (!path || !path->is_string() || path->get<std::string>().empty())
        throw Error("config.json: root.path is missing or not a string");
    const std::filesystem::path p = path->get<std::string>();
    return p.is_absolute() ? p : bundle / p;
}

std::vector<std::string> process_args(const Json& config) { return string_array(config, "args"); }

CommandLookup process_lookup(const Json& config) {
    CommandLookup lookup;
    lookup.env = string_array(config, "env");
    const auto* process = member(config, "process");
    if (const auto* cwd = process ? member(*process, "cwd") : nullptr; cwd && !cwd->is_null()) {
        if (!cwd->is_string()) throw Error("config.json: process.cwd is not a string");
        lookup.cwd = cwd->get<std::string>();
        if (lookup.cwd.empty()) lookup.cwd = "/";
    }
    return lookup;
}

std::optional<std::string> annotation(const Json& config, const std::string& key) {
    const auto* ann = member(config, "annotations");
    if (!ann || !ann->is_object()) return std::nullopt;
    auto it = ann->find(key);
    if (it == ann->end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

bool config_has_userns(const Json& config) {
    const auto* linux_section = member(config, "linux");
    const auto* namespaces = linux_section ? member(*linux_section, "namespaces") : nullptr;
    if (!namespaces || !namespaces->is_array()) return false;
    for (const auto& ns : *namespaces)
        if (ns.is_object() && ns.contains("type") && ns["type"] == "user") return true;
    return false;
}

bool config_maps_host_root(const Json& config, const UserNamespace& runtime_ns) {
    if (!config_has_userns(config)) return false;
    const auto* linux_section = member(config, "linux");
    const auto* mappings = member(*linux_section, "uidMappings");
    if (!mappings || !mappings->is_array() || mappings->empty()) return true; // unknown: assume the worst
    IdMap map;
    for (const auto& m : *mappings) {
        if (!m.is_object() || !m.contains("hostID") || !m.contains("size") || !m["hostID"].is_number_unsigned() ||
            !m["size"].is_number_unsigned() || m["hostID"].get<std::uint64_t>() > UINT32_MAX ||
            m["size"].get<std::uint64_t>() > UINT32_MAX)
            throw Error("config.json: linux.uidMappings holds a malformed entry");
        map.push_back({0, m["hostID"].get<std::uint32_t>(), m["size"].get<std::uint32_t>()});
    }
    // hostID is an id of the runtime's namespace: host root only where that namespace maps it.
    return child_maps_host_root(map, runtime_ns);
}

bool config_grants_sys_admin(const Json& config) {
    const auto* process = member(config, "process");
    const auto* caps = process ? member(*process, "capabilities") : nullptr;
    const auto* bounding = caps ? member(*caps, "bounding") : nullptr;
    if (!bounding) return false;
    if (!bounding->is_array()) throw Error("config.json: process.capabilities.bounding is not an array");
    for (const auto& c : *bounding)
        if (c.is_string() && c.get<std::string>() == "CAP_SYS_ADMIN") return true;
    return false;
}

bool has_mount(const Json& config, const std::string& destination) {
    const auto* mounts = member(config, "mounts");
    if (!mounts || !mounts->is_array()) return false;
    for (const auto& m : *mounts) {
        const auto* d = member(m, "destination");
        if (d && d->is_string() && d->get<std::string>() == destination) return true;
    }
    return false;
}

void add_bind_mount(Json& config, const BindMount& mount) {
    if (has_mount(config, mount.destination)) return;
    auto& mounts = config["mounts"];
    if (mounts.is_null()) mounts = Json::array();
    if (!mounts.is_array()) throw Error("config.json: mounts is not an array");
    mounts.push_back({{"destination", mount.destination},
                      {"type", "bind"},
                      {"source", mount.source},
                      {"options", {"bind", "ro", "nosuid", "nodev", "rprivate"}}});
}

bool place_hook(Json& config, const std::string& stage, const std::string& path, const std::vector<std::string>& args,
                const std::vector<std::string>& other_stages) {
    auto& hooks = config["hooks"];
    if (hooks.is_null()) hooks = Json::object();
    if (!hooks.is_object()) throw Error("config.json: hooks is not an object");
    const std::string program = args.empty() ? std::filesystem::path(path).filename().string() : args.front();
    const auto same_program = [&](const Json& h) {
        if (!h.is_object()) return false;
        const auto p = h.find("path");
        if (p != h.end() && p->is_string() && std::filesystem::path(p->get<std::string>()).filename() == program) return true;
        const auto a = h.find("args");
        return a != h.end() && a->is_array() && !a->empty() && (*a)[0].is_string() && (*a)[0].get<std::string>() == program;
    };
    const auto list_of = [&](const std::string& name) -> Json* {
        const auto it = hooks.find(name);
        if (it == hooks.end() || it->is_null()) return nullptr;
        if (!it->is_array()) throw Error("config.json: hooks." + name + " is not an array");
        return &*it;
    };
    bool changed = false;
    for (const auto& other : other_stages) {
        if (other == stage) continue;
        Json* list = list_of(other);
        if (!list) continue;
        Json kept = Json::array();
        for (auto& h : *list)
            if (same_program(h)) changed = true;
            else kept.push_back(std::move(h));
        *list = std::move(kept);
    }
    const Json entry{{"path", path}, {"args", args}};
    Json* list = list_of(stage);
    if (!list) {
        hooks[stage] = Json::array({entry});
        return true;
    }
    Json kept = Json::array();
    bool placed = false;
    for (auto& h : *list) {
        if (!same_program(h)) {
            kept.push_back(std::move(h));
        } else if (!placed) {
            // The user's other keys (timeout, env) stay; path and args become ours.
            // Compared as JSON values: another tool's entry may hold anything there.
            if (!h.contains("path") || h["path"] != entry["path"] || !h.contains("args") || h["args"] != entry["args"])
                changed = true;
            h["path"] = path;
            h["args"] = args;
            kept.push_back(std::move(h));
            placed = true;
        } else {
            changed = true; // a second copy of the same program at this stage
        }
    }
    if (!placed) {
        kept.push_back(entry);
        changed = true;
    }
    *list = std::move(kept);
    return changed;
}

} // namespace oci
