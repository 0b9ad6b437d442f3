#include "engine/decide.hpp"

#include "base/error.hpp"
#include "engine/classify.hpp"

#include <optional>
#include <vector>

namespace oci {

namespace {

Action make(ActionKind kind, std::string reason) {
    Action a;
    a.kind = kind;
    a.reason = std::move(reason);
    return a;
}

std::string prefix(const Facts& f) {
    return "cannot run " + f.image.str() + " image on " + f.host.str() + " host: ";
}

// What is wrong with the emulators found (each file once) and what fixes it; or, when none
// was found at all, which package to install.
std::string emulator_hint(const Facts& f) {
    std::vector<const Emulator*> found;
    const auto add = [&](const Emulator& e) {
        if (e.usable || e.resolved.empty()) return;
        for (const Emulator* seen : found)
            if (seen->resolved == e.resolved) return;
        found.push_back(&e);
    };
    if (f.handler_interpreter) add(*f.handler_interpreter);
    for (const auto& r : f.rejected) add(r);
    if (found.empty())
        return "no static emulator qemu-" + qemu_target(f.image) + "-static was found; install one: "
               "apt-get install qemu-user-static";
    std::string problems, fixes;
    for (const Emulator* e : found) {
        problems += (problems.empty() ? "" : " and ") + e->problem;
        if (!e->fix.empty() && fixes.find(e->fix) == std::string::npos) fixes += (fixes.empty() ? "" : "; ") + e->fix;
    }
    return "the emulator found cannot be used: " + problems + (fixes.empty() ? "" : "; fix: " + fixes);
}

} // namespace

const char* to_string(ActionKind kind) {
    switch (kind) {
    case ActionKind::Native: return "native";
    case ActionKind::Covered: return "covered";
    case ActionKind::Mount: return "mount";
    case ActionKind::Register: return "register";
    case ActionKind::Fail: return "fail";
    }
    return "?";
}

const BinfmtEntry* active_handler(const Facts& f) {
    return f.binfmt && f.binfmt->enabled ? find_handler(*f.binfmt, f.head, f.filename) : nullptr;
}

const BinfmtEntry* disabled_handler(const Facts& f) {
    if (!f.binfmt) return nullptr;
    for (const auto& e : f.binfmt->entries)
        if (!e.enabled && binfmt_matches(e, f.head, f.filename)) return &e;
    return nullptr;
}

namespace {

// The entry xarch registers for the facts' image. Without P the kernel replaces argv[0] with
// the file name, which breaks programs that re-exec themselves under another name (busybox's
// shell runs applets as /proc/self/exe); Debian's qemu keeps argv[0] when started under its
// "-binfmt-P" name, as Debian registers it.
BinfmtEntry xarch_registration(const Facts& f) {
    return f.argv0_interpreter.empty() ? registration_for(f.image, f.emulator->path, "F")
                                       : registration_for(f.image, f.argv0_interpreter, "POF");
}

Action fixed_handler(const Facts& f, const BinfmtEntry& h) {
    const Emulator* interp = f.handler_interpreter ? &*f.handler_interpreter : nullptr;
    // With F the kernel opened the interpreter at registration and uses that file for
    // every exec, whatever the container holds: nothing xarch does can change the
    // outcome, so it never stops such a container. What looks wrong is only reported.
    Action a = make(ActionKind::Covered, "F registration '" + h.name + "' covers " + f.image.str());
    if (interp && !interp->usable && interp->resolved.empty())
        a.reason += " (its interpreter " + h.interpreter + " is no longer on disk; the kernel holds it open)";
    else if (interp && !interp->usable)
        a.warning = "binfmt_misc handler '" + h.name + "' has the F flag but " + interp->problem +
                    (interp->fix.empty() ? "" : "; fix: " + interp->fix) + ", then replace the entry: xarch install " +
                    f.image.short_name() + " --replace";
    return a;
}

Action open_handler(const Facts& f, const BinfmtEntry& h) {
    const Emulator* interp = f.handler_interpreter ? &*f.handler_interpreter : nullptr;
    // Without F the kernel opens the interpreter path inside the container at exec time.
    // A mount attached inside a user namespace is not locked: root there could remount it
    // writable and, with host root mapped, rewrite the host's emulator. An F entry in the
    // container's own binfmt_misc needs no file in there at all.
    if (f.userns_maps_host_root && f.can_register_in_container && f.policy != Policy::Fail && f.emulator &&
        f.emulator->usable) {
        Action a = make(ActionKind::Register, "registration '" + h.name + "' has no F flag and the container's user "
                                              "namespace maps host root: register " + f.emulator->path.string() +
                                              " with flag F in the container's own binfmt_misc instead of mounting it");
        a.entry = xarch_registration(f);
        a.scope = RegisterScope::Container;
        return a;
    }
    // Such a container would run without xarch where the image brings its own emulator at the
    // entry's path (images made for execution-time mode do): it is left to it.
    if ((f.userns_maps_host_root || f.container_sys_admin) && f.image_has_interpreter)
        return make(ActionKind::Covered, "binfmt_misc handler '" + h.name + "' has no F flag and the image has its own " +
                                             h.interpreter + ", which the kernel runs: the container is left as it is "
                                             "(it could make a bind-mounted emulator writable, so the host's is not mounted)");
    if (f.userns_maps_host_root)
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h.name + "' has no F flag, and the "
                                          "container's own user namespace maps host root, so a bind-mounted emulator "
                                          "could be made writable from inside; register it with the F flag instead: "
                                          "xarch install " + f.image.short_name() + " --replace");
    // With CAP_SYS_ADMIN in the host's user namespace the container may remount the bind
    // writable, and once no emulated process runs the emulator, rewrite the host's file.
    if (f.container_sys_admin)
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h.name + "' has no F flag, and the "
                                          "container has CAP_SYS_ADMIN, so it could remount a bind-mounted emulator "
                                          "writable and change the host's; register it with the F flag instead: "
                                          "xarch install " + f.image.short_name() + " --replace");
    Action a = make(ActionKind::Mount, "");
    a.target = h.interpreter;
    if (interp && interp->usable) {
        a.source = interp->resolved;
    } else if (f.emulator && f.emulator->usable) {
        a.source = f.emulator->resolved;
        if (interp && !interp->resolved.empty())
            a.warning = "binfmt_misc handler '" + h.name + "': " + interp->problem + "; mounting " +
                        a.source.string() + " there instead";
    } else {
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h.name + "' has no F flag, so " +
                                          h.interpreter + " must exist inside the container, and " + emulator_hint(f));
    }
    a.reason = "registration '" + h.name + "' has no F flag: mount " + a.source.string() + " at " + a.target;
    return a;
}

