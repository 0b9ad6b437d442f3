#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "base/text.hpp"

#include "binfmt/install.hpp"
#include "binfmt/persist.hpp"
#include "binfmt/probe.hpp"
#include "binfmt/registrations.hpp"
#include "engine/status.hpp"

#include <unistd.h>

#include <algorithm>
#include <ostream>

namespace cli {

namespace {

// Root first, before anything is mounted; then a writable binfmt_misc.
std::optional<std::string> permission_problem(const std::optional<std::filesystem::path>& dir) {
    if (dir) return oci::binfmt_write_problem(*dir);
    if (::geteuid() != 0) return oci::binfmt_write_problem(oci::k_binfmt_default_dir); // says "needs root"
    return std::nullopt;
}

std::filesystem::path absolute_option(const ParsedArgs& args, const std::string& name, const std::filesystem::path& fallback) {
    const std::filesystem::path p = args.value(name).value_or(fallback.string());
    if (!p.is_absolute()) throw oci::ArgumentError("--" + name + " '" + p.string() + "' is not an absolute path");
    return p;
}

oci::PersistOptions persist_options(const ParsedArgs& args, const Context& ctx, bool write) {
    oci::PersistOptions p;
    const auto dir = absolute_option(args, "persist-dir", oci::k_binfmt_d_dir);
    p.binfmt_support_dir = absolute_option(args, "binfmts-admindir", oci::k_binfmt_support_dir);
    if (args.has("update-binfmts")) p.update_binfmts = absolute_option(args, "update-binfmts", {});
    else p.update_binfmts = oci::find_update_binfmts();
    p.records = oci::registration_records(ctx.settings.state_dir);
    // install persists only with --persist; removals always drop what xarch persisted.
    if (write) {
        for (const char* o : {"persist-dir", "persist-with", "update-binfmts", "binfmts-admindir"})
            if (args.has(o) && !args.has("persist"))
                throw oci::ArgumentError(std::string("install: --") + o + " is used only with --persist (nothing would be persisted)");
        if (!args.has("persist")) return p;
        oci::PersistVia via = oci::PersistVia::BinfmtD;
        if (const auto with = args.value("persist-with")) via = oci::parse_persist_via(*with);
        else if (!args.has("persist-dir")) via = oci::choose_persist_via(oci::systemd_booted(), p.update_binfmts.has_value());
        if (via == oci::PersistVia::BinfmtSupport) {
            if (args.has("persist-dir"))
                throw oci::ArgumentError("install: --persist-dir names binfmt.d files, which binfmt-support does not read");
            if (!p.update_binfmts)
                throw oci::ArgumentError("install: --persist-with binfmt-support: update-binfmts is not installed "
                                         "(apt-get install binfmt-support), or name it with --update-binfmts");
            p.binfmt_support = true;
        } else {
            p.dir = dir;
        }
    } else {
        p.dir = dir;
        p.mask_others = args.has("persist");
    }
    return p;
}

int not_permitted(Context& ctx, const std::string& command, const std::string& why) {
    ctx.err << "xarch: " << command << ": " << why << "\n";
    return k_exit_not_permitted;
}

// The machine's binfmt_misc for `command`, mounted if it is not (and saying so); nullopt, after
// saying why and how to fix it, where it cannot be mounted or written.
std::optional<std::filesystem::path> binfmt_for(Context& ctx, const std::string& command) {
    if (const auto why = permission_problem(std::nullopt)) {
        not_permitted(ctx, command, *why);
        return std::nullopt;
    }
    const bool was_mounted = oci::locate_binfmt(false).has_value();
    const auto dir = oci::locate_binfmt(true);
    if (!dir) {
        not_permitted(ctx, command, std::string("binfmt_misc is not mounted and cannot be mounted here; as root on the host: "
                                                "mount -t binfmt_misc binfmt_misc ") + oci::k_binfmt_default_dir);
        return std::nullopt;
    }
    if (!was_mounted) ctx.out << "mounted binfmt_misc at " << dir->string() << "\n";
    if (const auto why = permission_problem(dir)) {
        not_permitted(ctx, command, *why);
        return std::nullopt;
    }
    return dir;
}

void print(Context& ctx, const std::vector<std::string>& lines) {
    for (const auto& l : lines) ctx.out << l << "\n";
}

// Removal shared by uninstall and reset.
int remove(const std::string& command, const ParsedArgs& args, Context& ctx,
           oci::RemovalPlan (*plan_for)(const ParsedArgs&, const oci::BinfmtState&)) {
    const auto persist = persist_options(args, ctx, false);
    // Entries live in the kernel (one set per user namespace), not in a mount: binfmt_misc not
    // being mounted here does not mean nothing is registered, so it is mounted to look.
    const auto dir = binfmt_for(ctx, command);
    if (!dir) return k_exit_not_permitted;
    const oci::RemovalPlan plan = plan_for(args, oci::read_binfmt(*dir));
    print(ctx, oci::apply_removal(plan, *dir, persist));
    return k_exit_ok;
}

// Registered is not running: every platform the plan covers must run its probe now. One that
// does not is named with the reason and the fix, and install fails.
int verify_installed(const oci::InstallPlan& plan, Context& ctx) {
    std::vector<const oci::InstallStep*> steps;
    std::vector<std::vector<std::uint8_t>> programs;
    for (const auto& s : plan.steps)
        if (s.kind != oci::StepKind::Skip) {
            steps.push_back(&s);
            programs.push_back(oci::exit_probe(s.platform));
        }
    if (steps.empty()) {
        ctx.err << "xarch: install: nothing was installed: every platform was skipped (see above)\n";
        return k_exit_failure;
    }
    const auto results = oci::run_programs(programs);
    bool all_run = true;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (results[i].proved()) continue;
        all_run = false;
        const oci::InstallStep& s = *steps[i];
        ctx.err << "xarch: install: " << s.platform.str() << " still does not run (" << results[i].describe() << ")";
        if (s.kind == oci::StepKind::Keep)
            ctx.err << ": the entry that serves it was left as it is; replace it: xarch install " << s.platform.short_name()
                    << " --replace";
        ctx.err << "\n";
    }
    return all_run ? k_exit_ok : k_exit_failure;
}

// Positional names, with comma lists split: "arm64,riscv64 arm" is three names.
std::vector<std::string> names_of(const std::vector<std::string>& positional) {
    std::vector<std::string> out;
    for (const auto& arg : positional) {
        for (auto& name : oci::split_nonempty(arg, ',')) out.push_back(std::move(name));
    }
    return out;
}

} // namespace

