#include "engine/resolve.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "binfmt/host.hpp"
#include "binfmt/probe.hpp"
#include "binfmt/registrations.hpp"
#include "oci/mount.hpp"
#include "oci/rootfs.hpp"

#include <spdlog/spdlog.h>

#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace oci {

namespace {

// Whether this process can give its user namespace a binfmt_misc of its own: Linux >= 6.7
// and CAP_SYS_ADMIN in the namespace (the hook and the runtime run as its root).
bool namespace_instances_supported() {
    const auto kernel = parse_kernel_release(kernel_release());
    if (!kernel || !supports_binfmt_userns(*kernel)) return false;
    const std::string status = read_file_capped("/proc/self/status", 64 * 1024);
    const auto at = status.find("\nCapEff:");
    if (at == std::string::npos) return false;
    const unsigned long long caps = std::strtoull(status.c_str() + at + 8, nullptr, 16);
    return (caps & (1ULL << CAP_SYS_ADMIN)) != 0;
}

// The instance replaces every host entry for this namespace from now on: copy the ones the
// namespace used, and refuse when the host has handlers xarch cannot see to copy.
void create_namespace_instance(const Facts& facts, const BinfmtEntry& entry) {
    if (!facts.binfmt) {
        std::vector<Platform> foreign;
        std::vector<std::vector<std::uint8_t>> programs;
        for (const auto& p : probe_platforms())
            if (!is_host_platform(p, facts.host)) {
                foreign.push_back(p);
                programs.push_back(exit_probe(p));
            }
        const auto results = run_programs(programs, std::chrono::seconds(5));
        for (std::size_t i = 0; i < results.size(); ++i)
            if (results[i].proved() && !runs_natively(foreign[i], facts.host))
                throw Error("binfmt_misc is not mounted here, but the host runs " + foreign[i].str() +
                            " programs through a handler that a binfmt_misc of this user namespace would hide; "
                            "restart the rootless namespace so that it sees the host's binfmt_misc (podman: podman "
                            "system migrate), or as root on the host: xarch install " + facts.image.short_name());
    }
    for (const auto& skipped : create_binfmt_instance(k_binfmt_default_dir, facts.binfmt ? &*facts.binfmt : nullptr, entry))
        spdlog::warn("{}", skipped);
    spdlog::info("gave this user namespace its own binfmt_misc at {} ({} entries copied from the host's)",
                 k_binfmt_default_dir, facts.binfmt ? facts.binfmt->entries.size() : 0);
}

} // namespace

Facts gather_facts(const ImageInfo& image, const Platform& host, const Settings& settings, bool may_mount) {
    Facts f;
    f.image = image.platform;
    f.host = host;
    f.head = image.head;
    f.filename = image.file;
    f.policy = settings.policy;
    f.settings_file = settings.file;
    if (is_host_platform(image.platform, host)) {
        f.native = true; // the fast path: no binfmt_misc entry is ever registered for the host's own machine
        return f;
    }

    const UserNamespace& ns = this_user_namespace();
    f.rootless = !ns.maps_host_root();
    const BinfmtEntry* handler = nullptr;
    try {
        // Mounting binfmt_misc in a namespace that is not the host's would give that namespace
        // an instance of its own, hiding the host's entries: only ever on purpose (Register).
        if (const auto dir = locate_binfmt(may_mount && ns.initial())) {
            f.binfmt = read_binfmt(*dir);
            handler = find_handler(*f.binfmt, f.head, f.filename);
            if (handler) f.handler_interpreter = inspect_emulator(handler->interpreter, host);
            f.can_register = ::geteuid() == 0 && ::access((*dir / "register").c_str(), W_OK) == 0;
            struct stat st {};
            // An instance of this namespace's own is owned by its root; the host's shows the overflow uid.
            f.binfmt_is_host = !(f.rootless && ::stat((*dir / "register").c_str(), &st) == 0 && st.st_uid == 0);
        }
        f.can_create_instance = f.rootless && f.binfmt_is_host && namespace_instances_supported();
    } catch (const Error&) {
        // Code the host runs itself must not be stopped by a binfmt_misc xarch cannot read.
        if (!runs_natively(image.platform, host)) throw;
        f.binfmt.reset();
        f.native = true;
        return f;
    }
    // The probe is only meaningful when no entry would intercept it.
    if (!handler) f.native = runs_natively(image.platform, host);
    if (f.native) return f;
    // Rootless, the host's binfmt_misc may be mounted where this namespace cannot see it.
    if (!f.binfmt && f.rootless)
        if (const auto probe = exit_probe(image.platform); !probe.empty()) f.runs_unseen = run_program(probe).proved();
    if (const std::string qemu = qemu_target(image.platform); !qemu.empty()) {
        FoundEmulator found = search_emulator(qemu, settings.emulator_dirs, host);
        f.emulator = std::move(found.emulator);
        f.rejected = std::move(found.rejected);
        if (f.emulator && found.binfmt_p && found.binfmt_p->resolved == f.emulator->resolved)
            f.argv0_interpreter = found.binfmt_p->path;
    }
    return f;
}

