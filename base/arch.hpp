#pragma once
// One description per architecture xarch can emulate: every fact about it in one row (names,
// ELF identity, binfmt_misc magic and mask, seccomp name, probe program layout). Platform
// names, ELF parsing, the emulator catalogue, probes and seccomp all read this table.
#include "base/platform.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace oci {

struct Arch {
    std::string_view architecture; // OCI name: "arm64"
    std::string_view variants;     // the OCI variants it covers ("v7 v6 v5" for arm), empty if none
    std::string_view qemu;         // qemu-user target, also in binfmt_misc names: "aarch64"
    std::string_view machine;      // what `uname -m` prints under qemu: "aarch64"
    std::uint8_t elf_class;        // 1: 32-bit, 2: 64-bit
    std::uint8_t elf_data;         // 1: little endian, 2: big endian
    std::uint16_t elf_machine;     // e_machine
    std::uint32_t elf_flags;       // e_flags as Debian's toolchain writes them (for probe programs)
    std::string_view binfmt_magic; // hex, as qemu's scripts/qemu-binfmt-conf.sh registers it
    std::string_view binfmt_mask;
    std::string_view seccomp;      // OCI seccomp architecture: "SCMP_ARCH_AARCH64"; empty where libseccomp has none
    std::uint64_t load_base;       // where probe programs are loaded (the linkers' usual address)
    bool function_descriptors;     // ppc64 ELFv1: e_entry names a function descriptor, not code

    bool big_endian() const { return elf_data == 2; }
};

// Every architecture, in the catalogue's stable order. Does not throw.
std::span<const Arch> architectures();

// The row for an OCI architecture name ("arm64"); nullptr if there is none. Does not throw.
const Arch* find_arch(std::string_view architecture);

// The row for a platform: its architecture, and a variant the row covers (a platform without a
// variant only matches rows without variants). nullptr if none. Does not throw.
const Arch* arch_of(const Platform& platform);

// The row for an ELF identity (e_machine, class, byte order); nullptr if none. Does not throw.
const Arch* arch_of_elf(std::uint16_t machine, std::uint8_t elf_class, std::uint8_t elf_data);

} // namespace oci
