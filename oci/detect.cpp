#include "oci/detect.hpp"

#include "base/elf.hpp"
#include "base/error.hpp"
#include "binfmt/emulator.hpp"
#include "oci/spec.hpp"

namespace oci {

namespace {

std::optional<ImageInfo> from_elf(const ExecutableHead& exe, const std::string& how) {
    const auto header = parse_elf_header(exe.bytes);
    if (!header || !elf_is_executable(*header)) return std::nullopt; // the kernel would not run it either
    const auto platform = elf_platform(*header);
    if (!platform) throw Error("unsupported executable '" + exe.path + "': " + describe_elf(*header));
    return ImageInfo{*platform, "ELF " + exe.path + " (" + how + ")", exe.path, exe.bytes};
}

} // namespace

std::optional<ImageInfo> detect_command(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup) {
    if (!command.empty()) {
        if (auto exe = find_executable(rootfs, command, lookup))
            return from_elf(*exe, "command '" + command + "'");
    }
    // args[0] is a script of an interpreter we cannot find, or not there at all: the image's
    // shell is the best witness of its platform.
    if (auto exe = find_executable(rootfs, "/bin/sh", lookup))
        return from_elf(*exe, command.empty() ? "/bin/sh" : "fallback /bin/sh, '" + command + "' is not an ELF program");
    return std::nullopt;
}

std::optional<ImageInfo> detect_image(const Rootfs& rootfs, const Json& config) {
    const auto args = process_args(config);
    const auto lookup = process_lookup(config);
    const std::string command = args.empty() ? std::string() : args.front();
    const auto forced = annotation(config, k_platform_annotation);
    if (!forced) return detect_command(rootfs, command, lookup);

    const auto platform = parse_platform(*forced);
    if (!platform) throw Error("annotation " + std::string(k_platform_annotation) + ": unknown platform '" + printable(*forced) + "'");
    // The annotation is the answer; the file only lends binfmt_misc its real header, and one
    // xarch cannot name does not make the annotation wrong.
    std::optional<ImageInfo> detected;
    try {
        detected = detect_command(rootfs, command, lookup);
    } catch (const Error&) {
    }
    if (detected && detected->platform.architecture == platform->architecture) {
        detected->platform = *platform;
        detected->source = "annotation " + std::string(k_platform_annotation) + ", " + detected->source;
        return detected;
    }
    // No file of that platform: binfmt_misc matching uses the catalogue's magic as the header.
    ImageInfo info{*platform, "annotation " + std::string(k_platform_annotation), {}, {}};
    if (const auto row = catalogue_entry(*platform)) info.head = row->magic;
    info.head.resize(64, 0);
    return info;
}

} // namespace oci
