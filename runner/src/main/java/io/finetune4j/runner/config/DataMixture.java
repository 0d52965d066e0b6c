package io.finetune4j.runner.config;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Multi-task mixing: several training files combined into one dataset in proportions the pipeline sets
 * ({@code train: [{path: a.jsonl, weight: 3}, {path: b.jsonl, weight: 1}]}).
 *
 * <p>The mixture keeps the total size {@code N} of the files together; file {@code i} contributes
 * {@code n_i} rows, {@code n_i} proportional to {@code weight_i} (largest-remainder rounding, so the counts
 * sum to N exactly). A file asked for fewer rows than it has gives a seeded sample without replacement;
 * one asked for more repeats every row {@code ⌊n_i / size_i⌋} times and samples the rest without
 * replacement, so each row is seen as evenly as possible (temperature-free proportional sampling, as
 * multi-task mixtures such as T5's use). The result is in file order within each file's share; the
 * trainer shuffles it every epoch.
 */
public final class DataMixture {
    private DataMixture() {}

    /** One weighted file. */
    public record Part(Dataset data, double weight) {}

    /** Row counts per part for a mixture of {@code total} rows. */
    static int[] counts(List<Part> parts, int total) {
        double sum = parts.stream().mapToDouble(Part::weight).sum();
        int[] counts = new int[parts.size()];
        double[] remainders = new double[parts.size()];
        int assigned = 0;
        for (int i = 0; i < parts.size(); i++) {
            double exact = total * parts.get(i).weight() / sum;
            counts[i] = (int) Math.floor(exact);
            remainders[i] = exact - counts[i];
            assigned += counts[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            order.add(i);
        }
        // Largest remainder first; ties go to the earlier file so the result does not depend on sorting.
        order.sort((a, b) -> remainders[a] != remainders[b] ? Double.compare(remainders[b], remainders[a]) : a - b);
        for (int k = 0; assigned < total; k++, assigned++) {
            counts[order.get(k % order.size())]++;
        }
        return counts;
    }

    /** The mixed dataset; {@code seed} fixes which rows are sampled. */
    public static Dataset mix(List<Part> parts, long seed) {
        int total = parts.stream().mapToInt(part -> part.data().size()).sum();
        int[] counts = counts(parts, total);
        List<Example> rows = new ArrayList<>(total);
        StringBuilder name = new StringBuilder("mixture(");
        for (int i = 0; i < parts.size(); i++) {
            Dataset data = parts.get(i).data();
            rows.addAll(sample(data.examples(), counts[i], new Random(seed * 31 + i)));
            name.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s×%d", data.name(), counts[i]));
        }
        return new Dataset(name.append(')').toString(), rows);
    }

    /**
     * Replay against forgetting ({@code data.replay: {path, ratio}}): {@code round(ratio × trainRows)} rows of
     * general text, the part of weight {@code ratio} next to the training rows' weight 1, picked as every part
     * of a mixture is (a seeded sample without replacement, every row repeated when the file is smaller). The
     * training rows themselves stay as they are; the dataset's name carries the count.
     */
    public static Dataset replay(Dataset general, int trainRows, double ratio, long seed) {
        int count = (int) Math.round(ratio * trainRows);
        // Its own stream: adding replay does not change which rows a weighted training mixture samples.
        List<Example> rows = sample(general.examples(), count, new Random(seed * 31 - 1));
        return new Dataset(String.format(Locale.ROOT, "replay(%s×%d)", general.name(), count), rows);
    }

    private static List<Example> sample(List<Example> rows, int count, Random random) {
        List<Example> picked = new ArrayList<>(count);
        for (int r = 0; r < count / rows.size(); r++) {
            picked.addAll(rows);
        }
        int rest = count % rows.size();
        if (rest > 0) {
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                indices.add(i);
            }
            Collections.shuffle(indices, random);
            List<Integer> chosen = new ArrayList<>(indices.subList(0, rest));
            Collections.sort(chosen);
            chosen.forEach(i -> picked.add(rows.get(i)));
        }
        return picked;
    }
}
