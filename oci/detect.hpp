#pragma once
// The image's platform: the `io.xarch.platform` annotation if present, otherwise the ELF
// header of what the container will exec (process.args[0], resolved inside the rootfs),
// falling back to /bin/sh when that is not an ELF program.
#include "base/platform.hpp"
#include "oci/rootfs.hpp"

#include "base/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace oci {

constexpr const char* k_platform_annotation = "io.xarch.platform";

struct ImageInfo {
    Platform platform;
    std::string source;             // how it was found, for logs: "ELF /bin/busybox (args[0] 'uname')"
    std::string file;               // the ELF file inside the rootfs, empty for an annotation alone
    std::vector<std::uint8_t> head; // what binfmt_misc will see for that file
};

// Detects the platform of the container described by `config` with its rootfs open as
// `rootfs`; nullopt if no ELF program is found. Throws Error for an invalid annotation,
// malformed process fields or (without an annotation) an ELF program of a machine xarch does
// not support; SysError for I/O failures inside the rootfs.
std::optional<ImageInfo> detect_image(const Rootfs& rootfs, const Json& config);

// The same for a single program or rootfs directory given on the command line (doctor, detect).
std::optional<ImageInfo> detect_command(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup);

} // namespace oci
