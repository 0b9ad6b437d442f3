// The OCI state a runtime hands the hook on stdin (prestart, createRuntime, poststop):
// parse_state.
#include "base/error.hpp"
#include "fuzz/check.hpp"
#include "oci/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    oci::State s;
    try {
        s = oci::parse_state(fuzz::text(data, size));
    } catch (const oci::Error&) {
        return 0; // the documented failure; anything else escapes and is a crash
    }
    FUZZ_CHECK(s.bundle.is_absolute());
    FUZZ_CHECK(s.pid >= 0 && s.pid <= 0x3fffffff);
    FUZZ_CHECK(s.annotations.is_object());

    // The state written back as JSON parses to the same state.
    oci::Json doc{{"ociVersion", s.oci_version}, {"id", s.id},         {"status", s.status},
                       {"pid", s.pid},                {"bundle", s.bundle}, {"annotations", s.annotations}};
    if (s.root) doc["root"] = s.root->string();
    const oci::State again = oci::parse_state(doc.dump());
    FUZZ_CHECK(again.oci_version == s.oci_version && again.id == s.id && again.status == s.status);
    FUZZ_CHECK(again.pid == s.pid && again.bundle == s.bundle && again.root == s.root);
    FUZZ_CHECK(again.annotations == s.annotations);
    return 0;
}