int install_command(const ParsedArgs& args, Context& ctx) {
    const auto names = names_of(args.positional);
    if (names.empty()) throw oci::ArgumentError("install needs a platform, or 'all'");
    const bool all = std::find(names.begin(), names.end(), "all") != names.end();
    if (all && names.size() > 1) throw oci::ArgumentError("install: 'all' cannot be combined with platform names");
    std::vector<oci::Platform> platforms;
    if (!all)
        for (const auto& name : names) platforms.push_back(oci::parse_platform_arg(name));
    oci::InstallOptions options;
    if (const auto mode = args.value("mode")) options.mode = oci::parse_install_mode(*mode);
    options.replace = args.has("replace");
    options.credential = args.has("credential");
    if (args.has("preserve-argv0") && args.has("no-preserve-argv0"))
        throw oci::ArgumentError("install: --preserve-argv0 and --no-preserve-argv0 contradict each other");
    if (args.has("preserve-argv0")) options.preserve_argv0 = true;
    if (args.has("no-preserve-argv0")) options.preserve_argv0 = false;
    const auto persist = persist_options(args, ctx, true);
    // binfmt-support has no O flag of its own: the entry registered now is the one it registers at boot.
    if (persist.binfmt_support) options.open_binary = false;

    const auto dir = binfmt_for(ctx, "install");
    if (!dir) return k_exit_not_permitted;

    oci::InstallFacts facts;
    facts.host = oci::host_platform();
    facts.kernel = oci::kernel_release();
    if (const auto k = oci::parse_kernel_release(facts.kernel)) facts.fix_binary = oci::supports_fix_binary(*k);
    facts.binfmt = oci::read_binfmt(*dir);
    facts.native = oci::native_platforms(facts.host, facts.binfmt);
    facts.emulator_dirs = ctx.settings.emulator_dirs;
    for (const auto& p : all ? oci::catalogue_platforms() : platforms) {
        const std::string qemu = oci::qemu_target(p);
        if (!qemu.empty() && !facts.emulators.count(qemu))
            facts.emulators[qemu] = oci::search_emulator(qemu, ctx.settings.emulator_dirs, facts.host);
    }

    const oci::InstallPlan plan = oci::plan_install(platforms, all, options, facts);
    if (!plan.errors.empty()) {
        for (const auto& e : plan.errors) ctx.err << "xarch: " << e << "\n";
        ctx.err << "xarch: install: nothing was changed\n";
        return k_exit_failure;
    }
    if (!plan.mode_note.empty()) ctx.out << plan.mode_note << "\n";
    for (const auto& s : plan.steps)
        if (!s.message.empty()) ctx.out << s.message << "\n";
    print(ctx, oci::apply_install(plan, *dir, persist));

    const bool changed = std::any_of(plan.steps.begin(), plan.steps.end(), [](const oci::InstallStep& s) {
        return s.kind == oci::StepKind::Register || s.kind == oci::StepKind::Replace;
    });
    if (changed && options.credential)
        ctx.err << "xarch: warning: flag C: setuid foreign programs run with their owner's privileges\n";
    if (changed && !persist.dir && !persist.binfmt_support)
        ctx.out << "note: binfmt_misc registrations are lost at reboot; add --persist to register them at boot too\n";
    if (!facts.binfmt.enabled)
        ctx.err << "xarch: warning: binfmt_misc is disabled as a whole, so no entry is used; enable it: echo 1 > "
                << dir->string() << "/status\n";
    return verify_installed(plan, ctx);
}

int uninstall_command(const ParsedArgs& args, Context& ctx) {
    if (args.positional.empty()) throw oci::ArgumentError("uninstall needs a platform, an entry name, or 'all'");
    return remove("uninstall", args, ctx, [](const ParsedArgs& a, const oci::BinfmtState& s) {
        return oci::plan_uninstall(names_of(a.positional), s);
    });
}

int reset_command(const ParsedArgs& args, Context& ctx) {
    if (!args.positional.empty()) throw oci::ArgumentError("reset takes no arguments");
    return remove("reset", args, ctx, [](const ParsedArgs&, const oci::BinfmtState& s) { return oci::plan_reset(s); });
}

} // namespace cli
