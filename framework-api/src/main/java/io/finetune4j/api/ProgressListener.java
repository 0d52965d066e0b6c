package io.finetune4j.api;

/** Progress of a long task (training, evaluation); the runner draws it as a bar. */
@Stable
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
        @Override public void start(String task, long total) {}
        @Override public void advance(long steps, String message) {}
        @Override public void finish() {}
    };

    void start(String task, long total);

    /** {@code message} is a short status such as {@code loss=2.31}; may be empty. */
    void advance(long steps, String message);

    void finish();
}