// Nothing handles the image: register where xarch may, or say who can.
Action no_handler(const Facts& f) {
    const std::string none = "no binfmt_misc handler for " + qemu_target(f.image) + " executables";
    if (!f.emulator || !f.emulator->usable) return make(ActionKind::Fail, prefix(f) + none + " and " + emulator_hint(f));
    if (f.policy == Policy::Fail)
        return make(ActionKind::Fail, prefix(f) + none + "; policy is \"fail\", so register one: xarch install " +
                                          f.image.short_name() + " (or set \"policy\": \"register\" in " + f.settings_file.string() +
                                          " to let xarch-hook do it)");
    BinfmtEntry entry = xarch_registration(f);
    std::string line;
    try {
        line = registration_line(entry);
    } catch (const Error& e) {
        return make(ActionKind::Fail, prefix(f) + none + " and the emulator path cannot be registered: " + e.what());
    }
    Action a = make(ActionKind::Register, "");
    a.entry = std::move(entry);
    const std::string what = "no handler for " + f.image.str() + ": ";
    const std::string reg = " '" + a.entry.name + "' -> " + a.entry.interpreter + " with flags " + a.entry.flags;
    const bool visible = f.binfmt && f.can_register && (f.policy == Policy::Register || !f.binfmt_is_host);
    const bool container = f.can_register_in_container;
    // policy register: as wide as xarch may (the host, else every container of the rootless
    // user); policy namespace: as narrow as it can (the container, else the rootless user's).
    std::optional<RegisterScope> scope;
    if (f.policy == Policy::Register)
        scope = visible ? RegisterScope::Visible : f.can_create_instance ? RegisterScope::OwnNamespace
              : container ? RegisterScope::Container : std::optional<RegisterScope>{};
    else
        scope = container ? RegisterScope::Container : visible ? RegisterScope::Visible
              : f.can_create_instance ? RegisterScope::OwnNamespace : std::optional<RegisterScope>{};
    if (scope) {
        a.scope = *scope;
        switch (*scope) {
        case RegisterScope::Visible:
            a.reason = what + "register" + reg + (f.binfmt_is_host ? "" : " in this user namespace's binfmt_misc");
            break;
        case RegisterScope::OwnNamespace:
            a.reason = what + "give this user namespace its own binfmt_misc and register" + reg + " there";
            break;
        case RegisterScope::Container:
            a.reason = what + "give the container's user namespace its own binfmt_misc and register" + reg + " there";
            break;
        }
        return a;
    }
    const std::string as_root = "as root on the host: xarch install " + f.image.short_name() + ", or echo '" + line +
                                "' > /proc/sys/fs/binfmt_misc/register";
    if (f.rootless)
        return make(ActionKind::Fail, prefix(f) + none + ", and this rootless user namespace cannot have its own "
                                          "binfmt_misc (that needs Linux 6.7 or later); " + as_root);
    if (f.policy == Policy::Namespace)
        return make(ActionKind::Fail, prefix(f) + none + "; policy is \"namespace\" and the container has no user "
                                          "namespace of its own to register in; " + as_root);
    return make(ActionKind::Fail, prefix(f) + none + " and xarch cannot register one (it needs root and a writable "
                                      "binfmt_misc); " + as_root);
}

} // namespace

Action decide(const Facts& f) {
    const Classification c = classify(f);
    switch (c.situation) {
    case Situation::Native:
        return make(ActionKind::Native, "native platform " + f.image.str() + " on " + f.host.str() + " host");
    case Situation::Unsupported:
        return make(ActionKind::Fail, prefix(f) + "xarch knows no emulator for " + f.image.str());
    case Situation::BinfmtNotMounted:
        if (f.runs_unseen)
            return make(ActionKind::Covered, "binfmt_misc is not visible here, but the kernel runs " + f.image.str() +
                                                 " programs through a handler xarch cannot see: leaving it to that handler");
        // Only root on the host can mount the host's binfmt_misc; rootless, the question is
        // whether the namespace can have its own.
        if (!f.rootless)
            return make(ActionKind::Fail, prefix(f) + "binfmt_misc is not mounted; mount it: "
                                                      "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc");
        return no_handler(f);
    case Situation::BinfmtDisabled:
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc is disabled host-wide; enable it: "
                                                  "echo 1 > /proc/sys/fs/binfmt_misc/status");
    case Situation::FixedHandler: return fixed_handler(f, *c.entry);
    case Situation::OpenHandler: return open_handler(f, *c.entry);
    case Situation::HandlerDisabled:
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + c.entry->name + "' is disabled; enable it: "
                                          "echo 1 > /proc/sys/fs/binfmt_misc/" + c.entry->name);
    case Situation::NoHandler: return no_handler(f);
    }
    return make(ActionKind::Fail, prefix(f) + "unknown binfmt_misc situation");
}

} // namespace oci
