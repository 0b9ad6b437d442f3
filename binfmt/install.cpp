#include "binfmt/install.hpp"

#include "base/io.hpp"
#include "binfmt/host.hpp"
#include "binfmt/persist.hpp"
#include "binfmt/probe.hpp"
#include "binfmt/registrations.hpp"

#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <set>

namespace oci {

namespace {

std::string flags_text(const std::string& flags) { return flags.empty() ? "none" : flags; }

std::string describe_entry(const BinfmtEntry& e) {
    return "'" + e.name + "' (" + (e.enabled ? "" : "disabled, ") + "flags " + flags_text(e.flags) + ", interpreter " +
           e.interpreter + ")";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

// The host (or a verified native platform) never gets an emulator: binfmt_misc comes
// before the kernel's ELF loader, so it would run every native program under qemu.
bool is_native(const InstallFacts& f, const Platform& p) {
    if (p.architecture == f.host.architecture) return true;
    return std::any_of(f.native.begin(), f.native.end(), [&](const Platform& n) { return n.architecture == p.architecture; });
}

std::string emulator_problem(const InstallFacts& f, const std::string& qemu) {
    std::vector<std::string> dirs;
    for (const auto& d : f.emulator_dirs) dirs.push_back(d.string());
    std::string why;
    if (const auto it = f.emulators.find(qemu); it != f.emulators.end())
        for (const auto& r : it->second.rejected) why += "; " + r.problem;
    return "no usable static emulator qemu-" + qemu + "-static in " + join(dirs, ", ") + why +
           "; install one: apt-get install qemu-user-static";
}

// The interpreter path to register. Debian's T-binfmt-P name makes its qemu assume the P
// flag, so it is used only with P (where it also works on kernels before 5.12, which do not
// tell qemu about P); otherwise the file it names.
std::string interpreter_for(const FoundEmulator& found, bool preserve_argv0) {
    if (preserve_argv0 && found.binfmt_p) return found.binfmt_p->path.string();
    const Emulator& e = *found.emulator;
    if (e.path.filename().string().ends_with("-binfmt-P")) return e.resolved.string();
    return e.path.string();
}

} // namespace

std::optional<Platform> entry_platform(const BinfmtEntry& entry) {
    if (entry.type != 'M') return std::nullopt;
    for (const auto& p : probe_platforms())
        if (binfmt_matches(entry, exit_probe(p), "")) return p;
    return std::nullopt;
}

std::vector<const BinfmtEntry*> entries_for(const BinfmtState& state, const Platform& platform) {
    std::vector<const BinfmtEntry*> out;
    const auto probe = exit_probe(platform);
    if (probe.empty()) return out;
    for (const auto& e : state.entries)
        if (binfmt_matches(e, probe, "")) out.push_back(&e);
    return out;
}

bool same_registration(const BinfmtEntry& a, const BinfmtEntry& b) {
    if (a.name != b.name || a.type != b.type || a.interpreter != b.interpreter || binfmt_flags(a.flags) != binfmt_flags(b.flags))
        return false;
    if (a.type == 'E') return a.extension == b.extension;
    const auto mask = [](const BinfmtEntry& e) {
        return e.mask.empty() ? std::vector<std::uint8_t>(e.magic.size(), 0xff) : e.mask;
    };
    return a.offset == b.offset && a.magic == b.magic && mask(a) == mask(b);
}

Platform parse_platform_arg(std::string_view name) {
    if (auto p = parse_platform(name)) return *p;
    throw ArgumentError("unknown platform '" + std::string(name) +
                        "': use an OCI name (amd64, 386, arm64, arm/v7, arm/v6, arm/v5, ppc64le, ppc64, s390x, "
                        "riscv64, mips64le, mips64, loong64, mips, mipsle, ppc, sparc64, m68k, riscv32), a qemu name "
                        "(x86_64, i386, aarch64, arm, mips64el, loongarch64, mipsel) or a Debian name (amd64, i386, "
                        "arm64, armhf, armel, ppc64el, s390x, riscv64, mips64el, loong64, mipsel, powerpc)");
}

std::vector<Platform> native_platforms(const Platform& host, const std::optional<BinfmtState>& binfmt) {
    std::vector<Platform> out{host};
    for (const auto& p : catalogue_platforms()) {
        if (p.architecture == host.architecture) continue;
        const auto probe = native_probe(p);
        if (probe.empty()) continue;
        if (binfmt && find_handler(*binfmt, probe, "")) continue; // an entry would answer instead of the kernel
        if (runs_natively(p, host)) out.push_back(p);
    }
    return out;
}

InstallMode parse_install_mode(std::string_view name) {
    if (name == "auto") return InstallMode::Auto;
    if (name == "registration") return InstallMode::Registration;
    if (name == "execution") return InstallMode::Execution;
    throw ArgumentError("unknown mode '" + std::string(name) + "': use auto, registration or execution");
}

const char* to_string(InstallMode mode) {
    switch (mode) {
    case InstallMode::Auto: return "auto";
    case InstallMode::Registration: return "registration";
    case InstallMode::Execution: return "execution";
    }
    return "?";
}

InstallPlan plan_install(const std::vector<Platform>& platforms, bool all, const InstallOptions& o, const InstallFacts& f) {
    InstallPlan plan;
    const std::string kernel = "kernel " + (f.kernel.empty() ? std::string("?") : f.kernel);
    switch (o.mode) {
    case InstallMode::Registration:
        if (!f.fix_binary)
            plan.errors.push_back("install: --mode registration needs the F flag, which " + kernel +
                                  " does not support (4.8 or newer does); use --mode execution, or --mode auto");
        plan.mode = InstallMode::Registration;
        break;
    case InstallMode::Execution:
        plan.mode = InstallMode::Execution;
        break;
    case InstallMode::Auto:
        plan.mode = f.fix_binary ? InstallMode::Registration : InstallMode::Execution;
        plan.mode_note = f.fix_binary
            ? "mode auto: registration (F flag, " + kernel + "): the kernel opens each emulator now, so containers need no copy of it"
            : "mode auto: execution (" + kernel + " has no F flag): the emulator must exist at its path inside each container; "
              "xarch-hook bind-mounts it there";
        break;
    }
    std::string flags = plan.mode == InstallMode::Registration ? "F" : "";
    if (o.credential) flags += "OC";

    std::vector<Platform> wanted = all ? catalogue_platforms() : platforms;
    std::set<std::string> planned; // qemu targets: arm/v5, v6 and v7 share one entry
    for (const auto& p : wanted) {
        const std::string qemu = qemu_target(p);
        const std::string what = "install '" + p.str() + "': ";
        if (qemu.empty()) {
            plan.errors.push_back(what + "xarch knows no emulator for it");
            continue;
        }
        if (!planned.insert(qemu).second) continue;
        InstallStep step;
        step.platform = p;
        if (is_native(f, p)) {
            if (!all) {
                plan.errors.push_back(what + "the host (" + f.host.str() + ") runs it natively; an emulator registered for it "
                                      "would run every native program under qemu");
                continue;
            }
            step.kind = StepKind::Skip;
            step.message = "skipped " + p.str() + ": the host runs it natively";
            plan.steps.push_back(std::move(step));
            continue;
        }
        const auto found = f.emulators.find(qemu);
        if (found == f.emulators.end() || !found->second.emulator) {
            if (!all) {
                plan.errors.push_back(what + emulator_problem(f, qemu));
                continue;
            }
            step.kind = StepKind::Skip;
            step.message = "skipped " + p.str() + ": no static emulator qemu-" + qemu + "-static";
            plan.steps.push_back(std::move(step));
            continue;
        }
        // argv[0] is kept by default where Debian's T-binfmt-P name tells qemu so on any kernel, as
        // Debian's own entries and xarch-hook's registrations do (busybox's shell needs it).
        const bool argv0 = o.preserve_argv0.value_or(found->second.binfmt_p.has_value());
        step.entry = registration_for(p, interpreter_for(found->second, argv0), flags + (argv0 ? (o.open_binary ? "PO" : "P") : ""));
        try {
            registration_line(step.entry);
        } catch (const Error& e) {
            plan.errors.push_back(what + e.what());
            continue;
        }

        std::vector<const BinfmtEntry*> existing = entries_for(f.binfmt, p);
        for (const auto& e : f.binfmt.entries)
            if (e.name == step.entry.name && std::find(existing.begin(), existing.end(), &e) == existing.end())
                existing.push_back(&e);
        if (existing.empty()) {
            step.kind = StepKind::Register;
            plan.steps.push_back(std::move(step));
            continue;
        }
        // The entry the kernel uses now: the newest enabled one that claims the platform.
        const auto active_it = std::find_if(existing.begin(), existing.end(), [&](const BinfmtEntry* e) {
            return e->enabled && binfmt_matches(*e, exit_probe(p), "");
        });
        const BinfmtEntry* active = active_it == existing.end() ? nullptr : *active_it;
        if (active && same_registration(*active, step.entry)) {
            step.kind = StepKind::Keep;
            step.identical = true;
            step.entry = *active;
            step.message = "'" + active->name + "' for " + p.str() + " is already registered as requested";
            plan.steps.push_back(std::move(step));
            continue;
        }
        if (o.replace) {
            step.kind = StepKind::Replace;
            for (const BinfmtEntry* e : existing) step.remove.push_back(*e);
            plan.steps.push_back(std::move(step));
            continue;
        }
        const BinfmtEntry& kept = active ? *active : *existing.front();
        std::string why;
        if (!active && binfmt_matches(kept, exit_probe(p), "")) {
            why = "; it is disabled, so nothing runs " + p.str() + " programs";
        } else if (!active) {
            // Entries are what they match: one that only shares the name serves another platform.
            const auto other = entry_platform(kept);
            why = "; it claims " + (other ? other->str() + " programs" : std::string("other files")) + ", not " + p.str() +
                  ", and takes the name '" + step.entry.name + "', so nothing runs " + p.str() + " programs";
        }
        step.kind = StepKind::Keep;
        step.message = "left " + describe_entry(kept) + " for " + p.str() + " as it is" + why +
                       "; to register '" + step.entry.name + "' (flags " + flags_text(step.entry.flags) + ", interpreter " +
                       step.entry.interpreter + ") instead, add --replace";
        step.entry = kept;
        plan.steps.push_back(std::move(step));
    }
    return plan;
}

bool is_qemu_entry(const BinfmtEntry& entry) {
    return entry.name.starts_with("qemu-") || entry.interpreter.find("qemu") != std::string::npos;
}

RemovalPlan plan_uninstall(const std::vector<std::string>& args, const BinfmtState& state) {
    RemovalPlan plan;
    std::set<std::string> chosen;
    const auto take = [&](const BinfmtEntry& e) {
        if (chosen.insert(e.name).second) plan.remove.push_back(e);
    };
    for (const auto& arg : args) {
        if (arg == "all") {
            for (const auto& e : state.entries)
                if (entry_platform(e)) take(e);
            for (const auto& p : catalogue_platforms()) plan.names.push_back("qemu-" + qemu_target(p));
            continue;
        }
        if (const auto p = parse_platform(arg)) {
            const auto found = entries_for(state, *p);
            for (const BinfmtEntry* e : found) take(*e);
            const std::string qemu = qemu_target(*p);
            if (!qemu.empty()) plan.names.push_back("qemu-" + qemu); // xarch's own file, even when not registered now
            if (found.empty()) plan.notes.push_back("nothing is registered for " + p->str());
            continue;
        }
        if (arg.find_first_of("*?[") != std::string::npos) {
            // A glob over entry names ('qemu-*'), as the shell would match files.
            bool any = false;
            for (const auto& e : state.entries)
                if (::fnmatch(arg.c_str(), e.name.c_str(), 0) == 0) {
                    take(e);
                    any = true;
                }
            if (!any) plan.notes.push_back("no binfmt_misc entry matches '" + arg + "'");
            continue;
        }
        const auto it = std::find_if(state.entries.begin(), state.entries.end(), [&](const BinfmtEntry& e) { return e.name == arg; });
        if (it == state.entries.end()) {
            // Not registered now, but xarch may have persisted it: a file name is not a platform.
            if (arg.starts_with("qemu-") && arg.find('/') == std::string::npos) {
                plan.names.push_back(arg);
                plan.notes.push_back("no binfmt_misc entry '" + arg + "' is registered");
                continue;
            }
            throw ArgumentError("uninstall '" + arg + "': no such platform or binfmt_misc entry; 'xarch status' lists them");
        }
        take(*it);
    }
    // Newest first, as the kernel lists them, so a rollback re-registers in the original order.
    std::sort(plan.remove.begin(), plan.remove.end(), [](const BinfmtEntry& a, const BinfmtEntry& b) { return a.sequence > b.sequence; });
    for (const auto& e : plan.remove) plan.names.push_back(e.name);
    std::sort(plan.names.begin(), plan.names.end());
    plan.names.erase(std::unique(plan.names.begin(), plan.names.end()), plan.names.end());
    return plan;
}

RemovalPlan plan_reset(const BinfmtState& state) {
    RemovalPlan plan;
    for (const auto& e : state.entries)
        if (is_qemu_entry(e)) {
            plan.remove.push_back(e);
            plan.names.push_back(e.name);
        }
    if (plan.remove.empty()) plan.notes.push_back("no qemu entries are registered");
    for (const auto& p : catalogue_platforms()) plan.names.push_back("qemu-" + qemu_target(p));
    std::sort(plan.names.begin(), plan.names.end());
    plan.names.erase(std::unique(plan.names.begin(), plan.names.end()), plan.names.end());
    return plan;
}

namespace {

// What apply_* changed so far, undone in reverse order when a later step fails.
class Journal {
public:
    explicit Journal(std::filesystem::path dir) : m_dir(std::move(dir)) {}

