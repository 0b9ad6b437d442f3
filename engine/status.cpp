#include "engine/status.hpp"

#include "base/elf.hpp"
#include "base/fd.hpp"
#include "binfmt/emulator.hpp"
#include "binfmt/install.hpp"
#include "binfmt/probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace oci {

namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

void inspect_bytes(InterpreterInfo& info, std::span<const std::uint8_t> bytes) {
    const auto header = parse_elf_header(bytes);
    if (!header) return;
    info.platform = elf_platform(*header);
    if (const auto dynamic = elf_has_interpreter(*header, bytes)) info.is_static = !*dynamic;
    if (info.is_static == false) info.loader = elf_interpreter_path(*header, bytes).value_or("");
}

} // namespace

InterpreterInfo inspect_interpreter(const std::string& path) {
    InterpreterInfo info;
    info.path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return info;
    info.exists = true;
    info.uid = st.st_uid;
    info.mode = st.st_mode;
    std::error_code ec;
    info.resolved = std::filesystem::canonical(path, ec).string();
    info.regular = S_ISREG(st.st_mode);
    for (const auto& p : {std::filesystem::path(path), std::filesystem::path(info.resolved)})
        if (const auto problem = path_ownership_problem(p); problem && info.path_problem.empty())
            info.path_problem = "'" + p.string() + "' " + *problem;
    if (!info.regular) return info;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return info;
    std::vector<std::uint8_t> buf(k_elf_inspect_size);
    const ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), 0);
    if (n <= 0) return info;
    buf.resize(static_cast<std::size_t>(n));
    inspect_bytes(info, buf);
    return info;
}

std::optional<InterpreterInfo> inspect_interpreter_in(const Rootfs& rootfs, const std::string& path) {
    try {
        auto fd = rootfs.open_path(path);
        if (!fd) return std::nullopt;
        InterpreterInfo info;
        info.path = path;
        info.exists = true;
        struct stat st {};
        if (::fstat(fd->get(), &st) == 0) {
            info.uid = st.st_uid;
            info.mode = st.st_mode;
            info.regular = S_ISREG(st.st_mode);
        }
        if (const auto head = rootfs.read_head(path, k_elf_inspect_size)) inspect_bytes(info, *head);
        return info;
    } catch (const Error&) {
        return std::nullopt; // a lookup that fails inside the rootfs fails for the kernel too
    }
}

std::vector<Warning> entry_warnings(const BinfmtEntry& e, const std::optional<Platform>& platform,
                                    const InterpreterInfo& interp, const Platform& host, const BinfmtState& state) {
    std::vector<Warning> out;
    const bool fixed = e.has_flag('F');
    const std::string what = platform ? platform->str() : std::string("its");
    const std::string name = platform ? platform->short_name() : "";
    if (e.has_flag('C'))
        out.push_back({"credential", "flag C: setuid and setgid programs it claims run with their owner's privileges, "
                                     "and so does the emulator running them; register without --credential unless needed"});
    if (!interp.exists) {
        out.push_back({"interpreter-missing",
                       fixed ? "'" + e.interpreter + "' no longer exists; the kernel still holds the file it opened at "
                                   "registration, but the entry cannot be registered again like this"
                             : "'" + e.interpreter + "' does not exist: programs it claims fail with \"no such file or "
                                   "directory\" unless their container or chroot brings its own copy"});
    } else if (interp.writable_by_others()) {
        out.push_back({"interpreter-writable", "'" + (interp.resolved.empty() ? e.interpreter : interp.resolved) +
                                                   "' is writable by non-root users (owner uid " + std::to_string(interp.uid) +
                                                   ", mode " + octal_mode(interp.mode) +
                                                   "): whoever can write it runs code in every program this entry "
                                                   "claims; make it root-owned and not group or world writable"});
    }
    if (interp.exists && !interp.path_problem.empty())
        out.push_back({"interpreter-replaceable",
                       interp.path_problem + ": anyone who can write there can put their own program in its place" +
                           (fixed ? " before the entry is registered again"
                                  : ", and it is then run for every program this entry claims; xarch never mounts it "
                                    "into a container") + "; make the directory root's and not group or world writable"});
    if (platform) {
        if (interp.exists && interp.platform && interp.platform->architecture != host.architecture)
            out.push_back({"interpreter-wrong-machine", "'" + e.interpreter + "' is built for " + interp.platform->str() +
                                                            ", not for the host " + host.str()});
        if (interp.is_static == false) {
            const std::string loader = interp.loader.empty() ? "its loader" : "its loader " + interp.loader;
            out.push_back({"interpreter-dynamic",
                           fixed ? "'" + e.interpreter + "' is dynamically linked: even with the F flag, " + loader +
                                       " and its libraries are looked up inside each container, so " + what +
                                       " containers fail with \"no such file or directory\"; install a static "
                                       "emulator (qemu-user-static) and run 'xarch install " + name + " --replace'"
                                 : "'" + e.interpreter + "' is dynamically linked and the entry has no F flag: a "
                                       "container would need it and " + loader + " inside; xarch-hook mounts a "
                                       "static emulator instead if one is installed, and 'xarch install " + name +
                                       " --replace' registers one with the F flag"});
        }
        if (platform->architecture == host.architecture)
            out.push_back({"host-platform", "claims the host's own " + platform->str() + " programs: every native "
                                            "program runs under " + e.interpreter + "; remove it with 'xarch uninstall " +
                                            e.name + "'"});
        if (e.enabled && state.enabled) {
            const BinfmtEntry* first = find_handler(state, exit_probe(*platform), "");
            if (first && first->name != e.name)
                out.push_back({"shadowed", "never used for " + platform->str() + ": the newer entry '" + first->name +
                                               "' claims those programs first"});
        }
    }
    return out;
}

