#include "oci/decide.hpp"

#include "oci/error.hpp"

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

std::string install_hint(const Facts& f) {
    std::string why;
    for (const auto& r : f.rejected) why += " (" + r.problem + ")";
    return "no static emulator qemu-" + qemu_target(f.image) + "-static was found" + why +
           "; install one: apt-get install qemu-user-static";
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

Action decide(const Facts& f) {
    // binfmt_misc is consulted before the kernel's own ELF loader: an entry that matches is
    // used even for code the host could run itself.
    const BinfmtEntry* h = active_handler(f);
    if (!h && f.native) return make(ActionKind::Native, "native platform " + f.image.str() + " on " + f.host.str() + " host");
    const std::string qemu = qemu_target(f.image);
    if (qemu.empty()) return make(ActionKind::Fail, prefix(f) + "xarch knows no emulator for " + f.image.str());
    if (!f.binfmt)
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc is not mounted; mount it: "
                                                  "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc");
    if (!f.binfmt->enabled)
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc is disabled host-wide; enable it: "
                                                  "echo 1 > /proc/sys/fs/binfmt_misc/status");

    if (h) {
        const Emulator* interp = f.handler_interpreter ? &*f.handler_interpreter : nullptr;
        if (h->has_flag('F')) {
            // With F the kernel opened the interpreter at registration: the container's files
            // do not matter, but a dynamic interpreter's libraries are still looked up in there.
            if (interp && !interp->usable && interp->resolved.empty())
                return make(ActionKind::Covered, "F registration '" + h->name + "' covers " + f.image.str() +
                                                     " (its interpreter " + h->interpreter + " is no longer on disk; the kernel holds it open)");
            if (interp && !interp->usable)
                return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h->name + "' has the F flag but " +
                                                  interp->problem + ", then replace the entry: xarch install " +
                                                  f.image.short_name() + " --replace");
            return make(ActionKind::Covered, "F registration '" + h->name + "' covers " + f.image.str());
        }
        // Without F the kernel opens the interpreter path inside the container at exec time.
        // A mount attached inside a user namespace is not locked: root there could remount it
        // writable and, with host root mapped, rewrite the host's emulator.
        if (f.userns_maps_host_root)
            return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h->name + "' has no F flag, and the "
                                              "container's own user namespace maps host root, so a bind-mounted emulator "
                                              "could be made writable from inside; register it with the F flag instead: "
                                              "xarch install " + f.image.short_name() + " --replace");
        Action a = make(ActionKind::Mount, "");
        a.target = h->interpreter;
        if (interp && interp->usable) {
            a.source = interp->resolved;
        } else if (f.emulator && f.emulator->usable) {
            a.source = f.emulator->resolved;
        } else {
            return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + h->name + "' has no F flag, so " +
                                              h->interpreter + " must exist inside the container, and " + install_hint(f));
        }
        a.reason = "registration '" + h->name + "' has no F flag: mount " + a.source.string() + " at " + a.target;
        return a;
    }

    if (const BinfmtEntry* d = disabled_handler(f))
        return make(ActionKind::Fail, prefix(f) + "binfmt_misc handler '" + d->name + "' is disabled; enable it: echo 1 > "
                                          "/proc/sys/fs/binfmt_misc/" + d->name);
    const std::string none = "no binfmt_misc handler for " + qemu + " executables";
    if (!f.emulator || !f.emulator->usable) return make(ActionKind::Fail, prefix(f) + none + " and " + install_hint(f));
    if (f.policy == Policy::Fail)
        return make(ActionKind::Fail, prefix(f) + none + "; policy is \"fail\", so register one: xarch install " +
                                          f.image.short_name() + " (or set \"policy\": \"register\" in /etc/xarch/config.json to "
                                          "let xarch-hook do it)");
    BinfmtEntry entry = registration_for(f.image, f.emulator->path, "F");
    std::string line;
    try {
        line = registration_line(entry);
    } catch (const Error& e) {
        return make(ActionKind::Fail, prefix(f) + none + " and the emulator path cannot be registered: " + e.what());
    }
    if (!f.can_register)
        return make(ActionKind::Fail, prefix(f) + none + " and xarch cannot register one (it needs root and a writable "
                                          "binfmt_misc); as root: xarch install " + f.image.short_name() + ", or echo '" + line +
                                          "' > /proc/sys/fs/binfmt_misc/register");
    Action a = make(ActionKind::Register, "");
    a.entry = std::move(entry);
    a.reason = "no handler for " + f.image.str() + ": register '" + a.entry.name + "' -> " + a.entry.interpreter + " with flag F";
    return a;
}

} // namespace oci