    void registered(const std::string& name) { m_undo.push_back({Kind::Unregister, {}, name, {}, {}}); }
    void removed(const BinfmtEntry& e) { m_undo.push_back({Kind::Reregister, e, {}, {}, {}}); }
    // `previous` is the file's old content, or nullopt if it did not exist (or was a mask: `mask`).
    void file_changed(const std::filesystem::path& path, std::optional<std::string> previous, bool mask) {
        m_undo.push_back({mask ? Kind::RestoreMask : Kind::RestoreFile, {}, {}, path, std::move(previous)});
    }

    // Undoes everything; returns what could not be undone.
    std::vector<std::string> rollback() noexcept {
        std::vector<std::string> failed;
        for (auto it = m_undo.rbegin(); it != m_undo.rend(); ++it) {
            try {
                switch (it->kind) {
                case Kind::Unregister: remove_binfmt(m_dir, it->name); break;
                case Kind::Reregister:
                    register_binfmt(m_dir, it->entry);
                    if (!it->entry.enabled) set_binfmt_enabled(m_dir, it->entry.name, false);
                    break;
                case Kind::RestoreFile:
                    if (it->content) write_file_atomic(it->path, *it->content);
                    else ::unlink(it->path.c_str());
                    break;
                case Kind::RestoreMask:
                    ::unlink(it->path.c_str());
                    std::filesystem::create_symlink("/dev/null", it->path);
                    break;
                }
            } catch (const std::exception& e) {
                failed.push_back(e.what());
            }
        }
        m_undo.clear();
        return failed;
    }

private:
    enum class Kind { Unregister, Reregister, RestoreFile, RestoreMask };
    struct Undo {
        Kind kind;
        BinfmtEntry entry;
        std::string name;
        std::filesystem::path path;
        std::optional<std::string> content;
    };
    std::filesystem::path m_dir;
    std::vector<Undo> m_undo;
};

[[noreturn]] void fail_after_rollback(Journal& journal, const std::string& what) {
    const auto failed = journal.rollback();
    if (failed.empty()) throw Error(what + "; every change made so far was undone");
    throw Error(what + "; undoing the earlier changes failed too: " + join(failed, "; "));
}

// The previous content of a binfmt.d file, for the journal (nullopt: absent or a mask).
std::optional<std::string> previous_content(const std::filesystem::path& path) {
    if (persist_state(path) != PersistState::Ours) return std::nullopt;
    return read_file_capped(path, 1024 * 1024);
}

// The content of a binfmt-support database file, or nullopt if there is none.
std::optional<std::string> database_content(const std::filesystem::path& file) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw SysError("stat '" + file.string() + "'", errno);
    }
    return read_file_capped(file, 64 * 1024);
}

bool persisted(const InstallStep& s) { return s.kind != StepKind::Skip && (s.kind != StepKind::Keep || s.identical); }

std::string registered_line(const BinfmtEntry& e, const Platform& p) {
    return "registered '" + e.name + "' for " + p.str() + ": " + e.interpreter + ", flags " + flags_text(e.flags);
}

} // namespace

