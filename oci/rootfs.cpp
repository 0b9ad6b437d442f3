#include "oci/rootfs.hpp"

#include "base/elf.hpp"
#include "base/error.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace oci {

namespace {

constexpr int k_max_interpreter_depth = 4;
constexpr const char* k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// The image sets PATH and cwd: bound the search so that a crafted config costs microseconds,
// not minutes (no real PATH comes near these).
constexpr std::size_t k_max_path_bytes = 4096;
constexpr std::size_t k_max_path_elements = 128;
constexpr std::size_t k_max_candidate = 4096; // PATH_MAX

std::string join_path(const std::string& dir, const std::string& name) {
    if (dir.empty()) return "/" + name;
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
    // execve takes the first of duplicate keys; so does getenv.
    for (const auto& kv : env)
        if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
            return kv.substr(key.size() + 1);
    return {};
}

} // namespace

// Like the kernel's binfmt_script: one optional argument, the rest of the line included.
std::optional<Shebang> parse_shebang(std::span<const std::uint8_t> head) {
    if (head.size() < 2 || head[0] != '#' || head[1] != '!') return std::nullopt;
    std::string line;
    for (std::size_t i = 2; i < head.size() && head[i] != '\n'; ++i) line.push_back(static_cast<char>(head[i]));
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    std::size_t b = 0;
    while (b < line.size() && is_space(line[b])) ++b;
    std::size_t e = b;
    while (e < line.size() && !is_space(line[e])) ++e;
    if (b == e) return std::nullopt;
    Shebang s{line.substr(b, e - b), {}};
    while (e < line.size() && is_space(line[e])) ++e;
    std::size_t end = line.size();
    while (end > e && (is_space(line[end - 1]) || line[end - 1] == '\r')) --end;
    s.argument = line.substr(e, end - e);
    return s;
}

std::string env_command(const std::string& argument) {
    std::string_view rest = argument;
    while (true) {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        const auto end = rest.find_first_of(" \t");
        std::string_view word = rest.substr(0, end);
        if (word.empty()) return {};
        if (word == "-S" || word == "-i" || word == "-" || word.starts_with("-u") || word.find('=') != std::string_view::npos) {
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
            if (word == "-u" && !rest.empty()) { // "-u NAME" takes the next word
                while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
                const auto e2 = rest.find_first_of(" \t");
                rest = e2 == std::string_view::npos ? std::string_view() : rest.substr(e2);
            }
            continue;
        }
        if (word.starts_with("-S")) word.remove_prefix(2); // "-SNAME" form
        return std::string(word);
    }
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, std::uint64_t extra_resolve) {
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve;
    const char* p = path.empty() ? "." : path.c_str();
    // EAGAIN: a rename or mount anywhere raced a ".." lookup and the kernel asks for a retry;
    // bounded, because the image can make each lookup long and others can keep renaming.
    for (int attempt = 0;; ++attempt) {
        const long fd = ::syscall(SYS_openat2, root_fd, p, &how, sizeof how);
        if (fd >= 0) return UniqueFd(static_cast<int>(fd));
        if ((errno != EAGAIN && errno != EINTR) || attempt >= 64) return sys_failure("resolve '" + path + "' in rootfs", errno);
    }
}

Rootfs Rootfs::open(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SysError("open rootfs '" + dir.string() + "'", errno);
    return Rootfs(UniqueFd(fd));
}

std::optional<UniqueFd> Rootfs::open_path(const std::string& path) const {
    auto fd = open_in_root(m_fd.get(), path, O_PATH);
    if (fd.failed_with(ENOENT) || fd.failed_with(ENOTDIR) || fd.failed_with(ELOOP)) return std::nullopt;
    return value_or_raise(std::move(fd));
}

