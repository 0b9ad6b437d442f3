#include "base/elf.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

using test::build_elf;
using test::ElfSpec;

namespace {

std::vector<std::uint8_t> read_prefix(const char* path, std::size_t max) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> buf(max);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(max));
    buf.resize(static_cast<std::size_t>(in.gcount()));
    return buf;
}

} // namespace

TEST_CASE("parse_elf_header: fields of a 64-bit little-endian header", "[elf]") {
    ElfSpec s = test::elf_spec(true, false, test::k_em_aarch64, 0x12345678);
    s.type = 3;
    s.segments = {test::k_pt_load, test::k_pt_interp};
    const auto bytes = build_elf(s);
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    CHECK(h->elf_class == 2);
    CHECK(h->data == 1);
    CHECK(h->type == 3);
    CHECK(h->machine == test::k_em_aarch64);
    CHECK(h->flags == 0x12345678);
    CHECK(h->phoff == 64);
    CHECK(h->phentsize == 56);
    CHECK(h->phnum == 2);
}

TEST_CASE("parse_elf_header: fields of a 32-bit big-endian header", "[elf]") {
    ElfSpec s = test::elf_spec(false, true, 0x1234, 0xa1b2c3d4);
    s.segments = {test::k_pt_load, test::k_pt_load, test::k_pt_note};
    const auto h = oci::parse_elf_header(build_elf(s));
    REQUIRE(h);
    CHECK(h->elf_class == 1);
    CHECK(h->data == 2);
    CHECK(h->type == 2);
    CHECK(h->machine == 0x1234);
    CHECK(h->flags == 0xa1b2c3d4);
    CHECK(h->phoff == 52);
    CHECK(h->phentsize == 32);
    CHECK(h->phnum == 3);
}

TEST_CASE("parse_elf_header: 64-bit program header offset uses all 8 bytes", "[elf]") {
    for (bool be : {false, true}) {
        ElfSpec s = test::elf_spec(true, be, test::k_em_ppc64);
        s.phoff = 0x0102030405060708ULL;
        const auto h = oci::parse_elf_header(build_elf(s));
        REQUIRE(h);
        CHECK(h->phoff == 0x0102030405060708ULL);
    }
}

TEST_CASE("elf_platform: every supported platform", "[elf]") {
    for (const auto& e : test::supported_elves()) {
        INFO(e.platform);
        for (std::uint16_t type : {std::uint16_t{2}, std::uint16_t{3}}) { // ET_EXEC and ET_DYN (PIE)
            ElfSpec s = e.spec;
            s.type = type;
            const auto h = oci::parse_elf_header(build_elf(s));
            REQUIRE(h);
            const auto p = oci::elf_platform(*h);
            REQUIRE(p);
            CHECK(p->str() == e.platform);
        }
    }
}

TEST_CASE("elf_platform: arm float ABI picks v7 or v5", "[elf]") {
    const auto arm = [](std::uint32_t flags) {
        const auto h = oci::parse_elf_header(build_elf(test::elf_spec(false, false, test::k_em_arm, flags)));
        REQUIRE(h);
        return oci::elf_platform(*h);
    };
    CHECK(arm(test::k_arm_eabi5_hard)->str() == "linux/arm/v7"); // armhf
    CHECK(arm(test::k_arm_eabi5_soft)->str() == "linux/arm/v5"); // armel
    CHECK(arm(0x05000000)->str() == "linux/arm/v5");             // EABI5, no float flag
    CHECK(arm(0x04000400)->str() == "linux/arm/v7");             // EABI4 hard float
    CHECK(arm(0x00000400)->str() == "linux/arm/v7");             // old ABI, EF_ARM_VFP_FLOAT
    CHECK(arm(0x00000000)->str() == "linux/arm/v5");             // old ABI, soft float
}

