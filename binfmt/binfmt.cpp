#include "binfmt/binfmt.hpp"

#include "base/elf.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <charconv>
#include <cerrno>
#include <sstream>
#include <string_view>

namespace oci {

namespace {

// UNESCAPE_HEX: "\xHH" becomes one byte, anything else is kept.
std::vector<std::uint8_t> kernel_unescape_hex(const std::string& s) {
    std::vector<std::uint8_t> out;
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'x' && i + 2 < s.size() && hex(s[i + 2]) >= 0) {
            int v = hex(s[i + 2]);
            i += 2;
            if (i + 1 < s.size() && hex(s[i + 1]) >= 0) v = v * 16 + hex(s[++i]);
            out.push_back(static_cast<std::uint8_t>(v));
        } else {
            out.push_back(static_cast<std::uint8_t>(s[i]));
        }
    }
    return out;
}

} // namespace

std::optional<BinfmtEntry> registered_by_line(const std::string& line) {
    if (line.size() < 11 || line.size() > 1920) return std::nullopt;
    // The kernel pads the copied buffer with 8 delimiters and works on C strings.
    const char del = line[0];
    std::string buf = line + std::string(8, del);
    const std::size_t count = line.size();
    char* const base = buf.data();
    char* p = base + 1;
    const auto scanarg = [del](char* s) -> char* {
        char c;
        while ((c = *s++) != del) {
            if (c == '\0') return nullptr; // past the padding: cannot happen with a padded buffer
            if (c == '\\' && *s == 'x') {
                ++s;
                if (!std::isxdigit(static_cast<unsigned char>(*s++))) return nullptr;
                if (!std::isxdigit(static_cast<unsigned char>(*s++))) return nullptr;
            }
        }
        s[-1] = '\0';
        return s;
    };
    BinfmtEntry e;
    char* name = p;
    p = std::strchr(p, del);
    if (!p) return std::nullopt;
    *p++ = '\0';
    e.name = name;
    if (e.name.empty() || e.name == "." || e.name == ".." || e.name.find('/') != std::string::npos) return std::nullopt;
    const char type = *p++;
    if (type != 'E' && type != 'M') return std::nullopt;
    e.type = type;
    if (*p++ != del) return std::nullopt;
    if (type == 'M') {
        char* s = std::strchr(p, del);
        if (!s) return std::nullopt;
        *s = '\0';
        if (p != s) {
            // kstrtoint: decimal digits (one leading '+'), fits an int, not negative.
            std::string digits(p);
            if (!digits.empty() && digits[0] == '+') digits.erase(0, 1);
            if (digits.empty() || digits.size() > 10 || digits.find_first_not_of("0123456789") != std::string::npos)
                return std::nullopt;
            const unsigned long long v = std::stoull(digits);
            if (v > 0x7fffffff) return std::nullopt;
            e.offset = static_cast<unsigned>(v);
        }
        p = s;
        if (*p++) return std::nullopt;
        char* magic = p;
        p = scanarg(p);
        if (!p || !magic[0]) return std::nullopt;
        char* mask = p;
        p = scanarg(p);
        if (!p) return std::nullopt;
        e.magic = kernel_unescape_hex(magic);
        if (mask[0]) {
            e.mask = kernel_unescape_hex(mask);
            if (e.mask.size() != e.magic.size()) return std::nullopt;
        }
        if (e.magic.size() > 256 || 256 - e.magic.size() < e.offset) return std::nullopt;
    } else {
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
        char* ext = p;
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
        e.extension = ext;
        if (e.extension.empty() || e.extension.find('/') != std::string::npos) return std::nullopt;
        p = std::strchr(p, del);
        if (!p) return std::nullopt;
        *p++ = '\0';
    }
    char* interp = p;
    p = std::strchr(p, del);
    if (!p) return std::nullopt;
    *p++ = '\0';
    e.interpreter = interp;
    if (e.interpreter.empty()) return std::nullopt;
    while (*p == 'P' || *p == 'O' || *p == 'C' || *p == 'F') {
        if (e.flags.find(*p) == std::string::npos) e.flags.push_back(*p);
        ++p;
    }
    if (*p == '\n') ++p;
    if (p != base + count) return std::nullopt;
    // C implies O.
    if (e.has_flag('C') && !e.has_flag('O')) e.flags.push_back('O');
    return e;
}

