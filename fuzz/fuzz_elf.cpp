// The ELF header and program headers of a file in an image, as detection, doctor and the
// emulator checks read them: parse_elf_header and everything that reads a parsed header.
#include "base/elf.hpp"
#include "fuzz/check.hpp"

#include <algorithm>
#include <cstring>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    const auto h = oci::parse_elf_header(bytes);
    if (!h) return 0;
    FUZZ_CHECK(size >= 52 && std::memcmp(data, "\x7f" "ELF", 4) == 0);
    FUZZ_CHECK(h->elf_class == data[4] && (h->elf_class == 1 || h->elf_class == 2));
    FUZZ_CHECK(h->data == data[5] && (h->data == 1 || h->data == 2));
    const oci::ElfFormat& f = oci::elf_format(h->elf_class);
    FUZZ_CHECK(size >= f.ehsize);

    // Writing the parsed fields back through the same codec gives the header's bytes.
    const bool be = h->data == 2;
    std::vector<std::uint8_t> out(data, data + f.ehsize);
    oci::store_uint(out, 16, h->type, 2, be);
    oci::store_uint(out, 18, h->machine, 2, be);
    oci::store_uint(out, f.e_phoff, h->phoff, f.word, be);
    oci::store_uint(out, f.e_flags, h->flags, 4, be);
    oci::store_uint(out, f.e_phentsize, h->phentsize, 2, be);
    oci::store_uint(out, f.e_phnum, h->phnum, 2, be);
    FUZZ_CHECK(out.size() == f.ehsize && std::equal(out.begin(), out.end(), data));

    FUZZ_CHECK(oci::elf_is_executable(*h) == (h->type == 2 || h->type == 3));
    if (const auto p = oci::elf_platform(*h)) FUZZ_CHECK(p->os == "linux" && !p->architecture.empty());
    FUZZ_CHECK(oci::describe_elf(*h).starts_with("ELF machine "));

    // A loader path is only found in a PT_INTERP entry that lies within the bytes, so the
    // cheaper check over the same headers must have seen one.
    const auto has_interp = oci::elf_has_interpreter(*h, bytes);
    const auto interp = oci::elf_interpreter_path(*h, bytes);
    if (interp) {
        FUZZ_CHECK(has_interp && *has_interp);
        FUZZ_CHECK(interp->find('\0') == std::string::npos && interp->size() < size);
    }
    return 0;
}
