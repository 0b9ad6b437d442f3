#include "binfmt/emulator.hpp"

#include "base/arch.hpp"
#include "base/elf.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace oci {

namespace {


Emulator rejected(Emulator e, std::string problem, std::string fix) {
    e.usable = false;
    e.problem = std::move(problem);
    e.fix = std::move(fix);
    return e;
}

} // namespace

std::optional<CatalogueEntry> catalogue_entry(const Platform& platform) {
    const Arch* a = arch_of(platform);
    if (!a) return std::nullopt;
    return CatalogueEntry{std::string(a->qemu), parse_hex(std::string(a->binfmt_magic)),
                          parse_hex(std::string(a->binfmt_mask))};
}

std::vector<Platform> catalogue_platforms() {
    std::vector<Platform> out;
    for (const auto& a : architectures()) out.push_back(*parse_platform(a.architecture));
    return out;
}

Emulator inspect_emulator(const std::filesystem::path& path, const Platform& host, const UserNamespace& ns) {
    Emulator e;
    e.path = path;
    std::error_code ec;
    e.resolved = std::filesystem::canonical(path, ec);
    if (ec) return rejected(e, "'" + path.string() + "' does not exist", "");
    const std::string name = "'" + e.resolved.string() + "'";
    const std::string reinstall = "reinstall the static emulator: apt-get install --reinstall qemu-user-static";
    UniqueFd fd(::open(e.resolved.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) return rejected(e, "cannot open " + name + ": " + std::strerror(errno), "make it readable: chmod a+r " + name);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return rejected(e, name + " is not a regular file", reinstall);
    if (const auto problem = file_ownership_problem(fd.get(), st, ns))
        return rejected(e, name + " " + *problem,
                        "as root on the host: chown root:root " + name + " && chmod go-w " + name);
    // A root-owned file in a directory others can write is theirs to replace: the path as
    // given (a registered interpreter, a -binfmt-P symlink) and the file it leads to.
    for (const auto& p : {path, e.resolved})
        if (const auto problem = path_ownership_problem(p, ns))
            return rejected(e, "'" + p.string() + "' " + *problem,
                            "as root on the host: chmod go-w (or chown root) the directory named, or use an emulator "
                            "in a directory only root can change, such as /usr/bin");
    if ((st.st_mode & 0111) == 0) return rejected(e, name + " is not executable", "chmod 755 " + name);
    std::vector<std::uint8_t> buf(k_elf_inspect_size);
    const ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) return rejected(e, "cannot read " + name + ": " + std::strerror(errno), reinstall);
    buf.resize(static_cast<std::size_t>(n));
    const auto header = parse_elf_header(buf);
    if (!header) return rejected(e, name + " is not an ELF program", reinstall);
    const auto platform = elf_platform(*header);
    if (!platform || platform->architecture != host.architecture)
        return rejected(e, name + " is built for " + (platform ? platform->str() : describe_elf(*header)) +
                               ", not for the host " + host.str(), reinstall);
    const auto dynamic = elf_has_interpreter(*header, buf);
    if (!dynamic) return rejected(e, name + " has program headers beyond its first 64 KiB", reinstall);
    e.is_static = !*dynamic;
    if (!e.is_static)
        return rejected(e, name + " is dynamically linked, so inside a container its loader and libraries would be "
                               "looked up in the image",
                        "install the static emulator: apt-get install qemu-user-static");
    e.usable = true;
    return e;
}

std::optional<Emulator> find_emulator(const std::string& qemu, const std::vector<std::filesystem::path>& dirs,
                                      const Platform& host, std::vector<Emulator>* rejects, const UserNamespace& ns) {
    const std::array names{"qemu-" + qemu + "-static", "qemu-" + qemu, qemu + "-binfmt-P"};
    for (const auto& dir : dirs) {
        for (const auto& name : names) {
            const auto candidate = dir / name;
            std::error_code ec;
            if (!std::filesystem::exists(candidate, ec)) continue;
            Emulator e = inspect_emulator(candidate, host, ns);
            if (e.usable) return e;
            // Debian's -binfmt-P names are symlinks to the -static file: one report per file.
            if (rejects && std::none_of(rejects->begin(), rejects->end(),
                                        [&](const Emulator& r) { return r.resolved == e.resolved; }))
                rejects->push_back(std::move(e));
        }
    }
    return std::nullopt;
}

FoundEmulator search_emulator(const std::string& qemu, const std::vector<std::filesystem::path>& dirs, const Platform& host) {
    FoundEmulator f;
    f.emulator = find_emulator(qemu, dirs, host, &f.rejected);
    for (const auto& dir : dirs) {
        const auto candidate = dir / (qemu + "-binfmt-P");
        std::error_code ec;
        if (!std::filesystem::exists(candidate, ec)) continue;
        Emulator e = inspect_emulator(candidate, host);
        if (e.usable) {
            f.binfmt_p = std::move(e);
            break;
        }
    }
    return f;
}

BinfmtEntry registration_for(const Platform& platform, const std::filesystem::path& interpreter, const std::string& flags) {
    const auto row = catalogue_entry(platform);
    if (!row) throw Error("no qemu emulator is known for " + platform.str());
    BinfmtEntry e;
    e.name = "qemu-" + row->qemu;
    e.interpreter = interpreter.string();
    e.flags = binfmt_flags(flags);
    e.magic = row->magic;
    e.mask = row->mask;
    return e;
}

} // namespace oci