namespace {

// The kernel caps an entry at 1920 bytes (and looks at a file's first k_binprm_buf_size).
constexpr std::size_t k_max_register_size = 1920;
constexpr unsigned long k_binfmtfs_magic = 0x42494e4d; // BINFMTFS_MAGIC, linux/magic.h
constexpr std::size_t k_max_interpreter = 127;
constexpr std::size_t k_max_name = 63;

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > k_max_name || name == "." || name == ".." || name == "register" || name == "status")
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return c > ' ' && c < 0x7f && c != '/' && c != ':' && c != '\\';
    });
}

std::string hex_escape(std::span<const std::uint8_t> bytes) {
    const std::string plain = to_hex(bytes);
    std::string out;
    for (std::size_t i = 0; i < plain.size(); i += 2) out += "\\x" + plain.substr(i, 2);
    return out;
}

void write_control(const std::filesystem::path& file, const std::string& text, int dir_fd = AT_FDCWD) {
    UniqueFd fd(::openat(dir_fd, file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw SysError("open '" + file.string() + "'", errno);
    // binfmt_misc parses each write() on its own: the line must go in one call.
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) throw SysError("write '" + file.string() + "'", errno);
    if (static_cast<std::size_t>(n) != text.size()) throw Error("write '" + file.string() + "': short write");
}

} // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::vector<std::uint8_t> parse_hex(const std::string& hex) {
    if (hex.size() % 2 != 0) throw Error("hex string of odd length: '" + hex + "'");
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const auto nibble = [&](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            throw Error("not a hex digit in '" + hex + "'");
        };
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

std::vector<std::filesystem::path> find_binfmt_mounts(const std::string& mountinfo) {
    std::vector<std::filesystem::path> found;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        // "36 35 0:30 / /proc/sys/fs/binfmt_misc rw,relatime shared:9 - binfmt_misc binfmt_misc rw":
        // id, parent, device, root, mount point, options, optional fields up to "-", then the
        // file system type. Fields are separated by single spaces, and only space, tab, newline
        // and backslash are escaped (as octal): any other byte, \v or \r included, belongs to
        // its field, and a field may itself be "-".
        std::vector<std::string_view> fields;
        for (std::string_view rest = line;;) {
            const auto space = rest.find(' ');
            fields.push_back(rest.substr(0, space));
            if (space == std::string_view::npos) break;
            rest.remove_prefix(space + 1);
        }
        if (fields.size() < 8) continue;
        const auto dash = std::find(fields.begin() + 6, fields.end(), "-");
        if (dash == fields.end() || dash + 1 == fields.end() || dash[1] != "binfmt_misc") continue;
        const std::string_view mount_point = fields[4];
        if (mount_point.empty()) continue;
        std::string unescaped;
        for (std::size_t i = 0; i < mount_point.size(); ++i) {
            const auto octal = [&](std::size_t at) { return mount_point[at] >= '0' && mount_point[at] <= '7'; };
            if (mount_point[i] == '\\' && i + 3 < mount_point.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
                unescaped.push_back(static_cast<char>((mount_point[i + 1] - '0') * 64 + (mount_point[i + 2] - '0') * 8 +
                                                      (mount_point[i + 3] - '0')));
                i += 3;
                continue;
            }
            unescaped.push_back(mount_point[i]);
        }
        found.emplace_back(unescaped);
    }
    return found;
}

