#include "binfmt/persist.hpp"

#include "base/error.hpp"
#include "base/io.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <sstream>

namespace oci {

namespace {

constexpr std::size_t k_max_binfmt_d_size = 1024 * 1024;

} // namespace

std::vector<std::filesystem::path> binfmt_d_dirs(const std::filesystem::path& persist_dir) {
    return {persist_dir, "/run/binfmt.d", "/usr/local/lib/binfmt.d", "/usr/lib/binfmt.d"};
}

std::filesystem::path persist_path(const std::filesystem::path& dir, const std::string& name) {
    return dir / (name + ".conf");
}

std::string persist_content(const BinfmtEntry& entry) {
    return std::string(k_persist_marker) + " (xarch install --persist); systemd-binfmt registers it at boot.\n"
           "# Remove with: xarch uninstall " + entry.name + "\n" + registration_line(entry) + "\n";
}

std::vector<std::string> binfmt_d_names(const std::string& content) {
    std::vector<std::string> names;
    std::istringstream in(content);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 3 || line[0] == '#' || line[0] == ';') continue;
        const char delim = line[0];
        const auto end = line.find(delim, 1);
        if (end == std::string::npos || end == 1) continue;
        names.push_back(line.substr(1, end - 1));
    }
    return names;
}

PersistState persist_state(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return PersistState::Absent;
        throw SysError("stat '" + path.string() + "'", errno);
    }
    if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(path, ec);
        return !ec && target == "/dev/null" ? PersistState::Masked : PersistState::Foreign;
    }
    if (!S_ISREG(st.st_mode)) return PersistState::Foreign;
    const std::string content = read_file_capped(path, k_max_binfmt_d_size);
    return content.starts_with(k_persist_marker) ? PersistState::Ours : PersistState::Foreign;
}

void write_persist(const std::filesystem::path& dir, const BinfmtEntry& entry) {
    const std::string content = persist_content(entry);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw SysError("create '" + dir.string() + "'", ec.value());
    const auto path = persist_path(dir, entry.name);
    // A mask (symlink) is replaced by the file, never written through.
    if (persist_state(path) == PersistState::Masked && ::unlink(path.c_str()) != 0)
        throw SysError("remove mask '" + path.string() + "'", errno);
    write_file_atomic(path, content);
    if (::chmod(path.c_str(), 0644) != 0) throw SysError("chmod '" + path.string() + "'", errno);
}

std::vector<std::filesystem::path> boot_sources(const std::string& name, const std::vector<std::filesystem::path>& dirs) {
    std::vector<std::filesystem::path> out;
    std::set<std::string> seen; // file names already decided by a higher-precedence directory
    for (const auto& dir : dirs) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& de : std::filesystem::directory_iterator(dir, ec))
            if (de.path().extension() == ".conf") files.push_back(de.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            if (!seen.insert(file.filename().string()).second) continue;
            try {
                if (persist_state(file) == PersistState::Masked) continue;
                const auto names = binfmt_d_names(read_file_capped(file, k_max_binfmt_d_size));
                if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(file);
            } catch (const Error&) {
                // unreadable or not a regular file: systemd-binfmt could not use it either
            }
        }
    }
    return out;
}

std::optional<BinfmtSupportEntry> binfmt_support_entry(const std::string& name, const std::filesystem::path& admindir) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return std::nullopt;
    const auto file = admindir / name;
    std::string content;
    try {
        content = read_file_capped(file, 64 * 1024);
    } catch (const Error&) {
        return std::nullopt;
    }
    // update-binfmts' database format: the package, the type, offset, magic, mask, interpreter, ...
    std::vector<std::string> lines;
    std::istringstream in(content);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.size() < 6) return std::nullopt;
    return BinfmtSupportEntry{file, lines[0], lines[5]};
}

std::string binfmt_support_remove_command(const std::string& name, const BinfmtSupportEntry& e) {
    return "update-binfmts --package " + e.package + " --remove " + name + " " + e.interpreter;
}

} // namespace oci
