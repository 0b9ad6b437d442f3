#include "binfmt/probe.hpp"

#include "base/arch.hpp"
#include "base/elf.hpp"
#include "base/fd.hpp"
#include "base/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <thread>

namespace oci {

namespace {

// A probe is one ELF header, PT_LOAD (the whole file, R+X) and PT_GNU_STACK (a non-executable
// stack, so the kernel does not warn), then the code, loaded at the architecture's load_base
// (base/arch.cpp), with its e_flags.
constexpr std::uint32_t k_pt_load = 1;
constexpr std::uint32_t k_pt_gnu_stack = 0x6474e551;
constexpr std::uint32_t k_pf_rx = 5;
constexpr std::uint32_t k_pf_rw = 6;
constexpr std::uint64_t k_align = 0x10000; // the largest page size of any target (loongarch, ppc64)

// Fixed-width instruction words in the target's byte order.
std::vector<std::uint8_t> words(std::initializer_list<std::uint32_t> insns, bool be) {
    std::vector<std::uint8_t> out;
    for (auto w : insns) store_uint(out, out.size(), w, 4, be);
    return out;
}

// exit(k_probe_exit_code), hand-assembled: a status only this code produces, so an entry whose
// interpreter is some other program that exits 0 does not pass for a working emulator. Every
// program is checked under its qemu-<target>-static by a unit test (test_probe.cpp).
std::vector<std::uint8_t> exit_code(const Arch& arch) {
    const std::string_view a = arch.architecture;
    const bool be = arch.big_endian();
    if (a == "amd64") return {0xb8, 0x3c, 0x00, 0x00, 0x00,  // mov eax, 60 (exit)
                              0xbf, 0x2a, 0x00, 0x00, 0x00,  // mov edi, 42
                              0x0f, 0x05};                   // syscall
    if (a == "386") return {0xb8, 0x01, 0x00, 0x00, 0x00,    // mov eax, 1 (exit)
                            0xbb, 0x2a, 0x00, 0x00, 0x00,    // mov ebx, 42
                            0xcd, 0x80};                     // int 0x80
    if (a == "arm64") return words({0xd2800540,              // mov x0, #42
                                    0xd2800ba8,              // mov x8, #93 (exit)
                                    0xd4000001}, be);        // svc #0
    if (a == "arm") return words({0xe3a0002a,                // mov r0, #42
                                  0xe3a07001,                // mov r7, #1 (exit)
                                  0xef000000}, be);          // svc #0
    if (a == "ppc64le" || a == "ppc64") return words({0x38000001,  // li r0, 1 (exit)
                                                      0x3860002a,  // li r3, 42
                                                      0x44000002}, be); // sc
    if (a == "s390x") return {0xa7, 0x29, 0x00, 0x2a,        // lghi %r2, 42
                              0x0a, 0x01};                   // svc 1 (exit)
    if (a == "riscv64") return words({0x02a00513,            // li a0, 42
                                      0x05d00893,            // li a7, 93 (exit)
                                      0x00000073}, be);      // ecall
    if (a == "mips64le" || a == "mips64") return words({0x6404002a,  // li a0, 42 (daddiu a0, zero, 42)
                                                        0x340213c2,  // li v0, 5058 (n64 exit)
                                                        0x0000000c}, be); // syscall
    if (a == "mips" || a == "mipsle") return words({0x2404002a,  // li a0, 42 (addiu a0, zero, 42)
                                                    0x24020fa1,  // li v0, 4001 (o32 exit)
                                                    0x0000000c}, be); // syscall
    if (a == "ppc") return words({0x38000001,                // li r0, 1 (exit)
                                  0x3860002a,                // li r3, 42
                                  0x44000002}, be);          // sc
    if (a == "sparc64") return words({0x9010202a,            // mov 42, %o0
                                      0x82102001,            // mov 1, %g1 (exit)
                                      0x91d0206d}, be);      // ta 0x6d (64-bit system call)
    if (a == "m68k") return {0x70, 0x01,                     // moveq #1, %d0 (exit)
                             0x72, 0x2a,                     // moveq #42, %d1
                             0x4e, 0x40};                    // trap #0
    if (a == "riscv32") return words({0x02a00513,            // li a0, 42
                                      0x05d00893,            // li a7, 93 (exit)
                                      0x00000073}, be);      // ecall
    if (a == "loong64") return words({0x0280a804,            // li.w a0, 42 (addi.w a0, zero, 42)
                                      0x0281740b,            // li.w a7, 93 (exit)
                                      0x002b0000}, be);      // syscall 0
    return {};
}

std::vector<std::uint8_t> build(const Arch& arch, std::uint32_t flags, std::span<const std::uint8_t> code) {
    const bool be = arch.big_endian();
    const ElfFormat& f = elf_format(arch.elf_class);
    const std::size_t code_at = f.ehsize + 2 * f.phentsize;
    std::vector<std::uint8_t> out(code_at, 0);
    out.insert(out.end(), code.begin(), code.end());
    std::uint64_t entry = arch.load_base + code_at;
    if (arch.function_descriptors) {
        out.resize((out.size() + 7) & ~std::size_t{7}, 0);
        const std::size_t desc_at = out.size();
        store_uint(out, desc_at, entry, 8, be); // function address
        store_uint(out, desc_at + 8, 0, 8, false);  // TOC
        store_uint(out, desc_at + 16, 0, 8, false); // environment
        entry = arch.load_base + desc_at;
    }
    const std::uint64_t size = out.size();

    const std::uint8_t ident[] = {0x7f, 'E', 'L', 'F', arch.elf_class, arch.elf_data, 1};
    std::copy(std::begin(ident), std::end(ident), out.begin());
    store_uint(out, 16, 2, 2, be); // ET_EXEC
    store_uint(out, 18, arch.elf_machine, 2, be);
    store_uint(out, 20, 1, 4, be); // EV_CURRENT
    store_uint(out, f.e_entry, entry, f.word, be);
    store_uint(out, f.e_phoff, f.ehsize, f.word, be);
    store_uint(out, f.e_flags, flags, 4, be);
    store_uint(out, f.e_ehsize, f.ehsize, 2, be);
    store_uint(out, f.e_phentsize, f.phentsize, 2, be);
    store_uint(out, f.e_phnum, 2, 2, be);
    const std::size_t load = f.ehsize, stack = f.ehsize + f.phentsize;
    store_uint(out, load + f.p_type, k_pt_load, 4, be);
    store_uint(out, load + f.p_flags, k_pf_rx, 4, be);
    store_uint(out, load + f.p_vaddr, arch.load_base, f.word, be);
    store_uint(out, load + f.p_paddr, arch.load_base, f.word, be);
    store_uint(out, load + f.p_filesz, size, f.word, be);
    store_uint(out, load + f.p_memsz, size, f.word, be);
    store_uint(out, load + f.p_align, k_align, f.word, be);
    store_uint(out, stack + f.p_type, k_pt_gnu_stack, 4, be);
    store_uint(out, stack + f.p_flags, k_pf_rw, 4, be);
    store_uint(out, stack + f.p_align, 16, f.word, be);
    return out;
}

// i386: newuname(buf); exit(buf.machine[0] == 'x' ? 0 : 1). A 32-bit task on an x86_64
// kernel is told "x86_64"; qemu-i386 answers "i686".
constexpr std::array<std::uint8_t, 35> k_native_386{
    0x81, 0xec, 0x90, 0x01, 0x00, 0x00,             // sub esp, 400
    0x89, 0xe3,                                     // mov ebx, esp
    0xb8, 0x7a, 0x00, 0x00, 0x00,                   // mov eax, 122 (newuname)
    0xcd, 0x80,                                     // int 0x80
    0x31, 0xdb,                                     // xor ebx, ebx
    0x80, 0xbc, 0x24, 0x04, 0x01, 0x00, 0x00, 0x78, // cmp byte [esp+260], 'x'
    0x0f, 0x95, 0xc3,                               // setne bl
    0xb8, 0x01, 0x00, 0x00, 0x00,                   // mov eax, 1 (exit)
    0xcd, 0x80,                                     // int 0x80
};

// 32-bit ARM (EABI5, soft float so any arm CPU takes it): newuname(buf), then the verdict on
// its answer. machine[4] is 'h' in "aarch64", which an arm64 kernel tells an AArch32 task,
// and '8' in "armv8l", its answer under `setarch linux32`; qemu-arm answers "armv7l" (or
// older: "armv5tejl").
constexpr std::array<std::uint32_t, 4> k_native_arm_uname{
    0xe24dde19, // sub sp, sp, #400
    0xe1a0000d, // mov r0, sp
    0xe3a0707a, // mov r7, #122 (newuname)
    0xef000000, // svc #0
};
constexpr std::array<std::uint32_t, 8> k_native_arm_verdict{
    0xe5dd1108, // ldrb r1, [sp, #264] (machine[4]: struct utsname has 65-byte fields)
    0xe3a00001, // mov r0, #1
    0xe3510068, // cmp r1, #'h'
    0x03a00000, // moveq r0, #0
    0xe3510038, // cmp r1, #'8'
    0x03a00000, // moveq r0, #0
    0xe3a07001, // mov r7, #1 (exit)
    0xef000000, // svc #0
};
// Instead of newuname, points sp 260 bytes before the answer stored after the code, where the
// verdict looks for machine[0].
constexpr std::array<std::uint32_t, 2> k_native_arm_given{
    0xe28f2020, // adr r2, answer (pc + 8 + 32: after these 2 words and the verdict's 8)
    0xe242df41, // sub sp, r2, #260
};

std::vector<std::uint8_t> arm_native_probe(std::span<const std::uint32_t> start, std::string_view answer) {
    std::vector<std::uint8_t> code;
    for (auto w : start) store_uint(code, code.size(), w, 4, false);
    for (auto w : k_native_arm_verdict) store_uint(code, code.size(), w, 4, false);
    if (!answer.empty()) {
        code.insert(code.end(), answer.begin(), answer.end());
        code.resize(code.size() + 8, 0);
    }
    return build(*find_arch("arm"), 0x05000200, code); // EABI5 soft float: any arm CPU takes it
}

// Lowercase strerror: "exec format error".
std::string error_text(int err) {
    std::string s = std::strerror(err);
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

struct Child {
    pid_t pid = -1;
    UniqueFd pidfd;
    UniqueFd errno_pipe; // read end; the child writes errno here if exec fails
    UniqueFd stderr_mem; // the child's stderr
};

constexpr std::size_t k_stderr_cap = 512;
constexpr int k_child_fd_base = 10;

// After fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(pid_t parent, int program, int devnull, int err, int errno_write) {
    // The probe dies with xarch: a hook killed on its runtime's timeout leaves nothing running.
    if (!die_with_parent(parent)) ::_exit(126);
    // Move what we need above 2 first: when xarch was started with stdio closed, the memfd
    // may itself be fd 0, 1 or 2.
    const int prog = ::fcntl(program, F_DUPFD, k_child_fd_base);
    const int report = ::fcntl(errno_write, F_DUPFD_CLOEXEC, k_child_fd_base);
    const int err_copy = ::fcntl(err, F_DUPFD_CLOEXEC, k_child_fd_base);
    if (prog < 0 || report < 0 || err_copy < 0 || ::dup2(devnull, 0) < 0 || ::dup2(devnull, 1) < 0 ||
        ::dup2(err_copy, 2) < 0)
        ::_exit(126);
    // Nothing but stdio and the program survives exec: the interpreter must not inherit our fds.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::fcntl(prog, F_SETFD, 0);
    char arg0[] = "xarch-probe";
    char* argv[] = {arg0, nullptr};
    char* envp[] = {nullptr};
    ::fexecve(prog, argv, envp);
    const int e = errno;
    [[maybe_unused]] const auto n = ::write(report, &e, sizeof e);
    ::_exit(127);
}

Child start(std::span<const std::uint8_t> program, int devnull, ProbeResult& result) {
    Child c;
    UniqueFd mem(::memfd_create("xarch-probe", MFD_CLOEXEC));
    UniqueFd err(::memfd_create("xarch-probe-stderr", MFD_CLOEXEC));
    int fds[2];
    if (!mem || !err || ::pipe2(fds, O_CLOEXEC) != 0) {
        result.exec_errno = errno;
        return c;
    }
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    if (::write(mem.get(), program.data(), program.size()) != static_cast<ssize_t>(program.size())) {
        result.exec_errno = errno ? errno : EIO;
        return c;
    }
    const pid_t parent = ::getpid();
    c.pid = ::fork();
    if (c.pid < 0) {
        result.exec_errno = errno;
        return c;
    }
    if (c.pid == 0) exec_child(parent, mem.get(), devnull, err.get(), write_end.get());
    c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
    c.errno_pipe = std::move(read_end);
    c.stderr_mem = std::move(err);
    return c;
}

// Waits for the child until `deadline`, killing it then; fills in how it ended.
void finish(Child& c, std::chrono::steady_clock::time_point deadline, ProbeResult& r) {
    using namespace std::chrono;
    const ChildExit exit = wait_child(c.pid, c.pidfd ? c.pidfd.get() : -1, deadline);
    const int status = exit.status;
    r.timed_out = exit.timed_out;
    int e = 0;
    if (::read(c.errno_pipe.get(), &e, sizeof e) == static_cast<ssize_t>(sizeof e)) {
        r.exec_errno = e;
    } else {
        r.started = true;
        if (WIFEXITED(status)) {
            r.exited = true;
            r.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            r.signal = WTERMSIG(status);
        }
    }
    std::string text(k_stderr_cap, '\0');
    const ssize_t n = ::pread(c.stderr_mem.get(), text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    r.stderr_text = std::move(text);
}

} // namespace

std::vector<std::uint8_t> exit_probe(const Platform& platform) {
    const Arch* arch = find_arch(platform.architecture);
    if (!arch) return {};
    const auto code = exit_code(*arch);
    return build(*arch, arch->elf_flags, code);
}

std::vector<std::uint8_t> native_probe(const Platform& platform) {
    if (platform.architecture == "386") return build(*find_arch("386"), find_arch("386")->elf_flags, k_native_386);
    if (platform.architecture == "arm") return arm_native_probe(k_native_arm_uname, "");
    return {};
}

std::vector<std::uint8_t> native_probe_given(const Platform& platform, std::string_view machine) {
    if (platform.architecture == "arm") return arm_native_probe(k_native_arm_given, machine);
    return {};
}

std::vector<Platform> probe_platforms() {
    std::vector<Platform> out;
    for (const auto& a : architectures())
        if (auto p = parse_platform(a.architecture)) out.push_back(*p);
    return out;
}

bool ProbeResult::proved() const { return exited && exit_code == k_probe_exit_code; }

std::string ProbeResult::describe() const {
    std::string out;
    if (timed_out) out = "timed out";
    else if (!started) out = error_text(exec_errno ? exec_errno : EIO);
    else if (exited) out = "exit status " + std::to_string(exit_code);
    else out = "killed by signal " + std::to_string(signal);
    std::string line = stderr_text.substr(0, stderr_text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out += ": " + line;
    return out;
}

std::vector<ProbeResult> run_programs(const std::vector<std::vector<std::uint8_t>>& programs,
                                      std::chrono::milliseconds timeout) {
    std::vector<ProbeResult> results(programs.size());
    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) {
        for (auto& r : results) r.exec_errno = errno;
        return results;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<Child> children;
    children.reserve(programs.size());
    for (std::size_t i = 0; i < programs.size(); ++i) children.push_back(start(programs[i], devnull.get(), results[i]));
    for (std::size_t i = 0; i < programs.size(); ++i)
        if (children[i].pid > 0) finish(children[i], deadline, results[i]);
    return results;
}

ProbeResult run_program(std::span<const std::uint8_t> program, std::chrono::milliseconds timeout) {
    return run_programs({std::vector<std::uint8_t>(program.begin(), program.end())}, timeout).front();
}

} // namespace oci
