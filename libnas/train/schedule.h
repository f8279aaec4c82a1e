// Learning-rate schedules with an optional linear warm-up.
//
//   cosine       lr_min + (lr - lr_min) * (1 + cos(pi * t / T)) / 2
//   exponential  lr * gamma^t
//   constant     lr
// t counts epochs after the warm-up (plus `offset`), T = epochs - warmup_epochs. With
// per_step = false t is a whole number of epochs (the lr changes at epoch starts, as the NAO and
// DARTS scripts do); with per_step = true t moves by 1 / steps_per_epoch each step.
// offset = 1 reproduces those scripts exactly: their scheduler steps at the start of each epoch,
// so epoch e trains with the value at e + 1 (the first epoch is already decayed, the last cosine
// epoch runs at lr_min). Warm-up: for the first warmup_epochs the lr rises linearly per step
// from lr / (warm-up steps) to lr.
#pragma once

#include <cstdint>
#include <string>

namespace nas {

struct LrSchedule {
  std::string kind = "cosine";
  double lr = 0.025;
  double lr_min = 0.0;
  double gamma = 0.97;
  int64_t warmup_epochs = 0;
  int64_t offset = 1;
  bool per_step = false;

  template <class V>
  void fields(V& v) {
    v("kind", kind, "cosine, exponential or constant");
    v("lr", lr, "peak learning rate");
    v("lr_min", lr_min, "cosine: final learning rate");
    v("gamma", gamma, "exponential: factor per epoch");
    v("warmup_epochs", warmup_epochs, "epochs of linear warm-up");
    v("offset", offset, "epochs the schedule runs ahead (1 = the NAO/DARTS scripts' off-by-one)");
    v("per_step", per_step, "change the lr every step instead of every epoch");
  }

  // nas::Error for an unknown kind or out-of-range values (lr <= 0, lr_min > lr, gamma outside
  // (0, 1], warmup_epochs outside [0, epochs), offset < 0).
  void validate(int64_t epochs) const;
  // The learning rate of step `step_in_epoch` of epoch `epoch` (both 0-based).
  double at(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch, int64_t epochs) const;
};

}  // namespace nas
