#include "shim/shim.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/log.hpp"
#include "base/process.hpp"
#include "engine/prepare.hpp"
#include "oci/record.hpp"
#include "oci/runtime_args.hpp"
#include "oci/spec.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#ifndef XARCH_VERSION
#define XARCH_VERSION "unknown"
#endif

namespace shim {

namespace {

constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct Inode {
    dev_t dev = 0;
    ino_t ino = 0;
};

std::optional<Inode> executable_inode(const std::filesystem::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) return std::nullopt;
    return Inode{st.st_dev, st.st_ino};
}

// The first configured runtime that exists and is not this wrapper (whatever name it was
// installed under); nullopt if none.
std::optional<std::filesystem::path> find_real_runtime(const std::vector<std::string>& names) {
    const auto self = executable_inode("/proc/self/exe");
    const char* env_path = std::getenv("PATH");
    const std::string search = env_path && *env_path ? env_path : k_default_path;
    const auto usable = [&](const std::filesystem::path& p) {
        const auto inode = executable_inode(p);
        return inode && !(self && inode->dev == self->dev && inode->ino == self->ino);
    };
    for (const auto& name : names) {
        if (name.find('/') != std::string::npos) {
            if (usable(name)) return std::filesystem::path(name);
            continue;
        }
        for (const auto& dir : oci::search_path_dirs(search))
            if (usable(dir / name)) return dir / name;
    }
    return std::nullopt;
}

} // namespace

Preparation prepare_bundle(const oci::RuntimeArgs& args, const oci::Settings& settings) {
    oci::Json config;
    std::filesystem::path rootfs;
    std::optional<oci::ImageInfo> image;
    oci::Platform host;
    try {
        config = oci::parse_config(oci::read_file_capped(args.config), "'" + args.config.string() + "'");
        rootfs = oci::rootfs_path(config, args.bundle);
        image = oci::detect_image(oci::Rootfs::open(rootfs), config);
        host = oci::host_platform();
    } catch (const std::exception& e) {
        spdlog::warn("cannot tell the image's platform, leaving the bundle unchanged: {}", e.what());
        return {};
    }
    if (!image || oci::is_host_platform(image->platform, host)) {
        spdlog::debug("{}: nothing to do", image ? "native platform " + image->platform.str() : "no ELF program found");
        return {};
    }

    try {
        // Not running yet: nothing can be registered in its namespaces, nothing mounted in them.
        const oci::ContainerInfo info = oci::container_info(config, rootfs, 0);
        const oci::Prepared p = oci::prepare(oci::Way::Runtime, config, *image, host, settings, info, args.container_id,
                                             oci::hook_binary(settings));
        if (p.action.kind == oci::ActionKind::Fail) {
            spdlog::error("{}", p.action.reason);
            return {false, std::nullopt};
        }
        const auto changed = oci::apply_prepared(p, config, image->source);
        // The record first: a poststop hook in config.json must find what to remove.
        if (p.record) oci::save_record(oci::record_dir(settings.state_dir), *p.record);
        if (!changed.empty()) oci::write_file_atomic(args.config, config.dump());
        return {true, p.record ? std::optional(rootfs) : std::nullopt};
    } catch (const std::exception& e) {
        spdlog::error("cannot run {} image on {} host: {}", image->platform.str(), host.str(), e.what());
        return {false, std::nullopt};
    }
}

