#pragma once
// The emulator catalogue: for each platform the qemu-user target and the binfmt_misc
// magic/mask qemu registers, and the checks that make a host file usable as an emulator
// inside a container (regular, owned as userns.hpp's rule requires, static, host machine).
#include "base/platform.hpp"
#include "base/userns.hpp"
#include "binfmt/binfmt.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {

struct CatalogueEntry {
    std::string qemu;                // qemu-user target: "aarch64"
    std::vector<std::uint8_t> magic; // binfmt_misc magic at offset 0
    std::vector<std::uint8_t> mask;
};

// The catalogue entry for a platform; nullopt if qemu cannot emulate it.
std::optional<CatalogueEntry> catalogue_entry(const Platform& platform);

// Every platform in the catalogue, in a stable order.
std::vector<Platform> catalogue_platforms();

struct Emulator {
    std::filesystem::path path;     // as found (may be a symlink)
    std::filesystem::path resolved; // the regular file it names
    bool usable = false;
    bool is_static = false;
    std::string problem;            // why it is not usable: "'/usr/bin/qemu-aarch64-static' is not owned by root"
    std::string fix;                // the command that makes it usable
};

// Checks one host file as an emulator for code running on `host`, seen from user namespace
// `ns` (ownership rule in userns.hpp). Does not throw: a file that cannot be inspected comes
// back with usable = false, the reason and the fix.
Emulator inspect_emulator(const std::filesystem::path& path, const Platform& host,
                          const UserNamespace& ns = this_user_namespace());

// The first usable static emulator for `qemu` (names qemu-T-static, qemu-T, T-binfmt-P in
// each dir in order); otherwise nullopt, with every rejected file (once each) in `rejected`.
std::optional<Emulator> find_emulator(const std::string& qemu, const std::vector<std::filesystem::path>& dirs,
                                      const Platform& host, std::vector<Emulator>* rejected = nullptr,
                                      const UserNamespace& ns = this_user_namespace());

// An emulator search result for one qemu target.
struct FoundEmulator {
    std::optional<Emulator> emulator;    // a usable static qemu-T-static / qemu-T / T-binfmt-P
    std::optional<Emulator> binfmt_p;    // a usable T-binfmt-P (Debian's layout), for the P flag
    std::vector<Emulator> rejected;      // candidates that are not usable, for the message
};

// Searches `dirs` for the emulators of qemu target `qemu`: find_emulator's answer and the first
// usable Debian T-binfmt-P name. Does not throw.
FoundEmulator search_emulator(const std::string& qemu, const std::vector<std::filesystem::path>& dirs, const Platform& host);

// The registration xarch makes for a platform: qemu's magic/mask, F flag, named
// "qemu-<target>" like Debian's and qemu-binfmt-conf's entries. Throws Error if not in the catalogue.
BinfmtEntry registration_for(const Platform& platform, const std::filesystem::path& interpreter,
                             const std::string& flags = "F");

} // namespace oci