std::vector<std::string> apply_install(const InstallPlan& plan, const std::filesystem::path& dir, const PersistOptions& persist) {
    if (!plan.errors.empty()) throw Error(plan.errors.front());
    std::vector<std::string> out;
    Journal journal(dir);
    // Files first are checked before anything changes: someone else's file stays untouched.
    if (persist.dir) {
        for (const auto& s : plan.steps) {
            if (s.kind == StepKind::Skip || (s.kind == StepKind::Keep && !s.identical)) continue;
            const auto path = persist_path(*persist.dir, s.entry.name);
            if (persist_state(path) == PersistState::Foreign)
                throw Error("install --persist: '" + path.string() + "' exists and was not written by xarch; "
                            "move it away first, or run without --persist");
        }
    }
    // So is binfmt-support's database: an entry of another package (qemu-user-static's) stays.
    if (persist.binfmt_support) {
        if (!persist.update_binfmts) throw Error("install --persist: update-binfmts (binfmt-support) is not installed");
        for (const auto& s : plan.steps) {
            if (!persisted(s)) continue;
            update_binfmts_install_args(s.entry, persist.binfmt_support_dir, dir); // throws for what it cannot hold
            if (const auto bs = binfmt_support_entry(s.entry.name, persist.binfmt_support_dir);
                bs && bs->package != k_binfmt_support_package)
                throw Error("install --persist: binfmt-support's database already has '" + s.entry.name + "' from package " +
                            bs->package + " (" + bs->file.string() + "), which it registers at boot; to use xarch's "
                            "instead, first: " + binfmt_support_remove_command(s.entry.name, *bs) +
                            "; or run without --persist");
        }
    }
    for (const auto& s : plan.steps) {
        if (s.kind != StepKind::Register && s.kind != StepKind::Replace) continue;
        std::string what;
        std::string failure;
        try {
            for (const auto& old : s.remove) {
                what = "remove '" + old.name + "'";
                if (remove_binfmt(dir, old.name)) journal.removed(old);
                out.push_back("removed " + describe_entry(old));
            }
            what = "register '" + s.entry.name + "' for " + s.platform.str();
            if (register_binfmt(dir, s.entry)) {
                journal.registered(s.entry.name);
                out.push_back(registered_line(s.entry, s.platform));
            } else {
                failure = what + ": an entry of that name appeared meanwhile; run 'xarch status' and try again";
            }
        } catch (const SysError& e) {
            failure = what + ": " + e.what();
            // Kernels before 4.8 reject the F flag as an invalid registration.
            if (e.code() == EINVAL && s.entry.has_flag('F')) failure += " (if this kernel lacks the F flag: --mode execution)";
        } catch (const Error& e) {
            failure = what + ": " + e.what();
        }
        if (!failure.empty()) fail_after_rollback(journal, failure);
    }
    if (persist.dir) {
        for (const auto& s : plan.steps) {
            if (s.kind == StepKind::Skip || (s.kind == StepKind::Keep && !s.identical)) {
                if (s.kind == StepKind::Keep) out.push_back("not persisted: '" + s.entry.name + "' was left as it is");
                continue;
            }
            const auto path = persist_path(*persist.dir, s.entry.name);
            try {
                const bool was_mask = persist_state(path) == PersistState::Masked;
                auto previous = previous_content(path);
                write_persist(*persist.dir, s.entry);
                journal.file_changed(path, std::move(previous), was_mask);
                out.push_back("wrote " + path.string() + ": systemd-binfmt registers '" + s.entry.name + "' at boot");
            } catch (const Error& e) {
                fail_after_rollback(journal, "install --persist: " + std::string(e.what()));
            }
        }
    }
    if (persist.binfmt_support) {
        for (const auto& s : plan.steps) {
            if (!persisted(s)) {
                if (s.kind == StepKind::Keep) out.push_back("not persisted: '" + s.entry.name + "' was left as it is");
                continue;
            }
            const auto file = persist.binfmt_support_dir / s.entry.name;
            try {
                auto previous = database_content(file);
                const auto args = update_binfmts_install_args(s.entry, persist.binfmt_support_dir, dir);
                run_update_binfmts(*persist.update_binfmts, args);
                journal.file_changed(file, std::move(previous), false);
                out.push_back("binfmt-support enables '" + s.entry.name + "' at boot: ran " +
                              shell_command(*persist.update_binfmts, args));
            } catch (const Error& e) {
                fail_after_rollback(journal, "install --persist: " + std::string(e.what()));
            }
        }
    }
    // Only what xarch registered itself counts as made by xarch (a kept entry is someone else's).
    // A persisted entry needs no runtime binfmt.d file: its /etc/binfmt.d file or binfmt-support
    // entry registers it again.
    const Lasting lasting = persist.dir || persist.binfmt_support ? Lasting::Persisted : Lasting::UntilReboot;
    if (persist.records) {
        for (const auto& s : plan.steps) {
            if (s.kind != StepKind::Register && s.kind != StepKind::Replace) continue;
            try {
                for (const auto& old : s.remove) drop_registration(*persist.records, old.name);
                record_registration(*persist.records, dir, s.entry, lasting);
            } catch (const Error& e) {
                out.push_back("note: '" + s.entry.name + "' is registered, but recording it as xarch's failed (" + e.what() +
                              "): purging the package will leave it");
            }
        }
    }
    return out;
}

