#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/text.hpp"

#include "binfmt/install.hpp"
#include "engine/status.hpp"

#include <ostream>

namespace cli {

int status_command(const ParsedArgs& args, Context& ctx) {
    if (!args.positional.empty()) throw oci::ArgumentError("status takes no arguments");
    const oci::StatusReport report = oci::gather_status(ctx.settings.emulator_dirs);
    if (args.has("json")) ctx.out << to_json(report, version()).dump(2) << "\n";
    else ctx.out << format_status(report);
    return k_exit_ok;
}

} // namespace cli
