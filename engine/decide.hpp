#pragma once
// The decision at the heart of xarch, a pure function over plain data: given the image's
// platform, the host, binfmt_misc and the emulators found, what must happen for the
// container to start. Table-tested without root; effects live in the hook.
#include "base/platform.hpp"
#include "base/settings.hpp"
#include "binfmt/binfmt.hpp"
#include "binfmt/emulator.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oci {


enum class ActionKind {
    Native,   // nothing to do: the host runs the image's code itself
    Covered,  // an enabled binfmt_misc entry with the F flag and a static interpreter handles it
    Mount,    // make `source` appear read-only at `target` inside the container
    Register, // register `entry` (F flag) where `scope` says
    Fail,     // cannot run: `reason` says what is missing and how to fix it
};

// Where a registration goes.
enum class RegisterScope {
    Visible,      // the binfmt_misc xarch sees: the host's (as root), or its user namespace's own
    OwnNamespace, // a new binfmt_misc instance for xarch's user namespace (rootless: all the user's containers)
    Container,    // a new binfmt_misc instance for the container's own user namespace, living in its mounts
};

struct Facts {
    Platform image;
    Platform host;
    bool native = false;                  // the kernel runs it itself when no binfmt_misc entry claims it
    std::vector<std::uint8_t> head;       // first bytes of the image's executable
    std::string filename;                 // its path inside the rootfs (for extension entries)
    std::optional<BinfmtState> binfmt;    // nullopt: binfmt_misc is not mounted
    std::optional<Emulator> handler_interpreter; // inspection of the matching entry's interpreter
    std::optional<Emulator> emulator;     // usable static emulator for `image` from the search dirs
    std::vector<Emulator> rejected;       // emulators found but unusable, for the message
    std::filesystem::path argv0_interpreter; // Debian's "<target>-binfmt-P" name for `emulator`, if there is one:
                                             // registered with P, qemu then keeps each program's argv[0]
    Policy policy = Policy::Register;
    std::filesystem::path settings_file = k_default_settings_path; // where the policy was set, for messages
    bool can_register = false;            // xarch may write `register` of the binfmt_misc it sees
    bool binfmt_is_host = true;           // what it sees is the host's (not a user namespace's own instance)
    bool can_create_instance = false;     // xarch can give its user namespace its own binfmt_misc (Linux >= 6.7,
                                          // CAP_SYS_ADMIN in a namespace that is not the host's)
    bool rootless = false;                // xarch runs in a user namespace that does not map host root
    bool runs_unseen = false;             // binfmt_misc is not visible, yet a probe of the image's platform ran:
                                          // a handler xarch cannot see serves it
    bool userns_maps_host_root = false;   // the container has its own user namespace mapping host uid 0
    bool container_sys_admin = false;     // the container has CAP_SYS_ADMIN in the host's user namespace
    bool image_has_interpreter = false;   // the image itself holds an executable file at the path of the
                                          // entry's interpreter (looked at only where a bind mount would be refused)
    bool can_register_in_container = false; // the container has its own user namespace and xarch can give it
                                            // a binfmt_misc (Linux >= 6.7, its process is known: prestart)
};

struct Action {
    ActionKind kind = ActionKind::Fail;
    std::string reason;
    std::string warning;          // Covered: what is wrong although the container runs
    std::filesystem::path source; // Mount: host file
    std::string target;           // Mount: interpreter path inside the container
    BinfmtEntry entry;            // Register
    RegisterScope scope = RegisterScope::Visible; // Register
};

// The enabled entry the kernel would use for the facts' file, or nullptr (also when
// binfmt_misc is unmounted or disabled host-wide). Does not throw.
const BinfmtEntry* active_handler(const Facts& facts);

// A disabled entry that would match the facts' file, or nullptr. Does not throw.
const BinfmtEntry* disabled_handler(const Facts& facts);

// Decides what to do; never throws for any combination of facts.
Action decide(const Facts& facts);

const char* to_string(ActionKind kind);

} // namespace oci