std::optional<std::vector<std::uint8_t>> Rootfs::read_head(const std::string& path, std::size_t max) const {
    auto opath = open_path(path);
    if (!opath) return std::nullopt;
    struct stat st {};
    if (::fstat(opath->get(), &st) != 0) throw SysError("stat '" + path + "' in rootfs", errno);
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    // Reopen the inode we checked (not the path, which could be swapped meanwhile).
    const std::string proc = "/proc/self/fd/" + std::to_string(opath->get());
    UniqueFd fd(::open(proc.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        if (errno == EACCES) return std::nullopt;
        throw SysError("open '" + path + "' in rootfs", errno);
    }
    // The reopen went through /proc: something mounted over it could have named another file.
    struct stat reopened {};
    if (::fstat(fd.get(), &reopened) != 0) throw SysError("stat '" + path + "' in rootfs", errno);
    if (reopened.st_dev != st.st_dev || reopened.st_ino != st.st_ino)
        throw Error("reopening '" + path + "' through " + proc + " gave another file (is /proc overmounted?)");
    std::vector<std::uint8_t> buf(max);
    std::size_t got = 0;
    while (got < max) {
        const ssize_t n = ::read(fd.get(), buf.data() + got, max - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError("read '" + path + "' in rootfs", errno);
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    buf.resize(got);
    return buf;
}

bool Rootfs::is_executable(const std::string& path) const {
    try {
        auto fd = open_path(path);
        struct stat st {};
        return fd && ::fstat(fd->get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
    } catch (const Error&) {
        return false;
    }
}

namespace {

// Calls `visit` with each path execvp would try for `command`, in order, until it returns true:
// the one path when the command holds a '/' (relative to cwd), else each PATH element from env
// (an empty element is cwd). Bounded like every lookup here.
template <typename Visit>
void for_each_candidate(const std::string& command, const CommandLookup& lookup, Visit visit) {
    if (command.empty() || command.size() > k_max_candidate) return;
    if (command.front() != '/' && lookup.cwd.size() > k_max_candidate) return;
    if (command.find('/') != std::string::npos) {
        visit(command.front() == '/' ? command : join_path(lookup.cwd, command));
        return;
    }
    std::string search = env_value(lookup.env, "PATH");
    if (search.empty()) search = k_default_path;
    if (search.size() > k_max_path_bytes) return;
    std::size_t start = 0;
    for (std::size_t element = 0; start <= search.size() && element < k_max_path_elements; ++element) {
        const std::size_t colon = std::min(search.find(':', start), search.size());
        std::string dir = search.substr(start, colon - start);
        if (dir.empty()) dir = lookup.cwd; // an empty PATH element means the current directory
        else if (dir.front() != '/') dir = join_path(lookup.cwd, dir);
        const std::string candidate = join_path(dir, command);
        if (candidate.size() <= k_max_candidate && visit(candidate)) return;
        start = colon + 1;
    }
}

} // namespace

std::optional<std::string> resolve_command(const Rootfs& rootfs, const std::string& command,
                                           const CommandLookup& lookup) {
    std::optional<std::string> found;
    for_each_candidate(command, lookup, [&](const std::string& candidate) {
        if (rootfs.is_executable(candidate)) found = candidate;
        return found.has_value();
    });
    return found;
}

namespace {

// A symlink among the command's candidates that leads nowhere or in circles: what the user sees
// as "not found" then has a better name.
std::optional<StartCheck> broken_link(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup) {
    std::optional<StartCheck> found;
    for_each_candidate(command, lookup, [&](const std::string& c) {
        const auto link = open_in_root(rootfs.fd(), c, O_PATH | O_NOFOLLOW);
        struct stat st {};
        if (!link || ::fstat(link.value().get(), &st) != 0 || !S_ISLNK(st.st_mode)) return false;
        const auto target = open_in_root(rootfs.fd(), c, O_PATH);
        if (target.failed_with(ELOOP)) found = StartCheck{StartProblem::LinkLoop, c};
        else if (target.failed_with(ENOENT)) found = StartCheck{StartProblem::DanglingLink, c};
        return found.has_value();
    });
    return found;
}

// Where following a command the way exec would ends: the ELF file it comes to (the platform's
// witness, for detection), and, when `diagnose`, the first thing that would stop it starting
// (for doctor; the hook's detection does not pay for it). A missing "#!/usr/bin/env" target is
// a problem, yet env itself still witnesses the platform.
struct CommandWalk {
    std::optional<ExecutableHead> exe;
    StartCheck problem;
};

CommandWalk walk_command(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup, bool diagnose) {
    CommandWalk walk;
    const auto note = [&](StartProblem problem, const std::string& path) {
        if (walk.problem.problem == StartProblem::None) walk.problem = {problem, path};
    };
    auto path = resolve_command(rootfs, command, lookup);
    if (!path && diagnose)
        walk.problem = broken_link(rootfs, command, lookup).value_or(StartCheck{StartProblem::NotFound, command});
    ExecutableHead result;
    for (int depth = 0; path && depth <= k_max_interpreter_depth; ++depth) {
        auto head = rootfs.read_head(*path, k_binprm_buf_size);
        if (!head) return walk;
        if (head->size() >= 4 && (*head)[0] == 0x7f && (*head)[1] == 'E' && (*head)[2] == 'L' && (*head)[3] == 'F') {
            result.path = *path;
            result.bytes = std::move(*head);
            walk.exe = std::move(result);
            return walk;
        }
        auto shebang = parse_shebang(*head);
        if (!shebang) return walk; // the kernel's own business: exec format error
        result.chain.push_back(*path);
        // The kernel resolves the interpreter path itself (no PATH search); env then searches PATH.
        const bool is_env = std::filesystem::path(shebang->interpreter).filename() == "env";
        if (is_env && depth < k_max_interpreter_depth) {
            if (diagnose && !rootfs.is_executable(shebang->interpreter))
                note(StartProblem::InterpreterMissing, shebang->interpreter);
            const std::string target = env_command(shebang->argument);
            if (!target.empty()) {
                if (auto resolved = resolve_command(rootfs, target, lookup)) {
                    result.chain.push_back(shebang->interpreter);
                    path = resolved;
                    continue;
                }
                note(StartProblem::InterpreterMissing, target);
            }
        }
        path = resolve_command(rootfs, shebang->interpreter, lookup);
        if (!path) note(StartProblem::InterpreterMissing, shebang->interpreter);
    }
    return walk;
}

} // namespace

std::optional<ExecutableHead> find_executable(const Rootfs& rootfs, const std::string& command,
                                              const CommandLookup& lookup) {
    return walk_command(rootfs, command, lookup, false).exe;
}

StartCheck check_start(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup) {
    try {
        const CommandWalk walk = walk_command(rootfs, command, lookup, true);
        if (walk.problem.problem != StartProblem::None || !walk.exe) return walk.problem;
        // A dynamic program also needs its loader inside the rootfs.
        const auto head = rootfs.read_head(walk.exe->path, k_elf_inspect_size);
        if (const auto header = head ? parse_elf_header(*head) : std::nullopt) {
            const auto loader = elf_interpreter_path(*header, *head);
            if (loader && !loader->empty() && !rootfs.open_path(*loader)) return {StartProblem::LoaderMissing, *loader};
        }
    } catch (const Error&) {
    }
    return {};
}

} // namespace oci