TEST_CASE("elf_platform: byte order and class select or reject the platform", "[elf]") {
    const auto plat = [](bool is64, bool be, std::uint16_t machine) {
        const auto h = oci::parse_elf_header(build_elf(test::elf_spec(is64, be, machine)));
        REQUIRE(h);
        return oci::elf_platform(*h);
    };
    CHECK(plat(true, false, test::k_em_ppc64)->str() == "linux/ppc64le");
    CHECK(plat(true, true, test::k_em_ppc64)->str() == "linux/ppc64");
    CHECK(plat(true, false, test::k_em_mips)->str() == "linux/mips64le");
    CHECK(plat(true, true, test::k_em_mips)->str() == "linux/mips64");
    CHECK(plat(true, true, test::k_em_s390)->str() == "linux/s390x");

    // combinations no supported platform has
    CHECK_FALSE(plat(true, false, test::k_em_s390));    // s390x is big endian only
    CHECK_FALSE(plat(false, true, test::k_em_s390));    // 31-bit s390
    CHECK_FALSE(plat(false, false, test::k_em_x86_64)); // x32
    CHECK_FALSE(plat(true, true, test::k_em_x86_64));
    CHECK_FALSE(plat(true, false, test::k_em_386));
    CHECK_FALSE(plat(true, true, test::k_em_aarch64));  // aarch64_be
    CHECK_FALSE(plat(false, false, test::k_em_aarch64));// ILP32
    CHECK_FALSE(plat(false, true, test::k_em_arm));     // armeb
    CHECK_FALSE(plat(true, false, test::k_em_arm));
    CHECK_FALSE(plat(false, true, test::k_em_ppc64));
    CHECK(plat(false, false, test::k_em_mips)->str() == "linux/mipsle");
    CHECK(plat(false, true, test::k_em_mips)->str() == "linux/mips");
    CHECK(plat(false, false, test::k_em_riscv)->str() == "linux/riscv32");
    CHECK(plat(false, true, 20)->str() == "linux/ppc");
    CHECK(plat(true, true, test::k_em_sparcv9)->str() == "linux/sparc64");
    CHECK_FALSE(plat(true, false, test::k_em_sparcv9));
    CHECK_FALSE(plat(true, true, test::k_em_riscv));
    CHECK_FALSE(plat(false, false, test::k_em_loongarch));
    CHECK_FALSE(plat(true, true, test::k_em_loongarch));
}

TEST_CASE("elf_platform: unsupported machines give nullopt", "[elf]") {
    for (std::uint16_t machine : {std::uint16_t{0}, std::uint16_t{2} /* SPARC */, test::k_em_parisc,
                                  std::uint16_t{0x9026} /* Alpha */, std::uint16_t{42} /* SH */, std::uint16_t{0xffff}}) {
        INFO("machine " << machine);
        for (bool is64 : {false, true})
            for (bool be : {false, true}) {
                const auto h = oci::parse_elf_header(build_elf(test::elf_spec(is64, be, machine)));
                REQUIRE(h);
                CHECK_FALSE(oci::elf_platform(*h).has_value());
            }
    }
}

TEST_CASE("describe_elf: names machine, class and byte order", "[elf]") {
    const auto describe = [](bool is64, bool be, std::uint16_t machine) {
        const auto h = oci::parse_elf_header(build_elf(test::elf_spec(is64, be, machine)));
        REQUIRE(h);
        return oci::describe_elf(*h);
    };
    CHECK(describe(false, false, 0x2b) == "ELF machine 0x2b (32-bit, little endian)");
    CHECK(describe(true, true, test::k_em_sparcv9) == "ELF machine 0x2b (64-bit, big endian)");
    CHECK(describe(true, false, 0xffff) == "ELF machine 0xffff (64-bit, little endian)");
    CHECK(describe(false, true, test::k_em_arm) == "ELF machine 0x28 (32-bit, big endian)");
}

