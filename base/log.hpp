#pragma once
// Logging setup: synchronous spdlog only (no threads: a multi-threaded process cannot
// setns() into a mount namespace).
#include <filesystem>
#include <string>

namespace oci {

// Makes `name` the default logger: stderr ("name: level: message") and, if `file` is not
// empty, that file with timestamps and pid, both at `level`. Throws Error if the file
// cannot be opened (stderr logging is set up first, so the error can still be logged).
void setup_logging(const std::string& name, const std::string& level, const std::filesystem::path& file = {});

// Logging for a runtime wrapper, following runc's --log and --log-format: with `file` set, only
// that file (text, or one JSON object per line like runc's: level, msg, time); otherwise stderr.
// With `also` set (the settings' log_file) and not the same file, that file too, as
// setup_logging writes it. Never stdout. Throws Error if a file cannot be opened (what could be
// opened is set up).
void setup_runtime_logging(const std::string& name, const std::string& level, const std::filesystem::path& file,
                           bool json, const std::filesystem::path& also = {});

} // namespace oci
