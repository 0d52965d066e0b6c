package io.finetune4j.alignment.sft;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.List;

/**
 * Creates the {@code sft} objective: next-token cross-entropy on text, completions or assistant turns, as
 * TRL's {@code SFTTrainer}. Accepts text, prompt/completion and messages rows; conversations are rendered with
 * a Jinja chat template ({@code chat_template}). Rows longer than the stage's {@code max_length} keep their
 * first {@code max_length} tokens; a row left with no target token is rejected, naming its file and line.
 */
public final class SftObjectiveProvider implements ObjectiveProvider<SftConfig> {
    static final List<String> PACKING_STRATEGIES = List.of("bfd", "wrapped");

    @Override public String id() { return "sft"; }

    @Override public String description() { return "Supervised fine-tuning: cross-entropy on target tokens"; }

    /**
     * TRL v1.9 {@code SFTConfig} ({@code trl/trainer/sft_config.py}): {@code completion_only_loss} on (it is
     * {@code None}, meaning "on for prompt/completion rows"), {@code assistant_only_loss=False}.
     */
    @Override public SftConfig defaults() { return new SftConfig("auto", true, false, true, false, "bfd"); }

    @Override
    public void validate(SftConfig config, ConfigProblems problems) {
        problems.check(config.chatTemplate() != null && !config.chatTemplate().isBlank(), "chat_template",
                "must be auto, a built-in template name or a path to a Jinja file");
        problems.check(PACKING_STRATEGIES.contains(config.packingStrategy()), "packing_strategy",
                "must be one of %s, was '%s'", PACKING_STRATEGIES, config.packingStrategy());
        KlToBaseConfig kl = config.klToBase();
        problems.check(kl.coefficient() >= 0 && Double.isFinite(kl.coefficient()), "kl_to_base.coefficient",
                "must be a number >= 0, was %s", kl.coefficient());
        problems.check(KlToBaseConfig.DIRECTIONS.contains(kl.direction()), "kl_to_base.direction",
                "must be one of %s, was '%s'", KlToBaseConfig.DIRECTIONS, kl.direction());
    }

    @Override
    public Objective create(SftConfig config, ObjectiveContext context) {
        return new SftObjective(config, context);
    }
}
