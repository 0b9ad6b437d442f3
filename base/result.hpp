#pragma once
// xarch's expected-style result for the fast and low-level paths (system-call wrappers,
// lookups inside a rootfs, helper processes): a value, or a Failure with its errno and a
// message. Such functions never throw; a static binary's first throw costs about a
// millisecond, and callers decide on the errno, never on the message. Command-level code turns
// a failure into the exception family with raise() (ARCHITECTURE.md, "Errors").
#include "base/error.hpp"

#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace oci {

struct Failure {
    int err = 0;         // errno, or 0 when none applies
    std::string message; // "open 'x' in rootfs: No such file or directory"
};

// A failure from errno: "what: strerror(err)".
inline Failure sys_failure(const std::string& what, int err) { return {err, what + ": " + std::strerror(err)}; }

// A failure without errno.
inline Failure failure(std::string message) { return {0, std::move(message)}; }

template <typename T>
class Result {
public:
    Result(T value) : m_v(std::move(value)) {}            // NOLINT: implicit, like std::expected
    Result(Failure failure) : m_v(std::move(failure)) {} // NOLINT

    bool ok() const noexcept { return m_v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    const Failure& error() const { return std::get<1>(m_v); }
    // True if it failed with this errno.
    bool failed_with(int err) const noexcept { return !ok() && std::get<1>(m_v).err == err; }

private:
    std::variant<T, Failure> m_v;
};

// A result with no value.
struct Done {};
using Status = Result<Done>;
inline Status done() { return Done{}; }

// The same result, its failure message prefixed with what was being done: the one way to add
// context ("mount emulator at '/x' in container: " + the cause).
template <typename T>
Result<T> context(Result<T> r, const std::string& what) {
    if (r.ok()) return r;
    return Failure{r.error().err, what + ": " + r.error().message};
}

// Throws the failure as SysError (with errno) or Error: for command-level callers.
[[noreturn]] inline void raise(const Failure& f) {
    if (f.err != 0) throw SysError(f.message, f.err, SysError::Formatted{});
    throw Error(f.message);
}

// The value, or the failure thrown (raise).
template <typename T>
T value_or_raise(Result<T> r) {
    if (!r.ok()) raise(r.error());
    return std::move(r).value();
}

} // namespace oci
