// A bundle's config.json as the hook (precreate) and xarch-runtime read and edit it: every
// field they read, the image's platform annotation, then plan_edits and the edits (emulator
// bind mount, poststop hook, the host's seccomp architecture) applied twice.
#include "base/error.hpp"
#include "base/platform.hpp"
#include "engine/prepare.hpp"
#include "fuzz/check.hpp"
#include "oci/detect.hpp"
#include "oci/seccomp.hpp"
#include "oci/spec.hpp"

#include <algorithm>

namespace {

const std::string k_target = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P";
const std::string k_hook = "/usr/bin/xarch-hook";

// Every read may fail only with the documented Error.
template <typename F>
void reads(F f) {
    try {
        f();
    } catch (const oci::Error&) {
    }
}

bool has_hook(const oci::Json& config) {
    const auto& list = config.at("hooks").at("poststop");
    return std::any_of(list.begin(), list.end(), [](const oci::Json& h) {
        return h.is_object() && h.contains("path") && h["path"] == k_hook;
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    oci::Json config;
    try {
        config = oci::parse_config(fuzz::text(data, size));
    } catch (const oci::Error&) {
        return 0;
    }
    FUZZ_CHECK(config.is_object());
    reads([&] { oci::process_args(config); });
    reads([&] { oci::process_lookup(config); });
    reads([&] { FUZZ_CHECK(oci::rootfs_path(config, "/bundle").is_absolute()); });
    reads([&] { oci::config_has_userns(config); });
    // A runtime in a namespace that maps host root to 1000..: the mappings are really read.
    const oci::UserNamespace runtime_ns{{{0, 1000, 65536}}, 65534};
    reads([&] { oci::config_maps_host_root(config, runtime_ns); });
    if (const auto platform = oci::annotation(config, oci::k_platform_annotation)) oci::parse_platform(*platform);

    oci::Action mount;
    mount.kind = oci::ActionKind::Mount;
    mount.target = k_target;
    mount.source = "/usr/bin/qemu-aarch64-static";
    const bool mounted_before = oci::has_mount(config, k_target);
    const std::string native = oci::native_seccomp_arch();
    for (const auto way : {oci::Way::Precreate, oci::Way::Runtime}) {
        const oci::Prepared p = oci::plan_edits(way, mount, config, "/bundle/rootfs", "id", {"usr", "usr/libexec"}, k_hook);
        oci::Json edited = config;
        std::vector<std::string> warnings;
        try {
            oci::apply_edits(edited, p.edits, warnings);
        } catch (const oci::Error&) {
            continue; // a malformed section the edit must not touch
        }
        // The edits did what they say, and only that: the emulator is mounted at the
        // interpreter path, a poststop hook cleans up after the runtime wrapper, the profile
        // allows the host's architecture, and every other key is as it was.
        FUZZ_CHECK(oci::has_mount(edited, k_target));
        FUZZ_CHECK(mounted_before == !p.record.has_value());
        if (way == oci::Way::Runtime && !mounted_before) FUZZ_CHECK(has_hook(edited));
        if (edited.contains("linux") && edited["linux"].contains("seccomp") && edited["linux"]["seccomp"].contains("architectures")) {
            const auto& arches = edited["linux"]["seccomp"]["architectures"];
            if (arches.is_array() && !arches.empty()) FUZZ_CHECK(std::find(arches.begin(), arches.end(), native) != arches.end());
        }
        for (const auto& [key, value] : config.items())
            if (key != "mounts" && key != "hooks" && key != "linux") FUZZ_CHECK(edited[key] == value);
        // Idempotent: a second application changes nothing.
        oci::Json twice = edited;
        FUZZ_CHECK(oci::apply_edits(twice, p.edits, warnings).empty());
        FUZZ_CHECK(twice == edited);
        // What is written back is a config.json again.
        FUZZ_CHECK(oci::parse_config(edited.dump()) == edited);
    }
    return 0;
}
