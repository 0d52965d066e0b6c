package io.finetune4j.alignment.sft;

import io.finetune4j.runtime.data.TokenizedExample;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Packs tokenized examples into rows of at most {@code maxLength} tokens, as TRL's {@code pack_dataset}
 * ({@code trl/data_utils.py}).
 */
final class SftPacker {
    private SftPacker() {}

    static List<PackedSequence> pack(List<TokenizedExample> examples, int maxLength, String strategy) {
        return switch (strategy) {
            case "bfd" -> bestFitDecreasing(examples, maxLength);
            case "wrapped" -> wrapped(examples, maxLength);
            default -> throw new IllegalArgumentException("unknown packing strategy " + strategy);
        };
    }

    /**
     * TRL's {@code _pack_bfd}: examples, longest first (ties in dataset order), each go into the open row with the
     * least free space that still fits it (among rows with equal free space, the one that reached it
     * first), else into a new row. Rows keep
     * the order they were opened in; examples are never split (they are at most {@code maxLength} already).
     */
    static List<PackedSequence> bestFitDecreasing(List<TokenizedExample> examples, int maxLength) {
        Integer[] order = new Integer[examples.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> examples.get(i).length()).reversed());
        List<List<TokenizedExample>> rows = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        TreeMap<Integer, Deque<Integer>> rowsByFreeSpace = new TreeMap<>();
        for (int index : order) {
            TokenizedExample example = examples.get(index).truncate(maxLength);
            int length = example.length();
            Map.Entry<Integer, Deque<Integer>> fit = rowsByFreeSpace.ceilingEntry(length);
            int row;
            if (fit == null) {
                row = rows.size();
                rows.add(new ArrayList<>());
                used.add(0);
            } else {
                row = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) {
                    rowsByFreeSpace.remove(fit.getKey());
                }
            }
            rows.get(row).add(example);
            used.set(row, used.get(row) + length);
            int free = maxLength - used.get(row);
            if (free > 0) {
                rowsByFreeSpace.computeIfAbsent(free, key -> new ArrayDeque<>()).addLast(row);
            }
        }
        return rows.stream().map(PackedSequence::new).toList();
    }

    /**
     * TRL's {@code _pack_wrapped}: every example laid end to end and cut every {@code maxLength} tokens. Unlike
     * TRL, where a wrapped row is one sequence, the pieces of different examples stay separate segments here
     * (attention never crosses examples), and a piece cut from an example's start is a segment of its own whose
     * first token has no target.
     */
    static List<PackedSequence> wrapped(List<TokenizedExample> examples, int maxLength) {
        List<PackedSequence> rows = new ArrayList<>();
        List<TokenizedExample> current = new ArrayList<>();
        int free = maxLength;
        for (TokenizedExample example : examples) {
            long[] ids = example.ids();
            boolean[] targets = example.targets();
            int start = 0;
            while (start < ids.length) {
                int take = Math.min(free, ids.length - start);
                current.add(new TokenizedExample(Arrays.copyOfRange(ids, start, start + take),
                        Arrays.copyOfRange(targets, start, start + take), example.source()));
                start += take;
                free -= take;
                if (free == 0) {
                    rows.add(new PackedSequence(current));
                    current = new ArrayList<>();
                    free = maxLength;
                }
            }
        }
        if (!current.isEmpty()) {
            rows.add(new PackedSequence(current));
        }
        return rows;
    }
}
