#pragma once
// The stable JSON documents of `xarch status --json`, `doctor --json` and `detect --json`
// (schema in packaging/xarch.1): people-facing output belongs to the CLI, the facts behind it
// to the engine.
#include "engine/doctor.hpp"
#include "engine/status.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace cli {

constexpr int k_status_schema_version = 1;

// Entry fields shared by status and doctor JSON.
nlohmann::json entry_json(const oci::EntryReport& report);

// The documented `xarch status --json` document.
nlohmann::json to_json(const oci::StatusReport& report, const std::string& xarch_version);

// The documented `xarch doctor --json` document.
nlohmann::json to_json(const oci::DoctorFacts& facts, const oci::Diagnosis& diagnosis, const std::string& xarch_version);

// The doctor document for a path where no ELF program was found (state "no-program").
nlohmann::json no_program_json(const oci::Detection& detection, const std::filesystem::path& path,
                               const std::string& xarch_version, const std::string& explanation);

// The `xarch detect --json` document.
nlohmann::json to_json(const oci::Detection& detection, const std::filesystem::path& path);

} // namespace cli
