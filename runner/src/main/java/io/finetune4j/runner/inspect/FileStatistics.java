package io.finetune4j.runner.inspect;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Rows, tokens, the longest sequence, truncations and drops (by reason) of one training file. */
final class FileStatistics {
    private final String name;
    private int rows;
    private long tokens;
    private int longest;
    private int truncated;
    private final Map<String, Integer> dropped = new TreeMap<>();

    FileStatistics(String name) {
        this.name = name;
    }

    void add(StageTokenization.Result result) {
        rows++;
        if (result.dropped().isPresent()) {
            // one reason per kind, without the row's own numbers
            dropped.merge(result.dropped().get().replaceAll(" \\(the row has \\d+ tokens\\)", ""), 1, Integer::sum);
            return;
        }
        boolean cut = false;
        for (TokenView view : result.views()) {
            tokens += view.example().length();
            longest = Math.max(longest, view.fullLength());
            cut |= view.fullLength() > view.example().length();
        }
        truncated += cut ? 1 : 0;
    }

    String line() {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "  %s: %d rows, %d tokens, longest %d, %d truncated, %d dropped", name, rows, tokens, longest, truncated,
                dropped.values().stream().mapToInt(Integer::intValue).sum()));
        dropped.forEach((reason, count) -> text.append(String.format(Locale.ROOT, "\n    %d dropped: %s", count, reason)));
        return text.toString();
    }
}
