// Logging through spdlog: a console sink (stderr) and, once a run directory exists, log.txt.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace nas {

// Sets the level (trace, debug, info, warn, error, off); nas::Error for an unknown level.
void init_logging(const std::string& level = "info");
// Adds RUN_DIR/log.txt as a second sink (append).
void log_to_file(const std::string& path);

}  // namespace nas
