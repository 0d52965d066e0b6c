package io.finetune4j.runner.cli;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.generate.GenerationConfig;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ft4j generate --model DIR --prompt TEXT [...]}. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a model (greedy unless --temperature is given).")
public final class GenerateCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    /** Exactly one of a text or token ids. */
    static final class Prompt {
        @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
        String text;

        @Option(names = "--prompt-ids", required = true, split = ",", paramLabel = "ID",
                description = "The prompt as token ids: 1,2,3 (no tokenizer needed).")
        long[] ids;
    }

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
            description = "At most this many new tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample with this temperature (> 0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most likely tokens.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample from the smallest set with probability >= P.")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: 0).")
    Long seed;

    @Mixin
    AdapterOptions adapters;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--json", description = "Print {\"prompt_ids\": [...], \"output_ids\": [...], \"text\": \"...\"}.")
    boolean json;

    @Override
    public int run(Ft4j app) {
        GenerationConfig config = config();
        app.generation().generate(model, tokenizer.dir(), adapters.selection(), prompt.text, prompt.ids, config, json);
        return 0;
    }

    GenerationConfig config() {
        if (maxNewTokens < 0) {
            throw new ConfigException("--max-new-tokens: must be >= 0, was " + maxNewTokens);
        }
        if (temperature == null) {
            for (String sampling : new String[] {topK != null ? "--top-k" : null, topP != null ? "--top-p" : null}) {
                if (sampling != null) {
                    throw new ConfigException(sampling + ": only applies when sampling; add --temperature T "
                            + "(without it decoding is greedy)");
                }
            }
            return GenerationConfig.greedy(maxNewTokens);
        }
        if (!(temperature > 0) || temperature.isInfinite()) {
            throw new ConfigException("--temperature: must be > 0, was " + temperature
                    + " (leave it out for greedy decoding)");
        }
        if (topK != null && topK < 0) {
            throw new ConfigException("--top-k: must be >= 0 (0 turns it off), was " + topK);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new ConfigException("--top-p: must be in (0, 1], was " + topP);
        }
        return new GenerationConfig(maxNewTokens, temperature, topK == null ? 0 : topK, topP == null ? 1 : topP,
                seed == null ? 0 : seed);
    }
}