std::vector<std::string> apply_removal(const RemovalPlan& plan, const std::filesystem::path& dir, const PersistOptions& persist) {
    std::vector<std::string> out = plan.notes;
    Journal journal(dir);
    for (const auto& e : plan.remove) {
        try {
            if (remove_binfmt(dir, e.name)) {
                journal.removed(e);
                const auto p = entry_platform(e);
                out.push_back("removed " + describe_entry(e) + (p ? " for " + p->str() : ""));
            }
        } catch (const Error& err) {
            fail_after_rollback(journal, "remove '" + e.name + "': " + err.what());
        }
    }
    if (persist.records) {
        for (const auto& e : plan.remove) {
            try {
                drop_registration(*persist.records, e.name);
            } catch (const Error& err) {
                out.push_back(std::string("note: ") + err.what());
            }
        }
    }
    if (!persist.dir) return out;
    const auto dirs = binfmt_d_dirs(*persist.dir);
    std::vector<std::string> unmasked;
    // The files change only after every entry is gone; a failure here undoes those too.
    try {
        for (const auto& name : plan.names) {
            const auto path = persist_path(*persist.dir, name);
            bool relevant = std::any_of(plan.remove.begin(), plan.remove.end(), [&](const BinfmtEntry& e) { return e.name == name; });
            if (persist_state(path) == PersistState::Ours) {
                auto previous = previous_content(path);
                if (::unlink(path.c_str()) != 0) throw SysError("remove '" + path.string() + "'", errno);
                journal.file_changed(path, std::move(previous), false);
                out.push_back("removed " + path.string());
                relevant = true;
            }
            const auto bs = binfmt_support_entry(name, persist.binfmt_support_dir);
            if (bs && bs->package == k_binfmt_support_package) {
                // xarch's own database entry goes like its own binfmt.d file; update-binfmts also
                // removes a kernel entry of that name, but the plan has removed those already.
                if (persist.update_binfmts) {
                    auto previous = database_content(bs->file);
                    const auto args = update_binfmts_remove_args(name, bs->interpreter, persist.binfmt_support_dir, dir);
                    run_update_binfmts(*persist.update_binfmts, args);
                    journal.file_changed(bs->file, std::move(previous), false);
                    out.push_back("removed binfmt-support's entry '" + name + "' (package xarch): ran " +
                                  shell_command(*persist.update_binfmts, args));
                } else {
                    out.push_back("note: " + bs->file.string() + " (binfmt-support's entry of package xarch) registers '" +
                                  name + "' at boot once binfmt-support is installed; update-binfmts is not, so remove the file");
                }
                relevant = true;
            }
            if (!relevant) continue; // neither registered nor persisted by xarch: nothing to say about boot
            if (bs && bs->package != k_binfmt_support_package)
                out.push_back("note: binfmt-support registers '" + name + "' again at boot (" + bs->file.string() +
                              ", from package " + bs->package + "); to stop that: " + binfmt_support_remove_command(name, *bs));
            for (const auto& source : boot_sources(name, dirs)) {
                if (source.parent_path() == *persist.dir) {
                    // Same name, same directory: masking it would mean deleting someone else's file.
                    out.push_back("note: " + source.string() + " (not written by xarch) registers '" + name +
                                  "' again at boot; remove it yourself if that is not wanted");
                } else if (persist.mask_others) {
                    const auto mask = *persist.dir / source.filename();
                    std::error_code ec;
                    std::filesystem::create_directories(*persist.dir, ec);
                    if (!ec) std::filesystem::create_symlink("/dev/null", mask, ec);
                    if (ec) throw SysError("mask '" + source.string() + "' with '" + mask.string() + "'", ec.value());
                    journal.file_changed(mask, std::nullopt, false);
                    out.push_back("masked " + source.string() + " (" + mask.string() + " -> /dev/null): '" + name +
                                  "' is no longer registered at boot");
                } else {
                    unmasked.push_back(source.string());
                }
            }
        }
    } catch (const Error& e) {
        fail_after_rollback(journal, e.what());
    }
    if (unmasked.size() == 1)
        out.push_back("note: " + unmasked.front() + " registers it again at boot; add --persist to mask it");
    else if (!unmasked.empty())
        out.push_back("note: " + std::to_string(unmasked.size()) + " binfmt.d files (" + unmasked.front() +
                      ", ...) register these entries again at boot; add --persist to mask them");
    return out;
}

std::optional<std::string> binfmt_write_problem(const std::filesystem::path& dir) {
    if (::geteuid() != 0)
        return "needs root: binfmt_misc registrations are machine-wide (or, on Linux 6.7 and newer, belong to the "
               "user namespace that mounted binfmt_misc); run it with sudo";
    if (::access((dir / "register").c_str(), W_OK) != 0)
        return "binfmt_misc at '" + dir.string() + "' is not writable: " + std::strerror(errno) +
               " (a container sees it read-only; run xarch on the host)";
    return std::nullopt;
}

} // namespace oci
