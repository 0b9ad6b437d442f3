#include "binfmt/host.hpp"

#include "binfmt/probe.hpp"

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

} // namespace oci
