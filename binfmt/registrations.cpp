#include "binfmt/registrations.hpp"

#include "base/error.hpp"
#include "base/io.hpp"
#include "binfmt/install.hpp"
#include "binfmt/persist.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>

namespace oci {

namespace {

constexpr std::size_t k_max_entry_file = 4096; // binfmt_misc prints at most a 127-byte path and two 128-byte fields
constexpr std::size_t k_max_record = k_max_entry_file + 64;
constexpr std::size_t k_max_binfmt_d_file = 1024 * 1024;
constexpr std::string_view k_inode_prefix = "inode ";

bool valid_record_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos && !name.starts_with(".");
}

struct Record {
    std::optional<ino_t> inode; // none in records written before inodes were kept: the text alone decides
    std::string view;
};

Record parse_record(const std::string& text) {
    Record r;
    r.view = text;
    if (!text.starts_with(k_inode_prefix)) return r;
    const auto eol = text.find('\n');
    if (eol == std::string::npos) return r;
    ino_t ino = 0;
    const char* first = text.data() + k_inode_prefix.size();
    const char* last = text.data() + eol;
    const auto [end, ec] = std::from_chars(first, last, ino);
    if (ec != std::errc{} || end != last) return r;
    r.inode = ino;
    r.view = text.substr(eol + 1);
    return r;
}

std::optional<ino_t> inode_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return st.st_ino;
}

std::string runtime_content(const BinfmtEntry& entry) {
    return std::string(k_persist_marker) + " (registered until reboot); systemd-binfmt registers it again when it restarts.\n"
           "# Remove with: xarch uninstall " + entry.name + "\n" + registration_line(entry) + "\n";
}

bool runtime_file_ours(const RegistrationRecords& records, const std::string& name) {
    if (!records.runtime_binfmt_d) return false;
    try {
        return persist_state(runtime_binfmt_d_path(*records.runtime_binfmt_d, name)) == PersistState::Ours;
    } catch (const Error&) {
        return false;
    }
}

// Whether a binfmt.d file other than xarch's runtime one registers `entry` exactly so at a restart
// of systemd-binfmt.
bool registered_elsewhere(const RegistrationRecords& records, const BinfmtEntry& entry) {
    const auto own = records.runtime_binfmt_d ? runtime_binfmt_d_path(*records.runtime_binfmt_d, entry.name)
                                              : std::filesystem::path();
    for (const auto& file : boot_sources(entry.name, records.binfmt_d)) {
        if (file == own) continue;
        try {
            std::istringstream in(read_file_capped(file, k_max_binfmt_d_file));
            for (std::string line; std::getline(in, line);) {
                if (line.empty() || line[0] == '#' || line[0] == ';') continue;
                const auto e = registered_by_line(line);
                if (e && same_registration(*e, entry)) return true;
            }
        } catch (const Error&) {
            // unreadable: systemd-binfmt could not use it either
        }
    }
    return false;
}

void remove_runtime_file(const RegistrationRecords& records, const std::string& name) {
    if (!runtime_file_ours(records, name)) return;
    const auto path = runtime_binfmt_d_path(*records.runtime_binfmt_d, name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("remove '" + path.string() + "'", errno);
}

} // namespace

std::filesystem::path registrations_dir(const std::filesystem::path& state_dir) { return state_dir / k_registrations_subdir; }

RegistrationRecords registration_records(const std::filesystem::path& state_dir) {
    RegistrationRecords r{registrations_dir(state_dir)};
    if (systemd_booted()) {
        r.runtime_binfmt_d = k_runtime_binfmt_d_dir;
        r.binfmt_d = binfmt_d_dirs(k_binfmt_d_dir);
    }
    return r;
}

std::filesystem::path runtime_binfmt_d_path(const std::filesystem::path& runtime_binfmt_d, const std::string& name) {
    return runtime_binfmt_d / ("xarch-" + name + ".conf");
}

bool record_registration(const RegistrationRecords& records, const std::filesystem::path& binfmt_dir,
                         const BinfmtEntry& entry, Lasting lasting) {
    if (!valid_record_name(entry.name)) throw Error("record registration: bad entry name '" + entry.name + "'");
    const auto entry_path = binfmt_dir / entry.name;
    std::string view;
    try {
        view = read_file_capped(entry_path, k_max_entry_file);
    } catch (const SysError& e) {
        if (e.code() == ENOENT) return false;
        throw;
    }
    const BinfmtEntry now = parse_binfmt_entry(entry.name, view);
    if (!now.enabled || !same_registration(now, entry)) return false;
    const auto inode = inode_of(entry_path);
    if (!inode) throw SysError("stat '" + entry_path.string() + "'", errno);
    std::error_code ec;
    std::filesystem::create_directories(records.dir, ec);
    if (ec) throw SysError("create '" + records.dir.string() + "'", ec.value());
    const auto path = records.dir / entry.name;
    // Written before the runtime file: a record without one is only stricter (the inode alone).
    write_file_atomic(path, std::string(k_inode_prefix) + std::to_string(*inode) + "\n" + view, false); // /run is not kept across reboots anyway
    if (::chmod(path.c_str(), 0644) != 0) throw SysError("chmod '" + path.string() + "'", errno);
    if (!records.runtime_binfmt_d) return true;
    if (lasting == Lasting::Persisted || registered_elsewhere(records, entry)) {
        remove_runtime_file(records, entry.name);
        return true;
    }
    const auto runtime = runtime_binfmt_d_path(*records.runtime_binfmt_d, entry.name);
    // Someone else's file of that name is theirs to keep.
    const auto state = persist_state(runtime);
    if (state != PersistState::Absent && state != PersistState::Ours) return true;
    std::filesystem::create_directories(*records.runtime_binfmt_d, ec);
    if (ec) throw SysError("create '" + records.runtime_binfmt_d->string() + "'", ec.value());
    write_file_atomic(runtime, runtime_content(entry), false);
    if (::chmod(runtime.c_str(), 0644) != 0) throw SysError("chmod '" + runtime.string() + "'", errno);
    return true;
}

void drop_registration(const RegistrationRecords& records, const std::string& name) {
    if (!valid_record_name(name)) return;
    const auto path = records.dir / name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("remove '" + path.string() + "'", errno);
    remove_runtime_file(records, name);
}

std::vector<std::string> registrations_made(const RegistrationRecords& records, const std::filesystem::path& binfmt_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& de : std::filesystem::directory_iterator(records.dir, ec)) {
        const std::string name = de.path().filename().string();
        if (!valid_record_name(name)) continue; // the atomic writer's temporary files start with '.'
        try {
            const Record record = parse_record(read_file_capped(de.path(), k_max_record));
            const auto entry_path = binfmt_dir / name;
            if (record.view != read_file_capped(entry_path, k_max_entry_file)) continue;
            if (!record.inode || inode_of(entry_path) == record.inode || runtime_file_ours(records, name)) out.push_back(name);
        } catch (const Error&) {
            // no such entry (any more), or an unreadable record: not made by xarch as far as anyone can tell
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace oci
