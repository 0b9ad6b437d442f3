#include "base/log.hpp"

#include "base/error.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/details/file_helper.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>

namespace oci {

namespace {

// runc's (logrus) JSON lines: {"level":"warning","msg":"...","time":"2026-11-24T13:20:55Z"}.
class JsonFileSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    explicit JsonFileSink(const std::string& path) { m_file.open(path); }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        static constexpr const char* k_levels[] = {"trace", "debug", "info", "warning", "error", "fatal", "off"};
        const std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
        std::tm tm {};
        ::gmtime_r(&t, &tm);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        const nlohmann::json line{{"level", k_levels[msg.level]},
                                  {"msg", std::string(msg.payload.data(), msg.payload.size())},
                                  {"time", when}};
        const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        spdlog::memory_buf_t buf;
        buf.append(text.data(), text.data() + text.size());
        m_file.write(buf);
    }
    void flush_() override { m_file.flush(); }

private:
    spdlog::details::file_helper m_file;
};

spdlog::sink_ptr text_file_sink(const std::filesystem::path& file) {
    try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(file.string());
        sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%P] %l: %v");
        return sink;
    } catch (const spdlog::spdlog_ex& e) {
        throw Error("open log file '" + file.string() + "': " + e.what());
    }
}

} // namespace

void setup_logging(const std::string& name, const std::string& level, const std::filesystem::path& file) {
    auto err_sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    err_sink->set_pattern("%n: %l: %v");
    auto logger = std::make_shared<spdlog::logger>(name, err_sink);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    if (!file.empty()) logger->sinks().push_back(text_file_sink(file));
}

void setup_runtime_logging(const std::string& name, const std::string& level, const std::filesystem::path& file,
                           bool json, const std::filesystem::path& also) {
    if (file.empty()) {
        setup_logging(name, level, also);
        return;
    }
    spdlog::sink_ptr sink;
    try {
        if (json) sink = std::make_shared<JsonFileSink>(file.string());
        else sink = text_file_sink(file);
    } catch (const spdlog::spdlog_ex& e) {
        setup_logging(name, level, also);
        throw Error("open log file '" + file.string() + "': " + e.what());
    } catch (const Error&) {
        setup_logging(name, level, also);
        throw;
    }
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    std::error_code ec;
    if (also.empty() || std::filesystem::equivalent(file, also, ec)) return;
    logger->sinks().push_back(text_file_sink(also));
}

} // namespace oci
