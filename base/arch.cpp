#include "base/arch.hpp"

#include <array>

namespace oci {

namespace {

// Magic and mask: qemu-binfmt-conf.sh's. Masks clear e_ident[EI_OSABI..] padding and the low bit
// of e_type so that both ET_EXEC and ET_DYN (PIE) match; mips masks also keep n32
// (EF_MIPS_ABI2) out of the 64-bit entries. e_flags: arm EABI5 hard float, ppc64le ELFv2,
// ppc64 ELFv1, riscv64 RVC + double float, mips64 MIPS64r2 n64 PIC, loongarch64 LP64D.
constexpr std::array k_arches{
    Arch{"amd64", "", "x86_64", "x86_64", 2, 1, 62, 0,
         "7f454c4602010100000000000000000002003e00", "fffffffffffefe00fffffffffffffffffeffffff",
         "SCMP_ARCH_X86_64", 0x400000, false},
    Arch{"386", "", "i386", "i686", 1, 1, 3, 0,
         "7f454c4601010100000000000000000002000300", "fffffffffffefe00fffffffffffffffffeffffff",
         "SCMP_ARCH_X86", 0x08048000, false},
    Arch{"arm64", "", "aarch64", "aarch64", 2, 1, 183, 0,
         "7f454c460201010000000000000000000200b700", "ffffffffffffff00fffffffffffffffffeffffff",
         "SCMP_ARCH_AARCH64", 0x400000, false},
    Arch{"arm", "v7 v6 v5", "arm", "armv7l", 1, 1, 40, 0x05000400,
         "7f454c4601010100000000000000000002002800", "ffffffffffffff00fffffffffffffffffeffffff",
         "SCMP_ARCH_ARM", 0x10000, false},
    Arch{"ppc64le", "", "ppc64le", "ppc64le", 2, 1, 21, 2,
         "7f454c4602010100000000000000000002001500", "fffffffffffffffcfffffffffffffffffeffff00",
         "SCMP_ARCH_PPC64LE", 0x10000000, false},
    Arch{"ppc64", "", "ppc64", "ppc64", 2, 2, 21, 1,
         "7f454c4602020100000000000000000000020015", "fffffffffffffffcfffffffffffffffffffeffff",
         "SCMP_ARCH_PPC64", 0x10000000, true},
    Arch{"s390x", "", "s390x", "s390x", 2, 2, 22, 0,
         "7f454c4602020100000000000000000000020016", "fffffffffffffffcfffffffffffffffffffeffff",
         "SCMP_ARCH_S390X", 0x1000000, false},
    Arch{"riscv64", "", "riscv64", "riscv64", 2, 1, 243, 5,
         "7f454c460201010000000000000000000200f300", "ffffffffffffff00fffffffffffffffffeffffff",
         "SCMP_ARCH_RISCV64", 0x10000, false},
    Arch{"mips64le", "", "mips64el", "mips64", 2, 1, 8, 0x80000007,
         "7f454c4602010100000000000000000002000800", "ffffffffffffff00fefffffffffffffffeffffff",
         "SCMP_ARCH_MIPSEL64", 0x120000000, false},
    Arch{"mips64", "", "mips64", "mips64", 2, 2, 8, 0x80000007,
         "7f454c4602020100000000000000000000020008", "ffffffffffffff00fefffffffffffffffffeffff",
         "SCMP_ARCH_MIPS64", 0x120000000, false},
    Arch{"loong64", "", "loongarch64", "loongarch64", 2, 1, 258, 0x43,
         "7f454c4602010100000000000000000002000201", "fffffffffffffffc00fffffffffffffffeffffff",
         "SCMP_ARCH_LOONGARCH64", 0x120000000, false},
    // The other targets Debian's qemu-user-static registers for Debian ports and old images. mips
    // o32 MIPS32r2 PIC; its masks keep n32 (EF_MIPS_ABI2) out, as qemu's do.
    Arch{"mips", "", "mips", "mips", 1, 2, 8, 0x70001007,
         "7f454c46010201000000000000000000000200080000000000000000000000000000000000000000",
         "ffffffffffffff00fefffffffffffffffffeffff0000000000000000000000000000000000000020",
         "SCMP_ARCH_MIPS", 0x400000, false},
    Arch{"mipsle", "", "mipsel", "mips", 1, 1, 8, 0x70001007,
         "7f454c46010101000000000000000000020008000000000000000000000000000000000000",
         "ffffffffffffff00fefffffffffffffffeffffff0000000000000000000000000000000020",
         "SCMP_ARCH_MIPSEL", 0x400000, false},
    Arch{"ppc", "", "ppc", "ppc", 1, 2, 20, 0,
         "7f454c4601020100000000000000000000020014", "fffffffffffffffcfffffffffffffffffffeffff",
         "SCMP_ARCH_PPC", 0x10000000, false},
    Arch{"sparc64", "", "sparc64", "sparc64", 2, 2, 43, 0,
         "7f454c460202010000000000000000000002002b", "fffffffffffffffcfffffffffffffffffffeffff",
         "", 0x100000, false},
    Arch{"m68k", "", "m68k", "m68k", 1, 2, 4, 0,
         "7f454c4601020100000000000000000000020004", "ffffffffffffff00fffffffffffffffffffeffff",
         "", 0x80000000, false},
    Arch{"riscv32", "", "riscv32", "riscv32", 1, 1, 243, 5,
         "7f454c460101010000000000000000000200f300", "ffffffffffffff00fffffffffffffffffeffffff",
         "", 0x10000, false},
};

bool covers_variant(std::string_view variants, std::string_view variant) {
    if (variant.empty()) return variants.empty();
    for (std::size_t start = 0; start < variants.size();) {
        const std::size_t end = std::min(variants.find(' ', start), variants.size());
        if (variants.substr(start, end - start) == variant) return true;
        start = end + 1;
    }
    return false;
}

} // namespace

std::span<const Arch> architectures() { return k_arches; }

const Arch* find_arch(std::string_view architecture) {
    for (const auto& a : k_arches)
        if (a.architecture == architecture) return &a;
    return nullptr;
}

const Arch* arch_of(const Platform& platform) {
    const Arch* a = find_arch(platform.architecture);
    return a && covers_variant(a->variants, platform.variant) ? a : nullptr;
}

const Arch* arch_of_elf(std::uint16_t machine, std::uint8_t elf_class, std::uint8_t elf_data) {
    for (const auto& a : k_arches)
        if (a.elf_machine == machine && a.elf_class == elf_class && a.elf_data == elf_data) return &a;
    return nullptr;
}

} // namespace oci
