package io.finetune4j.runner.testing;

import io.finetune4j.runner.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;

/** Runs the {@code ft4j} command line in-process and keeps its exit code, stdout and stderr. */
public record Ft4jRun(int code, String out, String err) {
    public static Ft4jRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Ft4jRun(code, out.toString(), err.toString());
    }
}