EntryReport report_entry(const BinfmtEntry& entry, const Platform& host, const BinfmtState& state) {
    EntryReport r;
    r.entry = entry;
    r.platform = entry_platform(entry);
    r.interpreter = inspect_interpreter(entry.interpreter);
    r.warnings = entry_warnings(entry, r.platform, r.interpreter, host, state);
    return r;
}

StatusReport gather_status(const std::vector<std::filesystem::path>& emulator_dirs) {
    StatusReport r;
    r.host = host_platform();
    r.kernel = kernel_release();
    if (const auto k = parse_kernel_release(r.kernel)) {
        r.fix_binary = supports_fix_binary(*k);
        r.binfmt_userns = supports_binfmt_userns(*k);
    }
    r.binfmt_dir = locate_binfmt(false);
    std::optional<BinfmtState> state;
    if (r.binfmt_dir) {
        state = read_binfmt(*r.binfmt_dir);
        r.binfmt_enabled = state->enabled;
        r.binfmt_writable = !binfmt_write_problem(*r.binfmt_dir);
        for (const auto& e : state->entries) r.entries.push_back(report_entry(e, r.host, *state));
    }
    r.native = native_platforms(r.host, state);
    for (const auto& p : catalogue_platforms()) {
        if (p.architecture == r.host.architecture) continue;
        const std::string qemu = qemu_target(p);
        r.emulators.push_back({p, qemu, search_emulator(qemu, emulator_dirs, r.host)});
    }

    const auto platforms = probe_platforms();
    std::vector<std::vector<std::uint8_t>> programs;
    for (const auto& p : platforms) programs.push_back(exit_probe(p));
    const auto results = run_programs(programs);
    for (std::size_t i = 0; i < platforms.size(); ++i) {
        const Platform& p = platforms[i];
        PlatformReport pr;
        pr.platform = p;
        pr.runs = results[i].proved();
        if (!pr.runs) pr.error = results[i].describe();
        if (!pr.runs && results[i].exited)
            pr.error += " instead of the probe's " + std::to_string(k_probe_exit_code) + ": the program that ran was not " +
                        p.str() + " code";
        if (state)
            if (const BinfmtEntry* h = find_handler(*state, programs[i], "")) {
                pr.entry = h->name;
                pr.empty_root = pr.runs && h->flags.find('F') != std::string::npos;
            }
        if (pr.runs && pr.entry.empty()) pr.empty_root = true;
        const auto native_probe_program = native_probe(p);
        if (std::find(r.native.begin(), r.native.end(), p) != r.native.end() || p.architecture == r.host.architecture)
            pr.native = true;
        else if (!native_probe_program.empty() && state && find_handler(*state, native_probe_program, ""))
            pr.native = std::nullopt;
        else
            pr.native = false;
        r.platforms.push_back(std::move(pr));
    }
    return r;
}

} // namespace oci
