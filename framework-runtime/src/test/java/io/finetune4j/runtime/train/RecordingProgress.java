package io.finetune4j.runtime.train;

import io.finetune4j.api.ProgressListener;
import java.util.ArrayList;
import java.util.List;

/** Keeps every progress call as text. */
final class RecordingProgress implements ProgressListener {
    final List<String> calls = new ArrayList<>();

    @Override
    public void start(String task, long total) {
        calls.add("start " + task + " " + total);
    }

    @Override
    public void advance(long steps, String message) {
        calls.add("advance " + steps + " " + message);
    }

    @Override
    public void finish() {
        calls.add("finish");
    }
}
