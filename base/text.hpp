#pragma once
// Splitting the lists users and the environment give as one string.
#include <string>
#include <string_view>
#include <vector>

namespace oci {

// The parts of `text` between `separator`s, in order, empty parts left out
// ("a::b," with ':' -> "a", "b,"). Pure.
std::vector<std::string> split_nonempty(std::string_view text, char separator);

} // namespace oci
