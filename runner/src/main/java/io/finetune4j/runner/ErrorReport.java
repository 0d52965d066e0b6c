package io.finetune4j.runner;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.PluginLoadException;
import io.finetune4j.api.TrainingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns an exception into what the user sees and the exit code: a user error (bad input, a broken
 * plugin bundle, a failed training stage, any I/O failure: a missing file, a full disk, a read-only file
 * system, a permission) is one paragraph on standard error and exit code 2; anything else is a bug, shown
 * with its stack trace, exit code 1.
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
        return error instanceof ConfigException || error instanceof PluginLoadException
                || error instanceof TrainingException || ioProblem(error) != null;
    }

    /**
     * The I/O failure behind {@code error} (itself or a cause): a full disk, a read-only file system, a missing
     * file, a permission, a file where a directory should be. These are the machine's state, not bugs.
     */
    private static IOException ioProblem(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException io) {
                return io;
            }
        }
        return null;
    }

    /** The message, with its cause when the message does not already say it; never a blank line. */
    static String paragraph(Throwable error) {
        IOException io = ioProblem(error);
        String message;
        if (error == io) {
            message = fileProblem(io);
        } else if (io != null) {
            String own = error.getMessage() == null ? "" : error.getMessage();
            String problem = fileProblem(io);
            message = own.isEmpty() ? problem : own.contains(problem) ? own : own + ": " + problem;
        } else {
            message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
            Throwable cause = error.getCause();
            if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
                message = message + "\n  caused by: " + cause;
            }
        }
        if (io != null && isDiskFull(io)) {
            message += "\n  the disk is full: free space (or choose --output on another disk) and run again; "
                    + "with --resume the run continues from its last checkpoint";
        }
        return message.replaceAll("\n\\s*\n", "\n").strip();
    }

    private static boolean isDiskFull(IOException io) {
        String text = io instanceof FileSystemException fs ? fs.getReason() : io.getMessage();
        return text != null && text.contains("No space left on device");
    }

    private static String fileProblem(IOException error) {
        if (error instanceof AccessDeniedException denied) {
            return "permission denied: " + denied.getFile();
        }
        if (error instanceof NoSuchFileException missing) {
            return "no such file: " + missing.getFile();
        }
        if (error instanceof NotDirectoryException notDirectory) {
            return "not a directory: " + notDirectory.getFile();
        }
        if (error instanceof FileAlreadyExistsException exists) {
            return "already exists: " + exists.getFile();
        }
        if (error instanceof FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + ": " + (fs.getReason() == null ? fs.getClass().getSimpleName() : fs.getReason());
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
