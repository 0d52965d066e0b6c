package io.finetune4j.runner.inspect;

import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.data.TokenizedExample;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One tokenized sequence as {@code ft4j inspect-data} prints it: the text of each run of trained or untrained
 * tokens, trained runs in brackets (or green on a terminal), then the ids the same way.
 */
record TokenView(String label, TokenizedExample example, int fullLength, String truncation) {
    private static final String GREEN = "\u001B[32m";
    private static final String RESET = "\u001B[0m";

    String render(TextTokenizer tokenizer, boolean color) {
        long[] ids = example.ids();
        boolean[] targets = example.targets();
        StringBuilder text = new StringBuilder();
        StringBuilder idText = new StringBuilder();
        int start = 0;
        while (start < ids.length) {
            int end = start;
            while (end < ids.length && targets[end] == targets[start]) {
                end++;
            }
            long[] run = Arrays.copyOfRange(ids, start, end);
            String runText = tokenizer.decode(run, false);
            String runIds = Arrays.stream(run).mapToObj(Long::toString).collect(Collectors.joining(" "));
            if (idText.length() > 0) {
                idText.append(' ');
            }
            text.append(mark(runText, targets[start], color));
            idText.append(mark(runIds, targets[start], color));
            start = end;
        }
        String header = String.format(Locale.ROOT, "  %s: %d tokens, %d trained%s", label, ids.length,
                example.targetCount(), fullLength > ids.length
                        ? String.format(Locale.ROOT, ", truncated from %d (%s)", fullLength, truncation) : "");
        return header + "\n    text: " + text.toString().replace("\n", "\n          ") + "\n    ids:  " + idText;
    }

    private static String mark(String text, boolean trained, boolean color) {
        if (!trained) {
            return text;
        }
        return color ? GREEN + text + RESET : "[" + text + "]";
    }
}
