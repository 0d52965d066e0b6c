package io.finetune4j.alignment.ppo;

import java.util.List;
import java.util.Locale;

/** TRL's {@code kl_estimator}: {@code k1} (log-ratio, unbiased) or {@code k3} (lower variance, non-negative). */
public enum KlEstimator {
    K1,
    K3;

    public static final List<String> NAMES = List.of("k1", "k3");

    public static KlEstimator parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
