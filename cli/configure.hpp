#pragma once
// `xarch configure ENGINE`: the edits that make an engine use xarch, as pure functions over a
// configuration file's text (so they are tested without the engine), and a line diff for
// --dry-run. What is added is always recognisable, so --undo removes exactly that.
#include <filesystem>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

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
// without that block. Config versions 1, 2 and 3 are told apart by `version` (or by `version`
// when given: an imported file is read with the version of the whole configuration). When the
// file does not define the handler named by default_runtime_name (containerd's default, runc),
// the block defines runc as well: a runtimes table of a config file replaces containerd's
// default one, and the CRI plugin refuses to load when its default handler is missing. Throws
// Error naming `source` and the line for invalid TOML, and when the file defines the handler
// itself.
std::string containerd_config(const std::optional<std::string>& text, const std::string& source,
                              const std::string& runtime, bool undo, std::optional<std::int64_t> version = std::nullopt);

// One edit of a configuration file: its text before (nullopt: absent) and after (nullopt: removed).
struct ConfigChange {
    std::filesystem::path path;
    std::optional<std::string> before;
    std::optional<std::string> after;
    bool backup = true; // keep the previous version in PATH.xarch-backup (not for xarch's own files)
    bool remove_backup = false; // --undo removed a file xarch created: its PATH.xarch-backup goes too
    bool remove_empty_dir = false; // once removed, its directory too if that is left empty
};

// A configuration file as read: its path and text.
struct ConfigText {
    std::filesystem::path path;
    std::string text;
};

// The top-level `imports` of a containerd config file (empty when none). Throws Error naming
// `source` and the line for invalid TOML, and when imports is not an array of strings.
std::vector<std::string> containerd_imports(const std::string& text, const std::string& source);

// Where containerd imports a drop-in of xarch's: the first of `imports` that is an absolute glob
// (containerd 1.6 globs an entry only when it holds '*') with a literal directory whose file
// part matches xarch.toml (or 50-xarch.toml, xarch.conf, 50-xarch.conf); nullopt when none does.
// Relative globs are matched against containerd's working directory, so they are not used.
std::optional<std::filesystem::path> containerd_dropin_path(const std::vector<std::string>& imports);

// The drop-in itself: the handler (and runc, see containerd_config) for config version `version`.
std::string containerd_dropin(std::int64_t version, const std::string& runtime);

// The edits that make containerd run the handler, or with `undo` take it away, given the files
// containerd loads in its order (`main` first, then its imports, followed as containerd 1.6
// does; empty when `main` does not exist). containerd 1.6 and 1.7 replace a plugin's whole
// section with the one of a later file (`to.Plugins[k] = v` in its mergeConfig), so:
//   - a file (not xarch's drop-in) defines the CRI plugin's section: the block goes into the
//     last such file, whose section is the one containerd uses (a drop-in would replace it);
//   - none does and an import glob covers a drop-in name: the handler goes into that drop-in;
//   - else: the block goes into `main`.
// The configuration's version is the last one set in load order (mergo's override), 1 when none.
// Wherever xarch's handler was before and no longer belongs, it is taken out.
std::vector<ConfigChange> containerd_changes(const std::filesystem::path& main, const std::vector<ConfigText>& loaded,
                                             const std::string& runtime, bool undo);

// An OCI hooks.d entry running `hook` at `stage`, as the package installs them.
std::string hooks_d_entry(const std::filesystem::path& hook, const std::string& stage);

// podman's hooks directories after reading the containers.conf files `files` in podman's order
// (containers/common 0.50, podman 4.3: a file that sets [engine] hooks_dir replaces the list;
// the default is /usr/share/containers/oci/hooks.d alone, for root and rootless users alike, so
// /etc/containers/oci/hooks.d and a user's own directory are read only when hooks_dir names
// them). Throws Error naming the file and line for invalid TOML.
std::vector<std::string> podman_hooks_dirs(const std::vector<ConfigText>& files);

// The containers.conf drop-in setting hooks_dir to `dirs` followed by `dir` (once).
std::string podman_dropin(const std::vector<std::string>& dirs, const std::filesystem::path& dir);

// Whether a containers.conf drop-in's text is one xarch configure wrote.
bool podman_dropin_ours(const std::string& text);

// The docker.service drop-in that makes Docker's BuildKit (docker build's builder since Docker 23)
// run RUN steps with `runtime` instead of runc: dockerd 26 and later read
// DOCKER_BUILDKIT_RUNC_COMMAND from their environment (dockerd's runtimes are never used there).
// Throws Error for a path a unit file cannot hold as it is.
std::string docker_buildkit_dropin(const std::string& runtime);

// Whether a docker.service drop-in's text is the one xarch configure wrote.
bool docker_buildkit_dropin_ours(const std::string& text);

// The major version in `dockerd --version`'s output ("Docker version 26.1.5+dfsg1, build
// a72d7cd"), or nullopt. Pure.
std::optional<int> docker_major_version(const std::string& version_output);

// The first Docker whose BuildKit honours DOCKER_BUILDKIT_RUNC_COMMAND (moby v26.0.0).
constexpr int k_docker_buildkit_runc_command_since = 26;

// CRI-O's drop-in setting hooks_dir to its defaults plus `dir`.
std::string crio_dropin(const std::filesystem::path& dir);

// A unified diff of two texts with three lines of context, headed by `path`; empty if equal.
std::string unified_diff(const std::string& path, const std::string& before, const std::string& after);

} // namespace cli
