package io.finetune4j.runner.console;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;

/**
 * Where the runner talks to the user: results on {@code out}, progress, warnings and errors on
 * {@code err}, so {@code ft4j generate --json > out.json} stays machine-readable.
 */
public record Console(PrintWriter out, PrintWriter err) {
    public Console {
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
    }

    /** A result line on standard output. */
    public void result(String line) {
        out.println(line);
        out.flush();
    }

    /** A status line on standard error. */
    public void status(String line) {
        err.println(line);
        err.flush();
    }

    public void warning(String line) {
        status("warning: " + line);
    }
}
