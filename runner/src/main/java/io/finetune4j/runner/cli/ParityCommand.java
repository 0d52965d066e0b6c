package io.finetune4j.runner.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import io.finetune4j.runner.model.ParityService;

/** {@code ft4j parity --model DIR --adapter DIR [--gguf FILE] --prompts FILE [--tolerance T] [--json]}. */
@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Check that the merged model and an exported GGUF file give the adapted model's outputs; "
                + "exit 2 when one differs beyond the tolerance.")
public final class ParityCommand implements Action {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The base checkpoint directory.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The adapter directory.")
    Path adapter;

    @Option(names = "--gguf", paramLabel = "FILE", description = "A GGUF file exported from the merged model.")
    Path gguf;

    @Option(names = "--prompts", required = true, paramLabel = "FILE",
            description = "JSONL of {\"prompt\": ...} or {\"text\": ...} lines.")
    Path prompts;

    @Option(names = "--tolerance", paramLabel = "T", defaultValue = "" + ParityService.DEFAULT_TOLERANCE,
            description = "Largest max |Δ logit| against the adapted model that passes (default: 1e-3; "
                    + "f16 and q8_0 files need more).")
    double tolerance;

    @Option(names = "--json", description = "Print one JSON line per artefact.")
    boolean json;

    @Override
    public int run(Ft4j app) {
        ParityService parity = app.parity();
        return parity.report(parity.compare(model, adapter, Optional.ofNullable(gguf), prompts), tolerance,
                Optional.ofNullable(gguf), json);
    }
}
