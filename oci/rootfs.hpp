#pragma once
// Path resolution inside a container rootfs that never leaves it: the rootfs is opened
// once and every lookup is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from that fd.
#include "base/fd.hpp"
#include "base/result.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oci {

// openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | `extra_resolve`, O_CLOEXEC added. A
// failure carries the errno (callers tell ENOENT from real failures); never throws.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, std::uint64_t extra_resolve = 0);

class Rootfs {
public:
    // Opens the rootfs directory (O_PATH); throws SysError if it is missing or not a directory.
    static Rootfs open(const std::filesystem::path& dir);
    explicit Rootfs(UniqueFd fd) : m_fd(std::move(fd)) {}

    int fd() const noexcept { return m_fd.get(); }

    // Opens `path` (absolute or relative to the rootfs) as O_PATH; nullopt if it does not exist.
    // Throws SysError for any other failure.
    std::optional<UniqueFd> open_path(const std::string& path) const;

    // Reads at most `max` bytes from the start of `path` if it is a regular file; nullopt if it
    // is missing or not a regular file. Never opens a FIFO or device for reading. Throws SysError.
    std::optional<std::vector<std::uint8_t>> read_head(const std::string& path, std::size_t max) const;

    // True if `path` names a regular file with an execute bit inside the rootfs. Does not throw.
    bool is_executable(const std::string& path) const;

private:
    UniqueFd m_fd;
};

struct CommandLookup {
    std::vector<std::string> env; // process.env, "KEY=value"
    std::string cwd = "/";        // process.cwd
};

// Resolves a command the way execvp inside the container would (a '/' means a path relative
// to cwd, otherwise the PATH from env); the result is an absolute path inside the rootfs,
// or nullopt if nothing executable is found. Does not throw.
std::optional<std::string> resolve_command(const Rootfs& rootfs, const std::string& command,
                                           const CommandLookup& lookup);

struct Shebang {
    std::string interpreter; // the first word after "#!"
    std::string argument;    // the rest of the line, blanks around it trimmed ("" if none)
};

// Parses a "#!interp [arg]" line at the start of a file's first bytes as the kernel's
// binfmt_script does; nullopt if they do not start with "#!" or name no interpreter. Pure; does
// not throw.
std::optional<Shebang> parse_shebang(std::span<const std::uint8_t> head);

// For "#!/usr/bin/env [-S] NAME ...": the command env would run, given the shebang's argument
// ("" if it names none). Pure; does not throw.
std::string env_command(const std::string& argument);

struct ExecutableHead {
    std::string path;                // absolute path inside the rootfs of the ELF file found
    std::vector<std::uint8_t> bytes; // its first bytes (up to 256, what binfmt_misc sees)
    std::vector<std::string> chain;  // scripts followed to get there, outermost first
};

// Finds the ELF file the kernel would end up loading for `command`: resolves it, follows
// "#!" interpreters (including "#!/usr/bin/env NAME") up to 4 levels. nullopt if the chain
// ends in something that is not ELF or is not found. Throws SysError on I/O failures.
std::optional<ExecutableHead> find_executable(const Rootfs& rootfs, const std::string& command,
                                              const CommandLookup& lookup);

// Why a command could not start in the rootfs, beyond binfmt_misc: what execvp and the kernel
// would hit before the program's own code runs.
enum class StartProblem {
    None,               // it gets as far as loading its ELF program (and that program's loader)
    NotFound,           // no such command (in PATH, or at that path)
    DanglingLink,       // the command is a symlink to nothing
    LinkLoop,           // the command is a symlink that loops
    InterpreterMissing, // a "#!" script whose interpreter is not there
    LoaderMissing,      // a dynamic program whose loader (PT_INTERP) is not in the rootfs
};

struct StartCheck {
    StartProblem problem = StartProblem::None;
    std::string path; // the command, the link, the interpreter or the loader it is about
};

// Checks whether `command` could start inside the rootfs, following what find_executable
// follows. Does not throw: what cannot be read counts as no problem found.
StartCheck check_start(const Rootfs& rootfs, const std::string& command, const CommandLookup& lookup);

} // namespace oci
