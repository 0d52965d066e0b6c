package io.finetune4j.demo;

import io.finetune4j.api.ConfigProblems;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ft4j make-demo-data}: writes the demo's pretraining corpus, SFT task and tokenizer, all derived
 * from one seed without any download (see {@link DemoDataWriter} for the files).
 */
@Command(name = "make-demo-data", mixinStandardHelpOptions = true,
        description = "Generate the demo corpus, SFT task (train/heldout), general text and a BPE tokenizer.")
public final class DemoDataCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    private Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Seed; the same seed gives the same bytes (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--pretrain-docs", defaultValue = "12000", description = "Rows of pretrain.jsonl (default: ${DEFAULT-VALUE}).")
    private int pretrainDocuments;

    @Option(names = "--general-docs", defaultValue = "200", description = "Rows of general.jsonl (default: ${DEFAULT-VALUE}).")
    private int generalDocuments;

    @Option(names = "--train", defaultValue = "1500", description = "Rows of train.jsonl (default: ${DEFAULT-VALUE}).")
    private int trainExamples;

    @Option(names = "--heldout", defaultValue = "200", description = "Rows of heldout.jsonl (default: ${DEFAULT-VALUE}).")
    private int heldoutExamples;

    @Option(names = "--vocab", defaultValue = "1024",
            description = "Largest tokenizer vocabulary: 256 bytes + 3 special tokens + merges; fewer merges are "
                    + "learned when the corpus runs out of pairs seen twice (default: ${DEFAULT-VALUE}).")
    private int vocabSize;

    @Override
    public Integer call() {
        ConfigProblems problems = ConfigProblems.at("");
        problems.check(pretrainDocuments > 0, "--pretrain-docs", "must be > 0, was %d", pretrainDocuments);
        problems.check(generalDocuments > 0, "--general-docs", "must be > 0, was %d", generalDocuments);
        problems.check(trainExamples > 0, "--train", "must be > 0, was %d", trainExamples);
        problems.check(heldoutExamples > 0, "--heldout", "must be > 0, was %d", heldoutExamples);
        problems.check(vocabSize >= 256 + DemoDataWriter.SPECIAL_TOKENS.size(), "--vocab",
                "must be >= %d (bytes and special tokens), was %d", 256 + DemoDataWriter.SPECIAL_TOKENS.size(), vocabSize);
        problems.throwIfAny();

        DemoData data = DemoData.generate(new DemoDataSpec(seed, pretrainDocuments, generalDocuments, trainExamples,
                heldoutExamples, vocabSize));
        List<String> merges = DemoDataWriter.write(out, data, vocabSize);
        PrintWriter console = spec.commandLine().getOut();
        console.printf(Locale.ROOT, "wrote demo data (seed %d) to %s%n", seed, out);
        console.printf(Locale.ROOT, "  pretrain.jsonl  %6d documents%n", data.pretrain().size());
        console.printf(Locale.ROOT, "  general.jsonl   %6d documents (held out from pretraining)%n", data.general().size());
        console.printf(Locale.ROOT, "  train.jsonl     %6d prompt/completion rows%n", data.train().size());
        console.printf(Locale.ROOT, "  heldout.jsonl   %6d prompt/completion rows (no prompt in train.jsonl)%n",
                data.heldout().size());
        console.printf(Locale.ROOT, "  tokenizer/      byte-level BPE, %d merges, vocabulary %d%n", merges.size(),
                DemoDataWriter.vocabularySize(merges));
        console.flush();
        return 0;
    }
}
