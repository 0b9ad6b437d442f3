#pragma once
// From a detected image to what the caller must still do: gathers the facts (host,
// binfmt_misc, emulators), decides, and carries out a host-wide registration when that
// is the decision. Shared by the hook, the runtime shim and the CLI's doctor.
#include "base/settings.hpp"
#include "engine/decide.hpp"
#include "oci/detect.hpp"

#include <sys/types.h>

#include <filesystem>

namespace oci {

// Gathers the facts for `image` on `host`: native check, binfmt_misc (mounted first when
// `may_mount`), the handler's interpreter, emulators. Throws Error/SysError on I/O failures.
Facts gather_facts(const ImageInfo& image, const Platform& host, const Settings& settings, bool may_mount);

// True if the hook would mount the host's binfmt_misc before deciding: it is not mounted, the
// image is foreign, xarch runs as root on the host and policy "register" lets it register.
// Shared with doctor, which explains what the hook would do. Pure; does not throw.
bool mounts_binfmt_first(const Facts& facts);

// What the caller knows about the container beyond its image.
struct ContainerInfo {
    pid_t pid = 0;                // its process (prestart, createRuntime); 0 before it exists
    std::filesystem::path rootfs; // on the host
    bool own_userns = false;      // it has a user namespace of its own
    bool maps_host_root = false;  // ... and that namespace maps host uid 0
    bool sys_admin = false;       // CAP_SYS_ADMIN in xarch's user namespace, which maps host root
};

// Decides for `image`; a Register decision is carried out here (F flag, where its scope
// says) and, when another process registered the same entry first, the facts are read again.
// Returns Native, Covered, Mount or Fail (never Mount for a container whose own user namespace
// maps host root). Throws Error/SysError on I/O failures.
Action resolve_action(const ImageInfo& image, const Platform& host, const Settings& settings,
                      const ContainerInfo& container = {});

} // namespace oci