std::optional<std::filesystem::path> find_binfmt_mount(const std::string& mountinfo) {
    auto found = find_binfmt_mounts(mountinfo);
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::optional<std::filesystem::path> locate_binfmt(bool may_mount) {
    // A listed mount may be covered (a new /proc mounted over the old one, as in `unshare
    // --mount-proc`): only a path that really is binfmt_misc counts.
    for (const auto& path : find_binfmt_mounts(read_file_capped("/proc/self/mountinfo", 16 * 1024 * 1024))) {
        struct statfs fs {};
        if (::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == k_binfmtfs_magic) return path;
    }
    if (!may_mount) return std::nullopt;
    if (::mount("binfmt_misc", k_binfmt_default_dir, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        if (errno == EPERM || errno == EACCES || errno == ENOENT || errno == ENODEV) return std::nullopt;
        throw SysError(std::string("mount binfmt_misc on '") + k_binfmt_default_dir + "'", errno);
    }
    return std::filesystem::path(k_binfmt_default_dir);
}

BinfmtEntry parse_binfmt_entry(const std::string& name, const std::string& text) {
    BinfmtEntry e;
    e.name = name;
    std::istringstream in(text);
    std::string line;
    bool have_state = false;
    while (std::getline(in, line)) {
        if (line == "enabled" || line == "disabled") {
            e.enabled = line == "enabled";
            have_state = true;
        } else if (line.starts_with("interpreter ")) {
            e.interpreter = line.substr(12);
        } else if (line.starts_with("flags:")) {
            e.flags = line.substr(6);
            e.flags.erase(std::remove(e.flags.begin(), e.flags.end(), ' '), e.flags.end());
        } else if (line.starts_with("offset ")) {
            const std::string digits = line.substr(7);
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), e.offset);
            if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
                throw Error("binfmt_misc entry '" + name + "': bad offset '" + digits + "'");
        } else if (line.starts_with("magic ")) {
            e.magic = parse_hex(line.substr(6));
        } else if (line.starts_with("mask ")) {
            e.mask = parse_hex(line.substr(5));
        } else if (line.starts_with("extension .")) {
            e.type = 'E';
            e.extension = line.substr(11);
        }
    }
    if (!have_state || e.interpreter.empty()) throw Error("binfmt_misc entry '" + name + "': unexpected format");
    if (e.type == 'M') {
        if (e.magic.empty()) throw Error("binfmt_misc entry '" + name + "': no magic");
        if (e.mask.empty()) e.mask.assign(e.magic.size(), 0xff);
        if (e.mask.size() != e.magic.size()) throw Error("binfmt_misc entry '" + name + "': mask and magic differ in size");
    }
    return e;
}

BinfmtState read_binfmt(const std::filesystem::path& dir) {
    BinfmtState state;
    const std::string status = read_file_capped(dir / "status", 64);
    state.enabled = status.starts_with("enabled");
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) throw SysError("open '" + dir.string() + "'", errno);
    // The directory lists entries newest first: each registration's dentry and list node are both
    // added at the head, under one lock (fs/binfmt_misc.c, bm_register_write), so this is the
    // order the kernel searches in. Inode numbers are not: they come in per-CPU batches.
    std::vector<std::string> names;
    while (const dirent* de = ::readdir(d.get())) {
        const std::string name = de->d_name;
        if (name != "." && name != ".." && name != "register" && name != "status") names.push_back(name);
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        std::string text;
        try {
            text = read_file_capped(dir / name, 64 * 1024);
        } catch (const SysError& e) {
            if (e.code() == ENOENT) continue;
            throw;
        }
        BinfmtEntry entry = parse_binfmt_entry(name, text);
        entry.sequence = names.size() - i;
        state.entries.push_back(std::move(entry));
    }
    return state;
}

bool binfmt_matches(const BinfmtEntry& entry, std::span<const std::uint8_t> head, const std::string& filename) {
    if (entry.type == 'E') {
        const auto dot = filename.rfind('.');
        const auto slash = filename.rfind('/');
        if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
        return filename.substr(dot + 1) == entry.extension;
    }
    const std::size_t size = entry.magic.size();
    if (entry.offset + size > k_binprm_buf_size || entry.offset + size > head.size()) return false;
    for (std::size_t i = 0; i < size; ++i) {
        const std::uint8_t mask = i < entry.mask.size() ? entry.mask[i] : 0xff;
        if ((head[entry.offset + i] & mask) != (entry.magic[i] & mask)) return false;
    }
    return true;
}

const BinfmtEntry* find_handler(const BinfmtState& state, std::span<const std::uint8_t> head,
                                const std::string& filename) {
    if (!state.enabled) return nullptr;
    for (const auto& e : state.entries)
        if (e.enabled && binfmt_matches(e, head, filename)) return &e;
    return nullptr;
}

std::string binfmt_flags(std::string_view flags) {
    std::string out;
    for (char f : std::string_view("POCF"))
        if (flags.find(f) != std::string_view::npos || (f == 'O' && flags.find('C') != std::string_view::npos)) out += f;
    for (char f : flags)
        if (std::string_view("POCF").find(f) == std::string_view::npos && out.find(f) == std::string::npos) out += f;
    return out;
}