bool mounts_binfmt_first(const Facts& f) {
    // binfmt_misc is mounted only when xarch is about to register in it, never for an image
    // the host runs itself, and never in a namespace that is not the host's (that would give
    // the namespace an instance of its own).
    return !f.binfmt && !f.native && !f.rootless && f.policy == Policy::Register;
}

Action resolve_action(const ImageInfo& image, const Platform& host, const Settings& settings,
                      const ContainerInfo& container) {
    const auto gather = [&] {
        Facts f = gather_facts(image, host, settings, false);
        f.userns_maps_host_root = container.maps_host_root;
        f.container_sys_admin = container.sys_admin;
        // Where a bind mount of the host's emulator would be refused, whether the image has one of
        // its own at the entry's path (then it runs without xarch, and is left to do so).
        if (f.container_sys_admin || f.userns_maps_host_root)
            if (const BinfmtEntry* h = active_handler(f); h && !h->has_flag('F')) {
                try {
                    f.image_has_interpreter = Rootfs::open(container.rootfs).is_executable(h->interpreter);
                } catch (const Error& e) {
                    spdlog::debug("cannot look for {} in the rootfs: {}", h->interpreter, e.what());
                }
            }
        f.can_register_in_container = !f.native && container.own_userns && container.pid > 0 &&
                                      namespace_instances_supported();
        return f;
    };
    Facts facts = gather();
    if (mounts_binfmt_first(facts) && ::geteuid() == 0 && this_user_namespace().initial() && locate_binfmt(true))
        facts = gather();
    Action action = decide(facts);
    spdlog::debug("decision for {} ({}): {}: {}", image.platform.str(), image.source, to_string(action.kind), action.reason);
    if (action.kind != ActionKind::Register) return action;

    switch (action.scope) {
    case RegisterScope::Container: {
        // Nothing outside the container can see this instance: the decision is the result.
        for (const auto& skipped : register_in_container(container.pid, container.rootfs,
                                                         facts.binfmt ? &*facts.binfmt : nullptr, action.entry))
            spdlog::warn("{}", skipped);
        spdlog::info("registered binfmt_misc handler '{}' for {} in the container's own user namespace: {} (flags {})",
                     action.entry.name, image.platform.str(), action.entry.interpreter, action.entry.flags);
        Action covered;
        covered.kind = ActionKind::Covered;
        covered.reason = "F registration '" + action.entry.name + "' in the container's own binfmt_misc covers " +
                         image.platform.str();
        return covered;
    }
    case RegisterScope::OwnNamespace:
        create_namespace_instance(facts, action.entry);
        spdlog::info("registered binfmt_misc handler '{}' for {} in this user namespace's own binfmt_misc: {} (flags {})",
                     action.entry.name, image.platform.str(), action.entry.interpreter, action.entry.flags);
        break;
    case RegisterScope::Visible: {
        const auto dir = locate_binfmt(false);
        if (!dir) throw Error("binfmt_misc disappeared while registering '" + action.entry.name + "'");
        if (register_binfmt(*dir, action.entry)) {
            spdlog::info("registered binfmt_misc handler '{}' for {}: {} (flags {})", action.entry.name,
                         image.platform.str(), action.entry.interpreter, action.entry.flags);
            // Host-wide: recorded, so that purging the package removes it (an instance of a user
            // namespace's own ends with the namespace).
            if (!facts.rootless) {
                try {
                    record_registration(registration_records(settings.state_dir), *dir, action.entry);
                } catch (const Error& e) {
                    spdlog::warn("could not record the registration of '{}' as xarch's: {}", action.entry.name, e.what());
                }
            }
        } else
            spdlog::debug("binfmt_misc entry '{}' appeared meanwhile; looking again", action.entry.name);
        break;
    }
    }
    // Whoever registered, what counts is what the kernel will now do for this file.
    facts = gather();
    facts.can_register = false;
    facts.can_create_instance = false;
    facts.can_register_in_container = false;
    action = decide(facts);
    spdlog::debug("decision after registering: {}: {}", to_string(action.kind), action.reason);
    return action;
}

} // namespace oci
