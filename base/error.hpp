#pragma once
// The one exception family of xarch: Error carries a message with context,
// SysError appends strerror(errno) so callers never format errno themselves.
#include <stdexcept>
#include <string>
#include <string_view>

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

// A value from input xarch does not trust, fit for a one-line message: control characters as
// \n, \0 or \xHH, and at most `max` bytes of it, with "..." and the full length after a cut.
std::string printable(std::string_view value, std::size_t max = 80);

} // namespace oci
