#include "binfmt/host.hpp"

#include "base/error.hpp"
#include "binfmt/probe.hpp"

#include <sys/utsname.h>

#include <cerrno>
#include <charconv>

namespace oci {

bool runs_natively(const Platform& image, const Platform& host) {
    if (image.architecture == host.architecture && (image.variant == host.variant || image.variant.empty() || host.variant.empty()))
        return true;
    if (host.architecture == "amd64" && image.architecture == "386") return run_program(native_probe(image)).ok();
    if (host.architecture == "arm64" && image.architecture == "arm") return run_program(native_probe(image)).ok();
    if (host.architecture == "arm" && image.architecture == "arm") {
        // A v7 host runs v6 and v5 code; the reverse is not guaranteed.
        return image.variant <= host.variant;
    }
    return false;
}

std::optional<KernelVersion> parse_kernel_release(std::string_view release) {
    KernelVersion v;
    const char* p = release.data();
    const char* end = release.data() + release.size();
    auto r = std::from_chars(p, end, v.major);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.') return std::nullopt;
    r = std::from_chars(r.ptr + 1, end, v.minor);
    if (r.ec != std::errc()) return std::nullopt;
    return v;
}

std::string kernel_release() {
    struct utsname u {};
    if (::uname(&u) != 0) throw SysError("uname", errno);
    return u.release;
}

bool supports_fix_binary(const KernelVersion& k) { return k.major > 4 || (k.major == 4 && k.minor >= 8); }

bool supports_binfmt_userns(const KernelVersion& k) { return k.major > 6 || (k.major == 6 && k.minor >= 7); }

} // namespace oci
