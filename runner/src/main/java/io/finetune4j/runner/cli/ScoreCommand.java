package io.finetune4j.runner.cli;

import io.finetune4j.runner.model.ScoringService;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ft4j score --model DIR (--text TEXT | --ids 1,2,3) [...]}. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Log-probability of every token of a text under a model, and its perplexity.")
public final class ScoreCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Checkpoint directory.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Mixin
    AdapterOptions adapters;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--json", description = "Print {\"ids\": [...], \"logprobs\": [null, ...], \"perplexity\": x}.")
    boolean json;

    /** Exactly one of a text or token ids. */
    static final class Input {
        @Option(names = "--text", required = true, paramLabel = "TEXT",
                description = "Text, tokenized with the model's special-token rules.")
        String text;

        @Option(names = "--ids", required = true, split = ",", paramLabel = "ID", description = "Token ids: 1,2,3.")
        long[] ids;
    }

    @Override
    public int run(Ft4j app) {
        ScoringService.Input what = input.text != null
                ? new ScoringService.Input.Text(input.text)
                : new ScoringService.Input.Ids(input.ids);
        app.scoring().score(model, tokenizer.dir(), adapters.selection(), what, json);
        return 0;
    }
}
