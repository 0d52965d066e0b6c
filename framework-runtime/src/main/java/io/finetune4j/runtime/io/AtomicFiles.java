package io.finetune4j.runtime.io;

import io.finetune4j.api.Stable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Writes files and directories so that a reader sees either the old content or the complete new one:
 * everything goes to a temporary sibling first (same file system, so the final rename is atomic), and
 * a failure before the rename leaves the old content untouched and removes the temporary.
 */
@Stable
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Work that writes to a path and may fail with an I/O error. */
    @FunctionalInterface
    public interface PathWriter {
        void write(Path temporary) throws IOException;
    }

    /** Runs {@code writer} on a temporary sibling of {@code target}, then moves it over {@code target}. */
    public static void writeAtomically(Path target, PathWriter writer) {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Path temporary = parent.resolve(absolute.getFileName() + ".tmp-" + randomSuffix());
        try {
            Files.createDirectories(parent);
            writer.write(temporary);
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(parent);
        } catch (IOException e) {
            deleteQuietly(temporary, e);
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(temporary, e);
            throw e;
        }
    }

    /**
     * Runs {@code writer} on a fresh temporary sibling directory of {@code target}, then puts it in
     * {@code target}'s place: moved in directly, or, when {@code target} exists, the old directory is moved
     * aside, the new one moved in, and the old one deleted.
     */
    public static void writeDirectoryAtomically(Path target, PathWriter writer) {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        String suffix = randomSuffix();
        Path temporary = parent.resolve(absolute.getFileName() + ".tmp-" + suffix);
        Path old = parent.resolve(absolute.getFileName() + ".old-" + suffix);
        try {
            if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
                throw new IOException(absolute + " exists and is not a directory");
            }
            Files.createDirectories(parent);
            Files.createDirectory(temporary);
            writer.write(temporary);
            forceDirectory(temporary);
        } catch (IOException e) {
            deleteQuietly(temporary, e);
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(temporary, e);
            throw e;
        }
        try {
            swapIn(absolute, temporary, old);
        } catch (IOException e) {
            deleteQuietly(temporary, e);
            throw new UncheckedIOException("cannot move " + temporary + " into place as " + target + ": "
                    + e.getMessage(), e);
        }
        try {
            deleteRecursively(old);
        } catch (IOException e) {
            throw new UncheckedIOException("wrote " + target + " but cannot delete the previous version at "
                    + old + ": " + e.getMessage(), e);
        }
    }

    private static void swapIn(Path target, Path temporary, Path old) throws IOException {
        if (!Files.exists(target)) {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(target.getParent());
            return;
        }
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the old one back
            } catch (IOException restore) {
                e.addSuppressed(restore);
            }
            throw e;
        }
        forceDirectory(target.getParent());
    }

    /** Deletes {@code path} and everything under it; absent paths are fine. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path path, Throwable failure) {
        try {
            deleteRecursively(path);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Makes a rename durable; best effort, since not every file system lets a directory be opened. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The rename itself already happened; durability across a power cut is all that is lost.
        }
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
