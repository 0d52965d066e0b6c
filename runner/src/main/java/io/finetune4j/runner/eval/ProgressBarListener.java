package io.finetune4j.runner.eval;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ProgressListener;
import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Draws training and evaluation progress as a text bar on standard error. One task at a time: starting
 * a task finishes the previous one.
 */
public final class ProgressBarListener implements ProgressListener {
    private static final int WIDTH = 100;

    private final PrintWriter err;
    private ProgressBar bar;

    public ProgressBarListener(PrintWriter err) {
        this.err = requireNonNull(err, "err is null");
    }

    @Override
    public synchronized void start(String task, long total) {
        finish();
        bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setConsumer(new WriterConsumer(err))
                .build();
    }

    @Override
    public synchronized void advance(long steps, String message) {
        if (bar == null) {
            return;
        }
        bar.stepBy(steps);
        if (message != null && !message.isEmpty()) {
            bar.setExtraMessage(message);
        }
    }

    @Override
    public synchronized void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /**
     * Writes the bar with a carriage return; unlike the library's console consumer it needs no terminal
     * detection (which warns when standard error is not a terminal).
     */
    private static final class WriterConsumer implements ProgressBarConsumer {
        private final PrintWriter err;

        WriterConsumer(PrintWriter err) {
            this.err = err;
        }

        @Override
        public int getMaxRenderedLength() {
            return WIDTH;
        }

        @Override
        public void accept(String rendered) {
            err.print('\r');
            err.print(rendered);
            err.flush();
        }

        @Override
        public void close() {
            err.println();
            err.flush();
        }
    }
}
