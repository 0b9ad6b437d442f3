#include "binfmt/registrations.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "binfmt/install.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace oci {

namespace {

constexpr std::size_t k_max_entry_file = 4096; // binfmt_misc prints at most a 127-byte path and two 128-byte fields

bool valid_record_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos && !name.starts_with(".");
}

} // namespace

std::filesystem::path registrations_dir(const std::filesystem::path& state_dir) { return state_dir / k_registrations_subdir; }

bool record_registration(const std::filesystem::path& record_dir, const std::filesystem::path& binfmt_dir,
                         const BinfmtEntry& entry) {
    if (!valid_record_name(entry.name)) throw Error("record registration: bad entry name '" + entry.name + "'");
    std::string view;
    try {
        view = read_file_capped(binfmt_dir / entry.name, k_max_entry_file);
    } catch (const SysError& e) {
        if (e.code() == ENOENT) return false;
        throw;
    }
    const BinfmtEntry now = parse_binfmt_entry(entry.name, view);
    if (!now.enabled || !same_registration(now, entry)) return false;
    std::error_code ec;
    std::filesystem::create_directories(record_dir, ec);
    if (ec) throw SysError("create '" + record_dir.string() + "'", ec.value());
    const auto path = record_dir / entry.name;
    write_file_atomic(path, view, false); // /run is not kept across reboots anyway
    if (::chmod(path.c_str(), 0644) != 0) throw SysError("chmod '" + path.string() + "'", errno);
    return true;
}

void drop_registration(const std::filesystem::path& record_dir, const std::string& name) {
    if (!valid_record_name(name)) return;
    const auto path = record_dir / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("remove '" + path.string() + "'", errno);
}

std::vector<std::string> registrations_made(const std::filesystem::path& record_dir, const std::filesystem::path& binfmt_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& de : std::filesystem::directory_iterator(record_dir, ec)) {
        const std::string name = de.path().filename().string();
        if (!valid_record_name(name)) continue; // the atomic writer's temporary files start with '.'
        try {
            if (read_file_capped(de.path(), k_max_entry_file) == read_file_capped(binfmt_dir / name, k_max_entry_file))
                out.push_back(name);
        } catch (const Error&) {
            // no such entry (any more), or an unreadable record: not made by xarch as far as anyone can tell
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace oci
