#pragma once
// `xarch doctor`: the answer to "why exec format error?". For an image rootfs, a bundle or a
// single program it gathers what decides whether the program runs (its platform, the host,
// the binfmt_misc entry the kernel would pick, whether that entry's interpreter is static and,
// without the F flag, present inside the rootfs) and explains the outcome with a fix. The
// diagnosis is a pure function over those facts.
#include "base/settings.hpp"
#include "engine/decide.hpp"
#include "engine/status.hpp"
#include "oci/detect.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace oci {

enum class TargetKind { Bundle, Rootfs, Program };

const char* to_string(TargetKind kind);

struct Detection {
    TargetKind kind = TargetKind::Program;
    std::filesystem::path rootfs;  // the rootfs the program is looked up in ("/" for a program)
    std::optional<ImageInfo> image; // nullopt: no ELF program found
    std::string command;            // a bundle's process.args[0] and how it is looked up
    CommandLookup lookup;
};

// Detects the platform of a bundle (a directory with config.json: process.args[0] and the
// io.xarch.platform annotation), an image rootfs (its /bin/sh) or a program file (following
// "#!" lines on the host). Throws Error/SysError when the path cannot be read or names an
// unsupported machine.
Detection detect_path(const std::filesystem::path& path);

enum class DoctorState {
    Native,              // the host runs it itself
    Covered,             // an F entry with a usable interpreter handles it
    InterpreterPresent,  // an entry without F whose interpreter exists inside the rootfs
    InterpreterMissing,  // an entry without F whose interpreter is absent from the rootfs
    DynamicInterpreter,  // the interpreter that would run is dynamically linked
    InterpreterUnusable, // the interpreter is not a program for the host
    HandlerDisabled,     // only a disabled entry claims it
    NoHandler,           // nothing in binfmt_misc claims it
    BinfmtNotMounted,
    BinfmtDisabled,
    Unsupported,         // no emulator is known for the platform
    // The container's command cannot start whatever binfmt_misc holds:
    CommandMissing,           // process.args[0] is not found
    LinkDangling,             // it is a symlink to nothing
    LinkLoop,                 // it is a symlink that loops
    ScriptInterpreterMissing, // it is a "#!" script whose interpreter is not in the rootfs
    LoaderMissing,            // its program is dynamic and its loader is not in the rootfs
};

// Stable names used in the JSON output: "native", "covered", "interpreter-present", ...
const char* to_string(DoctorState state);

struct DoctorFacts {
    StartCheck start;                              // bundles and rootfs: can the command start at all
    std::filesystem::path target;
    Detection detection;                           // with an image
    Facts facts;                                   // as the hook gathers them (never mounting)
    std::optional<std::filesystem::path> binfmt_dir;
    std::string kernel;
    bool fix_binary = true;
    std::optional<InterpreterInfo> handler_interpreter;   // the picked (or disabled) entry's interpreter on the host
    std::optional<InterpreterInfo> interpreter_in_rootfs; // the same path inside the rootfs; nullopt: absent
};

struct Diagnosis {
    DoctorState state = DoctorState::NoHandler;
    const BinfmtEntry* entry = nullptr; // the entry involved (the kernel's pick, or the disabled one)
    bool runs = false;                  // without xarch-hook, as things are now
    std::string error;                  // what the runtime reports when it does not run
    std::string explanation;
    std::string fix;                    // a command line, or empty
    Action hook;                        // what xarch-hook would do (Bundle and Rootfs only)
};

// Explains the facts. Pure; `Diagnosis::entry` points into `facts`. Does not throw.
Diagnosis diagnose(const DoctorFacts& facts);

// Gathers the facts for a path; nullopt in `detection.image` means nothing to diagnose.
// Throws Error/SysError.
DoctorFacts examine(const std::filesystem::path& path, const Settings& settings);

} // namespace oci