TEST_CASE("parse_elf_header: not ELF gives nullopt", "[elf]") {
    std::vector<std::uint8_t> buf(128, 0);
    CHECK_FALSE(oci::parse_elf_header(buf));
    const auto script = test::to_bytes("#!/bin/sh\necho hello world, this is long enough to be an ELF header...\n");
    REQUIRE(script.size() >= 64);
    CHECK_FALSE(oci::parse_elf_header(script));

    auto elf = build_elf(test::elf_spec(true, false, test::k_em_x86_64));
    for (std::size_t i = 0; i < 4; ++i) {
        auto broken = elf;
        broken[i] ^= 0x20;
        INFO("magic byte " << i);
        CHECK_FALSE(oci::parse_elf_header(broken));
    }
    for (std::uint8_t cls : {std::uint8_t{0}, std::uint8_t{3}, std::uint8_t{0xff}}) {
        auto broken = elf;
        broken[4] = cls;
        CHECK_FALSE(oci::parse_elf_header(broken));
    }
    for (std::uint8_t data : {std::uint8_t{0}, std::uint8_t{3}, std::uint8_t{0xff}}) {
        auto broken = elf;
        broken[5] = data;
        CHECK_FALSE(oci::parse_elf_header(broken));
    }
}

TEST_CASE("parse_elf_header: truncated buffers never crash", "[elf]") {
    for (const auto& e : test::supported_elves()) {
        ElfSpec s = e.spec;
        s.segments = {test::k_pt_load, test::k_pt_interp};
        const auto full = build_elf(s);
        const std::size_t header_size = s.is64 ? 64 : 52;
        for (std::size_t len = 0; len <= 64; ++len) {
            INFO(e.platform << " length " << len);
            const std::span<const std::uint8_t> part(full.data(), len);
            const auto h = oci::parse_elf_header(part);
            if (len < header_size) {
                CHECK_FALSE(h.has_value());
            } else {
                REQUIRE(h.has_value());
                CHECK(oci::elf_platform(*h)->str() == e.platform);
                // the program headers start right after the header: none are in the buffer yet
                CHECK_FALSE(oci::elf_has_interpreter(*h, part).has_value());
            }
        }
    }
}

TEST_CASE("parse_elf_header: an empty span and a one-byte span", "[elf]") {
    CHECK_FALSE(oci::parse_elf_header(std::span<const std::uint8_t>()));
    const std::uint8_t one = 0x7f;
    CHECK_FALSE(oci::parse_elf_header(std::span<const std::uint8_t>(&one, 1)));
}

TEST_CASE("elf_has_interpreter: PT_INTERP present or absent", "[elf]") {
    for (const auto& e : test::supported_elves()) {
        INFO(e.platform);
        ElfSpec dynamic = e.spec;
        dynamic.segments = {6 /* PT_PHDR */, test::k_pt_interp, test::k_pt_load, test::k_pt_load, test::k_pt_dynamic};
        const auto d = build_elf(dynamic);
        const auto dh = oci::parse_elf_header(d);
        REQUIRE(dh);
        CHECK(oci::elf_has_interpreter(*dh, d) == std::optional<bool>(true));

        ElfSpec stat = e.spec;
        stat.segments = {test::k_pt_load, test::k_pt_load, test::k_pt_note, test::k_pt_gnu_stack, test::k_pt_dynamic};
        const auto st = build_elf(stat);
        const auto sh = oci::parse_elf_header(st);
        REQUIRE(sh);
        CHECK(oci::elf_has_interpreter(*sh, st) == std::optional<bool>(false));
    }
}

TEST_CASE("elf_has_interpreter: PT_INTERP as the last entry is found", "[elf]") {
    ElfSpec s = test::elf_spec(true, true, test::k_em_s390);
    s.segments = {test::k_pt_load, test::k_pt_load, test::k_pt_load, test::k_pt_interp};
    const auto bytes = build_elf(s);
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    CHECK(oci::elf_has_interpreter(*h, bytes) == std::optional<bool>(true));
}

TEST_CASE("elf_has_interpreter: a byte-swapped PT_INTERP does not count", "[elf]") {
    // 0x03000000 is PT_INTERP read with the wrong byte order.
    ElfSpec s = test::elf_spec(true, false, test::k_em_aarch64);
    s.segments = {test::k_pt_load, 0x03000000};
    const auto bytes = build_elf(s);
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    CHECK(oci::elf_has_interpreter(*h, bytes) == std::optional<bool>(false));
}

TEST_CASE("elf_has_interpreter: no program headers means static", "[elf]") {
    ElfSpec s = test::elf_spec(true, false, test::k_em_x86_64);
    s.segments.clear();
    s.phentsize = 0;
    const auto bytes = build_elf(s);
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    REQUIRE(h->phnum == 0);
    CHECK(oci::elf_has_interpreter(*h, bytes) == std::optional<bool>(false));
}

