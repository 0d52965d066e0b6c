package io.finetune4j.runner.review;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a review under {@code RUN_DIR/review/}: {@code answers.jsonl} (the items, written once,
 * atomically) and {@code votes.jsonl} (append-only; every vote is flushed and forced to the disk before it
 * is acknowledged, so a crash loses no acknowledged vote). A line torn by a crash is dropped on reading.
 */
public final class ReviewStore implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    private final Path dir;
    private FileChannel votes;

    public ReviewStore(Path runDir) {
        this.dir = runDir.resolve("review");
    }

    public Path answersFile() {
        return dir.resolve("answers.jsonl");
    }

    public Path votesFile() {
        return dir.resolve("votes.jsonl");
    }

    public boolean hasAnswers() {
        return Files.isRegularFile(answersFile());
    }

    public List<ReviewItem> readAnswers() {
        return readLines(answersFile(), ReviewItem.class);
    }

    public void writeAnswers(List<ReviewItem> items) {
        StringBuilder text = new StringBuilder();
        for (ReviewItem item : items) {
            text.append(line(item)).append('\n');
        }
        AtomicFiles.writeAtomically(answersFile(), temporary -> Files.writeString(temporary, text));
    }

    /** The votes so far, in the order they were cast; none when the file does not exist. */
    public List<ReviewVote> readVotes() {
        return Files.isRegularFile(votesFile()) ? readLines(votesFile(), ReviewVote.class) : List.of();
    }

    /** Appends {@code vote} as one line and forces it to the disk before returning. */
    public synchronized void append(ReviewVote vote) {
        byte[] bytes = (line(vote) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (votes == null) {
                Files.createDirectories(dir);
                votes = FileChannel.open(votesFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                votes.write(buffer);
            }
            votes.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + votesFile(), e);
        }
    }

    /**
     * Writes the decided votes as DPO/KTO preference rows {@code {"prompt", "chosen", "rejected"}} (ties and
     * both-bad left out) and returns how many.
     */
    public int exportPreferences(Path file) {
        Map<Integer, ReviewItem> items = new LinkedHashMap<>();
        readAnswers().forEach(item -> items.put(item.id(), item));
        StringBuilder text = new StringBuilder();
        int rows = 0;
        for (ReviewVote vote : readVotes()) {
            ReviewItem item = items.get(vote.item());
            if (item == null || !(vote.winner().equals(ReviewVote.A) || vote.winner().equals(ReviewVote.B))) {
                continue;
            }
            boolean aWins = vote.winner().equals(ReviewVote.A);
            Map<String, String> row = new LinkedHashMap<>();
            row.put("prompt", item.prompt());
            row.put("chosen", aWins ? item.answerA() : item.answerB());
            row.put("rejected", aWins ? item.answerB() : item.answerA());
            text.append(line(row)).append('\n');
            rows++;
        }
        AtomicFiles.writeAtomically(file, temporary -> Files.writeString(temporary, text));
        return rows;
    }

    static String line(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value + " as JSON", e);
        }
    }

    private static <T> List<T> readLines(Path file, Class<T> type) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<T> values = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                values.add(JSON.readValue(line, type));
            } catch (JsonProcessingException e) {
                // A line torn by a crash was never acknowledged; dropping it loses no vote.
                continue;
            }
        }
        return values;
    }

    @Override
    public synchronized void close() {
        if (votes != null) {
            try {
                votes.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + votesFile(), e);
            }
        }
    }
}
