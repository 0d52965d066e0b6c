package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.TrainingException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorReportTest {
    private final StringWriter err = new StringWriter();

    private int report(Exception error) {
        return ErrorReport.report(error, new PrintWriter(err, true), false);
    }

    @Test
    void trainingFailureIsAUserErrorWithItsCause() {
        int code = report(new TrainingException("stage 'sft', step 3: loss is NaN",
                new IllegalStateException("gradient overflow")));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: stage 'sft', step 3: loss is NaN\n"
                + "  caused by: java.lang.IllegalStateException: gradient overflow\n");
    }

    @Test
    void unreadableFileIsAUserError() {
        int code = report(new UncheckedIOException("cannot create run directory /x",
                new AccessDeniedException("/x")));

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: cannot create run directory /x: permission denied: /x\n");
    }

    @Test
    void severalProblemsStayOneParagraph() {
        report(new ConfigException(List.of("a: bad", "b: worse")));

        assertThat(err.toString()).isEqualTo("ft4j: 2 problems:\n  1. a: bad\n  2. b: worse\n");
    }

    @Test
    void anythingElseIsABugWithItsStackTrace() {
        int code = report(new NullPointerException("oops"));

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("ft4j: internal error (a bug; please report it with this trace): "
                + "java.lang.NullPointerException: oops\njava.lang.NullPointerException: oops\n\tat ");
    }
}
