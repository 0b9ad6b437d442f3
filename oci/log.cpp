#include "oci/log.hpp"

#include "oci/error.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace oci {

void setup_logging(const std::string& name, const std::string& level, const std::filesystem::path& file) {
    auto err_sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    err_sink->set_pattern("%n: %l: %v");
    auto logger = std::make_shared<spdlog::logger>(name, err_sink);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    if (file.empty()) return;
    try {
        auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(file.string());
        file_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
        logger->sinks().push_back(file_sink);
    } catch (const spdlog::spdlog_ex& e) {
        throw Error("open log file '" + file.string() + "': " + e.what());
    }
}

} // namespace oci