namespace {

// Signals a parent passes on to the runtime it waits for: every one but those it cannot catch,
// SIGCHLD (its own business) and the ones a fault of its own raises.
sigset_t forwarded_signals() {
    sigset_t set;
    ::sigfillset(&set);
    for (int s : {SIGKILL, SIGSTOP, SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) ::sigdelset(&set, s);
    return set;
}

// `run --keep` in the foreground (Docker's BuildKit runs each RUN step so, moby 26): the stopped
// container waits for a `delete`, whose poststop hook comes too late. BuildKit deletes it
// asynchronously, after it has unmounted the rootfs and taken the step's snapshot, so the
// emulator's mount target would be left in the image. Here xarch-runtime stays runc's parent,
// passes every signal on, and once runc returns (the container has exited, its mounts are
// gone) removes what was created in the rootfs and drops the record, so the later poststop has
// nothing left to do. Exits as runc did: its status, or its signal raised again.
int run_then_clean(const std::filesystem::path& runtime, char* const argv[], const oci::RuntimeArgs& args,
                   const oci::Settings& settings, const std::filesystem::path& rootfs) {
    const sigset_t forwarded = forwarded_signals();
    sigset_t waited = forwarded, old;
    ::sigaddset(&waited, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &waited, &old);
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        spdlog::error("fork for '{}': {}", runtime.string(), std::strerror(errno));
        return 127;
    }
    if (child == 0) {
        // runc dies with this wrapper, as it would die with BuildKit had it been exec'd.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        ::execv(runtime.c_str(), argv);
        ::_exit(127);
    }
    int status = 0;
    for (;;) {
        siginfo_t info{};
        const int sig = ::sigwaitinfo(&waited, &info);
        if (sig < 0) continue; // EINTR
        if (sig != SIGCHLD) {
            ::kill(child, sig);
            continue;
        }
        const pid_t got = ::waitpid(child, &status, WNOHANG);
        if (got == child) break;
    }
    try {
        oci::remove_created_for(settings.state_dir, rootfs, args.container_id, "run --keep");
    } catch (const std::exception& e) {
        spdlog::warn("run --keep: cannot remove what was created in {}: {}", rootfs.string(), e.what());
    }
    spdlog::shutdown();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    const int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    sigset_t one;
    ::sigemptyset(&one);
    ::sigaddset(&one, sig);
    ::sigprocmask(SIG_UNBLOCK, &one, nullptr);
    ::raise(sig);
    return 128 + sig;
}

} // namespace

int run(const std::vector<std::string>& args) {
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    const oci::RuntimeArgs ra = oci::parse_runtime_args(args, cwd);
    oci::Settings settings;
    std::string settings_error;
    try {
        const char* path = std::getenv("XARCH_CONFIG");
        settings = oci::load_settings(path && *path ? path : oci::k_default_settings_path);
    } catch (const oci::Error& e) {
        settings_error = e.what();
        settings = oci::Settings{};
    }
    // Logging is set up only when there is something to say: a passthrough subcommand
    // (state, kill, delete, ...) costs one exec and a few stat calls, nothing more.
    const auto start_logging = [&] {
        try {
            oci::setup_runtime_logging("xarch-runtime", ra.debug ? "debug" : settings.log_level, ra.log_file,
                                       ra.log_format == "json", settings.log_file);
        } catch (const oci::Error& e) {
            spdlog::warn("{}", e.what());
        }
        if (!settings_error.empty()) spdlog::error("{}; using defaults", settings_error);
    };

    const auto real = find_real_runtime(settings.runtimes);
    if (!real) {
        start_logging();
        std::string names;
        for (const auto& n : settings.runtimes) names += (names.empty() ? "" : ", ") + n;
        spdlog::error("no real OCI runtime found (looked for {}); install runc or set \"runtimes\" in {}", names,
                      oci::k_default_settings_path);
        return 127;
    }
    Preparation prepared;
    if (oci::creates_container(ra)) {
        start_logging();
        prepared = prepare_bundle(ra, settings);
        // Close our log file before exec: the real runtime appends to the same --log file.
        spdlog::shutdown();
        if (!prepared.runnable) return 1;
    } else if (!settings_error.empty()) {
        start_logging();
        spdlog::shutdown();
    }

    // `--version`: this wrapper's version, then the real runtime's (which the exec prints).
    if (ra.version && !ra.command_index) {
        try {
            oci::write_all(STDOUT_FILENO, std::string("xarch-runtime ") + XARCH_VERSION + " (running " + real->string() + ")\n");
        } catch (const oci::Error&) {
            // stdout closed: the runtime's own --version will fail the same way
        }
    }

    std::vector<char*> argv;
    std::string arg0 = real->string();
    argv.push_back(arg0.data());
    std::vector<std::string> rest = args;
    for (auto& a : rest) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (prepared.recorded_rootfs && oci::runs_kept_in_foreground(ra)) {
        start_logging();
        return run_then_clean(*real, argv.data(), ra, settings, *prepared.recorded_rootfs);
    }
    ::execv(arg0.c_str(), argv.data());
    const int err = errno;
    start_logging();
    spdlog::error("exec '{}': {}", arg0, std::strerror(err));
    return 127;
}

} // namespace shim
