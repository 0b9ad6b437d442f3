#include "engine/prepare.hpp"

#include "base/error.hpp"
#include "oci/mount.hpp"
#include "oci/rootfs.hpp"
#include "oci/seccomp.hpp"
#include "oci/spec.hpp"

#include <spdlog/spdlog.h>

namespace oci {

ConfigEdit bind_mount_edit(const std::string& destination, const std::filesystem::path& source) {
    return {"bind mount " + source.string() + " read-only at " + destination,
            [destination, source](Json& config, std::vector<std::string>&) {
                if (has_mount(config, destination)) return false;
                add_bind_mount(config, {destination, source.string()});
                return true;
            }};
}

ConfigEdit hook_edit(const std::string& stage, const std::filesystem::path& path, const std::vector<std::string>& args,
                     const std::vector<std::string>& other_stages) {
    return {"run " + path.string() + " at " + stage,
            [stage, path, args, other_stages](Json& config, std::vector<std::string>&) {
                return place_hook(config, stage, path.string(), args, other_stages);
            }};
}

ConfigEdit seccomp_edit() {
    return {"allow the host's own architecture in the seccomp profile (the emulator's system calls are the host's)",
            [](Json& config, std::vector<std::string>& warnings) {
                const SeccompFix fix = ensure_native_seccomp_arch(config);
                for (const auto& name : fix.unknown_syscalls)
                    warnings.push_back("seccomp: the host does not know system call '" + name + "' named in the profile");
                return fix.changed;
            }};
}

std::vector<std::string> apply_edits(Json& config, const std::vector<ConfigEdit>& edits,
                                     std::vector<std::string>& warnings) {
    std::vector<std::string> changed;
    for (const auto& e : edits)
        if (e.apply(config, warnings)) changed.push_back(e.what);
    return changed;
}

Prepared plan_edits(Way way, const Action& action, const Json& config, const std::filesystem::path& rootfs,
                    const std::string& container_id, const std::vector<std::string>& missing,
                    const std::filesystem::path& poststop_hook, const std::filesystem::path& settings_file) {
    Prepared p;
    p.action = action;
    if (way == Way::Running || action.kind == ActionKind::Fail || action.kind == ActionKind::Native) return p;
    // The user's own mount at the interpreter path wins; then nothing of ours is created there.
    if (action.kind == ActionKind::Mount && !has_mount(config, action.target)) {
        p.edits.push_back(bind_mount_edit(action.target, action.source));
        // The runtime creates the mount target; a poststop xarch-hook takes it out again.
        if (way == Way::Precreate) {
            p.record = Record{rootfs, "", missing}; // hooks.d runs poststop; the id is not known yet
        } else if (!poststop_hook.empty()) {
            p.record = Record{rootfs, container_id, missing};
            std::vector<std::string> args{"xarch-hook", "poststop"};
            if (!settings_file.empty() && settings_file != k_default_settings_path)
                args.insert(args.begin() + 1, {"--config", settings_file.string()});
            p.edits.push_back(hook_edit("poststop", poststop_hook, args));
        }
    }
    p.edits.push_back(seccomp_edit());
    return p;
}

std::vector<std::string> apply_prepared(const Prepared& p, Json& config, const std::string& source) {
    if (!p.action.warning.empty()) spdlog::warn("{}", p.action.warning);
    std::vector<std::string> warnings;
    const auto changed = apply_edits(config, p.edits, warnings);
    for (const auto& w : warnings) spdlog::warn("{}", w);
    if (p.action.kind == ActionKind::Mount) spdlog::info("{} ({})", p.action.reason, source);
    else spdlog::debug("{}", p.action.reason);
    for (const auto& what : changed) spdlog::info("{}", what);
    return changed;
}

ContainerInfo container_info(const Json& config, const std::filesystem::path& rootfs, pid_t pid) {
    ContainerInfo info;
    info.rootfs = rootfs;
    if (pid != 0) {
        check_container_pid(pid); // before anything of /proc/<pid> is read
        info.pid = pid;
        info.own_userns = process_has_own_userns(pid);
        info.maps_host_root = info.own_userns && process_maps_host_root(pid);
    } else {
        info.own_userns = config_has_userns(config);
        info.maps_host_root = config_maps_host_root(config);
    }
    // The runtime gives the container's process the capabilities config.json names; in a
    // namespace without host root (rootless) they cannot write host root's emulator anyway.
    info.sys_admin = !info.own_userns && this_user_namespace().maps_host_root() && config_grants_sys_admin(config);
    return info;
}

Prepared prepare(Way way, const Json& config, const ImageInfo& image, const Platform& host,
                 const Settings& settings, const ContainerInfo& container, const std::string& container_id,
                 const std::filesystem::path& poststop_hook, const std::function<void(const Record&)>& record_ahead) {
    const Action action = resolve_action(image, host, settings, container);
    if (action.kind != ActionKind::Mount)
        return plan_edits(way, action, config, container.rootfs, container_id, {}, poststop_hook, settings.file);
    if (way == Way::Running) {
        if (container.pid <= 0)
            throw Error("the OCI state has no container pid; run xarch-hook at the prestart or createRuntime stage");
        Prepared p;
        p.action = action;
        if (record_ahead) {
            // From the host's view of the rootfs; recording more than gets created is harmless
            // (poststop removes only empty files and directories).
            std::vector<std::string> ahead;
            try {
                ahead = missing_paths(Rootfs::open(container.rootfs), action.target);
            } catch (const Error&) {
            }
            record_ahead(Record{container.rootfs, container_id, ahead});
        }
        // A record even when nothing was created: it marks the rootfs as in use by this container.
        p.record = Record{container.rootfs, container_id,
                          bind_into_container(container.pid, container.rootfs, action.source, action.target)};
        return p;
    }
    const auto missing = has_mount(config, action.target) ? std::vector<std::string>{}
                                                          : missing_paths(Rootfs::open(container.rootfs), action.target);
    return plan_edits(way, action, config, container.rootfs, container_id, missing, poststop_hook, settings.file);
}

void remove_created_for(const std::filesystem::path& state_dir, const std::filesystem::path& rootfs,
                        const std::string& container, const std::string& who) {
    const auto paths = release_record(record_dir(state_dir), rootfs, container);
    if (!paths) {
        spdlog::debug("{}: nothing was created in {}", who, rootfs.string());
        return;
    }
    if (paths->empty()) {
        spdlog::debug("{}: {} is still used by another container, or nothing was created in it", who, rootfs.string());
        return;
    }
    const auto removed = remove_created(Rootfs::open(rootfs), *paths);
    spdlog::debug("{}: removed {} of {} paths created in {}", who, removed, paths->size(), rootfs.string());
}

} // namespace oci
