#pragma once
// Small, bounds-checked ELF header helpers: enough to name a binary's platform and to
// tell a static emulator from a dynamic one. Never casts a raw buffer to a struct.
#include "base/platform.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace oci {

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
