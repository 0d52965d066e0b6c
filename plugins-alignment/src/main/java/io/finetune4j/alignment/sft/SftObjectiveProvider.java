package io.finetune4j.alignment.sft;

import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;

/**
 * Creates the {@code sft} objective: next-token cross-entropy on text, completions or assistant turns.
 * Accepts text, prompt/completion and messages rows (conversations are rendered in ChatML; the checkpoint's
 * own chat template is not used yet). Sequences longer than the stage's {@code max_length} keep their first
 * {@code max_length} tokens; a row left with no target token is rejected, naming its file and line.
 */
public final class SftObjectiveProvider implements ObjectiveProvider<SftConfig> {
    @Override public String id() { return "sft"; }

    @Override public String description() { return "Supervised fine-tuning: cross-entropy on target tokens"; }

    @Override public SftConfig defaults() { return new SftConfig(true, true); }

    @Override
    public Objective create(SftConfig config, ObjectiveContext context) {
        return new SftObjective(config, context);
    }
}
