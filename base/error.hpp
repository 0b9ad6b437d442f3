#pragma once
// The one exception family of xarch: Error carries a message with context,
// SysError appends strerror(errno) so callers never format errno themselves.
#include <stdexcept>
#include <string>

namespace oci {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class SysError : public Error {
public:
    // Builds "what: strerror(err)"; err is an errno value (libseccomp's -errno is negated by callers).
    SysError(const std::string& what, int err);
    // Keeps `message` as it is (it already names the cause, as a Failure's does).
    struct Formatted {};
    SysError(const std::string& message, int err, Formatted);
    int code() const noexcept { return m_code; }

private:
    int m_code;
};

// A bad name on the command line (platform, entry, mode): the CLI exits with its usage code.
class ArgumentError : public Error {
public:
    using Error::Error;
};

} // namespace oci
