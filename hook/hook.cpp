#include "hook/hook.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/log.hpp"
#include "engine/prepare.hpp"
#include "oci/mount.hpp"
#include "oci/record.hpp"
#include "oci/spec.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <iostream>
#include <optional>

#ifndef XARCH_VERSION
#define XARCH_VERSION "unknown"
#endif

namespace hook {

namespace {

constexpr const char* k_usage =
    "usage: xarch-hook [--config PATH] STAGE\n"
    "  STAGE: precreate (config.json on stdin, edited config.json on stdout),\n"
    "         prestart | createRuntime (OCI state on stdin), poststop (OCI state on stdin)\n";

enum class Stage { Precreate, Prestart, Poststop };

struct Options {
    Stage stage = Stage::Prestart;
    std::filesystem::path settings_path = oci::k_default_settings_path;
};

std::optional<Options> parse_args(const std::vector<std::string>& args) {
    Options o;
    std::optional<Stage> stage;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--config" && i + 1 < args.size()) o.settings_path = args[++i];
        else if (a.starts_with("--config=")) o.settings_path = a.substr(9);
        else if (a == "precreate" && !stage) stage = Stage::Precreate;
        else if ((a == "prestart" || a == "createRuntime") && !stage) stage = Stage::Prestart;
        else if (a == "poststop" && !stage) stage = Stage::Poststop;
        else return std::nullopt;
    }
    if (!stage) return std::nullopt;
    o.stage = *stage;
    return o;
}

// What a stage knows about the container once stdin has been read.
struct Container {
    oci::Json config;
    std::filesystem::path rootfs;
    std::string id;
    pid_t pid = 0;
};

Container from_state(const std::string& input) {
    const oci::State state = oci::parse_state(input);
    Container c;
    c.config = oci::load_config(state.bundle);
    c.rootfs = state.root ? (state.root->is_absolute() ? *state.root : state.bundle / *state.root)
                          : oci::rootfs_path(c.config, state.bundle);
    c.pid = state.pid;
    c.id = state.id;
    return c;
}

int poststop(const std::string& input, const oci::Settings& settings) {
    try {
        const Container c = from_state(input);
        oci::remove_created_for(settings.state_dir, c.rootfs, c.id, "poststop");
    } catch (const std::exception& e) {
        spdlog::warn("poststop: {}", e.what());
    }
    return 0; // the container is gone; nothing to stop
}

} // namespace

int run(const std::vector<std::string>& args, const std::filesystem::path& cwd, int in, int out) {
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        oci::write_all(out, k_usage);
        return 0;
    }
    if (args.size() == 1 && args[0] == "--version") {
        oci::write_all(out, std::string("xarch-hook ") + XARCH_VERSION + "\n");
        return 0;
    }
    const auto options = parse_args(args);
    if (!options) {
        std::cerr << k_usage;
        return 2;
    }
    oci::setup_logging("xarch-hook", "warn");
    oci::Settings settings;
    try {
        settings = oci::load_settings(options->settings_path);
        oci::setup_logging("xarch-hook", settings.log_level, settings.log_file);
    } catch (const std::exception& e) {
        spdlog::error("{}; using defaults", e.what());
        settings = oci::Settings{};
    }

    const bool precreate = options->stage == Stage::Precreate;
    std::string input;
    try {
        oci::BoundedRead head = oci::read_fd_bounded(in);
        if (!head.complete) {
            // Too big to judge: precreate hands the config on untouched, so the runtime decides.
            spdlog::error("input larger than {} bytes: leaving the container unchanged", oci::k_max_json_size);
            if (precreate) {
                oci::write_all(out, head.data);
                oci::copy_fd(in, out);
            }
            return 0;
        }
        input = std::move(head.data);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 0; // no container to judge: never stop one because of our own input problem
    }
    if (options->stage == Stage::Poststop) return poststop(input, settings);

    // Whatever happens before the image is known to be foreign, the container starts unchanged.
    const auto pass = [&] {
        if (precreate) oci::write_all(out, input);
        return 0;
    };
    Container c;
    std::optional<oci::ImageInfo> image;
    oci::Platform host;
    try {
        if (precreate) {
            c.config = oci::parse_config(input);
            c.rootfs = oci::rootfs_path(c.config, cwd);
        } else {
            c = from_state(input);
        }
        const auto rootfs = oci::Rootfs::open(c.rootfs);
        image = oci::detect_image(rootfs, c.config);
        host = oci::host_platform();
    } catch (const std::exception& e) {
        spdlog::error("cannot tell the image's platform, leaving the container unchanged: {}", e.what());
        return pass();
    }
    if (!image) {
        spdlog::debug("no ELF program found in {}: nothing to do", c.rootfs.string());
        return pass();
    }
    if (oci::is_host_platform(image->platform, host)) {
        spdlog::debug("native platform {} ({})", image->platform.str(), image->source);
        return pass();
    }

    try {
        // Prestart knows the container's process; precreate only its config.
        const oci::ContainerInfo info = oci::container_info(c.config, c.rootfs, precreate ? 0 : c.pid);
        const auto save = [&](const oci::Record& r) { oci::save_record(oci::record_dir(settings.state_dir), r); };
        const oci::Prepared p = oci::prepare(precreate ? oci::Way::Precreate : oci::Way::Running, c.config, *image, host,
                                             settings, info, c.id, {}, save);
        if (p.action.kind == oci::ActionKind::Fail) {
            spdlog::error("{}", p.action.reason);
            return 1;
        }
        const auto changed = oci::apply_prepared(p, c.config, image->source);
        if (p.record) save(*p.record);
        if (!precreate) return 0;
        // Unchanged, precreate hands on the very bytes it was given.
        oci::write_all(out, changed.empty() ? input : c.config.dump());
        return 0;
    } catch (const std::exception& e) {
        spdlog::error("cannot run {} image on {} host: {}", image->platform.str(), host.str(), e.what());
        return 1;
    }
}

} // namespace hook
