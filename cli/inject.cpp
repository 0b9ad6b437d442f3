// xarch inject: add xarch-hook to a bundle's config.json, for pipelines that call
// `runc run` or `crun run` on a bundle directly.
#include "cli/cli.hpp"
#include "cli/commands.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/json.hpp"
#include "engine/prepare.hpp"
#include "oci/spec.hpp"

#include <ostream>

namespace cli {


int inject_command(const ParsedArgs& args, Context& ctx) {
    if (args.positional.size() != 1) {
        ctx.err << "xarch: inject: expected one bundle directory\nTry 'xarch inject --help'.\n";
        return k_exit_usage;
    }
    const std::string stage = args.value("stage").value_or("prestart");
    if (stage != "prestart" && stage != "createRuntime") {
        ctx.err << "xarch: inject: --stage must be prestart or createRuntime, not '" << stage << "'\n";
        return k_exit_usage;
    }
    std::filesystem::path hook = args.value("hook").value_or("");
    if (!hook.empty() && !hook.is_absolute()) {
        ctx.err << "xarch: inject: --hook must be an absolute path (runtimes resolve it from the bundle), not '"
                << hook.string() << "'\n";
        return k_exit_usage;
    }
    if (hook.empty()) hook = oci::hook_binary(ctx.settings);
    if (hook.empty() || !hook.is_absolute()) {
        ctx.err << "xarch: inject: cannot find xarch-hook beside xarch; give its absolute path with --hook\n";
        return k_exit_failure;
    }
    const std::filesystem::path bundle = args.positional.front();
    const auto config_path = bundle / "config.json";
    const std::string text = oci::read_file_capped(config_path);
    oci::Json config = oci::parse_config(text, "'" + config_path.string() + "'");
    std::vector<std::string> warnings;
    // One xarch-hook at one start stage: injecting at createRuntime moves it from prestart.
    const auto changed = oci::apply_edits(config, {oci::hook_edit(stage, hook, {"xarch-hook", stage}, {"prestart", "createRuntime"}),
                                                   oci::hook_edit("poststop", hook, {"xarch-hook", "poststop"})},
                                          warnings);
    if (changed.empty()) {
        ctx.out << "inject '" << config_path.string() << "': xarch-hook is already there\n";
        return k_exit_ok;
    }
    // Members keep their order; the indentation and final newline are the file's own. A symlinked
    // config.json stays a symlink.
    oci::write_file_atomic(config_path, oci::dump_like(config, oci::layout_of(text)));
    ctx.out << "inject '" << config_path.string() << "': xarch-hook at " << stage << " and poststop (" << hook.string()
            << ")\n";
    return k_exit_ok;
}

} // namespace cli
