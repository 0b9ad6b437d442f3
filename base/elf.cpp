#include "base/elf.hpp"

#include <cstdio>
#include <cstring>

namespace oci {

namespace {

constexpr std::uint16_t k_em_386 = 3;
constexpr std::uint16_t k_em_mips = 8;
constexpr std::uint16_t k_em_ppc64 = 21;
constexpr std::uint16_t k_em_s390 = 22;
constexpr std::uint16_t k_em_arm = 40;
constexpr std::uint16_t k_em_x86_64 = 62;
constexpr std::uint16_t k_em_aarch64 = 183;
constexpr std::uint16_t k_em_riscv = 243;
constexpr std::uint16_t k_em_loongarch = 258;

constexpr std::uint32_t k_ef_arm_abi_float_hard = 0x400;
constexpr std::uint32_t k_ef_arm_vfp_float = 0x400; // pre-EABI5 spelling of the same bit
constexpr std::uint32_t k_ef_arm_eabimask = 0xff000000;
constexpr std::uint32_t k_pt_interp = 3;

template <typename T>
T read_int(std::span<const std::uint8_t> bytes, std::size_t offset, bool big_endian) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        const std::size_t index = big_endian ? offset + i : offset + sizeof(T) - 1 - i;
        value = static_cast<T>((value << 8) | bytes[index]);
    }
    return value;
}

Platform linux_platform(const char* architecture, const char* variant = "") {
    return Platform{"linux", architecture, variant};
}

} // namespace

std::optional<ElfHeader> parse_elf_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 52 || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0) return std::nullopt;
    ElfHeader h;
    h.elf_class = bytes[4];
    h.data = bytes[5];
    if ((h.elf_class != 1 && h.elf_class != 2) || (h.data != 1 && h.data != 2)) return std::nullopt;
    const bool be = h.data == 2;
    h.type = read_int<std::uint16_t>(bytes, 16, be);
    h.machine = read_int<std::uint16_t>(bytes, 18, be);
    if (h.elf_class == 1) {
        h.phoff = read_int<std::uint32_t>(bytes, 28, be);
        h.flags = read_int<std::uint32_t>(bytes, 36, be);
        h.phentsize = read_int<std::uint16_t>(bytes, 42, be);
        h.phnum = read_int<std::uint16_t>(bytes, 44, be);
    } else {
        if (bytes.size() < 64) return std::nullopt;
        h.phoff = read_int<std::uint64_t>(bytes, 32, be);
        h.flags = read_int<std::uint32_t>(bytes, 48, be);
        h.phentsize = read_int<std::uint16_t>(bytes, 54, be);
        h.phnum = read_int<std::uint16_t>(bytes, 56, be);
    }
    return h;
}

std::optional<Platform> elf_platform(const ElfHeader& h) {
    const bool is64 = h.elf_class == 2;
    const bool le = h.data == 1;
    switch (h.machine) {
    case k_em_x86_64:
        if (is64 && le) return linux_platform("amd64");
        break;
    case k_em_386:
        if (!is64 && le) return linux_platform("386");
        break;
    case k_em_aarch64:
        if (is64 && le) return linux_platform("arm64");
        break;
    case k_em_arm:
        if (!is64 && le) {
            // EABI hard-float binaries need ARMv7 (Debian armhf); soft-float ones run on v5 (armel).
            const bool eabi = (h.flags & k_ef_arm_eabimask) != 0;
            const bool hard = eabi ? (h.flags & k_ef_arm_abi_float_hard) != 0 : (h.flags & k_ef_arm_vfp_float) != 0;
            return linux_platform("arm", hard ? "v7" : "v5");
        }
        break;
    case k_em_ppc64:
        if (is64) return linux_platform(le ? "ppc64le" : "ppc64");
        break;
    case k_em_s390:
        if (is64 && !le) return linux_platform("s390x");
        break;
    case k_em_riscv:
        if (is64 && le) return linux_platform("riscv64");
        break;
    case k_em_mips:
        if (is64) return linux_platform(le ? "mips64le" : "mips64");
        break;
    case k_em_loongarch:
        if (is64 && le) return linux_platform("loong64");
        break;
    default:
        break;
    }
    return std::nullopt;
}

std::string describe_elf(const ElfHeader& h) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "ELF machine %#x (%d-bit, %s endian)", h.machine, h.elf_class == 2 ? 64 : 32,
                  h.data == 1 ? "little" : "big");
    return buf;
}

std::optional<bool> elf_has_interpreter(const ElfHeader& h, std::span<const std::uint8_t> bytes) {
    const bool be = h.data == 2;
    const std::size_t min_entsize = h.elf_class == 2 ? 56 : 32;
    if (h.phentsize < min_entsize) return h.phnum == 0 ? std::optional<bool>(false) : std::nullopt;
    for (std::size_t i = 0; i < h.phnum; ++i) {
        const std::uint64_t off = h.phoff + i * h.phentsize;
        if (off < h.phoff || off > bytes.size() || bytes.size() - off < 4) return std::nullopt;
        if (read_int<std::uint32_t>(bytes, static_cast<std::size_t>(off), be) == k_pt_interp) return true;
    }
    return false;
}

std::optional<std::string> elf_interpreter_path(const ElfHeader& h, std::span<const std::uint8_t> bytes) {
    const bool be = h.data == 2;
    const bool is64 = h.elf_class == 2;
    const std::size_t min_entsize = is64 ? 56 : 32;
    if (h.phentsize < min_entsize) return std::nullopt;
    for (std::size_t i = 0; i < h.phnum; ++i) {
        const std::uint64_t off = h.phoff + i * h.phentsize;
        if (off < h.phoff || off > bytes.size() || bytes.size() - off < min_entsize) return std::nullopt;
        const auto at = static_cast<std::size_t>(off);
        if (read_int<std::uint32_t>(bytes, at, be) != k_pt_interp) continue;
        const std::uint64_t offset = is64 ? read_int<std::uint64_t>(bytes, at + 8, be) : read_int<std::uint32_t>(bytes, at + 4, be);
        const std::uint64_t size = is64 ? read_int<std::uint64_t>(bytes, at + 32, be) : read_int<std::uint32_t>(bytes, at + 16, be);
        if (size == 0 || offset > bytes.size() || size > bytes.size() - offset) return std::nullopt;
        std::string path(reinterpret_cast<const char*>(bytes.data()) + offset, static_cast<std::size_t>(size));
        path.resize(std::strlen(path.c_str())); // drop the terminating NUL
        return path;
    }
    return std::nullopt;
}

} // namespace oci
