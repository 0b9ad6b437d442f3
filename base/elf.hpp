#pragma once
// Small, bounds-checked ELF header helpers: enough to name a binary's platform and to
// tell a static emulator from a dynamic one. Never casts a raw buffer to a struct.
#include "base/platform.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oci {

// The kernel reads a file's first BINPRM_BUF_SIZE bytes to match binfmt_misc magic and #! lines.
constexpr std::size_t k_binprm_buf_size = 256;

// Enough of a program for its ELF and program headers (any real emulator or loader).
constexpr std::size_t k_elf_inspect_size = 64 * 1024;

// The one ELF byte-order codec. load_uint reads an unsigned integer of `size` (1..8) bytes at
// `offset`; the caller has checked that they are within `bytes`.
std::uint64_t load_uint(std::span<const std::uint8_t> bytes, std::size_t offset, std::size_t size, bool big_endian);

// Writes `value` as `size` bytes at `offset`, growing `out` with zeros as needed.
void store_uint(std::vector<std::uint8_t>& out, std::size_t offset, std::uint64_t value, std::size_t size,
                bool big_endian);

// Where the fields xarch reads and writes sit in an ELF header and a program header, for one
// ELF class: the same table for parsing programs and for building probes.
struct ElfFormat {
    std::size_t word;                  // size of addresses and offsets: 4 or 8
    std::size_t ehsize, phentsize;     // header sizes
    std::size_t e_entry, e_phoff, e_flags, e_ehsize, e_phentsize, e_phnum;
    std::size_t p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

// The format of ELF class `elf_class` (1 or 2; anything else is taken as 1). Does not throw.
const ElfFormat& elf_format(std::uint8_t elf_class);

struct ElfHeader {
    std::uint8_t elf_class = 0; // 1 = 32-bit, 2 = 64-bit
    std::uint8_t data = 0;      // 1 = little endian, 2 = big endian
    std::uint16_t type = 0;     // ET_EXEC, ET_DYN, ...
    std::uint16_t machine = 0;
    std::uint32_t flags = 0;
    std::uint64_t phoff = 0;
    std::uint16_t phentsize = 0;
    std::uint16_t phnum = 0;
};

// Parses the ELF identification and header from the start of a file; nullopt if the
// bytes are not a complete ELF header.
std::optional<ElfHeader> parse_elf_header(std::span<const std::uint8_t> bytes);

// True for the ELF types the kernel executes: ET_EXEC and ET_DYN (PIE). A relocatable object
// (ET_REL) or core file is no program, whatever its machine. Does not throw.
bool elf_is_executable(const ElfHeader& header);

// Names the OCI platform of an ELF header (arm float ABI picks v7 or v5); nullopt for
// machines xarch does not support. Does not throw.
std::optional<Platform> elf_platform(const ElfHeader& header);

// Why elf_platform has no answer, for messages: "ELF machine 0x2b (32-bit, little endian)".
std::string describe_elf(const ElfHeader& header);

// True if the program headers within `bytes` contain PT_INTERP (a dynamically linked
// program); nullopt if the program header table lies outside `bytes`.
std::optional<bool> elf_has_interpreter(const ElfHeader& header, std::span<const std::uint8_t> bytes);

// The PT_INTERP path (the program's dynamic loader, "/lib64/ld-linux-x86-64.so.2"); nullopt
// if there is none or it lies outside `bytes`. Does not throw.
std::optional<std::string> elf_interpreter_path(const ElfHeader& header, std::span<const std::uint8_t> bytes);

} // namespace oci
