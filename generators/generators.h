// Registers the model-based search strategies with the strategy registry (libnas/search): every
// generator's and the predictor's (predictors/predictor_search.h), so tools find them by name.
// Idempotent; tools that run strategies call it once at start.
#pragma once

namespace nas {

void register_generators();

}  // namespace nas
