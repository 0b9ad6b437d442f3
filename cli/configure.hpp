#pragma once
// `xarch configure ENGINE`: the edits that make an engine use xarch, as pure functions over a
// configuration file's text (so they are tested without the engine), and a line diff for
// --dry-run. What is added is always recognisable, so --undo removes exactly that.
#include <filesystem>
#include <optional>
#include <string>

namespace cli {

// The runtime name xarch registers with Docker and containerd.
constexpr const char* k_runtime_name = "xarch";

// Docker's daemon.json (`text`, or nullopt when the file does not exist) with the runtime
// "xarch" running `runtime` (and, with `make_default`, as the default runtime), or with --undo
// without them. Other keys, their order and the file's indentation are kept. Throws Error naming
// `source` (and the line, for invalid JSON) when the file cannot be edited safely.
std::string docker_config(const std::optional<std::string>& text, const std::string& source, const std::string& runtime,
                          bool make_default, bool undo);

// containerd's config.toml with a CRI runtime handler "xarch" (runc shim, BinaryName `runtime`)
// appended as a marked block (comments and layout of the rest stay as they are), or with --undo
// without that block. Config versions 1, 2 and 3 are told apart by `version`. Throws Error
// naming `source` and the line for invalid TOML, and when the file defines the handler itself.
std::string containerd_config(const std::optional<std::string>& text, const std::string& source,
                              const std::string& runtime, bool undo);

// An OCI hooks.d entry running `hook` at `stage`, as the package installs them.
std::string hooks_d_entry(const std::filesystem::path& hook, const std::string& stage);

// CRI-O's drop-in setting hooks_dir to its defaults plus `dir`.
std::string crio_dropin(const std::filesystem::path& dir);

// A unified diff of two texts with three lines of context, headed by `path`; empty if equal.
std::string unified_diff(const std::string& path, const std::string& before, const std::string& after);

} // namespace cli
