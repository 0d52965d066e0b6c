package io.finetune4j.runtime.train;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Backward passes a forward deferred until the loss's own backward has run: gradient checkpointing
 * (Hugging Face's {@code gradient_checkpointing}) records none of the decoder layers in the forward and
 * recomputes each one, latest first, once the gradient at its output is known.
 *
 * <p>The trainer opens a tape around each micro-batch when the stage asks for checkpointing; a model's
 * training forward that finds one open (on this thread, with gradients recorded) checkpoints its layers
 * and {@link #defer defers} their backward. After {@code collector.backward(loss)} the trainer calls
 * {@link #drain}, which runs the deferred passes in reverse order of their forwards, so every pass sees
 * the complete gradient of its output. Without an open tape models run the plain recorded forward.
 */
public final class BackwardTape implements AutoCloseable {
    private static final ThreadLocal<BackwardTape> CURRENT = new ThreadLocal<>();

    private final Deque<Runnable> pending = new ArrayDeque<>();
    private final BackwardTape outer;

    private BackwardTape(BackwardTape outer) {
        this.outer = outer;
    }

    /** Opens a tape on this thread until {@link #close}. */
    public static BackwardTape open() {
        BackwardTape tape = new BackwardTape(CURRENT.get());
        CURRENT.set(tape);
        return tape;
    }

    /** The tape open on this thread, if any. */
    public static Optional<BackwardTape> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Queues a backward pass to run after the loss's backward, before those queued earlier. */
    public void defer(Runnable backward) {
        pending.push(backward);
    }

    /** How many backward passes wait for {@link #drain}. */
    public int pendingPasses() {
        return pending.size();
    }

    /** Runs every deferred backward pass, latest first; call inside the gradient collector. */
    public void drain() {
        while (!pending.isEmpty()) {
            pending.pop().run();
        }
    }

    @Override
    public void close() {
        pending.clear();
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
    }
}
