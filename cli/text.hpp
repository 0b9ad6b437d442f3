#pragma once
// Human-readable output of xarch: aligned tables and the status and doctor reports.
// (The --json forms come from the oci library and are the stable interface.)
#include "engine/doctor.hpp"
#include "engine/status.hpp"

#include <string>
#include <vector>

namespace cli {

// Rows of cells with every column but the last padded to its widest cell, two spaces apart,
// each line starting with `indent`.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "  ");

// The `xarch status` report.
std::string format_status(const oci::StatusReport& report);

// What xarch-hook would do, as one sentence: "xarch-hook bind-mounts ... so the container starts".
std::string format_hook(const oci::Action& action);

// The `xarch doctor` report.
std::string format_diagnosis(const oci::DoctorFacts& facts, const oci::Diagnosis& diagnosis);

} // namespace cli
