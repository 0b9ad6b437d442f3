#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "cli/json.hpp"
#include "cli/text.hpp"

#include "binfmt/install.hpp"
#include "engine/doctor.hpp"

#include <ostream>

namespace cli {

namespace {

const std::string& one_path(const ParsedArgs& args, const char* command) {
    if (args.positional.size() != 1)
        throw oci::ArgumentError(std::string(command) + " needs exactly one path: an image rootfs, a bundle directory or a program");
    return args.positional.front();
}

} // namespace

int doctor_command(const ParsedArgs& args, Context& ctx) {
    const std::string& path = one_path(args, "doctor");
    const oci::DoctorFacts facts = oci::examine(path, ctx.settings);
    if (!facts.detection.image) {
        const std::string why = "no ELF program found (a rootfs is judged by its /bin/sh, a bundle by process.args[0]); "
                                "nothing to diagnose";
        ctx.err << "xarch: doctor '" << path << "': " << why << "\n";
        if (args.has("json")) ctx.out << no_program_json(facts.detection, path, version(), why).dump(2) << "\n";
        return k_exit_problem;
    }
    const oci::Diagnosis d = oci::diagnose(facts);
    if (args.has("json")) ctx.out << to_json(facts, d, version()).dump(2) << "\n";
    else ctx.out << format_diagnosis(facts, d);
    return d.runs ? k_exit_ok : k_exit_problem;
}

int detect_command(const ParsedArgs& args, Context& ctx) {
    const std::string& path = one_path(args, "detect");
    const oci::Detection d = oci::detect_path(path);
    if (args.has("json")) ctx.out << to_json(d, path).dump(2) << "\n";
    else if (d.image) ctx.out << d.image->platform.str() << "\n";
    if (!d.image) {
        ctx.err << "xarch: detect '" << path << "': no ELF program found (a rootfs is judged by its /bin/sh, a bundle by "
                   "process.args[0])\n";
        return k_exit_problem;
    }
    return k_exit_ok;
}

} // namespace cli
