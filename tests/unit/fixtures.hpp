#pragma once
// Shared helpers for the unit tests: a temp-dir RAII fixture, a builder for synthetic ELF
// headers, and a way to run a call that might crash or hang in a child process.
#include "base/platform.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace test {

namespace fs = std::filesystem;

inline bool is_root() { return ::geteuid() == 0; }

inline std::vector<std::uint8_t> to_bytes(std::string_view s) { return {s.begin(), s.end()}; }

// A private directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
// Paths given to the helpers are relative to it; a leading '/' is ignored, so rootfs-style
// absolute paths ("/bin/sh") can be used directly.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/xarch-unit-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
        m_path = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }

    const fs::path& path() const { return m_path; }
    std::string str() const { return m_path.string(); }

    fs::path operator/(std::string_view rel) const { return m_path / strip(rel); }

    // Creates (or replaces) a file with `content` and exactly `mode`, creating parents.
    fs::path write(std::string_view rel, std::string_view content, mode_t mode = 0644) const {
        const fs::path p = *this / rel;
        fs::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) throw std::runtime_error("write " + p.string());
        chmod(p, mode);
        return p;
    }
    fs::path write(std::string_view rel, const std::vector<std::uint8_t>& bytes, mode_t mode = 0644) const {
        return write(rel, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), mode);
    }

    fs::path mkdir(std::string_view rel) const {
        const fs::path p = *this / rel;
        fs::create_directories(p);
        return p;
    }

    // Creates symlink `rel` -> `target` (the target is stored verbatim), creating parents.
    fs::path symlink(std::string_view target, std::string_view rel) const {
        const fs::path p = *this / rel;
        fs::create_directories(p.parent_path());
        if (::symlink(std::string(target).c_str(), p.c_str()) != 0)
            throw std::system_error(errno, std::generic_category(), "symlink " + p.string());
        return p;
    }

    fs::path fifo(std::string_view rel) const {
        const fs::path p = *this / rel;
        fs::create_directories(p.parent_path());
        if (::mkfifo(p.c_str(), 0644) != 0) throw std::system_error(errno, std::generic_category(), "mkfifo " + p.string());
        return p;
    }

    static void chmod(const fs::path& p, mode_t mode) {
        if (::chmod(p.c_str(), mode) != 0) throw std::system_error(errno, std::generic_category(), "chmod " + p.string());
    }

private:
    static std::string strip(std::string_view rel) {
        while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
        return std::string(rel);
    }

    fs::path m_path;
};

inline std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline ino_t inode(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) throw std::system_error(errno, std::generic_category(), "stat " + p.string());
    return st.st_ino;
}

inline mode_t file_mode(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) throw std::system_error(errno, std::generic_category(), "lstat " + p.string());
    return st.st_mode & 07777;
}

// ---------------------------------------------------------------------------------------
// Synthetic ELF files

constexpr std::uint32_t k_pt_load = 1;
constexpr std::uint32_t k_pt_dynamic = 2;
constexpr std::uint32_t k_pt_interp = 3;
constexpr std::uint32_t k_pt_note = 4;
constexpr std::uint32_t k_pt_gnu_stack = 0x6474e551;

struct ElfSpec {
    bool is64 = true;
    bool big_endian = false;
    std::uint16_t type = 2; // ET_EXEC
    std::uint16_t machine = 62;
    std::uint32_t flags = 0;
    std::vector<std::uint32_t> segments;      // p_type of each program header, right after the ELF header
    std::optional<std::uint64_t> phoff;       // overrides where the header says the table is
    std::optional<std::uint16_t> phentsize;   // overrides the entry size in the header
    std::optional<std::uint16_t> phnum;       // overrides the count in the header
    std::size_t pad_to = 0;                   // zero-pad the file to at least this size
};

inline void put(std::vector<std::uint8_t>& out, std::size_t offset, std::uint64_t value, std::size_t size, bool be) {
    if (out.size() < offset + size) out.resize(offset + size, 0);
    for (std::size_t i = 0; i < size; ++i) {
        const std::size_t shift = 8 * (be ? size - 1 - i : i);
        out[offset + i] = static_cast<std::uint8_t>((value >> shift) & 0xff);
    }
}

// An ELF header (and program headers) the way a linker writes them, for the given spec.
inline std::vector<std::uint8_t> build_elf(const ElfSpec& s) {
    const std::size_t ehsize = s.is64 ? 64 : 52;
    const std::uint16_t entsize = s.is64 ? 56 : 32;
    const bool be = s.big_endian;
    std::vector<std::uint8_t> out(ehsize, 0);
    out[0] = 0x7f;
    out[1] = 'E';
    out[2] = 'L';
    out[3] = 'F';
    out[4] = s.is64 ? 2 : 1;
    out[5] = be ? 2 : 1;
    out[6] = 1; // EV_CURRENT
    put(out, 16, s.type, 2, be);
    put(out, 18, s.machine, 2, be);
    put(out, 20, 1, 4, be);
    const std::uint64_t phoff = s.phoff.value_or(s.segments.empty() ? 0 : ehsize);
    const std::uint16_t phentsize = s.phentsize.value_or(entsize);
    const std::uint16_t phnum = s.phnum.value_or(static_cast<std::uint16_t>(s.segments.size()));
    if (s.is64) {
        put(out, 24, 0x400000, 8, be); // e_entry
        put(out, 32, phoff, 8, be);
        put(out, 48, s.flags, 4, be);
        put(out, 52, ehsize, 2, be);
        put(out, 54, phentsize, 2, be);
        put(out, 56, phnum, 2, be);
    } else {
        put(out, 24, 0x8000, 4, be);
        put(out, 28, phoff, 4, be);
        put(out, 36, s.flags, 4, be);
        put(out, 40, ehsize, 2, be);
        put(out, 42, phentsize, 2, be);
        put(out, 44, phnum, 2, be);
    }
    for (std::size_t i = 0; i < s.segments.size(); ++i) {
        const std::size_t at = ehsize + i * entsize;
        out.resize(at + entsize, 0);
        put(out, at, s.segments[i], 4, be);
        // p_flags (64-bit) / p_offset (32-bit): something non-zero so a misread shows up.
        put(out, at + 4, 5, 4, be);
    }
    if (out.size() < s.pad_to) out.resize(s.pad_to, 0);
    return out;
}

