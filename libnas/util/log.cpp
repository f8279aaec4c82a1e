#include "libnas/util/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

void init_logging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  NAS_CHECK(lvl != spdlog::level::off || level == "off",
            "--log-level {}: expected trace, debug, info, warn, error or off", quote(level));
  auto logger = spdlog::get("nasgen");
  if (!logger) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    logger = std::make_shared<spdlog::logger>("nasgen", sink);
    logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
    spdlog::set_default_logger(logger);
  }
  logger->set_level(lvl);
}

void log_to_file(const std::string& path) {
  auto logger = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S] %l %v");
  logger->sinks().push_back(sink);
  logger->flush_on(spdlog::level::info);
}

}  // namespace nas
