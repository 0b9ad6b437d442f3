#include "engine/classify.hpp"

namespace oci {

Classification classify(const Facts& f) {
    // binfmt_misc is consulted before the kernel's own ELF loader: an entry that matches is
    // used even for code the host could run itself.
    const BinfmtEntry* h = active_handler(f);
    if (!h && f.native) return {Situation::Native, nullptr};
    if (qemu_target(f.image).empty()) return {Situation::Unsupported, nullptr};
    if (!f.binfmt) return {Situation::BinfmtNotMounted, nullptr};
    if (!f.binfmt->enabled) return {Situation::BinfmtDisabled, nullptr};
    if (h) return {h->has_flag('F') ? Situation::FixedHandler : Situation::OpenHandler, h};
    if (const BinfmtEntry* d = disabled_handler(f)) return {Situation::HandlerDisabled, d};
    return {Situation::NoHandler, nullptr};
}

} // namespace oci