std::string registration_line(const BinfmtEntry& e) {
    if (!valid_name(e.name)) throw Error("invalid binfmt_misc entry name '" + e.name + "'");
    if (e.interpreter.empty() || e.interpreter.front() != '/' || e.interpreter.size() > k_max_interpreter ||
        e.interpreter.find_first_of(":\n\\") != std::string::npos)
        throw Error("invalid binfmt_misc interpreter '" + e.interpreter +
                    "': must be an absolute path of at most 127 bytes without ':', '\\' or newline");
    for (char f : e.flags)
        if (std::string_view("POCF").find(f) == std::string_view::npos)
            throw Error(std::string("invalid binfmt_misc flag '") + f + "'");
    std::string line = ":" + e.name + ":";
    if (e.type == 'E') {
        if (e.extension.empty() || e.extension.find_first_of(":/\n\\") != std::string::npos)
            throw Error("invalid binfmt_misc extension '" + e.extension + "'");
        line += "E::" + e.extension + "::";
    } else {
        if (e.magic.empty() || e.offset + e.magic.size() > k_binprm_buf_size)
            throw Error("invalid binfmt_misc magic for '" + e.name + "': empty or beyond 256 bytes");
        if (!e.mask.empty() && e.mask.size() != e.magic.size())
            throw Error("invalid binfmt_misc mask for '" + e.name + "': size differs from magic");
        line += "M:" + std::to_string(e.offset) + ":" + hex_escape(e.magic) + ":" + hex_escape(e.mask) + ":";
    }
    line += e.interpreter + ":" + e.flags;
    if (line.size() > k_max_register_size) throw Error("binfmt_misc registration for '" + e.name + "' is too long");
    return line;
}

bool register_binfmt(const std::filesystem::path& dir, const BinfmtEntry& entry) {
    const std::string line = registration_line(entry);
    try {
        write_control(dir / "register", line);
    } catch (const SysError& e) {
        if (e.code() == EEXIST) return false;
        throw;
    }
    return true;
}

bool remove_binfmt(const std::filesystem::path& dir, const std::string& name) {
    if (!valid_name(name)) throw Error("invalid binfmt_misc entry name '" + name + "'");
    try {
        write_control(dir / name, "-1");
    } catch (const SysError& e) {
        if (e.code() == ENOENT) return false;
        throw;
    }
    return true;
}

BinfmtInstance open_binfmt_instance(const BinfmtState* seed, const BinfmtEntry& added) {
    // fsopen + fsmount: the instance is filled through a detached mount before anyone can see it.
    UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "binfmt_misc", FSOPEN_CLOEXEC)));
    if (!fs) throw SysError("open a binfmt_misc instance for this user namespace", errno);
    // The source shows in mountinfo: "binfmt_misc xarch" tells users who mounted it.
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "source", "xarch", 0) != 0 ||
        ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        throw SysError("create a binfmt_misc instance for this user namespace", errno);
    BinfmtInstance instance;
    instance.mount = UniqueFd(static_cast<int>(
        ::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)));
    if (!instance.mount) throw SysError("mount a binfmt_misc instance for this user namespace", errno);
    const int dir = instance.mount.get();

    if (seed) {
        // The kernel searches newest first and each registration goes to the front.
        for (auto it = seed->entries.rbegin(); it != seed->entries.rend(); ++it) {
            if (it->name == added.name) continue;
            try {
                write_control("register", registration_line(*it), dir);
                if (!it->enabled) write_control(it->name, "0", dir);
            } catch (const SysError& e) {
                if (e.code() != EEXIST) instance.skipped.push_back("copy binfmt_misc entry '" + it->name + "': " + e.what());
            } catch (const Error& e) {
                instance.skipped.push_back("copy binfmt_misc entry '" + it->name + "': " + e.what());
            }
        }
        if (!seed->enabled) write_control("status", "0", dir);
    }
    try {
        write_control("register", registration_line(added), dir);
    } catch (const SysError& e) {
        // The namespace already had an instance holding it (mounted elsewhere): fine.
        if (e.code() != EEXIST) throw;
    }
    return instance;
}

std::vector<std::string> create_binfmt_instance(const std::filesystem::path& mount_point, const BinfmtState* seed,
                                                const BinfmtEntry& added) {
    BinfmtInstance instance = open_binfmt_instance(seed, added);
    if (::syscall(SYS_move_mount, instance.mount.get(), "", AT_FDCWD, mount_point.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        throw SysError("mount this user namespace's binfmt_misc on '" + mount_point.string() + "'", errno);
    return instance.skipped;
}

void set_binfmt_enabled(const std::filesystem::path& dir, const std::string& name, bool enabled) {
    if (!valid_name(name)) throw Error("invalid binfmt_misc entry name '" + name + "'");
    write_control(dir / name, enabled ? "1" : "0");
}

} // namespace oci
