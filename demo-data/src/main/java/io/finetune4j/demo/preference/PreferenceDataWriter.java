package io.finetune4j.demo.preference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.demo.DemoData;
import io.finetune4j.demo.DemoDataSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes the demo preference task next to the demo SFT data:
 * <pre>
 * preferences-train.jsonl    {"prompt", "chosen", "rejected"}  from the SFT training split's prompts
 * preferences-heldout.jsonl  {"prompt", "chosen", "rejected"}  from the SFT held-out split's prompts
 * </pre>
 * Built from {@link DemoData} of the same seed as {@code ft4j make-demo-data}, so the prompts are the SFT
 * task's and held-out prompts never appear in training. Run as
 * {@code java ... io.finetune4j.demo.preference.PreferenceDataWriter <out-dir> [seed]}.
 */
public final class PreferenceDataWriter {
    public static final String TRAIN_FILE = "preferences-train.jsonl";
    public static final String HELDOUT_FILE = "preferences-heldout.jsonl";
    /** Pairs per file: enough for a short DPO stage on the tiny model. */
    public static final int TRAIN_PAIRS = 600;
    public static final int HELDOUT_PAIRS = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    private PreferenceDataWriter() {}

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: PreferenceDataWriter <out-dir> [seed, default 42]");
            System.exit(2);
        }
        long seed = args.length == 2 ? Long.parseLong(args[1]) : 42;
        write(Path.of(args[0]), seed);
    }

    /** Writes both files for {@code seed} into {@code dir}. */
    public static void write(Path dir, long seed) {
        DemoDataSpec defaults = DemoDataSpec.defaults(seed);
        // The SFT splits come from their own random streams: a one-document corpus leaves them unchanged
        // (except in the rare case that a prompt collides with a pretraining document) and is quick to make.
        DemoData data = DemoData.generate(new DemoDataSpec(seed, 1, 1, defaults.trainExamples(),
                defaults.heldoutExamples(), defaults.vocabSize()));
        List<PreferenceExample> train = PreferenceDataGenerator.generate(data.train(), seed);
        List<PreferenceExample> heldout = PreferenceDataGenerator.generate(data.heldout(), seed + 1);
        write(dir.resolve(TRAIN_FILE), train.subList(0, Math.min(TRAIN_PAIRS, train.size())));
        write(dir.resolve(HELDOUT_FILE), heldout.subList(0, Math.min(HELDOUT_PAIRS, heldout.size())));
    }

    static void write(Path file, List<PreferenceExample> rows) {
        StringBuilder text = new StringBuilder();
        for (PreferenceExample row : rows) {
            ObjectNode node = JSON.createObjectNode();
            node.put("prompt", row.prompt());
            node.put("chosen", row.chosen());
            node.put("rejected", row.rejected());
            try {
                text.append(JSON.writeValueAsString(node)).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise a JSON row", e);
            }
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
