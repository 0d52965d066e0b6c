package io.finetune4j.runner;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.PluginLoadException;
import io.finetune4j.api.TrainingException;
import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns an exception into what the user sees and the exit code: a user error (bad input, a broken
 * plugin bundle, a failed training stage, a missing file) is one paragraph on standard error and exit
 * code 2; anything else is a bug, shown with its stack trace, exit code 1.
 */
public final class ErrorReport {
    public static final int USER_ERROR = 2;
    public static final int INTERNAL_ERROR = 1;

    private ErrorReport() {}

    public static int report(Exception error, PrintWriter err, boolean verbose) {
        if (isUserError(error)) {
            err.println("ft4j: " + paragraph(error));
            if (verbose) {
                error.printStackTrace(err);
            }
            err.flush();
            return USER_ERROR;
        }
        err.println("ft4j: internal error (a bug; please report it with this trace): " + error);
        error.printStackTrace(err);
        err.flush();
        return INTERNAL_ERROR;
    }

    static boolean isUserError(Throwable error) {
        if (error instanceof ConfigException || error instanceof PluginLoadException
                || error instanceof TrainingException || isMissingFile(error)) {
            return true;
        }
        return error instanceof UncheckedIOException && isMissingFile(error.getCause());
    }

    private static boolean isMissingFile(Throwable error) {
        return error instanceof NoSuchFileException || error instanceof FileNotFoundException
                || error instanceof AccessDeniedException;
    }

    /** The message, with its cause when the message does not already say it; never a blank line. */
    static String paragraph(Throwable error) {
        String message;
        if (isMissingFile(error)) {
            message = fileProblem(error);
        } else if (error instanceof UncheckedIOException io && isMissingFile(io.getCause())) {
            message = io.getMessage() + ": " + fileProblem(io.getCause());
        } else {
            message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
            Throwable cause = error.getCause();
            if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
                message = message + "\n  caused by: " + cause;
            }
        }
        return message.replaceAll("\n\\s*\n", "\n").strip();
    }

    private static String fileProblem(Throwable error) {
        if (error instanceof AccessDeniedException denied) {
            return "permission denied: " + denied.getFile();
        }
        if (error instanceof NoSuchFileException missing) {
            return "no such file: " + missing.getFile();
        }
        return error.getMessage();
    }
}
