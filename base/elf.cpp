#include "base/elf.hpp"

#include "base/arch.hpp"

#include <cstdio>
#include <cstring>

namespace oci {

namespace {

constexpr std::uint32_t k_ef_arm_abi_float_hard = 0x400;
constexpr std::uint32_t k_ef_arm_vfp_float = 0x400; // pre-EABI5 spelling of the same bit
constexpr std::uint32_t k_ef_arm_eabimask = 0xff000000;
constexpr std::uint32_t k_pt_interp = 3;

template <typename T>
T read_int(std::span<const std::uint8_t> bytes, std::size_t offset, bool big_endian) {
    return static_cast<T>(load_uint(bytes, offset, sizeof(T), big_endian));
}

constexpr ElfFormat k_elf32{4, 52, 32, 24, 28, 36, 40, 42, 44, 0, 24, 4, 8, 12, 16, 20, 28};
constexpr ElfFormat k_elf64{8, 64, 56, 24, 32, 48, 52, 54, 56, 0, 4, 8, 16, 24, 32, 40, 48};

} // namespace

const ElfFormat& elf_format(std::uint8_t elf_class) { return elf_class == 2 ? k_elf64 : k_elf32; }

std::uint64_t load_uint(std::span<const std::uint8_t> bytes, std::size_t offset, std::size_t size, bool big_endian) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t index = big_endian ? offset + i : offset + size - 1 - i;
        value = (value << 8) | bytes[index];
    }
    return value;
}

void store_uint(std::vector<std::uint8_t>& out, std::size_t offset, std::uint64_t value, std::size_t size,
                bool big_endian) {
    if (out.size() < offset + size) out.resize(offset + size, 0);
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t shift = 8 * (big_endian ? size - 1 - i : i);
        out[offset + i] = static_cast<std::uint8_t>((value >> shift) & 0xff);
    }
}

std::optional<ElfHeader> parse_elf_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 52 || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0) return std::nullopt;
    ElfHeader h;
    h.elf_class = bytes[4];
    h.data = bytes[5];
    if ((h.elf_class != 1 && h.elf_class != 2) || (h.data != 1 && h.data != 2)) return std::nullopt;
    const bool be = h.data == 2;
    const ElfFormat& f = elf_format(h.elf_class);
    if (bytes.size() < f.ehsize) return std::nullopt;
    h.type = read_int<std::uint16_t>(bytes, 16, be);
    h.machine = read_int<std::uint16_t>(bytes, 18, be);
    h.phoff = load_uint(bytes, f.e_phoff, f.word, be);
    h.flags = read_int<std::uint32_t>(bytes, f.e_flags, be);
    h.phentsize = read_int<std::uint16_t>(bytes, f.e_phentsize, be);
    h.phnum = read_int<std::uint16_t>(bytes, f.e_phnum, be);
    return h;
}

bool elf_is_executable(const ElfHeader& h) { return h.type == 2 || h.type == 3; }

std::optional<Platform> elf_platform(const ElfHeader& h) {
    const Arch* a = arch_of_elf(h.machine, h.elf_class, h.data);
    if (!a) return std::nullopt;
    // 32-bit mips with EF_MIPS_ABI2 is n32, which qemu-mips(el) cannot run (qemu-mipsn32 does).
    if (h.machine == 8 && h.elf_class == 1 && (h.flags & 0x20) != 0) return std::nullopt;
    if (!a->variants.empty()) {
        // arm: EABI hard-float binaries need ARMv7 (Debian armhf); soft-float ones run on v5 (armel).
        const bool eabi = (h.flags & k_ef_arm_eabimask) != 0;
        const bool hard = eabi ? (h.flags & k_ef_arm_abi_float_hard) != 0 : (h.flags & k_ef_arm_vfp_float) != 0;
        return Platform{"linux", std::string(a->architecture), hard ? "v7" : "v5"};
    }
    return Platform{"linux", std::string(a->architecture), ""};
}

std::string describe_elf(const ElfHeader& h) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "ELF machine %#x (%d-bit, %s endian)", h.machine, h.elf_class == 2 ? 64 : 32,
                  h.data == 1 ? "little" : "big");
    return buf;
}

std::optional<bool> elf_has_interpreter(const ElfHeader& h, std::span<const std::uint8_t> bytes) {
    const bool be = h.data == 2;
    const std::size_t min_entsize = elf_format(h.elf_class).phentsize;
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
    const ElfFormat& f = elf_format(h.elf_class);
    const std::size_t min_entsize = f.phentsize;
    if (h.phentsize < min_entsize) return std::nullopt;
    for (std::size_t i = 0; i < h.phnum; ++i) {
        const std::uint64_t off = h.phoff + i * h.phentsize;
        if (off < h.phoff || off > bytes.size() || bytes.size() - off < min_entsize) return std::nullopt;
        const auto at = static_cast<std::size_t>(off);
        if (read_int<std::uint32_t>(bytes, at, be) != k_pt_interp) continue;
        const std::uint64_t offset = load_uint(bytes, at + f.p_offset, f.word, be);
        const std::uint64_t size = load_uint(bytes, at + f.p_filesz, f.word, be);
        if (size == 0 || offset > bytes.size() || size > bytes.size() - offset) return std::nullopt;
        std::string path(reinterpret_cast<const char*>(bytes.data()) + offset, static_cast<std::size_t>(size));
        path.resize(std::strlen(path.c_str())); // drop the terminating NUL
        return path;
    }
    return std::nullopt;
}

} // namespace oci
