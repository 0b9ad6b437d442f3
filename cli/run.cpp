#include "cli/cli.hpp"

#include "cli/args.hpp"
#include "cli/commands.hpp"

#include "base/error.hpp"
#include "base/log.hpp"
#include "binfmt/install.hpp"

#include <ostream>

#ifndef XARCH_VERSION
#define XARCH_VERSION "unknown"
#endif

namespace cli {

namespace {

constexpr const char* k_usage =
    "usage: xarch [--config PATH] [--debug] COMMAND [ARG...]\n"
    "\n"
    "Foreign-architecture programs and containers through binfmt_misc and qemu-user-static.\n"
    "\n"
    "commands:\n"
    "  status [--json]                       host, binfmt_misc entries, emulators, and the platforms\n"
    "                                        that really run (a probe program of each is executed)\n"
    "  install PLATFORM...|all [OPTION...]   register static emulators for platforms\n"
    "  uninstall PLATFORM...|ENTRY...|all    remove the entries serving platforms, or entries by name\n"
    "  reset                                 remove every qemu entry\n"
    "  doctor PATH                           explain whether an image rootfs, a bundle or a program\n"
    "                                        runs here, why not, and the fix\n"
    "  detect PATH                           print the platform of a rootfs, bundle or program\n"
    "  inject BUNDLE [--stage STAGE]         add xarch-hook to a bundle's config.json\n"
    "  configure ENGINE [--undo] [--dry-run] make docker, containerd, podman or crio use xarch\n"
    "\n"
    "options:\n"
    "  --config PATH   settings (default /etc/xarch/config.json; xarch uses emulator_dirs and policy)\n"
    "  --debug         log decisions to stderr\n"
    "  -h, --help      this help; 'xarch COMMAND --help' describes a command\n"
    "  --version       print the version\n"
    "\n"
    "PLATFORM is an OCI name (arm64, arm/v7, 386, ppc64le, s390x, riscv64, mips64le, loong64, mips,\n"
    "mipsle, ppc, sparc64, m68k, riscv32, with or without 'linux/'), a qemu name (aarch64, arm, i386,\n"
    "mips64el, loongarch64, mipsel) or a Debian name (armhf, armel, ppc64el, powerpc).\n"
    "Exit status: 0 done, 1 failed (nothing half-done), 2 usage error, 3 doctor: would not run /\n"
    "detect: nothing found, 4 not permitted (needs root or a writable binfmt_misc). See xarch(1).\n";

struct Command {
    const char* name;
    int (*handler)(const ParsedArgs&, Context&);
    std::vector<OptionSpec> options;
    const char* usage;
};

const std::vector<Command>& commands() {
    static const std::vector<Command> k_commands{
        {"status", status_command, {{"json"}},
         "usage: xarch status [--json]\n"
         "\n"
         "Shows the host platform and the platforms it runs natively; whether binfmt_misc is mounted;\n"
         "every entry with its flags, interpreter, the platform its magic claims and warnings (C flag,\n"
         "interpreter missing, writable by non-root, dynamically linked, shadowed); the static emulators\n"
         "installed; and, for every platform, whether a tiny probe program of it really runs.\n"
         "  --json   a stable JSON document (schema_version 1, see xarch(1))\n"},
        {"install", install_command,
         {{"mode", true}, {"replace"}, {"credential"}, {"preserve-argv0"}, {"no-preserve-argv0"}, {"persist"}, {"persist-dir", true},
          {"persist-with", true}, {"update-binfmts", true}, {"binfmts-admindir", true}},
         "usage: xarch install PLATFORM...|all [--mode auto|registration|execution] [--replace]\n"
         "                     [--credential] [--[no-]preserve-argv0] [--persist] [--persist-dir DIR]\n"
         "                     [--persist-with binfmt.d|binfmt-support] [--update-binfmts PATH]\n"
         "                     [--binfmts-admindir DIR]\n"
         "\n"
         "Registers the static qemu emulator of each platform with binfmt_misc as 'qemu-<target>'\n"
         "(mounting binfmt_misc first if needed). 'all' means every platform the host does not run\n"
         "natively and has an emulator for. Already registered entries are reported and kept.\n"
         "  --mode registration   F flag: the kernel opens the emulator now; containers need nothing\n"
         "  --mode execution      no F flag: the emulator is looked up at exec time, inside containers\n"
         "                        too (xarch-hook bind-mounts it there)\n"
         "  --mode auto           registration where the kernel has the F flag (4.8+), else execution\n"
         "                        (the default)\n"
         "  --replace             replace existing entries for the platform\n"
         "  --credential          C flag: setuid foreign programs run with their owner's privileges\n"
         "  --preserve-argv0      P flag (with O): programs see their real argv[0]; the default where\n"
         "                        Debian's /usr/libexec/qemu-binfmt/<target>-binfmt-P exists (it is then\n"
         "                        the interpreter), as in Debian's own entries\n"
         "  --no-preserve-argv0   no P flag: programs see the emulated file's path as argv[0]\n"
         "  --persist             also make the entries survive a reboot: <persist-dir>/qemu-<target>.conf\n"
         "                        for systemd-binfmt; where systemd did not boot the machine and\n"
         "                        binfmt-support is installed, its database instead (update-binfmts\n"
         "                        --package xarch --install ...; entries then have no O flag without C)\n"
         "  --persist-dir DIR     where binfmt.d files go (default /etc/binfmt.d); implies binfmt.d\n"
         "  --persist-with WHAT   binfmt.d or binfmt-support, instead of the choice above\n"
         "  --update-binfmts PATH binfmt-support's program (default /usr/sbin/update-binfmts)\n"
         "  --binfmts-admindir DIR  binfmt-support's database (default /var/lib/binfmts)\n"},
        {"uninstall", uninstall_command, {{"persist"}, {"persist-dir", true}, {"update-binfmts", true}, {"binfmts-admindir", true}},
         "usage: xarch uninstall PLATFORM...|ENTRY...|all [--persist] [--persist-dir DIR]\n"
         "                       [--update-binfmts PATH] [--binfmts-admindir DIR]\n"
         "\n"
         "Removes every binfmt_misc entry that serves a platform (whatever its name), an entry by name,\n"
         "or with 'all' every entry that serves a platform xarch knows; also removes the binfmt.d files\n"
         "and binfmt-support entries (package xarch) 'xarch install --persist' made for them. Nothing\n"
         "registered is not an error.\n"
         "  --persist             also mask other binfmt.d files that would register them again at boot\n"
         "                        (a symlink to /dev/null in the persist directory)\n"
         "  --persist-dir DIR     the binfmt.d directory xarch owns files in (default /etc/binfmt.d)\n"
         "  --update-binfmts PATH binfmt-support's program (default /usr/sbin/update-binfmts)\n"
         "  --binfmts-admindir DIR  binfmt-support's database (default /var/lib/binfmts)\n"},
        {"reset", reset_command, {{"persist"}, {"persist-dir", true}, {"update-binfmts", true}, {"binfmts-admindir", true}},
         "usage: xarch reset [--persist] [--persist-dir DIR] [--update-binfmts PATH] [--binfmts-admindir DIR]\n"
         "\n"
         "Removes every qemu entry (name starting with 'qemu-' or interpreter path mentioning qemu),\n"
         "whoever registered it, and the binfmt.d files and binfmt-support entries xarch made.\n"
         "  --persist             also mask other binfmt.d files that would register them again at boot\n"
         "  --persist-dir DIR     the binfmt.d directory xarch owns files in (default /etc/binfmt.d)\n"
         "  --update-binfmts PATH binfmt-support's program (default /usr/sbin/update-binfmts)\n"
         "  --binfmts-admindir DIR  binfmt-support's database (default /var/lib/binfmts)\n"},
        {"doctor", doctor_command, {{"json"}},
         "usage: xarch doctor PATH [--json]\n"
         "\n"
         "Explains what happens if PATH ran now: an image rootfs (judged by its /bin/sh), an OCI bundle\n"
         "(process.args[0] of config.json, or the io.xarch.platform annotation) or a program. Shows the\n"
         "platform detected and from which file, the host, the binfmt_misc entry the kernel would use\n"
         "or its absence, whether the entry's interpreter is static and, without the F flag, present\n"
         "inside the rootfs, the verdict, what xarch-hook would do, and the fix.\n"
         "Exit status 0 if it runs as things are, 3 if it does not.\n"
         "  --json   a stable JSON document (see xarch(1))\n"},
        {"detect", detect_command, {{"json"}},
         "usage: xarch detect PATH [--json]\n"
         "\n"
         "Prints the platform (linux/arm64) of a program, an image rootfs or a bundle. Exit status 3\n"
         "if no ELF program is found.\n"
         "  --json   path, kind, platform, file and how it was found\n"},
        {"inject", inject_command, {{"stage", true}, {"hook", true}},
         "usage: xarch inject BUNDLE [--stage prestart|createRuntime] [--hook PATH]\n"
         "\n"
         "Adds xarch-hook to BUNDLE/config.json at the given stage (default prestart) and at\n"
         "poststop, for pipelines that run 'runc run' or 'crun run' on a bundle. Idempotent.\n"
         "  --stage STAGE   prestart (runc, crun) or createRuntime\n"
         "  --hook PATH     the xarch-hook to run (default: the one installed beside xarch)\n"},
        {"configure", configure_command,
         {{"undo"}, {"dry-run"}, {"default"}, {"config-file", true}, {"runtime", true}, {"hook", true}, {"unit-dir", true}},
         "usage: xarch configure docker|containerd|podman|crio [--undo] [--dry-run] [--default]\n"
         "                       [--config-file PATH] [--runtime PATH] [--hook PATH] [--unit-dir DIR]\n"
         "\n"
         "Makes an engine run containers through xarch, editing its configuration atomically and keeping\n"
         "everything else in it (a copy of the previous file goes to PATH.xarch-backup); says whether the\n"
         "engine must be restarted. Idempotent.\n"
         "  docker       the runtime 'xarch' (xarch-runtime) in /etc/docker/daemon.json; where systemd runs\n"
         "               dockerd, also /etc/systemd/system/docker.service.d/xarch.conf setting\n"
         "               DOCKER_BUILDKIT_RUNC_COMMAND, so docker build (BuildKit) runs RUN steps through it\n"
         "  containerd   the CRI runtime handler 'xarch' in /etc/containerd/config.toml (for a Kubernetes\n"
         "               RuntimeClass), as a marked block at its end; or, when its imports glob covers\n"
         "               one and no file sets the CRI plugin's section, in a drop-in such as conf.d/xarch.toml\n"
         "  podman       xarch-hook's hooks.d entries in /etc/containers/oci/hooks.d and a drop-in\n"
         "               /etc/containers/containers.conf.d/xarch.conf adding it to hooks_dir; as a user,\n"
         "               the same in ~/.config/containers\n"
         "  crio         the same entries, and a drop-in /etc/crio/crio.conf.d/50-xarch.conf adding that\n"
         "               directory to hooks_dir\n"
         "  --undo              remove exactly what xarch configure added\n"
         "  --dry-run           print the change as a diff; change nothing\n"
         "  --default           docker: make 'xarch' the default runtime\n"
         "  --config-file PATH  the file to edit instead (podman: the hooks.d directory, and no drop-in)\n"
         "  --runtime PATH      the xarch-runtime to register (default: the one beside xarch)\n"
         "  --hook PATH         the xarch-hook to register (default: the one beside xarch)\n"
         "  --unit-dir DIR      docker: write the docker.service drop-in under DIR (default /etc/systemd/system,\n"
         "                      and only where systemd booted the machine)\n"},
    };
    return k_commands;
}

const Command* find_command(const std::string& name) {
    for (const auto& c : commands())
        if (name == c.name) return &c;
    return nullptr;
}

std::string version_line() { return "xarch " + version() + "\n"; }

int usage_error(std::ostream& err, const std::string& message, const std::string& command) {
    err << "xarch: " << message << "\n"
        << "Try 'xarch " << (command.empty() ? "" : command + " ") << "--help'.\n";
    return k_exit_usage;
}

bool is_not_permitted(int code) { return code == EPERM || code == EACCES || code == EROFS; }

// The command in front of the library's message, once: "install: reason"; "doctor '/x': reason"
// for a message about an object; the message as it is when it already names the command
// ("install 'linux/arm64': ...").
std::string with_command(const std::string& name, const std::string& what) {
    if (what.starts_with(name)) return what;
    return name + (what.starts_with("'") ? " " : ": ") + what;
}

} // namespace

std::string version() { return XARCH_VERSION; }

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    // Global options, then the command.
    std::size_t i = 0;
    std::filesystem::path settings_path = oci::k_default_settings_path;
    bool debug = false;
    bool explicit_config = false;
    for (; i < args.size() && args[i].starts_with("-"); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            out << k_usage;
            return k_exit_ok;
        }
        if (a == "--version") {
            out << version_line();
            return k_exit_ok;
        }
        if (a == "--debug") debug = true;
        else if (a == "--config" && i + 1 < args.size()) {
            settings_path = args[++i];
            explicit_config = true;
        } else if (a == "--config" || a == "--config=") return usage_error(err, "--config needs a file name", "");
        else if (a.starts_with("--config=")) {
            settings_path = a.substr(9);
            explicit_config = true;
        } else return usage_error(err, "unknown option '" + a + "'", "");
    }
    if (i == args.size()) {
        err << k_usage;
        return k_exit_usage;
    }
    std::string name = args[i];
    std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    if (name == "help") {
        if (rest.empty()) {
            out << k_usage;
            return k_exit_ok;
        }
        name = rest.front();
        rest = {"--help"};
    }
    const Command* command = find_command(name);
    if (!command) return usage_error(err, "unknown command '" + name + "'", "");

    std::vector<OptionSpec> options = command->options;
    options.push_back({"help"});
    options.push_back({"version"});
    options.push_back({"debug"});
    ParsedArgs parsed;
    try {
        parsed = parse_args(rest, options);
    } catch (const oci::ArgumentError& e) {
        return usage_error(err, name + ": " + e.what(), name);
    }
    if (parsed.has("help")) {
        out << command->usage;
        return k_exit_ok;
    }
    if (parsed.has("version")) {
        out << version_line();
        return k_exit_ok;
    }

    oci::setup_logging("xarch", debug || parsed.has("debug") ? "debug" : "warn");
    Context ctx{{}, out, err};
    try {
        // The default file may be absent (defaults apply); a file asked for by name must exist.
        ctx.settings = oci::load_settings(settings_path, explicit_config);
    } catch (const oci::Error& e) {
        err << "xarch: " << e.what() << "\n";
        return k_exit_failure;
    }
    try {
        return command->handler(parsed, ctx);
    } catch (const oci::ArgumentError& e) {
        return usage_error(err, with_command(name, e.what()), name);
    } catch (const oci::SysError& e) {
        err << "xarch: " << with_command(name, e.what()) << "\n";
        return is_not_permitted(e.code()) ? k_exit_not_permitted : k_exit_failure;
    } catch (const oci::Error& e) {
        err << "xarch: " << with_command(name, e.what()) << "\n";
        return k_exit_failure;
    }
}

} // namespace cli
