// Test helper: saves the machine's binfmt_misc state and restores it exactly, so tests
// that register or remove entries leave nothing behind, also when they fail.
//   binfmt_snapshot save FILE | restore FILE | clear
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/io.hpp"
#include "binfmt/binfmt.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace {

// One write() per line: binfmt_misc parses each write on its own.
void write_control(const std::filesystem::path& file, const std::string& text) {
    oci::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw oci::SysError("open '" + file.string() + "'", errno);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw oci::SysError("write '" + text + "' to '" + file.string() + "'", errno);
}

void clear_entries(const std::filesystem::path& dir) {
    for (const auto& e : oci::read_binfmt(dir).entries) oci::remove_binfmt(dir, e.name);
}

int save(const std::filesystem::path& file) {
    nlohmann::json doc;
    const auto dir = oci::locate_binfmt(false);
    doc["mounted"] = dir.has_value();
    if (dir) {
        auto state = oci::read_binfmt(*dir);
        std::reverse(state.entries.begin(), state.entries.end()); // oldest first: the order to re-register
        doc["enabled"] = state.enabled;
        doc["entries"] = nlohmann::json::array();
        for (const auto& e : state.entries)
            doc["entries"].push_back({{"line", oci::registration_line(e)}, {"name", e.name}, {"enabled", e.enabled}});
    }
    oci::write_file_atomic(file, doc.dump(1) + "\n");
    return 0;
}

int restore(const std::filesystem::path& file) {
    const auto doc = nlohmann::json::parse(oci::read_file_capped(file));
    const auto dir = oci::locate_binfmt(false);
    if (!dir) {
        if (!doc["mounted"].get<bool>()) return 0;
        throw oci::Error("binfmt_misc was mounted when saved and is not now");
    }
    clear_entries(*dir);
    if (!doc["mounted"].get<bool>()) {
        if (::umount2(dir->c_str(), MNT_DETACH) != 0) throw oci::SysError("unmount binfmt_misc", errno);
        return 0;
    }
    for (const auto& e : doc["entries"]) {
        write_control(*dir / "register", e["line"].get<std::string>());
        if (!e["enabled"].get<bool>()) oci::set_binfmt_enabled(*dir, e["name"].get<std::string>(), false);
    }
    write_control(*dir / "status", doc["enabled"].get<bool>() ? "1" : "0");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    try {
        if (cmd == "save" && argc == 3) return save(argv[2]);
        if (cmd == "restore" && argc == 3) return restore(argv[2]);
        if (cmd == "clear" && argc == 2) {
            if (const auto dir = oci::locate_binfmt(true)) clear_entries(*dir);
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "binfmt_snapshot: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "usage: binfmt_snapshot save FILE | restore FILE | clear\n";
    return 2;
}
