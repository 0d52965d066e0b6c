package io.finetune4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The process's resident-set high-water mark, as Linux keeps it ({@code VmHWM} in {@code /proc/self/status}):
 * native memory (libtorch's tensors) included, which no JVM counter sees. {@link #reset()} starts a new mark
 * ({@code /proc/self/clear_refs}, value 5), so a phase's own peak can be read.
 */
final class PeakRss {
    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakRss() {}

    /** The high-water mark in bytes; empty where {@code /proc} does not report it (not Linux). */
    static OptionalLong bytes() {
        return field("VmHWM:");
    }

    /** The current resident set in bytes. */
    static OptionalLong currentBytes() {
        return field("VmRSS:");
    }

    /** Starts a new high-water mark at the current resident set; false where the kernel does not allow it. */
    static boolean reset() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static OptionalLong field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** Mebibytes, or null when unknown (for JSON). */
    static Double mebibytes(OptionalLong bytes) {
        return bytes.isPresent() ? bytes.getAsLong() / (1024.0 * 1024.0) : null;
    }
}
