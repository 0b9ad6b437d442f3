#include "engine/doctor.hpp"

#include "base/elf.hpp"
#include "base/error.hpp"
#include "binfmt/host.hpp"
#include "engine/classify.hpp"
#include "engine/resolve.hpp"
#include "oci/spec.hpp"

#include <sys/stat.h>

#include <cerrno>

namespace oci {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

ImageInfo program_image(const std::string& path, const std::vector<std::uint8_t>& head) {
    const auto header = parse_elf_header(head);
    if (!header) throw Error("'" + path + "': not an ELF program");
    if (!elf_is_executable(*header))
        throw Error("'" + path + "': not an executable program (ELF type " + std::to_string(header->type) +
                    (header->type == 1 ? ", a relocatable object" : "") + ")");
    const auto platform = elf_platform(*header);
    if (!platform) throw Error("'" + path + "': unsupported program: " + describe_elf(*header));
    return ImageInfo{*platform, "ELF " + path, path, head};
}

} // namespace

const char* to_string(TargetKind kind) {
    switch (kind) {
    case TargetKind::Bundle: return "bundle";
    case TargetKind::Rootfs: return "rootfs";
    case TargetKind::Program: return "program";
    }
    return "?";
}

const char* to_string(DoctorState state) {
    switch (state) {
    case DoctorState::Native: return "native";
    case DoctorState::Covered: return "covered";
    case DoctorState::InterpreterPresent: return "interpreter-present";
    case DoctorState::InterpreterMissing: return "interpreter-missing";
    case DoctorState::DynamicInterpreter: return "dynamic-interpreter";
    case DoctorState::InterpreterUnusable: return "interpreter-unusable";
    case DoctorState::HandlerDisabled: return "handler-disabled";
    case DoctorState::NoHandler: return "no-handler";
    case DoctorState::BinfmtNotMounted: return "binfmt-not-mounted";
    case DoctorState::BinfmtDisabled: return "binfmt-disabled";
    case DoctorState::Unsupported: return "unsupported";
    case DoctorState::CommandMissing: return "command-missing";
    case DoctorState::LinkDangling: return "link-dangling";
    case DoctorState::LinkLoop: return "link-loop";
    case DoctorState::ScriptInterpreterMissing: return "script-interpreter-missing";
    case DoctorState::LoaderMissing: return "loader-missing";
    }
    return "?";
}

Detection detect_path(const std::filesystem::path& path) {
    Detection d;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw SysError("'" + path.string() + "'", errno);
    const auto abs = std::filesystem::absolute(path);
    if (S_ISDIR(st.st_mode)) {
        struct stat cst {};
        if (::stat((abs / "config.json").c_str(), &cst) == 0 && S_ISREG(cst.st_mode)) {
            d.kind = TargetKind::Bundle;
            const auto config = load_config(abs);
            d.rootfs = rootfs_path(config, abs);
            d.image = detect_image(Rootfs::open(d.rootfs), config);
            const auto args = process_args(config);
            d.command = args.empty() ? std::string() : args.front();
            d.lookup = process_lookup(config);
        } else {
            d.kind = TargetKind::Rootfs;
            d.rootfs = abs;
            d.image = detect_command(Rootfs::open(abs), "", CommandLookup{});
        }
        return d;
    }
    // A program on the host: its own header, whether or not it is executable; "#!" is followed.
    d.kind = TargetKind::Program;
    d.rootfs = "/";
    const auto root = Rootfs::open("/");
    const std::string file = std::filesystem::weakly_canonical(abs).string();
    const auto head = root.read_head(file, k_binprm_buf_size);
    if (!head) throw Error("'" + path.string() + "': not a regular file");
    if (parse_elf_header(*head)) {
        d.image = program_image(file, *head);
    } else if (head->size() > 2 && (*head)[0] == '#' && (*head)[1] == '!') {
        if (const auto exe = find_executable(root, file, CommandLookup{}))
            d.image = program_image(exe->path, exe->bytes);
    }
    return d;
}

DoctorFacts examine(const std::filesystem::path& path, const Settings& settings) {
    DoctorFacts df;
    df.target = path;
    df.detection = detect_path(path);
    if (!df.detection.image) return df;
    const ImageInfo& image = *df.detection.image;
    const Platform host = host_platform();
    df.kernel = kernel_release();
    if (const auto k = parse_kernel_release(df.kernel)) df.fix_binary = supports_fix_binary(*k);
    df.binfmt_dir = locate_binfmt(false);
    df.facts = gather_facts(image, host, settings, false);
    if (df.detection.kind == TargetKind::Bundle) {
        df.start = check_start(Rootfs::open(df.detection.rootfs), df.detection.command, df.detection.lookup);
    } else if (df.detection.kind == TargetKind::Rootfs) {
        df.start = check_start(Rootfs::open(df.detection.rootfs), image.file, CommandLookup{});
    }
    const BinfmtEntry* h = active_handler(df.facts);
    if (!h) h = disabled_handler(df.facts);
    if (!h) return df;
    df.handler_interpreter = inspect_interpreter(h->interpreter);
    if (!h->has_flag('F')) {
        const auto rootfs = Rootfs::open(df.detection.rootfs);
        df.interpreter_in_rootfs = inspect_interpreter_in(rootfs, h->interpreter);
    }
    return df;
}

