#include "oci/resolve.hpp"

#include "oci/error.hpp"
#include "oci/host.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

namespace oci {

Facts gather_facts(const ImageInfo& image, const Platform& host, const Settings& settings, bool may_mount) {
    Facts f;
    f.image = image.platform;
    f.host = host;
    f.head = image.head;
    f.filename = image.file;
    f.policy = settings.policy;
    if (is_host_platform(image.platform, host)) {
        f.native = true; // the fast path: no binfmt_misc entry is ever registered for the host's own machine
        return f;
    }

    const BinfmtEntry* handler = nullptr;
    try {
        if (const auto dir = locate_binfmt(may_mount)) {
            f.binfmt = read_binfmt(*dir);
            handler = find_handler(*f.binfmt, f.head, f.filename);
            if (handler) f.handler_interpreter = inspect_emulator(handler->interpreter, host);
            f.can_register = ::geteuid() == 0 && ::access((*dir / "register").c_str(), W_OK) == 0;
        }
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
    if (const std::string qemu = qemu_target(image.platform); !qemu.empty())
        f.emulator = find_emulator(qemu, settings.emulator_dirs, host, &f.rejected);
    return f;
}

Action resolve_action(const ImageInfo& image, const Platform& host, const Settings& settings,
                      bool userns_maps_host_root) {
    Facts facts = gather_facts(image, host, settings, false);
    facts.userns_maps_host_root = userns_maps_host_root;
    // binfmt_misc is mounted only when xarch is about to register in it, never for an image
    // the host runs itself.
    if (!facts.binfmt && !facts.native && ::geteuid() == 0 && settings.policy == Policy::Register &&
        locate_binfmt(true)) {
        facts = gather_facts(image, host, settings, false);
        facts.userns_maps_host_root = userns_maps_host_root;
    }
    Action action = decide(facts);
    spdlog::debug("decision for {} ({}): {}: {}", image.platform.str(), image.source, to_string(action.kind), action.reason);
    if (action.kind != ActionKind::Register) return action;

    const auto dir = locate_binfmt(false);
    if (!dir) throw Error("binfmt_misc disappeared while registering '" + action.entry.name + "'");
    if (register_binfmt(*dir, action.entry)) {
        spdlog::info("registered binfmt_misc handler '{}' for {}: {} (flags {})", action.entry.name, image.platform.str(),
                     action.entry.interpreter, action.entry.flags);
    } else {
        spdlog::debug("binfmt_misc entry '{}' appeared meanwhile; looking again", action.entry.name);
    }
    // Whoever registered, what counts is what the kernel will now do for this file.
    facts = gather_facts(image, host, settings, false);
    facts.userns_maps_host_root = userns_maps_host_root;
    facts.can_register = false;
    action = decide(facts);
    spdlog::debug("decision after registering: {}: {}", to_string(action.kind), action.reason);
    return action;
}

} // namespace oci
