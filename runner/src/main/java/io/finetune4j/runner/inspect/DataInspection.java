package io.finetune4j.runner.inspect;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.config.BaseSpec;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runtime.chat.ChatTemplate;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code ft4j inspect-data}: what a stage's model will see for its first rows (the rendered text, the token
 * ids, which tokens are trained, truncation) and per-file statistics (rows, tokens, longest, rows dropped and
 * why), without loading weights.
 */
public final class DataInspection {
    private final PipelineParser parser;
    private final Console console;

    @Inject
    public DataInspection(PipelineParser parser, Console console) {
        this.parser = requireNonNull(parser, "parser is null");
        this.console = requireNonNull(console, "console is null");
    }

    /** Prints the first {@code rows} rows of the stage (the first when {@code stageName} is empty). */
    public void inspect(Path file, Optional<String> stageName, int rows, boolean color) {
        if (rows < 0) {
            throw new ConfigException("--rows: must be >= 0, was " + rows);
        }
        PipelineSpec spec = parser.parse(file);
        StageSpec stage = stageName.map(name -> spec.stages().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new ConfigException("--stage: no stage named '" + name + "'; stages: "
                        + spec.stages().stream().map(StageSpec::name).toList()))).orElse(spec.stages().get(0));
        Path tokenizerDir = tokenizerDir(spec, stage);
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerDir)) {
            StageTokenization tokenization = new StageTokenization(tokenizer, stage,
                    chatTemplate(stage, tokenizer));
            console.result(String.format(Locale.ROOT, "%s %s: objective %s, max_length %d, tokenizer %s",
                    stage.path(), stage.name(), stage.objective().id(), stage.maxLength(), tokenizerDir));
            int shown = 0;
            StringBuilder statistics = new StringBuilder("statistics:");
            for (Dataset dataset : stage.trainData()) {
                FileStatistics stats = new FileStatistics(dataset.name());
                for (Example example : dataset.examples()) {
                    StageTokenization.Result result = tokenization.tokenize(example);
                    stats.add(result);
                    if (shown < rows) {
                        shown++;
                        console.result(describe(example, result, tokenizer, color));
                    }
                }
                statistics.append('\n').append(stats.line());
            }
            console.result(statistics.toString());
        }
    }

    private static String describe(Example example, StageTokenization.Result result, HfTokenizer tokenizer, boolean color) {
        StringBuilder text = new StringBuilder(example.source() + " (" + kind(example) + ")");
        if (result.dropped().isPresent()) {
            return text.append("\n  dropped: ").append(result.dropped().get()).toString();
        }
        for (TokenView view : result.views()) {
            text.append('\n').append(view.render(tokenizer, color));
        }
        return text.toString();
    }

    static String kind(Example example) {
        if (example instanceof Example.Text) {
            return "text";
        } else if (example instanceof Example.PromptCompletion) {
            return "prompt/completion";
        } else if (example instanceof Example.Conversation) {
            return "messages";
        } else if (example instanceof Example.Preference) {
            return "preference";
        } else if (example instanceof Example.PromptOnly) {
            return "prompt";
        }
        return "labelled";
    }

    /** The objective's {@code chat_template} setting, when it has one, resolved against the pipeline's directory. */
    private static ChatTemplate chatTemplate(StageSpec stage, HfTokenizer tokenizer) {
        String setting = StageTokenization.setting(stage.objective().config(), "chatTemplate", String.class)
                .orElse(ChatTemplate.AUTO);
        return ChatTemplate.resolve(setting, stage.path() + ".objective.chat_template", tokenizer,
                path -> stage.pipelineDir().resolve(path));
    }

    /** The stage's {@code tokenizer:}, else its base's tokenizer files, following {@code previous}/{@code stage:} back. */
    static Path tokenizerDir(PipelineSpec spec, StageSpec stage) {
        StageSpec current = stage;
        while (true) {
            if (current.tokenizer().isPresent()) {
                return current.tokenizer().get();
            }
            BaseSpec base = current.base();
            if (base instanceof BaseSpec.Checkpoint checkpoint) {
                if (!IdsOnlyTokenizer.hasTokenizerFiles(checkpoint.dir())) {
                    throw new ConfigException(current.path() + ".base: " + checkpoint.dir() + " has no tokenizer "
                            + "(tokenizer.json, or vocab.json + merges.txt); add 'tokenizer: DIR' to the stage");
                }
                return checkpoint.dir();
            }
            if (base instanceof BaseSpec.RandomInit init) {
                return init.tokenizer();
            }
            int index = current.index();
            List<StageSpec> stages = spec.stages();
            current = base instanceof BaseSpec.Stage named
                    ? stages.stream().filter(s -> s.name().equals(named.name())).findFirst().orElseThrow()
                    : stages.get(index - 1);
        }
    }
}
