#include "base/error.hpp"

#include <cstring>

namespace oci {

SysError::SysError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), m_code(err) {}

SysError::SysError(const std::string& message, int err, Formatted) : Error(message), m_code(err) {}

} // namespace oci
