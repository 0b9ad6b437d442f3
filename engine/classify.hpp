#pragma once
// The one reading of the kernel facts behind both the hook's action (decide) and doctor's
// diagnosis (diagnose): which binfmt_misc situation an image is in. Both switch over it, so
// they cannot walk the facts in different orders and disagree.
#include "engine/decide.hpp"

namespace oci {

enum class Situation {
    Native,           // no enabled entry claims the file and the host runs it itself
    Unsupported,      // xarch knows no emulator for the platform
    BinfmtNotMounted, // binfmt_misc is not visible here
    BinfmtDisabled,   // binfmt_misc is disabled as a whole
    FixedHandler,     // an enabled entry with F claims the file: the kernel holds its interpreter
    OpenHandler,      // an enabled entry without F claims it: the interpreter is opened at exec, in the container
    HandlerDisabled,  // only a disabled entry claims it
    NoHandler,        // nothing claims it
};

struct Classification {
    Situation situation = Situation::NoHandler;
    const BinfmtEntry* entry = nullptr; // FixedHandler, OpenHandler, HandlerDisabled: the entry (points into facts)
};

// Classifies the facts, in the kernel's own order (binfmt_misc before the native ELF loader).
// Pure; does not throw.
Classification classify(const Facts& facts);

} // namespace oci
