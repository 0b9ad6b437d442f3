#pragma once
// Bounded input and atomic output: every byte xarch reads from a pipe or the rootfs is
// size-capped and time-bounded, every file it rewrites goes through temp + fsync + rename.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

namespace oci {

// The largest config.json, OCI state or settings file xarch reads (runtimes set no limit; this
// one only bounds the hook's memory: about 10 times the text once parsed). A 10 MB config.json
// (annotations, environment) is handled; a larger precreate input is passed on untouched.
constexpr std::size_t k_max_json_size = 32 * 1024 * 1024;

// Reads fd until EOF or until more than `cap` bytes have arrived; `complete` says which. Throws
// Error if nothing arrives for `timeout`, SysError on read failures.
struct BoundedRead {
    std::string data;
    bool complete = true;
};
BoundedRead read_fd_bounded(int fd, std::size_t cap = k_max_json_size,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Copies fd `from` to fd `to` until EOF (the same timeout per read). Throws Error/SysError.
void copy_fd(int from, int to, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Reads fd to EOF; throws Error if more than `cap` bytes arrive or nothing arrives
// for `timeout`, SysError on read failures.
std::string read_fd_capped(int fd, std::size_t cap = k_max_json_size,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Reads a regular file of at most `cap` bytes; throws SysError/Error otherwise.
std::string read_file_capped(const std::filesystem::path& path, std::size_t cap = k_max_json_size);

// Replaces `path` with `content` atomically (temp file in the same directory, rename; unless
// `durable` is false, the file and then its directory are fsynced), keeping the old file's
// owner and mode. A symlinked `path` stays a symlink: the file it names is replaced (a link to
// nothing, a loop or a non-regular file is refused). Throws SysError/Error.
void write_file_atomic(const std::filesystem::path& path, const std::string& content, bool durable = true);

// Writes all of `content` to fd; throws SysError.
void write_all(int fd, const std::string& content);

} // namespace oci