Diagnosis diagnose(const DoctorFacts& df) {
    const Facts& f = df.facts;
    Diagnosis d;
    const bool container = df.detection.kind != TargetKind::Program;
    if (container) {
        d.hook = decide(f);
        // The hook mounts binfmt_misc itself when it may register (root, policy "register"):
        // what it then does is decide's answer for an empty, writable binfmt_misc.
        if (mounts_binfmt_first(f) && f.emulator && f.emulator->usable && !qemu_target(f.image).empty()) {
            Facts mounted = f;
            mounted.binfmt = BinfmtState{};
            mounted.can_register = true;
            d.hook = decide(mounted);
            if (d.hook.kind == ActionKind::Register)
                d.hook.reason = "mount binfmt_misc, then register '" + d.hook.entry.name + "' -> " +
                                d.hook.entry.interpreter + " with flags " + d.hook.entry.flags;
        }
    }
    const std::string p = f.image.str();
    const std::string file = df.detection.image ? df.detection.image->file : std::string();
    const std::string program = file.empty() ? "its programs" : file;
    const std::string reports = container ? "runtimes (runc, crun, podman, docker) report " : "running it fails with ";
    const std::string inside = container ? "inside the container" : "on this host";
    const std::string install = "xarch install " + f.image.short_name();
    const std::string get_emulator = f.emulator ? "" : "apt-get install qemu-user-static && ";
    const std::string binfmt_dir = df.binfmt_dir ? df.binfmt_dir->string() : std::string(k_binfmt_default_dir);
    const auto fail = [&](DoctorState state, std::string error, std::string explanation, std::string fix) {
        d.state = state;
        d.runs = false;
        d.error = std::move(error);
        d.explanation = std::move(explanation);
        d.fix = std::move(fix);
        return d;
    };
    const auto runs = [&](DoctorState state, std::string explanation) {
        d.state = state;
        d.runs = true;
        d.explanation = std::move(explanation);
        return d;
    };
    const std::string enoexec = "exec format error";
    const std::string enoent = "no such file or directory";

    // Before any emulator matters, the runtime must find the command and the kernel its files.
    const std::string where = df.start.path.empty() ? std::string("''") : "'" + df.start.path + "'";
    switch (df.start.problem) {
    case StartProblem::None: break;
    case StartProblem::NotFound:
        return fail(DoctorState::CommandMissing, enoent,
                    "process.args[0] " + where + " is not in the rootfs (nor in the PATH of process.env): " + reports +
                        "\"executable file not found\" or " + quoted(enoent),
                    "fix process.args[0], or add the program to the image");
    case StartProblem::DanglingLink:
        return fail(DoctorState::LinkDangling, enoent,
                    "the command " + where + " is a symlink to nothing inside the rootfs: " + reports + quoted(enoent),
                    "point the symlink at a file inside the image");
    case StartProblem::LinkLoop:
        return fail(DoctorState::LinkLoop, "too many levels of symbolic links",
                    "the command " + where + " is a symlink that loops: " + reports +
                        quoted("too many levels of symbolic links"),
                    "fix the symlink in the image");
    case StartProblem::InterpreterMissing:
        return fail(DoctorState::ScriptInterpreterMissing, enoent,
                    "the command is a \"#!\" script whose interpreter " + where + " is not in the rootfs: " + reports +
                        quoted(enoent) + " although the script exists",
                    "add " + where + " to the image or change the script's first line");
    case StartProblem::LoaderMissing:
        return fail(DoctorState::LoaderMissing, enoent,
                    program + " is dynamically linked and its loader " + where + " is not in the rootfs: " + reports +
                        quoted(enoent) + " although " + program + " exists",
                    "add the " + p + " loader and libraries to the image (or use a static program)");
    }

    const Classification c = classify(f);
    switch (c.situation) {
    case Situation::Native:
        return runs(DoctorState::Native, "the host (" + f.host.str() + ") runs " + p + " programs itself");
    case Situation::Unsupported:
        return fail(DoctorState::Unsupported, enoexec, "xarch knows no emulator for " + p + " programs", "");
    case Situation::BinfmtNotMounted:
        return fail(DoctorState::BinfmtNotMounted, enoexec,
                    "binfmt_misc is not mounted, so the kernel has no handler for " + p + " programs and cannot run " +
                        program + ": " + reports + quoted(enoexec),
                    get_emulator + install);
    case Situation::BinfmtDisabled:
        return fail(DoctorState::BinfmtDisabled, enoexec,
                    "binfmt_misc is disabled as a whole, so no entry handles " + p + " programs: " + reports + quoted(enoexec),
                    "echo 1 > " + binfmt_dir + "/status");
    case Situation::HandlerDisabled:
        d.entry = c.entry;
        return fail(DoctorState::HandlerDisabled, enoexec,
                    "binfmt_misc entry '" + c.entry->name + "' claims " + p + " programs but is disabled, so the kernel "
                    "cannot run " + program + ": " + reports + quoted(enoexec),
                    "echo 1 > " + binfmt_dir + "/" + c.entry->name);
    case Situation::NoHandler:
        return fail(DoctorState::NoHandler, enoexec,
                    "no binfmt_misc entry claims " + p + " programs, so the kernel cannot run " + program + ": " + reports +
                        quoted(enoexec),
                    get_emulator + install);
    case Situation::FixedHandler:
    case Situation::OpenHandler:
        break;
    }

    const BinfmtEntry* h = c.entry;
    d.entry = h;
    const std::string entry = "binfmt_misc entry '" + h->name + "'";
    const std::string replace = get_emulator + install + " --replace";
    const InterpreterInfo* hi = df.handler_interpreter ? &*df.handler_interpreter : nullptr;
    if (c.situation == Situation::FixedHandler) {
        if (!hi || !hi->exists)
            return runs(DoctorState::Covered, entry + " has the F flag: the kernel opened its interpreter " + h->interpreter +
                                                  " when it was registered and still holds it (the file has since gone "
                                                  "from disk), so " + program + " runs anywhere");
        if (!hi->platform || hi->platform->architecture != f.host.architecture)
            return fail(DoctorState::InterpreterUnusable, enoexec,
                        entry + " has the F flag but its interpreter " + h->interpreter + " is not a program for the host (" +
                            (hi->platform ? hi->platform->str() : std::string("not an ELF file")) + "): " + reports + quoted(enoexec),
                        replace);
        if (hi->is_static == false) {
            const std::string loader = hi->loader.empty() ? "its dynamic loader" : "its dynamic loader " + hi->loader;
            if (!container)
                return runs(DoctorState::DynamicInterpreter,
                            entry + " has the F flag and a dynamically linked interpreter " + h->interpreter +
                                "; on this host its libraries exist, so " + program + " runs, but in a container " + loader +
                                " is looked up inside the image and " + p + " containers fail with " + quoted(enoent));
            return fail(DoctorState::DynamicInterpreter, enoent,
                        entry + " has the F flag, but its interpreter " + h->interpreter + " is dynamically linked: the kernel "
                        "looks up " + loader + " and its libraries inside the container, where a " + p + " image does not "
                        "have them: " + reports + quoted(enoent) + " although " + program + " exists",
                        replace);
        }
        return runs(DoctorState::Covered, entry + " has the F flag: the kernel opened its statically linked interpreter " +
                                              h->interpreter + " when it was registered and runs " + program +
                                              " with it, whatever the container holds");
    }

    // Without F the kernel opens the interpreter path at exec time, in the container's view.
    const std::string no_f = entry + " has no F flag, so the kernel opens its interpreter " + h->interpreter + " " + inside +
                             " whenever " + program + " starts";
    const auto& in = df.interpreter_in_rootfs;
    if (!in || !in->exists)
        return fail(DoctorState::InterpreterMissing, enoent,
                    no_f + ", and " + (container ? "the rootfs has no such file" : "there is no such file") + ": " + reports +
                        quoted(enoent) + " although " + program + " exists",
                    replace);
    if (!in->regular || !in->platform || in->platform->architecture != f.host.architecture)
        return fail(DoctorState::InterpreterUnusable, enoexec,
                    no_f + "; " + (container ? "the rootfs has one" : "it exists") + ", but it is not a program for the host (" +
                        (in->platform ? in->platform->str() : std::string("not an ELF file")) + "): " + reports + quoted(enoexec),
                    replace);
    if (in->is_static == false && container)
        return fail(DoctorState::DynamicInterpreter, enoent,
                    no_f + "; the rootfs has one, but it is dynamically linked and " +
                        (in->loader.empty() ? "its loader" : "its loader " + in->loader) +
                        " for the host is looked up in the rootfs too: " + reports + quoted(enoent) + " unless the image "
                        "carries the host's loader and libraries",
                    replace);
    return runs(DoctorState::InterpreterPresent,
                no_f + "; " + (container ? "the rootfs has" : "there is") + " a program for the host at that path, so " +
                    program + " runs");
}

} // namespace oci