TEST_CASE("elf_has_interpreter: table outside the buffer gives nullopt", "[elf]") {
    for (bool is64 : {false, true}) {
        INFO((is64 ? "ELF64" : "ELF32"));
        ElfSpec s = test::elf_spec(is64, false, is64 ? test::k_em_aarch64 : test::k_em_arm);
        s.segments = {test::k_pt_load, test::k_pt_interp};

        SECTION("phoff beyond the end") {
            ElfSpec far = s;
            far.phoff = 4096;
            const auto bytes = build_elf(far);
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
        SECTION("phoff at the largest value the class holds") {
            ElfSpec far = s;
            far.phoff = is64 ? 0x7fffffffffffffffULL : 0xffffffffULL;
            const auto bytes = build_elf(far);
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
        SECTION("buffer ends inside the first entry") {
            ElfSpec cut = s;
            cut.segments = {test::k_pt_load, test::k_pt_load};
            auto bytes = build_elf(cut);
            bytes.resize(bytes.size() - 2 * (is64 ? 56 : 32) + 2);
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
        SECTION("buffer ends before an entry that would be PT_INTERP") {
            auto bytes = build_elf(s);
            bytes.resize(bytes.size() - (is64 ? 56 : 32));
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
        SECTION("phnum larger than the table") {
            ElfSpec many = s;
            many.segments = {test::k_pt_load};
            many.phnum = 0xffff;
            const auto bytes = build_elf(many);
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
        SECTION("entry size smaller than the class requires") {
            ElfSpec small = s;
            small.phentsize = is64 ? 32 : 16;
            const auto bytes = build_elf(small);
            const auto h = oci::parse_elf_header(bytes);
            REQUIRE(h);
            CHECK_FALSE(oci::elf_has_interpreter(*h, bytes).has_value());
        }
    }
}

TEST_CASE("elf_has_interpreter: larger entry size strides over the padding", "[elf]") {
    // phentsize 64 (larger than needed): entries are read at phoff + i * 64.
    ElfSpec s = test::elf_spec(true, false, test::k_em_riscv);
    s.segments.clear();
    s.phoff = 64;
    s.phentsize = 64;
    s.phnum = 2;
    auto bytes = build_elf(s);
    bytes.resize(64 + 2 * 64, 0);
    test::put(bytes, 64, test::k_pt_load, 4, false);
    test::put(bytes, 64 + 56, test::k_pt_interp, 4, false); // inside the padding of entry 0: ignored
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    CHECK(oci::elf_has_interpreter(*h, bytes) == std::optional<bool>(false));
    test::put(bytes, 64 + 64, test::k_pt_interp, 4, false); // entry 1
    CHECK(oci::elf_has_interpreter(*h, bytes) == std::optional<bool>(true));
}

namespace {

// The ELF bytes as a span that starts `prefix` bytes into a larger buffer, whose first bytes
// (outside the span) hold `before`: a read that wraps around to just before the span then
// sees controlled bytes instead of whatever the heap holds, so the result is deterministic.
struct PrefixedBuffer {
    std::vector<std::uint8_t> storage;
    std::span<const std::uint8_t> span;
    PrefixedBuffer(const std::vector<std::uint8_t>& before, const std::vector<std::uint8_t>& elf) {
        storage = before;
        storage.insert(storage.end(), elf.begin(), elf.end());
        span = std::span<const std::uint8_t>(storage.data() + before.size(), elf.size());
    }
};

// A fake 64-bit little-endian PT_INTERP program header in the 64 bytes before the span:
// p_type at -56, p_offset at -48 (0: the span's start), p_filesz at -24.
std::vector<std::uint8_t> fake_interp_phdr_before() {
    std::vector<std::uint8_t> before(64, 0);
    test::put(before, 64 - 56, test::k_pt_interp, 4, false);
    test::put(before, 64 - 48, 0, 8, false);
    test::put(before, 64 - 24, 4, 8, false);
    test::put(before, 64 - 4, test::k_pt_interp, 4, false); // p_type read at -4 for phoff = -4
    return before;
}

} // namespace

TEST_CASE("elf_has_interpreter: phoff near 2^64 is out of bounds, not a wrapped-around read", "[elf]") {
    // Regression: for phoff > 2^64 - 5 a check of `off + 4 > size` wraps to a small number and
    // passes, and the entry is read at bytes[phoff], i.e. just before the buffer (ASan:
    // heap-buffer-overflow in read_int). The table is outside `bytes`: the answer is nullopt.
    for (std::uint64_t back : {1u, 2u, 3u, 4u}) {
        const std::uint64_t phoff = 0 - back; // 2^64 - back
        INFO("phoff = 2^64 - " << back);
        ElfSpec s = test::elf_spec(true, false, test::k_em_aarch64);
        s.phoff = phoff;
        const PrefixedBuffer buf(fake_interp_phdr_before(), build_elf(s));
        const auto h = oci::parse_elf_header(buf.span);
        REQUIRE(h);
        REQUIRE(h->phoff == phoff);
        const auto result = oci::elf_has_interpreter(*h, buf.span);
        INFO("result: " << (result ? (*result ? "true" : "false") : "nullopt"));
        CHECK_FALSE(result.has_value());
    }
}

TEST_CASE("elf_has_interpreter: phoff near 2^64 never reads outside the buffer", "[elf]") {
    // The same with nothing around the buffer, run in a child so that a wild read cannot take
    // the test runner down.
    for (std::uint64_t back : {1u, 4u}) {
        INFO("phoff = 2^64 - " << back);
        ElfSpec s = test::elf_spec(true, false, test::k_em_aarch64);
        s.phoff = 0 - back;
        const auto bytes = build_elf(s);
        const auto h = oci::parse_elf_header(bytes);
        REQUIRE(h);
        const auto r = test::run_in_child([&] {
            const auto result = oci::elf_has_interpreter(*h, bytes);
            return result.has_value() ? (*result ? 1 : 2) : 0;
        });
        INFO("child signal " << r.signal << ", exit " << r.code);
        CHECK(r.exited);
        CHECK(r.code == 0); // nullopt
    }
}

TEST_CASE("elf_has_interpreter: real static and dynamic programs", "[elf]") {
    const char* static_path = "/bin/busybox";
    const char* dynamic_path = "/bin/true";
    if (!test::fs::exists(static_path) || !test::fs::exists(dynamic_path)) {
        WARN("SKIP: needs /bin/busybox (busybox-static) and /bin/true");
        return;
    }
    const auto st = read_prefix(static_path, 64 * 1024);
    const auto sh = oci::parse_elf_header(st);
    REQUIRE(sh);
    CHECK(oci::elf_has_interpreter(*sh, st) == std::optional<bool>(false));

    const auto dy = read_prefix(dynamic_path, 64 * 1024);
    const auto dh = oci::parse_elf_header(dy);
    REQUIRE(dh);
    CHECK(oci::elf_has_interpreter(*dh, dy) == std::optional<bool>(true));

    // Both are host programs: their platform is the host's.
    const auto host = oci::host_platform();
    REQUIRE(oci::elf_platform(*sh));
    CHECK(oci::elf_platform(*sh)->architecture == host.architecture);
    REQUIRE(oci::elf_platform(*dh));
    CHECK(oci::elf_platform(*dh)->architecture == host.architecture);
}

// ---------------------------------------------------------------------------------------
// elf_interpreter_path

namespace {

// An ELF with one PT_INTERP program header naming `interp` (NUL-terminated, placed after
// the table) and a PT_LOAD after it.
std::vector<std::uint8_t> elf_with_interp(bool is64, bool be, const std::string& interp, bool nul = true) {
    ElfSpec s = test::elf_spec(is64, be, is64 ? test::k_em_aarch64 : test::k_em_arm);
    s.segments = {test::k_pt_interp, test::k_pt_load};
    auto bytes = build_elf(s);
    const std::size_t ph = is64 ? 64 : 52;
    const std::size_t offset = bytes.size();
    const std::size_t size = interp.size() + (nul ? 1 : 0);
    if (is64) {
        test::put(bytes, ph + 8, offset, 8, be);
        test::put(bytes, ph + 32, size, 8, be);
    } else {
        test::put(bytes, ph + 4, offset, 4, be);
        test::put(bytes, ph + 16, size, 4, be);
    }
    bytes.insert(bytes.end(), interp.begin(), interp.end());
    if (nul) bytes.push_back(0);
    return bytes;
}

std::optional<std::string> interp_of(const std::vector<std::uint8_t>& bytes) {
    const auto h = oci::parse_elf_header(bytes);
    REQUIRE(h);
    return oci::elf_interpreter_path(*h, bytes);
}

} // namespace

TEST_CASE("elf_interpreter_path: the loader named by PT_INTERP", "[elf]") {
    for (bool is64 : {false, true})
        for (bool be : {false, true}) {
            INFO((is64 ? "ELF64 " : "ELF32 ") << (be ? "BE" : "LE"));
            CHECK(interp_of(elf_with_interp(is64, be, "/lib/ld-linux-aarch64.so.1")) ==
                  std::optional<std::string>("/lib/ld-linux-aarch64.so.1"));
            // without a terminating NUL the whole segment is the path
            CHECK(interp_of(elf_with_interp(is64, be, "/lib/ld.so", false)) == std::optional<std::string>("/lib/ld.so"));
        }
}

TEST_CASE("elf_interpreter_path: none for static programs or out-of-bounds data", "[elf]") {
    CHECK_FALSE(interp_of(test::elf_for("linux/arm64")));
    auto cut = elf_with_interp(true, false, "/lib/ld-linux-aarch64.so.1");
    cut.resize(cut.size() - 5); // the path runs past the end
    CHECK_FALSE(interp_of(cut));
    auto huge = elf_with_interp(true, false, "/lib/ld.so");
    test::put(huge, 64 + 32, 0xffffffffffffff00ULL, 8, false); // p_filesz
    CHECK_FALSE(interp_of(huge));
    auto far = elf_with_interp(true, false, "/lib/ld.so");
    test::put(far, 64 + 8, 0xfffffffffffffff0ULL, 8, false); // p_offset
    CHECK_FALSE(interp_of(far));
    auto empty = elf_with_interp(false, false, "", false);
    CHECK_FALSE(interp_of(empty));
    ElfSpec small = test::elf_spec(true, false, test::k_em_aarch64);
    small.segments = {test::k_pt_interp};
    small.phentsize = 32;
    CHECK_FALSE(interp_of(build_elf(small)));
}

TEST_CASE("elf_interpreter_path: phoff near 2^64 is out of bounds", "[elf]") {
    // `off + 56` wraps for phoff > 2^64 - 57: the entry is read before the buffer. Here the
    // bytes there spell a PT_INTERP entry pointing at the span's first 4 bytes ("\x7fELF").
    ElfSpec s = test::elf_spec(true, false, test::k_em_aarch64);
    s.phoff = 0 - std::uint64_t{56};
    const PrefixedBuffer buf(fake_interp_phdr_before(), build_elf(s));
    const auto h = oci::parse_elf_header(buf.span);
    REQUIRE(h);
    const auto path = oci::elf_interpreter_path(*h, buf.span);
    INFO("path: " << (path ? "'" + *path + "'" : std::string("nullopt")));
    CHECK_FALSE(path.has_value());
}

TEST_CASE("elf_interpreter_path: real programs", "[elf]") {
    if (!test::fs::exists("/bin/true") || !test::fs::exists("/bin/busybox")) {
        WARN("SKIP: needs /bin/busybox (busybox-static) and /bin/true");
        return;
    }
    const auto dynamic = read_prefix("/bin/true", 64 * 1024);
    const auto path = interp_of(dynamic);
    REQUIRE(path);
    CHECK(path->starts_with("/lib"));
    CHECK_THAT(*path, Catch::Matchers::Contains("ld"));
    CHECK(test::fs::exists(*path));
    CHECK_FALSE(interp_of(read_prefix("/bin/busybox", 64 * 1024)));
}
