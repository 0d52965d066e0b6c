package io.finetune4j.runner.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The report as a list of blocks, rendered twice: to Markdown and to one self-contained HTML page (the
 * chart PNGs stay beside it). Text is plain; each renderer escapes it.
 */
public final class ReportDocument {
    /**
     * How a headline reads at a glance: PASS (better, nothing forgotten), WARN (better on the task but
     * significantly worse on general text: forgetting), FAIL (worse on the task, or forgot without
     * improving), n.s. (no significant change), INFO (nothing to compare).
     */
    public enum Tone { GOOD, WARN, BAD, NEUTRAL, INFO }

    /** One block of the report. */
    public sealed interface Block {}

    public record Heading(int level, String text) implements Block {}

    public record Paragraph(String text) implements Block {}

    public record Headline(Tone tone, String text) implements Block {}

    public record Table(List<String> header, List<List<String>> rows) implements Block {}

    /** Images by path relative to the report, with their alt text. */
    public record Images(Map<String, String> altByPath) implements Block {}

    public record Code(String language, String text) implements Block {}

    private final String title;
    private final List<Block> blocks = new ArrayList<>();

    public ReportDocument(String title) {
        this.title = title;
    }

    public ReportDocument add(Block block) {
        blocks.add(block);
        return this;
    }

    public String title() {
        return title;
    }

    public List<Block> blocks() {
        return List.copyOf(blocks);
    }

    public String markdown() {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        for (Block block : blocks) {
            if (block instanceof Heading h) {
                md.append("#".repeat(h.level())).append(' ').append(mdText(h.text())).append("\n\n");
            } else if (block instanceof Paragraph p) {
                md.append(mdText(p.text())).append("\n\n");
            } else if (block instanceof Headline h) {
                md.append("**").append(symbol(h.tone())).append(' ').append(mdText(h.text())).append("**\n\n");
            } else if (block instanceof Table t) {
                md.append(mdRow(t.header()));
                md.append("|").append(" --- |".repeat(t.header().size())).append('\n');
                t.rows().forEach(row -> md.append(mdRow(row)));
                md.append('\n');
            } else if (block instanceof Images images) {
                images.altByPath().forEach((path, alt) ->
                        md.append("![").append(mdText(alt)).append("](").append(path).append(")\n"));
                md.append('\n');
            } else if (block instanceof Code c) {
                // A fence longer than any backtick run inside keeps the text verbatim.
                String fence = "`".repeat(Math.max(3, longestBacktickRun(c.text()) + 1));
                md.append(fence).append(c.language()).append('\n').append(c.text());
                if (!c.text().endsWith("\n")) {
                    md.append('\n');
                }
                md.append(fence).append("\n\n");
            }
        }
        return md.toString();
    }

    public String html() {
        StringBuilder html = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                """);
        html.append("<title>").append(escape(title)).append("</title>\n");
        html.append("""
                <style>
                body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
                table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;
                text-align:left;vertical-align:top}th{background:#f3f3f3}
pre{background:#f6f6f6;padding:.8em;overflow:auto}
                .headline{font-weight:600;padding:.4em .8em;border-radius:4px;margin:.4em 0}
                .good{background:#e3f6e3}.warn{background:#fff3cd}.bad{background:#fbe3e3}.neutral,.info{background:#eeeeee}
                img{max-width:49%;margin:.2em}
                </style></head><body>
                """);
        html.append("<h1>").append(escape(title)).append("</h1>\n");
        for (Block block : blocks) {
            if (block instanceof Heading h) {
                html.append("<h").append(h.level()).append('>').append(escape(h.text()))
                        .append("</h").append(h.level()).append(">\n");
            } else if (block instanceof Paragraph p) {
                html.append("<p>").append(escape(p.text())).append("</p>\n");
            } else if (block instanceof Headline h) {
                html.append("<div class=\"headline ").append(h.tone().name().toLowerCase(java.util.Locale.ROOT))
                        .append("\">").append(symbol(h.tone())).append(' ').append(escape(h.text())).append("</div>\n");
            } else if (block instanceof Table t) {
                html.append("<table><tr>");
                t.header().forEach(cell -> html.append("<th>").append(escape(cell)).append("</th>"));
                html.append("</tr>\n");
                for (List<String> row : t.rows()) {
                    html.append("<tr>");
                    row.forEach(cell -> html.append("<td>").append(escape(cell).replace("\n", "<br>")).append("</td>"));
                    html.append("</tr>\n");
                }
                html.append("</table>\n");
            } else if (block instanceof Images images) {
                html.append("<div>");
                images.altByPath().forEach((path, alt) -> html.append("<img src=\"").append(escape(path))
                        .append("\" alt=\"").append(escape(alt)).append("\">"));
                html.append("</div>\n");
            } else if (block instanceof Code c) {
                html.append("<pre><code>").append(escape(c.text())).append("</code></pre>\n");
            }
        }
        return html.append("</body></html>\n").toString();
    }

    private static String symbol(Tone tone) {
        return switch (tone) {
            case GOOD -> "PASS";
            case WARN -> "WARN";
            case BAD -> "FAIL";
            case NEUTRAL -> "n.s.";
            case INFO -> "INFO";
        };
    }

    private static String mdRow(List<String> cells) {
        StringBuilder row = new StringBuilder("|");
        for (String cell : cells) {
            row.append(' ').append(mdText(cell).replace("|", "\\|").replace("\n", "<br>")).append(" |");
        }
        return row.append('\n').toString();
    }

    /** Keeps Markdown from reading user text (prompts, generations) as markup. */
    static String mdText(String text) {
        return text.replaceAll("([\\\\`*_\\[\\]<>#])", "\\\\$1");
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static int longestBacktickRun(String text) {
        int longest = 0;
        int run = 0;
        for (char c : text.toCharArray()) {
            run = c == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }
}
