#include "base/error.hpp"

#include <cstring>

namespace oci {

SysError::SysError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), m_code(err) {}

} // namespace oci
