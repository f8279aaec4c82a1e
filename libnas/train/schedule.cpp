#include "libnas/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "libnas/util/error.h"
#include "libnas/util/strings.h"

namespace nas {

void LrSchedule::validate(int64_t epochs) const {
  NAS_CHECK(kind == "cosine" || kind == "exponential" || kind == "constant",
            "lr.kind: expected cosine, exponential or constant, found {}", quote(kind));
  NAS_CHECK(lr > 0.0 && std::isfinite(lr), "lr.lr: expected a positive learning rate, found {}",
            lr);
  NAS_CHECK(lr_min >= 0.0 && lr_min <= lr, "lr.lr_min: expected 0 <= lr_min <= lr ({}), found {}",
            lr, lr_min);
  NAS_CHECK(gamma > 0.0 && gamma <= 1.0, "lr.gamma: expected a factor in (0, 1], found {}", gamma);
  NAS_CHECK(warmup_epochs >= 0 && warmup_epochs < std::max<int64_t>(epochs, 1),
            "lr.warmup_epochs: expected 0 <= warm-up < epochs ({}), found {}", epochs,
            warmup_epochs);
  NAS_CHECK(offset >= 0, "lr.offset: expected an offset >= 0, found {}", offset);
}

double LrSchedule::at(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch,
                      int64_t epochs) const {
  const int64_t spe = std::max<int64_t>(steps_per_epoch, 1);
  if (epoch < warmup_epochs) {
    const double step = static_cast<double>(epoch * spe + step_in_epoch + 1);
    return lr * step / static_cast<double>(warmup_epochs * spe);
  }
  double t = static_cast<double>(epoch - warmup_epochs + offset);
  if (per_step) t += static_cast<double>(step_in_epoch) / static_cast<double>(spe);
  const double span = static_cast<double>(std::max<int64_t>(epochs - warmup_epochs, 1));
  if (kind == "cosine") {
    const double x = std::min(t, span) / span;
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + std::cos(M_PI * x));
  }
  if (kind == "exponential") return lr * std::pow(gamma, t);
  return lr;
}

}  // namespace nas
