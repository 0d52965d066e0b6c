package io.finetune4j.api;

/** A running stage failed; the message names the stage and, where known, the step. */
@Stable
public class TrainingException extends RuntimeException {
    public TrainingException(String message) {
        super(message);
    }

    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
