#include "base/error.hpp"

#include <cstring>

namespace oci {

SysError::SysError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), m_code(err) {}

SysError::SysError(const std::string& message, int err, Formatted) : Error(message), m_code(err) {}

std::string printable(std::string_view value, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < value.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c == '\n') out += "\\n";
        else if (c == 0) out += "\\0";
        else if (c < 0x20 || c == 0x7f) {
            static constexpr char k_hex[] = "0123456789abcdef";
            out += "\\x";
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        } else out += static_cast<char>(c);
    }
    if (value.size() > max) out += "... (" + std::to_string(value.size()) + " bytes)";
    return out;
}

} // namespace oci
