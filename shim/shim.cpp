#include "shim/shim.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/log.hpp"
#include "engine/prepare.hpp"
#include "oci/record.hpp"
#include "oci/runtime_args.hpp"
#include "oci/spec.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
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
        std::size_t start = 0;
        while (start <= search.size()) {
            const std::size_t colon = std::min(search.find(':', start), search.size());
            const std::string dir = search.substr(start, colon - start);
            if (!dir.empty() && usable(std::filesystem::path(dir) / name)) return std::filesystem::path(dir) / name;
            start = colon + 1;
        }
    }
    return std::nullopt;
}

} // namespace

bool prepare_bundle(const oci::RuntimeArgs& args, const oci::Settings& settings) {
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
        return true;
    }
    if (!image || oci::is_host_platform(image->platform, host)) {
        spdlog::debug("{}: nothing to do", image ? "native platform " + image->platform.str() : "no ELF program found");
        return true;
    }

    try {
        // Not running yet: nothing can be registered in its namespaces, nothing mounted in them.
        const oci::ContainerInfo info = oci::container_info(config, rootfs, 0);
        const oci::Prepared p = oci::prepare(oci::Way::Runtime, config, *image, host, settings, info, args.container_id,
                                             oci::hook_binary(settings));
        if (p.action.kind == oci::ActionKind::Fail) {
            spdlog::error("{}", p.action.reason);
            return false;
        }
        const auto changed = oci::apply_prepared(p, config, image->source);
        // The record first: a poststop hook in config.json must find what to remove.
        if (p.record) oci::save_record(oci::record_dir(settings.state_dir), *p.record);
        if (!changed.empty()) oci::write_file_atomic(args.config, config.dump());
        return true;
    } catch (const std::exception& e) {
        spdlog::error("cannot run {} image on {} host: {}", image->platform.str(), host.str(), e.what());
        return false;
    }
}

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
    if (oci::creates_container(ra)) {
        start_logging();
        const bool runnable = prepare_bundle(ra, settings);
        // Close our log file before exec: the real runtime appends to the same --log file.
        spdlog::shutdown();
        if (!runnable) return 1;
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
    ::execv(arg0.c_str(), argv.data());
    const int err = errno;
    start_logging();
    spdlog::error("exec '{}': {}", arg0, std::strerror(err));
    return 127;
}

} // namespace shim
