// Registers every generator's search strategy with the strategy registry (libnas/search), so
// tools find them by name. Idempotent; tools that run strategies call it once at start.
#pragma once

namespace nas {

void register_generators();

}  // namespace nas
