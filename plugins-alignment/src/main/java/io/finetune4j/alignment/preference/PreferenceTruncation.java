package io.finetune4j.alignment.preference;

import java.util.List;
import java.util.Locale;

/**
 * What a preference objective does with a sequence (prompt + completion + EOS) longer than the stage's
 * {@code max_length}, as the TRL v1.9 trainer it follows:
 * <ul>
 *   <li>{@code keep_start} ({@code DPOTrainer}, {@code KTOTrainer}; {@code DataCollatorForPreference} slices
 *       {@code ids[:max_length]}): keep the first {@code max_length} tokens; a row whose prompt alone fills
 *       {@code max_length} is dropped ({@code dataset.filter(len(prompt_ids) < max_length)}), as it would
 *       keep no completion token;</li>
 *   <li>{@code keep_end} (deprecated in TRL v1.9's {@code DPOConfig}, the default of TRL's experimental
 *       {@code ORPOTrainer} and {@code CPOTrainer}): keep the last {@code max_length} tokens, nothing dropped;</li>
 *   <li>{@code drop} ({@code RewardTrainer}): a pair whose chosen or rejected sequence is longer than
 *       {@code max_length} is dropped, never truncated.</li>
 * </ul>
 */
public enum PreferenceTruncation {
    KEEP_START, KEEP_END, DROP;

    /** The names pipeline files may give as {@code truncation_mode} (DPO offers the first two). */
    public static final List<String> MODES = List.of("keep_start", "keep_end");

    public static PreferenceTruncation parse(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
