#include "cli/args.hpp"

#include "binfmt/install.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;

namespace {

const std::vector<cli::OptionSpec> k_options{{"json"}, {"replace"}, {"mode", true}, {"persist-dir", true}, {"help"}};

} // namespace

TEST_CASE("parse_args: flags, values in both spellings, positionals in any order", "[cli]") {
    const auto a = cli::parse_args({"arm64", "--mode", "execution", "s390x", "--replace", "--persist-dir=/tmp/x"}, k_options);
    CHECK(a.positional == std::vector<std::string>{"arm64", "s390x"});
    CHECK(a.has("replace"));
    CHECK_FALSE(a.has("json"));
    CHECK(a.value("mode") == std::optional<std::string>("execution"));
    CHECK(a.value("persist-dir") == std::optional<std::string>("/tmp/x"));
    CHECK_FALSE(a.value("replace"));
}

TEST_CASE("parse_args: -h is --help, -- ends options, a lone - is positional", "[cli]") {
    const auto a = cli::parse_args({"-h", "--", "--json", "-"}, k_options);
    CHECK(a.has("help"));
    CHECK_FALSE(a.has("json"));
    CHECK(a.positional == std::vector<std::string>{"--json", "-"});
}

TEST_CASE("parse_args: unknown, repeated, missing and unexpected values are usage errors", "[cli]") {
    CHECK_THROWS_WITH(cli::parse_args({"--force"}, k_options), Contains("unknown option '--force'"));
    CHECK_THROWS_WITH(cli::parse_args({"-x"}, k_options), Contains("unknown option '-x'"));
    CHECK_THROWS_WITH(cli::parse_args({"--json", "--json"}, k_options), Contains("given twice"));
    CHECK_THROWS_WITH(cli::parse_args({"--mode"}, k_options), Contains("needs a value"));
    CHECK_THROWS_WITH(cli::parse_args({"--json=yes"}, k_options), Contains("takes no value"));
    CHECK_THROWS_AS(cli::parse_args({"--mode=a", "--mode=b"}, k_options), oci::ArgumentError);
    // an empty value is a value
    CHECK(cli::parse_args({"--mode="}, k_options).value("mode") == std::optional<std::string>(""));
}
