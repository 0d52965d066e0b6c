package io.finetune4j.eval.preference;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.TextTokenizer;
import java.util.Arrays;

/**
 * The EOS handling around the runtime's {@link io.finetune4j.runtime.data.CompletionSequence} (the rule the
 * {@code reward} and {@code dpo} stages tokenize with, so a reward or log-prob is read on what the stage
 * trained on): which EOS id ends a scored completion, and generated tokens without the EOS that stopped them.
 */
public final class CompletionSequences {
    private CompletionSequences() {}

    /** The tokenizer's first EOS id, or a ConfigException: preference sequences end with EOS. */
    public static long eos(TextTokenizer tokenizer, String evaluatorId, String whose) {
        long[] ids = tokenizer.eosTokenIds();
        if (ids.length == 0) {
            throw new ConfigException(evaluatorId + ": the tokenizer of " + whose
                    + " declares no EOS token; scored completions end with EOS");
        }
        return ids[0];
    }

    /** Generated tokens without the EOS that ended them (the scored sequence appends its own EOS). */
    public static long[] withoutEos(long[] outputIds, long[] eosIds) {
        if (outputIds.length > 0) {
            long last = outputIds[outputIds.length - 1];
            for (long eos : eosIds) {
                if (eos == last) {
                    return Arrays.copyOf(outputIds, outputIds.length - 1);
                }
            }
        }
        return outputIds.clone();
    }
}
