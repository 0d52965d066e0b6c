package io.finetune4j.runner.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ft4j merge --model DIR --adapter DIR --output DIR [--json]}. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Fold an adapter (LoRA, DoRA, IA3, AdaLoRA, ...) into its base and save a plain Hugging Face checkpoint.")
public final class MergeCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The base checkpoint directory.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR",
            description = "The adapter directory (adapter_config.json, adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where the merged checkpoint goes (new).")
    Path output;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--json", description = "Print {\"output\": dir, \"probe_tokens\": n, \"max_abs_logit_difference\": x}.")
    boolean json;

    @Override
    public int run(Ft4j app) {
        app.merging().merge(model, tokenizer.dir(), adapter, output, json);
        return 0;
    }
}
