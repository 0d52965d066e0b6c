package io.finetune4j.runner.pipeline;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run directory owned by one {@code ft4j run} for as long as it runs: an OS file lock on {@code .ft4j.lock}
 * (released by the OS when the process dies, so a crash never leaves the directory locked), whose content names
 * the holder ({@code pid@host since time}) for the message a second run gets and for the note when a later run
 * finds a dead run's lock file. Opened without {@code --resume}, a directory that already holds anything is
 * refused, or with {@code --overwrite} moved aside (never deleted); opened with {@code --resume}, the temporary
 * files and directories a dead run left ({@code *.tmp-*}, {@code *.old-*} of atomic writes) are removed.
 */
public final class RunDirectory implements AutoCloseable {
    public static final String LOCK_FILE = ".ft4j.lock";
    /** What {@code AtomicFiles} writes beside a target before moving it into place, or moves aside. */
    private static final Pattern LEFTOVER = Pattern.compile(".*\\.(tmp|old)-[0-9a-f]+|\\..*\\.tmp");

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunDirectory(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** How a run treats what is already in its directory. */
    public enum Mode {
        /** The directory must be absent or empty. */
        NEW,
        /** An existing run is moved aside to {@code DIR.replaced-N} first. */
        OVERWRITE,
        /** The run in the directory is continued. */
        RESUME
    }

    /**
     * Creates (if needed) and locks {@code dir} for this process.
     *
     * @param notes where a moved-aside run, a dead run's lock and removed leftovers are reported
     * @throws ConfigException when {@code dir} is not a directory, another run holds it, or it is not empty and
     *     {@code mode} is {@link Mode#NEW}
     */
    public static RunDirectory open(Path dir, Mode mode, Consumer<String> notes) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException("--output: " + dir + " is a file, not a directory; give a directory for the run");
        }
        if (mode != Mode.RESUME && Files.isDirectory(dir)) {
            List<String> content = content(dir);
            if (!content.isEmpty()) {
                // A running run's lock is the better message; take it and let it go before judging the content.
                lock(dir, notes, false).close();
                if (mode == Mode.NEW) {
                    throw new ConfigException(String.format(Locale.ROOT, "--output: %s already holds %s; resume that "
                            + "run with --resume, choose a new --output directory, or pass --overwrite to move the "
                            + "old run aside (it is never deleted)", dir, describe(content)));
                }
                Path aside = aside(dir);
                try {
                    Files.move(dir, aside);
                } catch (IOException e) {
                    throw new UncheckedIOException("--overwrite: cannot move " + dir + " aside to " + aside, e);
                }
                notes.accept("--overwrite: the previous run in " + dir + " was moved to " + aside);
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory " + dir, e);
        }
        RunDirectory owned = lock(dir, notes, true);
        if (mode == Mode.RESUME) {
            owned.removeLeftovers(notes);
        }
        return owned;
    }

    public Path dir() {
        return dir;
    }

    /** Removes the lock file and releases the lock. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(dir.resolve(LOCK_FILE));
        } catch (IOException e) {
            // The lock itself goes with the channel; a lock file left behind is reported by the next run.
        }
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the lock on " + dir.resolve(LOCK_FILE), e);
        }
    }

    private static RunDirectory lock(Path dir, Consumer<String> notes, boolean claim) {
        Path file = dir.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the lock file " + file, e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this very process holds it (another run in the same JVM)
            }
            String holder = read(channel);
            if (lock == null) {
                channel.close();
                throw new ConfigException(String.format("--output: %s is in use by another ft4j run (%s); wait for it "
                        + "to end or choose another --output directory", dir, holder.isEmpty() ? "holder unknown" : holder));
            }
            if (claim) {
                if (!holder.isEmpty()) {
                    notes.accept(String.format("%s: the run that held this directory (%s) ended without releasing it "
                            + "(killed or crashed); taken over", file, holder));
                }
                byte[] me = (self() + "\n").getBytes(StandardCharsets.UTF_8);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(me), 0);
                channel.force(true);
            }
            return new RunDirectory(dir, channel, lock);
        } catch (IOException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot lock " + file, e);
        }
    }

    private void removeLeftovers(Consumer<String> notes) {
        List<Path> leftovers = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir, 3)) {
            walk.filter(p -> !p.equals(dir) && LEFTOVER.matcher(p.getFileName().toString()).matches())
                    .forEach(leftovers::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        for (Path leftover : leftovers) {
            if (!Files.exists(leftover)) {
                continue; // inside one removed before
            }
            try {
                AtomicFiles.deleteRecursively(leftover);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + leftover + ", left by an interrupted write", e);
            }
            notes.accept("removed " + dir.relativize(leftover) + ", left by an interrupted write");
        }
    }

    private static List<String> content(Path dir) {
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).filter(name -> !name.equals(LOCK_FILE)).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static String describe(List<String> content) {
        boolean run = content.contains("pipeline.yaml");
        List<String> shown = content.size() <= 6 ? content : content.subList(0, 6);
        return (run ? "a run" : "files") + " (" + String.join(", ", shown)
                + (content.size() > shown.size() ? ", … " + (content.size() - shown.size()) + " more" : "") + ")";
    }

    private static Path aside(Path dir) {
        for (int i = 1; ; i++) {
            Path candidate = dir.resolveSibling(dir.getFileName() + ".replaced-" + i);
            if (!Files.exists(candidate)) {
                return candidate;
            }
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(4096, channel.size()));
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    private static String self() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return String.format(Locale.ROOT, "pid %d on %s since %s", ProcessHandle.current().pid(), host, Instant.now());
    }
}
