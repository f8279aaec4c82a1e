#include "generators/generators.h"

#include <mutex>

#include "generators/agnet/agnet_search.h"
#include "generators/llm/llm_search.h"
#include "generators/nag/nag_search.h"
#include "generators/nao/nao_search.h"
#include "predictors/predictor_search.h"

namespace nas {

void register_generators() {
  static std::once_flag once;
  std::call_once(once, [] {
    nao::register_nao_strategy();
    nag::register_nag_strategy();
    agnet::register_agnet_strategy();
    llm::register_llm_strategy();
    register_predictor_strategy();
  });
}

}  // namespace nas
