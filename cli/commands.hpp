#pragma once
// The xarch commands, one function each: parsed arguments in, exit code out.
#include "cli/args.hpp"

#include "base/settings.hpp"

#include <iosfwd>
#include <string>

namespace cli {

struct Context {
    oci::Settings settings;
    std::ostream& out; // results
    std::ostream& err; // messages: "xarch: verb 'object': reason"
};

// The version printed by --version and written into JSON documents.
std::string version();

int status_command(const ParsedArgs& args, Context& ctx);
int install_command(const ParsedArgs& args, Context& ctx);
int uninstall_command(const ParsedArgs& args, Context& ctx);
int reset_command(const ParsedArgs& args, Context& ctx);
int doctor_command(const ParsedArgs& args, Context& ctx);
int detect_command(const ParsedArgs& args, Context& ctx);
int inject_command(const ParsedArgs& args, Context& ctx);
int configure_command(const ParsedArgs& args, Context& ctx);

} // namespace cli