// ELF machine numbers.
constexpr std::uint16_t k_em_386 = 3;
constexpr std::uint16_t k_em_mips = 8;
constexpr std::uint16_t k_em_ppc64 = 21;
constexpr std::uint16_t k_em_s390 = 22;
constexpr std::uint16_t k_em_arm = 40;
constexpr std::uint16_t k_em_sparcv9 = 43;
constexpr std::uint16_t k_em_parisc = 15; // hppa: a qemu target xarch has no row for
constexpr std::uint16_t k_em_x86_64 = 62;
constexpr std::uint16_t k_em_aarch64 = 183;
constexpr std::uint16_t k_em_riscv = 243;
constexpr std::uint16_t k_em_loongarch = 258;

constexpr std::uint32_t k_arm_eabi5_hard = 0x05000400;
constexpr std::uint32_t k_arm_eabi5_soft = 0x05000200;

struct PlatformElf {
    std::string platform; // OCI platform string the header must map to
    ElfSpec spec;
};

inline ElfSpec elf_spec(bool is64, bool big_endian, std::uint16_t machine, std::uint32_t flags = 0) {
    ElfSpec s;
    s.is64 = is64;
    s.big_endian = big_endian;
    s.machine = machine;
    s.flags = flags;
    s.segments = {k_pt_load};
    return s;
}

// One realistic header per platform xarch supports.
inline std::vector<PlatformElf> supported_elves() {
    return {
        {"linux/amd64", elf_spec(true, false, k_em_x86_64)},
        {"linux/386", elf_spec(false, false, k_em_386)},
        {"linux/arm64", elf_spec(true, false, k_em_aarch64)},
        {"linux/arm/v7", elf_spec(false, false, k_em_arm, k_arm_eabi5_hard)},
        {"linux/arm/v5", elf_spec(false, false, k_em_arm, k_arm_eabi5_soft)},
        {"linux/ppc64le", elf_spec(true, false, k_em_ppc64, 2)},
        {"linux/ppc64", elf_spec(true, true, k_em_ppc64, 1)},
        {"linux/s390x", elf_spec(true, true, k_em_s390)},
        {"linux/riscv64", elf_spec(true, false, k_em_riscv, 0x5)},
        {"linux/mips64le", elf_spec(true, false, k_em_mips, 0x80000007)},
        {"linux/mips64", elf_spec(true, true, k_em_mips, 0x80000007)},
        {"linux/loong64", elf_spec(true, false, k_em_loongarch, 0x43)},
        {"linux/mips", elf_spec(false, true, k_em_mips, 0x70001007)},
        {"linux/mipsle", elf_spec(false, false, k_em_mips, 0x70001007)},
        {"linux/ppc", elf_spec(false, true, 20)},
        {"linux/sparc64", elf_spec(true, true, k_em_sparcv9)},
        {"linux/m68k", elf_spec(false, true, 4)},
        {"linux/riscv32", elf_spec(false, false, k_em_riscv, 0x5)},
    };
}

inline std::vector<std::uint8_t> elf_for(std::string_view platform) {
    for (const auto& e : supported_elves())
        if (e.platform == platform) return build_elf(e.spec);
    throw std::invalid_argument("no synthetic ELF for " + std::string(platform));
}

inline oci::Platform platform(std::string_view name) {
    auto p = oci::parse_platform(name);
    if (!p) throw std::invalid_argument("unknown platform " + std::string(name));
    return *p;
}

// ---------------------------------------------------------------------------------------
// Calls that may crash or hang

struct ChildResult {
    bool timed_out = false;
    bool exited = false;   // normal exit (then `code` is the exit status)
    int code = -1;
    int signal = 0;        // the signal that killed it, if it did not exit
};

// Runs `fn` in a forked child (its return value is the exit status) and waits at most
// `timeout_ms`. Only async-signal-safe work happens in the child after `fn` returns.
inline ChildResult run_in_child(const std::function<int()>& fn, int timeout_ms = 5000) {
    const pid_t child = ::fork();
    if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (child == 0) {
        int rc = 111;
        try {
            rc = fn();
        } catch (...) {
            rc = 112;
        }
        ::_exit(rc);
    }
    ChildResult r;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    if (pidfd >= 0) {
        struct pollfd p {pidfd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) == 0) {
            r.timed_out = true;
            ::kill(child, SIGKILL);
        }
        ::close(pidfd);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) {
        r.exited = true;
        r.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
    }
    return r;
}

} // namespace test
